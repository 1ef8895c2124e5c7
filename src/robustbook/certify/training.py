"""Noise-augmented training of base classifiers for smoothing: cross-entropy on one perturbed copy of each
example, phi drawn from the smoothing distribution (sigma = TrainConfig.noise_sigma). Registered as the
training objectives 'smooth_<kind>_<distribution>' (e.g. 'smooth_rotation_gaussian')."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..train.registry import REGISTRY, objective
from .deform import DISTRIBUTIONS, KINDS, Perturbation


def smoothing_objective_name(kind: str, distribution: str = "gaussian") -> str:
    """The registered objective that trains a base classifier for this smoothing distribution."""
    name = f"smooth_{kind}_{distribution}"
    if name not in REGISTRY:
        raise ValueError(f"invalid perturbation/distribution {kind!r}/{distribution!r}: choose from "
                         f"{', '.join(KINDS)} / {', '.join(DISTRIBUTIONS)}")
    return name


def _make(kind: str, distribution: str):
    def loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg) -> torch.Tensor:
        if cfg.noise_sigma > 0:
            x = Perturbation(kind, cfg.noise_sigma, distribution).perturb(x)
        return F.cross_entropy(model(x), y)
    loss.__doc__ = f"Cross-entropy under {distribution} {kind} smoothing noise of scale noise_sigma."
    return loss


for _kind in KINDS:
    for _dist in DISTRIBUTIONS:
        objective(f"smooth_{_kind}_{_dist}", reads=("noise_sigma",), module=__name__)(_make(_kind, _dist))
