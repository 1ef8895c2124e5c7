"""Distributional attacks (bai2024): W-PGD over the W_2 ball around an empirical measure, and W-PGD-Budget.

Threat set. The ground cost on images is the L_inf distance and labels never move (metric (4.1)). An attack
on the data set {(x_i, y_i)} returns {x'_i} with the coupling x_i -> x'_i in Pi_2(P, delta):

    (1/N) sum_i ||x'_i - x_i||_inf^2 <= delta^2,   x'_i in [0, 1].

A few points may move far as long as the average squared move is small; delta = 8/255 by default.

Step (5.3). With g_i the gradient of the attack loss at x'_i and Upsilon = sqrt(mean_i ||g_i||_1^2) over the
whole attacked set, every point moves by  alpha * sign(g_i) * ||g_i||_1 / Upsilon : the move of point i has
L_inf size alpha ||g_i||_1 / Upsilon, so the whole step has W_2 size exactly alpha (Theorem 4.1 (ii)).

Projection. `project_w2` is the retraction the authors use: when the data set is outside the ball, every
point's L_inf radius is shrunk by the one factor r = delta / W (W the current W_2 cost), each pixel clamped
to its point's new radius; then the box [0, 1]. It is feasible, idempotent, and the identity inside the ball
(it is not the Euclidean projection, which needs a nested root search over all pixels and would dominate
the cost of an attack).

Streaming. Upsilon and the projection are global, so one step needs the whole data set: `WPGD` streams it in
batches through the model (pass 1: gradients, keeping only sign(g) as int8 and ||g||_1 per point), then
updates the stored points without the model (pass 2: step, per-point radii; pass 3: shrink). Images and
signs stay where the data lives (CPU for a large set); only one batch at a time visits the model's device.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .base import frozen
from .losses import LossFn, get_loss

DEFAULT_DELTA = 8 / 255
INSIDE_TOL = 1e-5  # relative slack of "inside the ball": float32 rounding of (x + d) - x, so retraction is idempotent


def w2_cost(x: torch.Tensor, x_adv: torch.Tensor) -> float:
    """sqrt(mean_i ||x'_i - x_i||_inf^2): the W_2 cost (L_inf ground cost) of moving each x_i to x'_i."""
    if x.shape != x_adv.shape:
        raise ValueError(f"x and x_adv must have one shape, got {tuple(x.shape)} and {tuple(x_adv.shape)}")
    radii = (x_adv - x).flatten(1).abs().amax(1).double()
    return float(radii.pow(2).mean().sqrt())


def in_w2_ball(x: torch.Tensor, x_adv: torch.Tensor, delta: float, tol: float = 1e-5) -> bool:
    """True when every x'_i lies in [0, 1] and the coupling x_i -> x'_i costs at most delta in W_2."""
    inside_box = bool(((x_adv >= -tol) & (x_adv <= 1 + tol)).all())
    return inside_box and w2_cost(x, x_adv) <= delta * (1 + tol) + tol


def sensitivity(l1_norms: torch.Tensor) -> float:
    """Upsilon = sqrt(mean_i ||g_i||_1^2) from the per-point dual norms of the loss gradients."""
    if l1_norms.numel() == 0:
        raise ValueError("Upsilon needs at least one point")
    return float(l1_norms.double().pow(2).mean().sqrt())


def shrink_factor(radii: torch.Tensor, delta: float) -> float:
    """The factor r <= 1 that brings per-point L_inf radii inside the W_2 ball (1 when already inside)."""
    if delta < 0:
        raise ValueError(f"invalid delta={delta!r}: must be >= 0")
    cost = float(radii.double().pow(2).mean().sqrt()) if radii.numel() else 0.0
    return 1.0 if cost <= delta * (1 + INSIDE_TOL) else delta / cost


def project_w2(x: torch.Tensor, x_adv: torch.Tensor, delta: float) -> torch.Tensor:
    """The joint retraction of {x'_i} onto the W_2 ball of radius delta around {x_i} (L_inf cost), then [0, 1]."""
    d = x_adv - x
    radii = d.flatten(1).abs().amax(1)
    r = shrink_factor(radii, delta)
    if r < 1.0:
        lim = (r * radii).view(-1, *([1] * (x.dim() - 1)))
        d = torch.maximum(torch.minimum(d, lim), -lim)
    return (x + d).clamp(0, 1)


def _chunks(n: int, size: int):
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


@dataclass
class WPGDTrace:
    """What one W-PGD run saw: accuracy, Upsilon and W_2 cost after every step (for plots and checks).

    The cost of intermediate iterates is taken before the box clip (an upper bound); the last one is exact.
    """

    accuracy: list[float]
    upsilon: list[float]
    cost: list[float]


class WPGD:
    """W-PGD (Bai et al. 2023; step (5.3) of Bai et al. 2024): projected ascent over the W_2 ball.

    Arguments: `delta` the W_2 radius (L_inf ground cost) in [0, 1] pixels (default 8/255); `steps` (20);
    `loss` 'redlr' (default), 'ce', 'dlr' or a callable (logits, y) -> per-point loss; `alpha` the W_2 size
    of one step (default delta / steps as in (5.3)); `batch_size` of the streamed passes; `keep_best`
    returns the iterate of lowest accuracy (as the authors' code does) instead of the last one.
    Call `attack(x, y)` on the *whole* attacked set (N x C x H x W in [0, 1], any device); returns x_adv on
    the same device with (1/N) sum ||x'_i - x_i||_inf^2 <= delta^2 and x' in [0, 1]. `attack.trace` holds
    the per-step accuracy, Upsilon and cost.
    """

    def __init__(self, model: nn.Module, delta: float = DEFAULT_DELTA, steps: int = 20,
                 loss: str | LossFn = "redlr", alpha: float | None = None, batch_size: int = 256,
                 keep_best: bool = False, model_mode: str = "eval", progress: bool = False):
        if delta < 0:
            raise ValueError(f"invalid delta={delta!r}: must be >= 0")
        if steps < 1:
            raise ValueError(f"invalid steps={steps!r}: must be >= 1")
        if batch_size < 1:
            raise ValueError(f"invalid batch_size={batch_size!r}: must be >= 1")
        self.model, self.delta, self.steps = model, float(delta), int(steps)
        self.loss: LossFn = get_loss(loss)
        self.alpha = float(alpha) if alpha is not None else self.delta / self.steps
        if self.alpha < 0:
            raise ValueError(f"invalid alpha={alpha!r}: must be >= 0")
        self.batch_size, self.keep_best, self.model_mode = batch_size, keep_best, model_mode
        self.progress = progress
        self.trace = WPGDTrace([], [], [])

    def _device(self) -> torch.device:
        p = next(self.model.parameters(), None)
        return p.device if p is not None else torch.device("cpu")

    def gradients(self, x: torch.Tensor, y: torch.Tensor, signs: torch.Tensor | None = None,
                  l1: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, int]:
        """Pass 1: sign(g_i) (int8, where the data lives), ||g_i||_1 and the number classified correctly."""
        dev = self._device()
        if signs is None:
            signs = torch.empty(x.shape, dtype=torch.int8, device=x.device)
        if l1 is None:
            l1 = torch.empty(x.shape[0], dtype=torch.float32, device=x.device)
        correct = 0
        params = [p for p in self.model.parameters()]
        saved = [p.requires_grad for p in params]
        for p in params:
            p.requires_grad_(False)
        try:
            for s in _chunks(x.shape[0], self.batch_size):
                xb = x[s].to(dev).detach().requires_grad_(True)
                yb = y[s].to(dev)
                logits = self.model(xb)
                (g,) = torch.autograd.grad(self.loss(logits, yb).sum(), xb)
                signs[s] = g.sign().to(torch.int8).to(x.device)
                l1[s] = g.flatten(1).abs().sum(1).float().to(x.device)
                correct += int((logits.detach().argmax(1) == yb).sum())
        finally:
            for p, r in zip(params, saved):
                p.requires_grad_(r)
        return signs, l1, correct

    @torch.no_grad()
    def accuracy(self, x: torch.Tensor, y: torch.Tensor) -> float:
        """Fraction of (x, y) the model classifies correctly (streamed)."""
        dev, correct = self._device(), 0
        for s in _chunks(x.shape[0], self.batch_size):
            correct += int((self.model(x[s].to(dev)).argmax(1) == y[s].to(dev)).sum())
        return correct / max(x.shape[0], 1)

    @torch.no_grad()
    def _step(self, x: torch.Tensor, x_adv: torch.Tensor, signs: torch.Tensor, l1: torch.Tensor,
              upsilon: float) -> float:
        """Passes 2 and 3: the step (5.3) in place, then the joint shrink onto the ball and the box.

        Returns the W_2 cost after the shrink, before the box clip (an upper bound of the final cost).
        """
        radii = torch.empty(x.shape[0], dtype=torch.float64, device=x.device)
        scale = ((self.alpha / upsilon) * l1).view(-1, *([1] * (x.dim() - 1)))
        for s in _chunks(x.shape[0], self.batch_size):
            xa = x_adv[s]
            xa.addcmul_(signs[s].to(xa.dtype), scale[s])
            radii[s] = (xa - x[s]).flatten(1).abs().amax(1).double()
        r = shrink_factor(radii, self.delta)
        for s in _chunks(x.shape[0], self.batch_size):
            if r < 1.0:
                lim = (r * radii[s]).to(x.dtype).view(-1, *([1] * (x.dim() - 1)))
                d = x_adv[s] - x[s]
                d = torch.clamp(d, min=-lim, max=lim)
                torch.add(x[s], d, out=x_adv[s])
            x_adv[s].clamp_(0, 1)
        return r * float(radii.pow(2).mean().sqrt())

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if x.shape[0] != y.shape[0]:
            raise ValueError(f"x and y must hold the same number of points, got {x.shape[0]} and {y.shape[0]}")
        self.trace = WPGDTrace([], [], [])
        x = x.detach()
        x_adv = x.clone()
        best, best_acc = (x_adv.clone(), 2.0) if self.keep_best else (None, 2.0)
        signs = torch.empty(x.shape, dtype=torch.int8, device=x.device)
        l1 = torch.empty(x.shape[0], dtype=torch.float32, device=x.device)
        with frozen(self.model, self.model_mode):
            for t in range(self.steps):
                signs, l1, correct = self.gradients(x_adv, y, signs, l1)
                if t > 0:  # the accuracy of iterate t comes for free with its gradients
                    self._record(correct / x.shape[0], cost)
                    if self.keep_best and self.trace.accuracy[-1] < best_acc:
                        best_acc = self.trace.accuracy[-1]
                        best.copy_(x_adv)
                upsilon = sensitivity(l1)
                self.trace.upsilon.append(upsilon)
                if upsilon == 0.0 or self.delta == 0.0:  # nothing to push (every point flat or misclassified)
                    break
                cost = self._step(x, x_adv, signs, l1, upsilon)
            self._record(self.accuracy(x_adv, y), w2_cost(x, x_adv))
            if self.keep_best and self.trace.accuracy[-1] < best_acc:
                best.copy_(x_adv)
        return best if self.keep_best else x_adv

    def _record(self, acc: float, cost: float) -> None:
        self.trace.accuracy.append(acc)
        self.trace.cost.append(cost)


def sensitivity_of(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: str | LossFn = "redlr",
                   batch_size: int = 256) -> tuple[float, torch.Tensor]:
    """(Upsilon, per-point ||grad_x J||_1) of `model` on (x, y): the sensitivity of Theorem 4.1 (i)."""
    att = WPGD(model, 0.0, 1, loss, batch_size=batch_size)
    with frozen(model, "eval"):
        _, l1, _ = att.gradients(x.detach(), y)
    return sensitivity(l1), l1


class WPGDBudget:
    """W-PGD-Budget ((5.4)-(5.5)): W-PGD on one batch with the budget delta_B = delta * Upsilon_B / Upsilon.

    Upsilon is estimated from a random `sample_fraction` (10%) of a reference set (the training set) and
    smoothed by the moving average Upsilon <- Upsilon + eta (hat Upsilon - Upsilon); Upsilon_B is the
    sensitivity of the batch at its clean points. `attack_batch(x, y)` attacks one batch; calling the object
    on a whole set attacks it batch by batch, re-estimating Upsilon before each batch (frozen model).
    """

    def __init__(self, model: nn.Module, delta: float = DEFAULT_DELTA, steps: int = 20,
                 loss: str | LossFn = "redlr", sample_fraction: float = 0.1, eta: float = 1.0,
                 batch_size: int = 256, alpha_ratio: float = 1.0, seed: int = 0, model_mode: str = "eval"):
        if not 0 < sample_fraction <= 1:
            raise ValueError(f"invalid sample_fraction={sample_fraction!r}: must lie in (0, 1]")
        if not 0 < eta <= 1:
            raise ValueError(f"invalid eta={eta!r}: must lie in (0, 1]")
        self.model, self.delta, self.steps, self.loss = model, float(delta), steps, get_loss(loss)
        self.sample_fraction, self.eta, self.batch_size = sample_fraction, eta, batch_size
        self.alpha_ratio, self.model_mode = alpha_ratio, model_mode
        self.generator = torch.Generator().manual_seed(seed)
        self.upsilon: float | None = None
        self.budgets: list[float] = []

    def estimate(self, x_ref: torch.Tensor, y_ref: torch.Tensor) -> float:
        """hat Upsilon from a fresh random sample of the reference set."""
        n = x_ref.shape[0]
        k = max(1, int(round(self.sample_fraction * n)))
        idx = torch.randperm(n, generator=self.generator)[:k].to(x_ref.device)
        return sensitivity_of(self.model, x_ref[idx], y_ref[idx], self.loss, self.batch_size)[0]

    def update(self, x_ref: torch.Tensor, y_ref: torch.Tensor) -> float:
        """One moving-average update (5.4) of Upsilon; the first call takes the estimate itself."""
        est = self.estimate(x_ref, y_ref)
        self.upsilon = est if self.upsilon is None else self.upsilon + self.eta * (est - self.upsilon)
        return self.upsilon

    def budget(self, x: torch.Tensor, y: torch.Tensor) -> float:
        """delta_B of (5.5) for the batch (x, y) with the current Upsilon."""
        if self.upsilon is None:
            raise RuntimeError("call update(x_ref, y_ref) before budget(): Upsilon is not estimated yet")
        ups_b = sensitivity_of(self.model, x, y, self.loss, self.batch_size)[0]
        return 0.0 if self.upsilon == 0 else self.delta * ups_b / self.upsilon

    def attack_batch(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """W-PGD with budget delta_B on one batch (W_2 ball around the batch's empirical measure)."""
        d_b = self.budget(x, y)
        self.budgets.append(d_b)
        att = WPGD(self.model, d_b, self.steps, self.loss, alpha=self.alpha_ratio * d_b / self.steps,
                   batch_size=self.batch_size, model_mode=self.model_mode)
        return att(x, y)

    def __call__(self, x: torch.Tensor, y: torch.Tensor, x_ref: torch.Tensor | None = None,
                 y_ref: torch.Tensor | None = None, batch_size: int | None = None) -> torch.Tensor:
        x_ref = x if x_ref is None else x_ref
        y_ref = y if y_ref is None else y_ref
        out = torch.empty_like(x)
        for s in _chunks(x.shape[0], batch_size or self.batch_size):
            self.update(x_ref, y_ref)
            out[s] = self.attack_batch(x[s], y[s])
        return out


def realized_radius(budgets: list[float], sizes: list[int]) -> float:
    """The W_2 radius of the union of per-batch attacks with budgets delta_B on batches of the given sizes."""
    if len(budgets) != len(sizes) or not budgets:
        raise ValueError("one budget per batch, at least one batch")
    n = sum(sizes)
    return math.sqrt(sum(b * b * m for b, m in zip(budgets, sizes)) / n)
