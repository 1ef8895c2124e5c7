"""Frechet distance between two feature distributions (the FID formula on any fixed network's features)."""
from __future__ import annotations

import numpy as np
import torch
from scipy import linalg
from torch import nn
from torch.utils.data import Dataset

from ..data.images import loader


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)) between Gaussians fitted to rows of a and b."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or len(a) < 2 or len(b) < 2:
        raise ValueError(f"need two (N, d) feature arrays with N >= 2 and equal d, got {a.shape} and {b.shape}")
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s_a @ s_b)
    if not np.isfinite(covmean).all():  # near-singular product: regularize as the FID reference code does
        off = np.eye(len(s_a)) * 1e-6
        covmean = linalg.sqrtm((s_a + off) @ (s_b + off))
    covmean = np.real(covmean)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * np.trace(covmean))


@torch.no_grad()
def features(model: nn.Module, data: Dataset, batch_size: int = 256,
             device: torch.device | str = "cpu") -> np.ndarray:
    """The representation `model.features(x)` of every point of `data`, as an (N, d) array."""
    was = model.training
    model.eval()
    out = [model.features(x.to(device)).flatten(1).cpu() for x, _ in loader(data, batch_size)]
    model.train(was)
    return torch.cat(out).numpy()
