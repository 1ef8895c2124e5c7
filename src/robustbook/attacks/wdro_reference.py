"""A re-derivation of the authors' W-PGD (JanObloj/W-DRO-Adversarial-Methods, `src/attacker.py`), for parity.

Not used by the book's experiments: it holds every image and gradient of the attacked set in memory at once,
and exists so that `WPGD` can be compared with the published behaviour on the same model and data.

Their attacker, in the (W_p, l_r) threat model with q = p / (p - 1) and s = r / (r - 1) (here p = 2, r = inf,
so q = 2, s = 1), is, as we read it:

* direction of point i: sign(g_i) |g_i|^(s-1) ||g_i||_s^(q-s), then (q != 1) divided by the W_q "size" of the
  whole direction field, (mean_i ||dir_i||_r^q)^(1/q) ... for (q, s) = (2, 1) this is sign(g_i) ||g_i||_1 / Upsilon;
* step: ratio * delta / iterations (ratio 1.875, 50 iterations in their `wpgd`), from x itself (no random start);
* projection (q != 1, s = 1): with W the current cost (mean_i ||x'_i - x_i||_inf^p)^(1/p) and
  c = min(1, delta / W), clamp every pixel of point i to c times its point's current L_inf radius; then [0, 1];
* the returned set is the iterate of lowest accuracy along the trajectory.
Budgets: their latest script divides the command-line budget by 510 for l_inf (so "16" means 8/255).
"""
from __future__ import annotations

import torch
from torch import nn

from .base import eval_mode
from .losses import LossFn, get_loss


def _grads(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: LossFn) -> torch.Tensor:
    xr = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(loss(model(xr), y).sum(), xr)
    return g


def reference_wpgd(model: nn.Module, x: torch.Tensor, y: torch.Tensor, delta: float, steps: int = 50,
                   ratio: float = 1.875, loss: str | LossFn = "redlr",
                   tiny: float = 1e-8) -> tuple[torch.Tensor, float]:
    """(x_adv, lowest accuracy along the trajectory) of the authors' W-PGD for (W_2, l_inf), all in memory."""
    lossfn = get_loss(loss)
    with eval_mode(model):
        alpha = ratio * delta / steps
        x_cur = x.detach().clone()
        x_best, acc_best = x_cur.clone(), 1.0
        for _ in range(steps):
            g = _grads(model, x_cur, y, lossfn)
            l1 = g.flatten(1).abs().sum(1)
            direction = g.sign() * (l1 + tiny).view(-1, 1, 1, 1)  # s = 1, q = 2: |g|^0 * ||g||_1^(2-1)
            size = direction.flatten(1).abs().amax(1).pow(2).mean().sqrt()
            x_cur = x_cur + alpha * direction / (size + tiny)
            radii = (x_cur - x).flatten(1).abs().amax(1)
            cost = radii.pow(2).mean().sqrt()
            c = min(1.0, delta / (float(cost) + tiny))
            lim = (c * radii).view(-1, 1, 1, 1)
            x_cur = (x + torch.maximum(torch.minimum(x_cur - x, lim), -lim)).clamp(0, 1).detach()
            with torch.no_grad():
                acc = float((model(x_cur).argmax(1) == y).float().mean())
            if acc < acc_best:
                x_best, acc_best = x_cur.clone(), acc
    return x_best, acc_best
