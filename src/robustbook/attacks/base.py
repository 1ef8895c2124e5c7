"""What every attack shares: the threat set (an L_inf or L_2 ball intersected with [0, 1]) and the call
protocol (the model's train/eval mode and its parameters' gradients are left exactly as found)."""
from __future__ import annotations

import contextlib
from typing import Iterator

import torch
from torch import nn

NORMS = ("linf", "l2")


def check_norm(norm: str) -> str:
    """Validate a norm name."""
    if norm not in NORMS:
        raise ValueError(f"invalid norm={norm!r}: choose one of {', '.join(NORMS)}")
    return norm


def batch_norm(delta: torch.Tensor, norm: str) -> torch.Tensor:
    """Per-example norm of a batch of perturbations, shape (N,)."""
    flat = delta.flatten(1)
    return flat.abs().amax(1) if norm == "linf" else flat.norm(p=2, dim=1)


def _bcast(v: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return v.view(-1, *([1] * (like.dim() - 1)))


def project(delta: torch.Tensor, eps: float, norm: str) -> torch.Tensor:
    """Euclidean projection of each perturbation onto the eps-ball of `norm`."""
    if norm == "linf":
        return delta.clamp(-eps, eps)
    n = batch_norm(delta, "l2")
    return delta * _bcast((eps / n.clamp_min(1e-12)).clamp(max=1.0), delta)


def clip_to_box(x: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """Shrink delta so x + delta lies in [0, 1]; moves each pixel toward x, so the norm never grows."""
    return (x + delta).clamp(0, 1) - x


def random_start(x: torch.Tensor, eps: float, norm: str, generator: torch.Generator | None) -> torch.Tensor:
    """A uniform sample from the eps-ball of `norm` (per example), clipped to [0, 1]."""
    if norm == "linf":
        u = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        delta = (2 * u - 1) * eps
    else:
        g = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        direction = g / _bcast(g.flatten(1).norm(dim=1).clamp_min(1e-12), g)  # normalised per example
        d = x[0].numel()
        r = torch.rand(x.shape[0], generator=generator, device=x.device, dtype=x.dtype) ** (1.0 / d)
        delta = direction * _bcast(r * eps, x)
    return clip_to_box(x, delta)


def steepest_direction(grad: torch.Tensor, norm: str) -> torch.Tensor:
    """The unit-norm direction of steepest ascent: sign(g) for L_inf, g / ||g||_2 for L_2."""
    if norm == "linf":
        return grad.sign()
    return grad / _bcast(grad.flatten(1).norm(dim=1).clamp_min(1e-12), grad)


@contextlib.contextmanager
def frozen(model: nn.Module, mode: str = "eval") -> Iterator[None]:
    """Run the attack with the model in `mode` ('eval', 'train' or 'keep'), restoring its mode after."""
    if mode not in ("eval", "train", "keep"):
        raise ValueError(f"invalid model_mode={mode!r}: choose 'eval', 'train' or 'keep'")
    was_training = model.training
    if mode != "keep":
        model.train(mode == "train")
    try:
        yield
    finally:
        model.train(was_training)


def eval_mode(model: nn.Module) -> contextlib.AbstractContextManager[None]:
    """The block runs with `model` in eval mode; its train/eval mode is restored after, also on error."""
    return frozen(model, "eval")


def in_threat_set(x: torch.Tensor, x_adv: torch.Tensor, eps: float, norm: str, tol: float = 1e-5) -> bool:
    """True when every x_adv lies in [0, 1] and within eps of x in `norm`."""
    inside_box = bool(((x_adv >= -tol) & (x_adv <= 1 + tol)).all())
    return inside_box and bool((batch_norm(x_adv - x, norm) <= eps * (1 + tol) + tol).all())
