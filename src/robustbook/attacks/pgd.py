"""Projected gradient attacks: PGD (Madry et al. 2018) and FGSM (Goodfellow et al. 2015).

Distance: L_inf or L_2, intersected with the pixel box [0, 1].
Inputs: x of shape (N, C, H, W) in [0, 1], y of shape (N,) with class indices.
Output: x_adv of the same shape, inside the threat set.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..runtime import fixture_cap
from .base import check_norm, clip_to_box, frozen, project, random_start, steepest_direction
from .losses import LossFn, get_loss

ASCENTS = ("sign", "raw")


class PGD:
    """Projected gradient ascent on a per-example loss inside the eps-ball.

    Args:
        model: maps [0, 1] images to logits.
        eps: radius of the threat set (in [0, 1] pixel units; for L_2 the Euclidean radius).
        alpha: step size; default 2.5 * eps / steps (Madry et al.).
        steps: number of ascent steps K.
        norm: 'linf' or 'l2'.
        ascent: 'sign' takes the steepest-ascent step of the norm (sign(g) for L_inf, g/||g|| for L_2,
            as in Madry et al.); 'raw' adds alpha * g itself before projecting, as Algorithm 1 of yi2021.
        random_start: start at a uniform point of the ball instead of at x.
        loss: 'ce', 'margin', 'dlr' or a callable (logits, y) -> per-example loss to maximize.
        targeted: minimize the loss towards the labels passed in `y` instead.
        model_mode: the mode the model runs in during the attack ('eval', 'train' or 'keep').
        seed: seeds the random start; None draws from torch's global generator.

    Example:
        >>> x_adv = PGD(model, eps=8/255, alpha=2/255, steps=10)(x, y)
    """

    def __init__(self, model: nn.Module, eps: float, alpha: float | None = None, steps: int = 10,
                 norm: str = "linf", ascent: str = "sign", random_start: bool = True,
                 loss: str | LossFn = "ce", targeted: bool = False, model_mode: str = "eval",
                 seed: int | None = None):
        if eps < 0:
            raise ValueError(f"invalid eps={eps!r}: must be >= 0")
        if steps < 1:
            raise ValueError(f"invalid steps={steps!r}: must be >= 1")
        if ascent not in ASCENTS:
            raise ValueError(f"invalid ascent={ascent!r}: choose one of {', '.join(ASCENTS)}")
        if alpha is not None and alpha <= 0:
            raise ValueError(f"invalid alpha={alpha!r}: must be > 0")
        self.model, self.eps, self.steps = model, float(eps), int(fixture_cap(steps, "steps"))
        self.alpha = float(alpha) if alpha is not None else 2.5 * self.eps / self.steps
        self.norm, self.ascent, self.random_start = check_norm(norm), ascent, random_start
        self.loss, self.targeted, self.model_mode, self.seed = get_loss(loss), targeted, model_mode, seed

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(eps={self.eps:.4g}, alpha={self.alpha:.4g}, steps={self.steps}, "
                f"norm={self.norm!r}, ascent={self.ascent!r}, random_start={self.random_start})")

    def _generator(self, x: torch.Tensor) -> torch.Generator | None:
        if self.seed is None:
            return None
        return torch.Generator(device=x.device).manual_seed(self.seed)

    def __call__(self, x: torch.Tensor, y: torch.Tensor,
                 on_step: Callable[[int, torch.Tensor], None] | None = None) -> torch.Tensor:
        """Return x_adv; `on_step(k, per_example_loss)` (if given) sees the loss before each step k."""
        x = x.detach()
        if self.eps == 0:
            return x.clone()
        sign = -1.0 if self.targeted else 1.0
        with frozen(self.model, self.model_mode), torch.enable_grad():
            delta = (random_start(x, self.eps, self.norm, self._generator(x)) if self.random_start
                     else torch.zeros_like(x))
            for k in range(self.steps):
                delta.requires_grad_(True)
                losses = self.loss(self.model(x + delta), y)
                if on_step is not None:
                    on_step(k, losses.detach())
                # autograd.grad touches only delta: the parameters' .grad stay as they were.
                (grad,) = torch.autograd.grad(sign * losses.sum(), delta)
                step = steepest_direction(grad, self.norm) if self.ascent == "sign" else grad
                delta = delta.detach() + self.alpha * step
                delta = clip_to_box(x, project(delta, self.eps, self.norm))
        return (x + delta).detach()


class FGSM(PGD):
    """The fast gradient (sign) method: one steepest-ascent step of length eps from x.

    For L_inf this is x + eps * sign(grad) (Goodfellow et al. 2015); for L_2, x + eps * grad/||grad||.
    """

    def __init__(self, model: nn.Module, eps: float, norm: str = "linf", loss: str | LossFn = "ce",
                 targeted: bool = False, model_mode: str = "eval"):
        super().__init__(model, eps, alpha=max(eps, 1e-12), steps=1, norm=norm, ascent="sign",
                         random_start=False, loss=loss, targeted=targeted, model_mode=model_mode)
