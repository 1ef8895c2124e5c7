"""Clean and robust accuracy for any attack."""
from __future__ import annotations

from typing import Callable, Iterable

import pandas as pd
import torch
from torch import nn
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from ..attacks.base import eval_mode
from ..runtime import fixture_cap
from ..data.images import loader

AttackFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def predictions(model: nn.Module, data: Dataset, attack: AttackFn | None = None, batch_size: int = 256,
                device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Predicted and true labels over `data`, on attacked inputs when `attack` is given."""
    device = torch.device(device)
    with eval_mode(model):
        preds, labels = [], []
        for x, y in loader(data, batch_size):
            x, y = x.to(device), y.to(device)
            if attack is not None:
                x = attack(x, y)
            with torch.no_grad():
                preds.append(model(x).argmax(1).cpu())
            labels.append(y.cpu())
    return torch.cat(preds), torch.cat(labels)


def accuracy(model: nn.Module, data: Dataset, attack: AttackFn | None = None, batch_size: int = 256,
             device: torch.device | str = "cpu") -> float:
    """Fraction of `data` classified correctly (after `attack`, when given)."""
    pred, y = predictions(model, data, attack, batch_size, device)
    return float((pred == y).float().mean())


def robust_accuracy_curve(model: nn.Module, data: Dataset, make_attack: Callable[[float], AttackFn],
                          eps_grid: Iterable[float], batch_size: int = 256,
                          device: torch.device | str = "cpu", progress: bool = False) -> pd.DataFrame:
    """Robust accuracy at each eps of `eps_grid`, attacking with `make_attack(eps)`."""
    rows = []
    for eps in tqdm(fixture_cap(list(eps_grid), "grid"), desc="eps", disable=not progress, leave=False):
        attack = None if eps == 0 else make_attack(eps)
        rows.append({"eps": float(eps), "accuracy": accuracy(model, data, attack, batch_size, device)})
    return pd.DataFrame(rows)
