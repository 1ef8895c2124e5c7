"""Comparing attacks: accuracy under several attacks, and the loss an attack reaches step by step."""
from __future__ import annotations

from typing import Mapping

import pandas as pd
import torch
from torch.utils.data import Dataset

from ..attacks import PGD, batch_norm
from .accuracy import AttackFn, accuracy


def attack_table(model: torch.nn.Module, data: Dataset, attacks: Mapping[str, AttackFn | None],
                 batch_size: int = 256, device: torch.device | str = "cpu") -> pd.DataFrame:
    """Accuracy of `model` under each named attack (None = clean), one row per attack."""
    return pd.DataFrame([{"attack": name, "accuracy": accuracy(model, data, atk, batch_size, device)}
                         for name, atk in attacks.items()])


def loss_trace(attack: PGD, x: torch.Tensor, y: torch.Tensor) -> pd.DataFrame:
    """Mean attack loss before each step and at the returned point, and the final perturbation norm."""
    seen: list[float] = []
    x_adv = attack(x, y, on_step=lambda k, losses: seen.append(float(losses.mean())))
    with torch.no_grad():
        seen.append(float(attack.loss(attack.model(x_adv), y).mean()))
    norm = float(batch_norm(x_adv - x, attack.norm).mean())
    return pd.DataFrame({"step": range(len(seen)), "loss": seen, "mean_norm": norm})
