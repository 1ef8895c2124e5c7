"""Training objectives: each maps (model, x, y, config) to a scalar loss to minimize.

Register a new one with `@objective("name")`; the training loop and the zoo then know it by name.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..attacks import PGD
from ..attacks.base import clip_to_box, project

if TYPE_CHECKING:
    from .loop import TrainConfig

Objective = Callable[[nn.Module, torch.Tensor, torch.Tensor, "TrainConfig"], torch.Tensor]
OBJECTIVES: dict[str, Objective] = {}


def objective(name: str) -> Callable[[Objective], Objective]:
    """Register a training objective under `name`."""
    def register(fn: Objective) -> Objective:
        OBJECTIVES[name] = fn
        return fn
    return register


def get_objective(name: str) -> Objective:
    """The objective registered under `name`."""
    if name not in OBJECTIVES:
        raise ValueError(f"invalid objective={name!r}: choose one of {', '.join(sorted(OBJECTIVES))}")
    return OBJECTIVES[name]


def train_attack(model: nn.Module, cfg: "TrainConfig", loss: str = "ce") -> PGD:
    """The inner maximisation of adversarial training, built from the config's eps/alpha/steps/norm/ascent."""
    return PGD(model, cfg.eps, cfg.alpha, cfg.steps, cfg.norm, ascent=cfg.ascent,
               random_start=cfg.random_start, loss=loss, model_mode="eval")


@objective("standard")
def standard(model: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: "TrainConfig") -> torch.Tensor:
    """Empirical risk: mean cross-entropy on clean inputs (plus Gaussian noise when noise_sigma > 0)."""
    if cfg.noise_sigma > 0:
        x = x + cfg.noise_sigma * torch.randn_like(x)
    return F.cross_entropy(model(x), y)


@objective("adversarial")
def adversarial(model: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: "TrainConfig") -> torch.Tensor:
    """PGD adversarial training (Madry et al.), or Algorithm 1 of yi2021 with ascent='raw':
    cross-entropy at the K-step projected-ascent point inside the eps-ball."""
    x_adv = train_attack(model, cfg)(x, y)
    return F.cross_entropy(model(x_adv), y)


@objective("augmented")
def augmented(model: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: "TrainConfig") -> torch.Tensor:
    """Adversarial augmentation (alhamoud2023 Eq. 5): (1 - lambda) * clean loss + lambda * adversarial loss."""
    x_adv = train_attack(model, cfg)(x, y)
    return (1 - cfg.lam) * F.cross_entropy(model(x), y) + cfg.lam * F.cross_entropy(model(x_adv), y)


@objective("trades")
def trades(model: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: "TrainConfig") -> torch.Tensor:
    """TRADES (Zhang et al. 2019): CE(f(x), y) + beta * KL(f(x) || f(x')), x' maximising the KL term."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        p_clean = F.softmax(model(x), 1)
    delta = 0.001 * torch.randn_like(x)  # the reference implementation's small Gaussian start
    for _ in range(cfg.steps):
        delta.requires_grad_(True)
        kl = F.kl_div(F.log_softmax(model(x + delta), 1), p_clean, reduction="sum")
        (grad,) = torch.autograd.grad(kl, delta)
        step = grad.sign() if cfg.norm == "linf" else grad / grad.flatten(1).norm(dim=1).clamp_min(1e-12).view(
            -1, *[1] * (x.dim() - 1))
        delta = clip_to_box(x, project(delta.detach() + cfg.alpha_or_default * step, cfg.eps, cfg.norm))
    model.train(was_training)
    logits = model(x)
    robust = F.kl_div(F.log_softmax(model(x + delta), 1), F.softmax(logits, 1), reduction="batchmean")
    return F.cross_entropy(logits, y) + cfg.beta * robust


# bai2024: distributional TRADES (Algorithm 1); reads eps (delta), steps, beta
from .distributional import distributional_trades  # noqa: E402

objective("distributional_trades")(distributional_trades)
