"""Frechet distance between two feature distributions (the FID formula on any fixed network's features)."""
from __future__ import annotations

import numpy as np
import torch
from scipy import linalg
from torch import nn
from torch.utils.data import Dataset

from ..attacks.base import eval_mode
from ..data.images import loader


def frechet_distance(a: np.ndarray, b: np.ndarray, pca_dim: int | None = None) -> float:
    """||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)) between Gaussians fitted to rows of a and b
    (optionally after projecting both onto the top `pca_dim` principal axes of their union, which tames the
    bias of covariance estimates from a few hundred points in many dimensions)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or len(a) < 2 or len(b) < 2:
        raise ValueError(f"need two (N, d) feature arrays with N >= 2 and equal d, "
                         f"got {a.shape} and {b.shape}")
    if pca_dim is not None:
        if not 0 < pca_dim <= a.shape[1]:
            raise ValueError(f"invalid pca_dim={pca_dim!r}: must lie in 1..{a.shape[1]}")
        both = np.concatenate([a, b])
        _, _, vt = np.linalg.svd(both - both.mean(0), full_matrices=False)
        a, b = a @ vt[:pca_dim].T, b @ vt[:pca_dim].T
    mu_a, mu_b = a.mean(0), b.mean(0)
    d, m = a.shape[1], len(a) + len(b)
    # Fewer points than dimensions: both covariances live in the span U of the centred points, and with the
    # ridge below S_a, S_b act on U's complement as ridge * I, so tr (S_a S_b)^(1/2) is an m x m problem plus
    # (d - m) * ridge, exactly (an m x m sqrtm instead of a d x d one).
    basis = np.linalg.qr(np.concatenate([a - mu_a, b - mu_b]).T)[0] if m < d else None
    s_a, s_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    # a tiny ridge (relative to the mean variance) keeps sqrtm well defined when few points span a
    # high-dimensional feature space (dead ReLU units give singular covariances)
    ridge = 1e-6 * (np.trace(s_a) + np.trace(s_b)) / (2 * len(s_a)) + 1e-12
    trace = np.trace(s_a) + np.trace(s_b) + 2 * d * ridge
    if basis is not None:
        s_a, s_b = basis.T @ s_a @ basis, basis.T @ s_b @ basis
    k = len(s_a)
    s_a, s_b = s_a + ridge * np.eye(k), s_b + ridge * np.eye(k)
    covmean = np.real(linalg.sqrtm(s_a @ s_b))
    return float(((mu_a - mu_b) ** 2).sum() + trace - 2 * (np.trace(covmean) + (d - k) * ridge))


@torch.no_grad()
def features(model: nn.Module, data: Dataset, batch_size: int = 256,
             device: torch.device | str = "cpu") -> np.ndarray:
    """The representation `model.features(x)` of every point of `data`, as an (N, d) array."""
    with eval_mode(model):
        out = [model.features(x.to(device)).flatten(1).cpu() for x, _ in loader(data, batch_size)]
    return torch.cat(out).numpy()
