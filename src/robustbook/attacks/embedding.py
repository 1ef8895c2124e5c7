"""Attacks in the word-embedding space of a transformer (yi2021 Sec. 5.1.2 and 5.3, after FreeLB).

Text is discrete, so the perturbation lives on the continuous word embeddings e (N, L, d): K ascent steps
on a per-example loss, each followed by projection onto the ball {delta : ||delta|| <= eps} of the whole
(L, d) perturbation of one example (l2: the Frobenius norm; l_inf: each coordinate). Padding positions are
never perturbed. The l2 step is alpha * g / ||g|| and the l_inf step alpha * sign(g), as in yi2021 Table 6
(l2: eps 1.0, alpha 0.1; l_inf: eps 0.001, alpha 0.0005; K = 3).
"""
from __future__ import annotations

from typing import Callable

import torch

from .base import check_norm

LossFn = Callable[[torch.Tensor], torch.Tensor]  # perturbed embeddings (N, L, d) -> per-example loss (N,)


def _mask3(mask: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    if mask is None:
        return torch.ones_like(like)
    if mask.shape != like.shape[:2]:
        raise ValueError(f"mask must be (N, L) = {tuple(like.shape[:2])}, got {tuple(mask.shape)}")
    return mask.to(like.dtype).unsqueeze(-1).expand_as(like)


def embedding_norm(delta: torch.Tensor, norm: str) -> torch.Tensor:
    """Per-example norm of an (N, L, d) perturbation: Frobenius for l2, max |.| for l_inf."""
    flat = delta.flatten(1)
    return flat.norm(dim=1) if check_norm(norm) == "l2" else flat.abs().amax(dim=1)


def project_embedding(delta: torch.Tensor, eps: float, norm: str, mask: torch.Tensor | None = None) -> torch.Tensor:
    """The closest point of the eps-ball (per example), zero at padding positions."""
    delta = delta * _mask3(mask, delta)
    if check_norm(norm) == "linf":
        return delta.clamp(-eps, eps)
    n = embedding_norm(delta, "l2").clamp_min(1e-12)
    return delta * (eps / n).clamp(max=1.0).view(-1, 1, 1)


class EmbeddingPGD:
    """K projected ascent steps on `loss_fn(embeds + delta)` in the word-embedding space; returns delta.

    Called as `attack(loss_fn, embeds, mask) -> delta` with `embeds` (N, L, d), `mask` (N, L) of 0/1 and
    `loss_fn` returning a per-example loss (N,). The start is delta = 0 (Algorithm 1) or, with
    `random_start`, uniform in the l_inf ball / a random direction of the l2 ball. The attack does not change
    the model's mode (training-time attacks run with dropout on, as in FreeLB) and leaves no gradient on the
    model's parameters.
    """

    def __init__(self, eps: float, alpha: float, steps: int = 3, norm: str = "l2", random_start: bool = False,
                 seed: int | None = None):
        check_norm(norm)
        if eps < 0 or alpha < 0:
            raise ValueError(f"eps and alpha must be >= 0, got eps={eps}, alpha={alpha}")
        if steps < 1:
            raise ValueError(f"invalid steps={steps!r}: must be >= 1")
        self.eps, self.alpha, self.steps, self.norm = float(eps), float(alpha), int(steps), norm
        self.random_start, self.seed = random_start, seed

    def _start(self, embeds: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        if not self.random_start:
            return torch.zeros_like(embeds)
        g = torch.Generator(device="cpu")
        g.manual_seed(0 if self.seed is None else self.seed)
        if self.norm == "linf":
            d = (torch.rand(embeds.shape, generator=g) * 2 - 1) * self.eps
        else:
            d = torch.randn(embeds.shape, generator=g)
            d = d * _mask3(mask, d).cpu() if mask is not None else d
            d = d / d.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1) * self.eps
        return project_embedding(d.to(embeds), self.eps, self.norm, mask)

    def __call__(self, loss_fn: LossFn, embeds: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        embeds = embeds.detach()
        delta = self._start(embeds, mask)
        m3 = _mask3(mask, embeds)
        for _ in range(self.steps):
            delta.requires_grad_(True)
            with torch.enable_grad():
                loss = loss_fn(embeds + delta)
                if loss.dim() != 1 or loss.shape[0] != embeds.shape[0]:
                    raise ValueError(f"loss_fn must return a per-example loss of shape ({embeds.shape[0]},), "
                                     f"got {tuple(loss.shape)}")
                (grad,) = torch.autograd.grad(loss.sum(), delta)
            grad = grad * m3
            if self.norm == "linf":
                step = grad.sign()
            else:
                step = grad / grad.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1)
            delta = project_embedding(delta.detach() + self.alpha * step, self.eps, self.norm, mask)
        return delta.detach()


def in_embedding_ball(delta: torch.Tensor, eps: float, norm: str, mask: torch.Tensor | None = None,
                      tol: float = 1e-6) -> bool:
    """True when every example's perturbation lies in the eps-ball and is zero at padding positions."""
    inside = bool((embedding_norm(delta, norm) <= eps * (1 + tol) + tol).all())
    if mask is not None:
        inside = inside and bool((delta * (1 - _mask3(mask, delta))).abs().max() == 0)
    return inside
