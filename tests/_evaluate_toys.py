"""Tiny models and data for the evaluation tests: a linear 4-class model on 8x8 images, exact weights."""
from __future__ import annotations

import torch
from torch import nn


def toy(n: int = 48, k: int = 4, seed: int = 0) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A linear classifier whose weights are the class patterns, and n noisy images of those patterns."""
    g = torch.Generator().manual_seed(seed)
    pats = torch.randn(k, 1, 8, 8, generator=g).sign()
    y = torch.arange(n) % k
    x = (0.5 + 0.15 * pats[y] + 0.05 * torch.randn(n, 1, 8, 8, generator=g)).clamp(0, 1)
    lin = nn.Sequential(nn.Flatten(), nn.Linear(64, k))
    with torch.no_grad():
        lin[1].weight.copy_(pats.flatten(1) * 2.0)
        lin[1].bias.zero_()
    return lin.eval(), x, y


def grey_images(n: int = 32, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Images of mean exactly 0.5 (pixels in [0.35, 0.65]), all labelled 0: the single-step trap's data."""
    x = torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed))
    return 0.5 + 0.3 * (x - x.mean((1, 2, 3), keepdim=True)), torch.zeros(n, dtype=torch.long)


def mlp_toy(n: int = 200, k: int = 4, seed: int = 0, steps: int = 300) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A two-layer ReLU network trained full-batch (Adam, fixed seed, CPU) on n noisy 8x8 class patterns.

    Nonlinear, so a weak attack and a strong one differ on it; deterministic and trained in about a second.
    """
    g = torch.Generator().manual_seed(seed)
    pats = torch.randn(k, 1, 8, 8, generator=g).sign()
    y = torch.arange(2 * n) % k
    x = (0.5 + 0.08 * pats[y] + 0.12 * torch.randn(2 * n, 1, 8, 8, generator=g)).clamp(0, 1)
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, k))
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    for _ in range(steps):  # trained on the first n points, evaluated on the other n
        opt.zero_grad()
        nn.functional.cross_entropy(net(x[:n]), y[:n]).backward()
        opt.step()
    for p in net.parameters():
        p.grad = None
    return net.eval(), x[n:], y[n:]
