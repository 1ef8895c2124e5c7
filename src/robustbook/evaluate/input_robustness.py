"""Input-robustness of Definition 1 in yi2021: E_P sup_{||d||_p <= r} |f(w, x + d) - f(w, x)|, estimated by PGD.

PGD finds a point inside the ball, so the estimate is a lower estimate of the supremum (never an upper bound).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from ..attacks import PGD
from ..attacks.base import eval_mode
from ..data.images import loader


def input_robustness(model: nn.Module, data: Dataset, radius: float, norm: str = "linf", steps: int = 10,
                     alpha: float | None = None, batch_size: int = 256, device: torch.device | str = "cpu",
                     seed: int = 0) -> dict[str, float]:
    """PGD lower estimate of E sup |CE(x + d) - CE(x)| over the l_p ball of `radius`, plus the largest
    clean / perturbed loss seen (a measured stand-in for the bound M) and the clean mean loss."""
    device = torch.device(device)
    with eval_mode(model):
        total, seen, m_max, clean_sum = 0.0, 0, 0.0, 0.0
        for x, y in loader(data, batch_size):
            x, y = x.to(device), y.to(device)
            with torch.no_grad():
                clean = F.cross_entropy(model(x), y, reduction="none")
            best = torch.zeros_like(clean)
            if radius > 0:
                for sign in (1.0, -1.0):  # push the loss up, then down: |.| takes the larger change
                    def gap(logits, yy, clean=clean, sign=sign):
                        return sign * (F.cross_entropy(logits, yy, reduction="none") - clean)
                    x_adv = PGD(model, radius, alpha, steps, norm, loss=gap, seed=seed)(x, y)
                    with torch.no_grad():
                        pert = F.cross_entropy(model(x_adv), y, reduction="none")
                    best = torch.maximum(best, (pert - clean).abs())
                    m_max = max(m_max, float(pert.max()))
            m_max = max(m_max, float(clean.max()))
            total += float(best.sum())
            clean_sum += float(clean.sum())
            seen += len(y)
        return {"eps": total / seen, "M": m_max, "clean_loss": clean_sum / seen}


def l1_diameter(x: torch.Tensor, chunk: int = 256) -> float:
    """The largest l1 distance between two rows of `x` (flattened): the D of Theorems 1-2 on a sample."""
    flat = x.flatten(1)
    best = 0.0
    for i in range(0, len(flat), chunk):
        best = max(best, float(torch.cdist(flat[i:i + chunk], flat, p=1).max()))
    return best
