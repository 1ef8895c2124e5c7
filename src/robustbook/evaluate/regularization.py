"""wen2020's measurements of adversarial robustness as a regularizer (the networks come from the zoo through
`robustbook.experiments.wen2020`): the rows of Tables 3-6 for one trained model (accuracy and loss on train and test, their gaps, PGD accuracy on originally-correct test
points), the singular-value summary of App. B.2, and loss variation (App. B.5)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import Dataset

from ..attacks import PGD
from .margins import loss_variation, per_example


def gap_row(model: nn.Module, train: Dataset, test: Dataset, pgd_eps: float = 8 / 255, pgd_alpha: float = 2 / 255,
            pgd_steps: int = 10, device: torch.device | str = "cpu", seed: int = 0) -> dict[str, float]:
    """Train/test accuracy (%) and mean CE loss, their gaps, and PGD accuracy (%) on correct test points."""
    return gap_measure(model, train, test, pgd_eps, pgd_alpha, pgd_steps, device, seed)[0]


def gap_measure(model: nn.Module, train: Dataset, test: Dataset, pgd_eps: float = 8 / 255,
                pgd_alpha: float = 2 / 255, pgd_steps: int = 10, device: torch.device | str = "cpu",
                seed: int = 0) -> tuple[dict[str, float], pd.DataFrame]:
    """`gap_row` and the test points behind it (correct, loss, margin, robust: correct under PGD), for intervals."""
    tr, te = per_example(model, train, device=device), per_example(model, test, device=device)
    row = {"trn_acc": 100 * tr["correct"].mean(), "test_acc": 100 * te["correct"].mean()}
    row["d_acc"] = row["trn_acc"] - row["test_acc"]
    row.update(trn_loss=tr["loss"].mean(), test_loss=te["loss"].mean())
    row["d_loss"] = row["test_loss"] - row["trn_loss"]
    attack = PGD(model, pgd_eps, pgd_alpha, pgd_steps, "linf", seed=seed)
    adv = per_example(model, test, attack, device=device)
    ok = te["correct"].to_numpy()
    row["pgd"] = 100 * float(adv["correct"].to_numpy()[ok].mean()) if ok.any() else float("nan")
    points = te[["correct", "loss", "margin"]].assign(robust=adv["correct"].to_numpy())
    return {k: float(v) for k, v in row.items()}, points


def loss_variation_summary(model: nn.Module, data: Dataset, eps_grid: Sequence[float], steps: int = 10,
                           device: torch.device | str = "cpu", seed: int = 0) -> pd.DataFrame:
    """Mean and std over `data` of the largest loss increase PGD finds within each L_inf radius."""
    return loss_variation_points(model, data, eps_grid, steps, device, seed)[0]


def loss_variation_points(model: nn.Module, data: Dataset, eps_grid: Sequence[float], steps: int = 10,
                          device: torch.device | str = "cpu",
                          seed: int = 0) -> tuple[pd.DataFrame, dict[float, np.ndarray]]:
    """`loss_variation_summary` and, per radius, the per-point loss increases behind it (for intervals)."""
    rows, points = [], {}
    for e in eps_grid:
        lv = loss_variation(model, data, PGD(model, e, e / 4, steps, "linf", seed=seed), device=device)
        points[e] = np.asarray(lv, dtype=float)
        rows.append({"eps": e, "mean": float(np.mean(lv)), "std": float(np.std(lv))})
    return pd.DataFrame(rows), points


def std_difference_summary(std_low: Sequence[float], std_high: Sequence[float]) -> dict[str, float]:
    """App. B.2: layers whose singular-value std fell from AR low to AR high vs those where it rose
    (sum and mean of the differences in each group)."""
    lo, hi = np.asarray(std_low, float), np.asarray(std_high, float)
    if lo.shape != hi.shape:
        raise ValueError("the two networks must have the same layers")
    d = lo - hi
    fell, rose = d[d > 0], -d[d < 0]
    return {"n_fell": int(len(fell)), "sum_fell": float(fell.sum()), "mean_fell": float(fell.mean()) if len(fell) else 0.0,
            "n_rose": int(len(rose)), "sum_rose": float(rose.sum()), "mean_rose": float(rose.mean()) if len(rose) else 0.0}
