"""Per-example margins, probabilities and losses; loss variation under an attack; robust accuracy counted
on originally-correct examples (wen2020's "PGD" rows)."""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from ..attacks.base import eval_mode
from ..attacks.losses import logit_margin
from ..data.images import loader

AttackFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def per_example(model: nn.Module, data: Dataset, attack: AttackFn | None = None, batch_size: int = 256,
                device: torch.device | str = "cpu") -> pd.DataFrame:
    """One row per example: label, prediction, correct, logit margin, probability of the label, CE loss."""
    device = torch.device(device)
    with eval_mode(model):
        cols: dict[str, list] = {k: [] for k in ("label", "pred", "margin", "prob", "loss")}
        for x, y in loader(data, batch_size):
            x, y = x.to(device), y.to(device)
            if attack is not None:
                x = attack(x, y)
            with torch.no_grad():
                logits = model(x).float()
            cols["label"].append(y.cpu())
            cols["pred"].append(logits.argmax(1).cpu())
            cols["margin"].append(logit_margin(logits, y).cpu())
            cols["prob"].append(F.softmax(logits, 1).gather(1, y[:, None]).squeeze(1).cpu())
            cols["loss"].append(F.cross_entropy(logits, y, reduction="none").cpu())
    df = pd.DataFrame({k: torch.cat(v).numpy() for k, v in cols.items()})
    df["correct"] = df["pred"] == df["label"]
    return df


def loss_variation(model: nn.Module, data: Dataset, attack: AttackFn, batch_size: int = 256,
                   device: torch.device | str = "cpu") -> np.ndarray:
    """Per-example loss increase l(x_adv, y) - l(x, y) found by `attack` (wen2020 App. B.5)."""
    clean = per_example(model, data, None, batch_size, device)["loss"].to_numpy()
    adv = per_example(model, data, attack, batch_size, device)["loss"].to_numpy()
    return adv - clean


def accuracy_on_correct(model: nn.Module, data: Dataset, attack: AttackFn, batch_size: int = 256,
                        device: torch.device | str = "cpu") -> float:
    """Robust accuracy among the examples classified correctly without attack (wen2020 Tables 3-5)."""
    clean = per_example(model, data, None, batch_size, device)
    adv = per_example(model, data, attack, batch_size, device)
    ok = clean["correct"].to_numpy()
    if not ok.any():
        return float("nan")
    return float(adv["correct"].to_numpy()[ok].mean())
