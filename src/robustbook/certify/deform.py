"""Parametric perturbations for randomized smoothing: additive pixel noise and the DeformRS deformations.

A perturbation maps an image and a parameter vector phi to a perturbed image. Smoothing draws phi from a
Gaussian N(0, sigma^2 I) or a uniform U[-sigma, sigma]^d distribution. Conventions (ours, stated in the book):
coordinates are normalized to [-1, 1] across the image (so a translation of 1.0 is half the image width),
rotation angles are in radians, scaling multiplies the sampling grid by (1 + phi), affine adds a 2x3 matrix
to the identity, and DCT adds a displacement field spanned by the k x k lowest-frequency cosine modes per
axis. Every warp is bilinear interpolation with zero fill (`torch.nn.functional.grid_sample`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

KINDS = ("pixel", "rotation", "translation", "scaling", "affine", "dct")
DISTRIBUTIONS = ("gaussian", "uniform")


def num_params(kind: str, image_shape: tuple[int, ...], dct_size: int = 2) -> int:
    """The dimension of phi for a perturbation kind on images of shape (C, H, W)."""
    check_kind(kind)
    if kind == "pixel":
        return int(math.prod(image_shape))
    return {"rotation": 1, "translation": 2, "scaling": 1, "affine": 6, "dct": 2 * dct_size * dct_size}[kind]


def check_kind(kind: str) -> None:
    """Raise a clear error for an unknown perturbation kind."""
    if kind not in KINDS:
        raise ValueError(f"invalid perturbation={kind!r}: choose one of {', '.join(KINDS)}")


def check_distribution(distribution: str) -> None:
    """Raise a clear error for an unknown smoothing distribution."""
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"invalid distribution={distribution!r}: choose one of {', '.join(DISTRIBUTIONS)}")


def _affine(x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def dct_basis(height: int, width: int, k: int, device: torch.device | str = "cpu",
              dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The k*k lowest-frequency 2-D DCT-II cosine modes on an H x W grid, shape (k*k, H, W)."""
    p = (2 * torch.arange(height, device=device, dtype=dtype) + 1) * math.pi / (2 * height)
    q = (2 * torch.arange(width, device=device, dtype=dtype) + 1) * math.pi / (2 * width)
    i = torch.arange(k, device=device, dtype=dtype)
    rows = torch.cos(i[:, None] * p[None])  # (k, H)
    cols = torch.cos(i[:, None] * q[None])  # (k, W)
    return (rows[:, None, :, None] * cols[None, :, None, :]).reshape(k * k, height, width)


def warp(x: torch.Tensor, phi: torch.Tensor, kind: str, dct_size: int = 2) -> torch.Tensor:
    """Deform a batch x (N, C, H, W) by parameters phi (N, d) of the given kind (pixel: x + phi)."""
    check_kind(kind)
    n = x.shape[0]
    if phi.shape[0] != n:
        raise ValueError(f"phi has {phi.shape[0]} rows for {n} images")
    phi = phi.to(x.dtype)
    if kind == "pixel":
        return x + phi.view_as(x)
    eye = torch.eye(2, 3, device=x.device, dtype=x.dtype).expand(n, 2, 3)
    if kind == "rotation":
        c, s = torch.cos(phi[:, 0]), torch.sin(phi[:, 0])
        z = torch.zeros_like(c)
        theta = torch.stack([torch.stack([c, -s, z], 1), torch.stack([s, c, z], 1)], 1)
        return _affine(x, theta)
    if kind == "translation":
        theta = eye.clone()
        theta[:, :, 2] = phi[:, :2]
        return _affine(x, theta)
    if kind == "scaling":
        return _affine(x, eye * (1 + phi[:, :1, None]))
    if kind == "affine":
        return _affine(x, eye + phi.view(n, 2, 3))
    h, w = x.shape[-2:]
    basis = dct_basis(h, w, dct_size, x.device, x.dtype)  # (k2, H, W)
    k2 = basis.shape[0]
    disp = torch.einsum("nak,khw->nhwa", phi.view(n, 2, k2), basis)  # (N, H, W, 2) as (u, v) offsets
    base = F.affine_grid(eye, list(x.shape), align_corners=False)
    return F.grid_sample(x, base + disp, mode="bilinear", padding_mode="zeros", align_corners=False)


@dataclass(frozen=True)
class Perturbation:
    """A smoothing distribution over the parameters of one perturbation kind."""

    kind: str = "pixel"
    sigma: float = 0.25
    distribution: str = "gaussian"
    dct_size: int = 2

    def __post_init__(self) -> None:
        check_kind(self.kind)
        check_distribution(self.distribution)
        if not self.sigma > 0:
            raise ValueError(f"invalid sigma={self.sigma!r}: must be > 0")
        if self.dct_size < 1:
            raise ValueError(f"invalid dct_size={self.dct_size!r}: must be >= 1")

    def draw(self, count: int, dim: int, generator: torch.Generator | None = None,
             device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """`count` parameter vectors of dimension `dim` from the smoothing distribution."""
        if self.distribution == "gaussian":
            return self.sigma * torch.randn(count, dim, generator=generator, device=device, dtype=dtype)
        u = torch.rand(count, dim, generator=generator, device=device, dtype=dtype)
        return self.sigma * (2 * u - 1)

    def sample(self, x: torch.Tensor, count: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """`count` perturbed copies of one image x (C, H, W), shape (count, C, H, W)."""
        dim = num_params(self.kind, tuple(x.shape), self.dct_size)
        phi = self.draw(count, dim, generator, x.device, x.dtype)
        return warp(x.unsqueeze(0).expand(count, *x.shape), phi, self.kind, self.dct_size)

    def perturb(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One independent perturbation per image of a batch x (N, C, H, W) (noise augmentation)."""
        dim = num_params(self.kind, tuple(x.shape[1:]), self.dct_size)
        phi = self.draw(x.shape[0], dim, generator, x.device, x.dtype)
        return warp(x, phi, self.kind, self.dct_size)

    def radius(self, p_lower):
        """The certified radius (Eq. 7 / Eq. 9 with pB = 1 - pA) for a lower bound on pA; 0 below 1/2.

        Gaussian: sigma * Phi^-1(pA) in the L2 norm of phi; uniform: sigma * (2 pA - 1) in the L1 norm."""
        from .stats import radius_gaussian, radius_uniform
        if self.distribution == "gaussian":
            return radius_gaussian(p_lower, 1 - p_lower, self.sigma)
        return radius_uniform(p_lower, 1 - p_lower, self.sigma)

    @property
    def norm(self) -> str:
        """The norm of the parameter space in which the radius holds."""
        return "l2" if self.distribution == "gaussian" else "l1"
