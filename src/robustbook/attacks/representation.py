"""Representation attack: PGD that maximizes ||f(x + d) - f(x)||_2 over the threat set (nern2023).

Distance: L_inf or L_2 ball of radius eps, intersected with the pixel box [0, 1].
Inputs: x of shape (N, C, H, W) in [0, 1]. Output: x_adv of the same shape inside the threat set.
The value it finds, ||f(x_adv) - f(x)||_2, is a LOWER estimate of the max over the ball; pair it with a
sound upper bound (`robustbook.evaluate.lipschitz`) to bracket the true value.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from .base import check_norm, clip_to_box, frozen, project, random_start, steepest_direction

Encoder = Callable[[torch.Tensor], torch.Tensor]


def _encoder_of(model: nn.Module, features: Encoder | None) -> Encoder:
    if features is not None:
        return features
    if hasattr(model, "features") and callable(model.features):
        return model.features
    return model


def representation_shift(encoder: Encoder, x: torch.Tensor, x_adv: torch.Tensor) -> torch.Tensor:
    """Per-example ||f(x_adv) - f(x)||_2, shape (N,)."""
    with torch.no_grad():
        return (encoder(x_adv) - encoder(x)).flatten(1).norm(dim=1)


class RepresentationPGD:
    """Projected gradient ascent on ||f(x + d) - f(x)||_2^2 inside the eps-ball (best of `restarts` runs).

    Args:
        model: an nn.Module (its train/eval mode is managed as in `PGD`).
        eps: radius of the threat set in [0, 1] pixel units.
        alpha: step size; default 2.5 * eps / steps.
        steps: ascent steps per restart.
        norm: 'linf' or 'l2'.
        restarts: independent random starts; the per-example best is kept.
        features: the representation f; default `model.features` if it exists, else `model` itself.
        model_mode: 'eval', 'train' or 'keep'.
        seed: seeds the random starts (None: torch's global generator).

    The objective has zero gradient at d = 0, so every run starts at a random point of the ball.

    Example:
        >>> x_adv = RepresentationPGD(model, eps=0.1, steps=20)(x)
        >>> shift = representation_shift(model.features, x, x_adv)
    """

    def __init__(self, model: nn.Module, eps: float, alpha: float | None = None, steps: int = 20,
                 norm: str = "linf", restarts: int = 1, features: Encoder | None = None,
                 model_mode: str = "eval", seed: int | None = None):
        if eps < 0:
            raise ValueError(f"invalid eps={eps!r}: must be >= 0")
        if steps < 1:
            raise ValueError(f"invalid steps={steps!r}: must be >= 1")
        if restarts < 1:
            raise ValueError(f"invalid restarts={restarts!r}: must be >= 1")
        if alpha is not None and alpha <= 0:
            raise ValueError(f"invalid alpha={alpha!r}: must be > 0")
        self.model, self.eps, self.steps, self.restarts = model, float(eps), int(steps), int(restarts)
        self.alpha = float(alpha) if alpha is not None else 2.5 * self.eps / self.steps
        self.norm, self.model_mode, self.seed = check_norm(norm), model_mode, seed
        self.encoder = _encoder_of(model, features)

    def __repr__(self) -> str:
        return (f"RepresentationPGD(eps={self.eps:.4g}, alpha={self.alpha:.4g}, steps={self.steps}, "
                f"norm={self.norm!r}, restarts={self.restarts})")

    def __call__(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """x_adv maximizing the representation shift; `y` is ignored (kept for the attack protocol)."""
        x = x.detach()
        if self.eps == 0:
            return x.clone()
        gen = torch.Generator(device=x.device).manual_seed(self.seed) if self.seed is not None else None
        with frozen(self.model, self.model_mode):
            with torch.no_grad():
                ref = self.encoder(x).detach()
            best = x.clone()
            best_val = torch.full((x.shape[0],), -1.0, device=x.device, dtype=x.dtype)
            with torch.enable_grad():
                for _ in range(self.restarts):
                    delta = random_start(x, self.eps, self.norm, gen)
                    for _ in range(self.steps):
                        delta.requires_grad_(True)
                        obj = (self.encoder(x + delta) - ref).flatten(1).pow(2).sum()
                        (grad,) = torch.autograd.grad(obj, delta)
                        delta = delta.detach() + self.alpha * steepest_direction(grad, self.norm)
                        delta = clip_to_box(x, project(delta, self.eps, self.norm))
                    with torch.no_grad():
                        val = (self.encoder(x + delta) - ref).flatten(1).norm(dim=1)
                        better = val > best_val
                        best[better] = (x + delta)[better]
                        best_val = torch.where(better, val, best_val)
        return best.detach()

    def shift(self, x: torch.Tensor) -> torch.Tensor:
        """The lower estimate of max_{d in threat set} ||f(x + d) - f(x)||_2 per example, shape (N,)."""
        x_adv = self(x)
        with frozen(self.model, self.model_mode):
            return representation_shift(self.encoder, x, x_adv)
