"""Training objectives: each maps (model, x, y, config) to a scalar loss to minimize.

Each is registered here with the `TrainConfig` fields it reads (`robustbook.train.registry` explains how to
add one); the training loop and the zoo then know it by name.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from ..attacks.base import clip_to_box, eval_mode, project, steepest_direction
from ..attacks.pgd import PGD
from .registry import OBJECTIVES, Objective, get_objective, objective

if TYPE_CHECKING:
    from .config import TrainConfig

__all__ = ["OBJECTIVES", "Objective", "get_objective", "objective", "train_attack"]

ATTACK_FIELDS = ("eps", "alpha", "steps", "norm", "ascent", "random_start")  # what `train_attack` reads


def train_attack(model: nn.Module, cfg: "TrainConfig", loss: str = "ce") -> PGD:
    """The inner maximisation of adversarial training, built from the config's eps/alpha/steps/norm/ascent."""
    return PGD(model, cfg.eps, cfg.alpha, cfg.steps, cfg.norm, ascent=cfg.ascent,
               random_start=cfg.random_start, loss=loss, model_mode="eval")


@objective("standard", reads=("noise_sigma",))
def standard(model: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: "TrainConfig") -> torch.Tensor:
    """Empirical risk: mean cross-entropy on clean inputs (plus Gaussian noise when noise_sigma > 0)."""
    if cfg.noise_sigma > 0:
        x = x + cfg.noise_sigma * torch.randn_like(x)
    return F.cross_entropy(model(x), y)


@objective("adversarial", reads=ATTACK_FIELDS)
def adversarial(model: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: "TrainConfig") -> torch.Tensor:
    """PGD adversarial training (Madry et al.), or Algorithm 1 of yi2021 with ascent='raw':
    cross-entropy at the K-step projected-ascent point inside the eps-ball."""
    x_adv = train_attack(model, cfg)(x, y)
    return F.cross_entropy(model(x_adv), y)


@objective("augmented", reads=ATTACK_FIELDS + ("lam",))
def augmented(model: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: "TrainConfig") -> torch.Tensor:
    """Adversarial augmentation (alhamoud2023 Eq. 5): (1 - lambda) * clean loss + lambda * adversarial loss."""
    x_adv = train_attack(model, cfg)(x, y)
    return (1 - cfg.lam) * F.cross_entropy(model(x), y) + cfg.lam * F.cross_entropy(model(x_adv), y)


@objective("trades", reads=("beta", "eps", "alpha", "steps", "norm"))
def trades(model: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: "TrainConfig") -> torch.Tensor:
    """TRADES (Zhang et al. 2019): CE(f(x), y) + beta * KL(f(x) || f(x')), x' maximising the KL term."""
    with eval_mode(model):  # the inner maximisation: the attacks package's step, projection and box
        with torch.no_grad():
            p_clean = F.softmax(model(x), 1)
        delta = 0.001 * torch.randn_like(x)  # the reference implementation's small Gaussian start
        for _ in range(cfg.steps):
            delta.requires_grad_(True)
            kl = F.kl_div(F.log_softmax(model(x + delta), 1), p_clean, reduction="sum")
            (grad,) = torch.autograd.grad(kl, delta)
            step = steepest_direction(grad, cfg.norm)
            delta = clip_to_box(x, project(delta.detach() + cfg.alpha_or_default * step, cfg.eps, cfg.norm))
    logits = model(x)
    robust = F.kl_div(F.log_softmax(model(x + delta), 1), F.softmax(logits, 1), reduction="batchmean")
    return F.cross_entropy(logits, y) + cfg.beta * robust


@objective("noise_augmented", reads=("eps", "norm", "lam"))
def noise_augmented(model: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: "TrainConfig") -> torch.Tensor:
    """The control of adversarial augmentation (alhamoud2023's referee): Eq. 5's mixture with a uniform random point
    of the eps-ball (PGD's random start, without its ascent) in place of the PGD point."""
    from ..attacks.base import random_start

    x_noise = x + random_start(x, cfg.eps, cfg.norm, None)
    return (1 - cfg.lam) * F.cross_entropy(model(x), y) + cfg.lam * F.cross_entropy(model(x_noise), y)
