"""Algorithm 1 of yi2021 (multi-step SGD for adversarial training), exactly as stated, and a test problem
that provably satisfies the paper's Assumptions 1-3, on which Theorem 3's O(1/T) rate can be measured.

Algorithm 1: for t = 1..T, sample i_t uniformly from {1..n}; from delta_1 take K steps
delta <- Proj_{B_p(0, r)}(delta + eta_x grad_x f(w_t, x_{i_t} + delta)) (raw gradient, Euclidean projection);
then w_{t+1} = w_t - eta_{w,t} grad_w f(w_t, x_{i_t} + delta_{K+1}), with eta_x = 1/L22, eta_{w,t} = 1/(mu_w t).

`algorithm1` runs many independent copies at once (numpy, one row per seed); `algorithm1_torch` is the
same loop for an `nn.Module` and a data set; `algorithm1_config` gives the mini-batch form the paper trains
networks with (a `TrainConfig` with raw-gradient ascent, no random start).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from ..attacks.base import project
from .config import TrainConfig

P_NORMS = ("2", "inf")


def _check_p(p: str) -> str:
    if p not in P_NORMS:
        raise ValueError(f"invalid p={p!r}: choose one of {', '.join(P_NORMS)}")
    return p


def project_ball(delta: np.ndarray, radius: float, p: str) -> np.ndarray:
    """Euclidean projection of each row of `delta` onto the l_p ball of radius `radius` (p = '2' or 'inf')."""
    _check_p(p)
    if p == "inf":
        return np.clip(delta, -radius, radius)
    norm = np.linalg.norm(delta, axis=-1, keepdims=True)
    return delta * np.minimum(1.0, radius / np.maximum(norm, 1e-300))


GradFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def algorithm1(grad_w: GradFn, grad_x: GradFn, w1: np.ndarray, xs: np.ndarray, steps: int, inner_steps: int,
               radius: float, eta_x: float, mu_w: float, p: str = "2", delta1: np.ndarray | None = None,
               seed: int = 0, record: tuple[int, ...] = ()) -> dict[int, np.ndarray]:
    """Run Algorithm 1 for `steps` outer steps on S independent copies (rows of `w1`, shape (S, d_w)).

    `grad_w(w, x)` and `grad_x(w, x)` take row-aligned arrays (S, d_w), (S, d_x). Returns {t: w_{t+1}} for
    every t in `record` (and the last step), each of shape (S, d_w).
    """
    _check_p(p)
    if steps < 1 or inner_steps < 1:
        raise ValueError("steps and inner_steps must be >= 1")
    if radius < 0 or eta_x <= 0 or mu_w <= 0:
        raise ValueError("radius must be >= 0, eta_x and mu_w > 0")
    rng = np.random.default_rng(seed)
    w = np.array(w1, dtype=float, copy=True)
    runs, n = w.shape[0], xs.shape[0]
    d1 = np.zeros((runs, xs.shape[1])) if delta1 is None else np.broadcast_to(delta1, (runs, xs.shape[1]))
    marks = set(record) | {steps}
    out: dict[int, np.ndarray] = {}
    for t in range(1, steps + 1):
        x = xs[rng.integers(0, n, size=runs)]  # i_t uniform, independently per copy
        delta = d1.copy()
        for _ in range(inner_steps):
            delta = project_ball(delta + eta_x * grad_x(w, x + delta), radius, p)
        w = w - grad_w(w, x + delta) / (mu_w * t)
        if t in marks:
            out[t] = w.copy()
    return out


@dataclass
class QuadraticMinimax:
    """f(w, x) = h/2 ||w||^2 - c.w - w.C x - 1/2 x.S x with S = diag(s), s in [mu_x, L22].

    Why Assumptions 1-3 hold (proved in the chapter): gradients are affine, so the Lipschitz constants of
    (8) are L11 = h, L12 = L21 = ||C||_2, L22 = max s; f is mu_x = min s strongly concave in x everywhere,
    which is (10); each x -> f(., x + delta) is h-strongly convex in w, a supremum of such functions is
    h-strongly convex, so the adversarial risk is h-strongly convex and satisfies the PL inequality (9)
    with mu_w = h; with eta_{w,1} = 1/h every iterate w_{t}, t >= 2, is an average of points (c + C z)/h,
    z in the perturbed data, so ||grad_w f|| <= ||C||_2 diam_2(perturbed data) =: G along the run (Assumption 2
    on the region the algorithm visits, which is all the proof of Theorem 3 uses).
    """

    h: float
    C: np.ndarray
    s: np.ndarray
    c: np.ndarray
    xs: np.ndarray
    radius: float
    p: str = "2"
    _wstar: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def random(cls, n: int = 50, d_x: int = 10, d_w: int = 5, h: float = 1.0, mu_x: float = 1.0,
               l22: float = 4.0, coupling: float = 0.5, radius: float = 0.5, p: str = "2",
               seed: int = 0) -> "QuadraticMinimax":
        """A random instance with data in [0, 1]^d_x and the given curvature constants."""
        rng = np.random.default_rng(seed)
        C = rng.normal(size=(d_w, d_x))
        C *= coupling / np.linalg.norm(C, 2)
        s = np.linspace(mu_x, l22, d_x)
        return cls(h, C, s, rng.normal(size=d_w), rng.uniform(size=(n, d_x)), radius, _check_p(p))

    # f and its gradients, row-aligned over copies
    def f(self, w: np.ndarray, x: np.ndarray) -> np.ndarray:
        """f(w, x) row by row."""
        return (0.5 * self.h * (w ** 2).sum(-1) - w @ self.c - np.einsum("...i,ij,...j->...", w, self.C, x)
                - 0.5 * (self.s * x ** 2).sum(-1))

    def grad_w(self, w: np.ndarray, x: np.ndarray) -> np.ndarray:
        """grad_w f(w, x)."""
        return self.h * w - self.c - x @ self.C.T

    def grad_x(self, w: np.ndarray, x: np.ndarray) -> np.ndarray:
        """grad_x f(w, x)."""
        return -w @ self.C - self.s * x

    def constants(self) -> dict[str, float]:
        """L11, L12, L21, L22, mu_x, mu_w, L = L11 + L12 L21 / mu_x and G of Assumptions 1-3."""
        cn = float(np.linalg.norm(self.C, 2))
        mux, l22 = float(self.s.min()), float(self.s.max())
        r2 = self.radius if self.p == "2" else self.radius * np.sqrt(self.xs.shape[1])
        diffs = self.xs[:, None] - self.xs[None]
        diam = float(np.sqrt((diffs ** 2).sum(-1)).max()) + 2 * r2
        return {"L11": self.h, "L12": cn, "L21": cn, "L22": l22, "mu_x": mux, "mu_w": self.h,
                "L": self.h + cn * cn / mux, "G": cn * diam, "d0": self.xs.shape[1], "r": self.radius}

    def inner_argmax(self, w: np.ndarray) -> np.ndarray:
        """The exact maximizer x_i + delta* for every copy and sample: shape (S, n, d_x)."""
        b = (w @ self.C)[:, None, :]  # grad_x f = -b - s x
        x = self.xs[None]
        if self.p == "inf":  # separable: clip the unconstrained maximizer -b/s to the box around x
            return np.clip(-b / self.s, x - self.radius, x + self.radius)
        free = -b / self.s
        inside = np.linalg.norm(free - x, axis=-1) <= self.radius
        lo = np.zeros(inside.shape)
        hi = np.full(inside.shape, 1.0)
        # z(lam) = (lam x - b) / (s + lam); ||z(lam) - x|| decreases in lam: bisection on the secular equation
        def dist(lm):
            return np.linalg.norm((lm[..., None] * x - b) / (self.s + lm[..., None]) - x, axis=-1)
        while np.any(dist(hi) > self.radius):
            hi = np.where(dist(hi) > self.radius, hi * 2, hi)
        for _ in range(200):
            mid = (lo + hi) / 2
            big = dist(mid) > self.radius
            lo, hi = np.where(big, mid, lo), np.where(big, hi, mid)
        z = (hi[..., None] * x - b) / (self.s + hi[..., None])
        return np.where(inside[..., None], free, z)

    def adversarial_risk(self, w: np.ndarray) -> np.ndarray:
        """R~_{P_n}(w) = mean_i max_{||delta||_p <= r} f(w, x_i + delta), for each row of w."""
        z = self.inner_argmax(w)
        return self.f(w[:, None, :], z).mean(1)

    def minimizer(self, iters: int = 20000, tol: float = 1e-13) -> np.ndarray:
        """w* = argmin R~ by gradient descent with step 1/L (Danskin's gradient; R~ is strongly convex)."""
        if self._wstar is None:
            k = self.constants()
            w = (self.c + self.xs.mean(0) @ self.C.T)[None] / self.h
            for _ in range(iters):
                g = self.grad_w(w, self.inner_argmax(w).mean(1))
                w = w - g / k["L"]
                if np.linalg.norm(g) < tol:
                    break
            self._wstar = w[0]
        return self._wstar

    def excess_risk(self, w: np.ndarray) -> np.ndarray:
        """R~(w) - R~(w*) for each row of w."""
        return self.adversarial_risk(w) - self.adversarial_risk(self.minimizer()[None])[0]


def convergence_run(problem: QuadraticMinimax, steps: int, seeds: int, inner_steps: int,
                    record: tuple[int, ...], seed: int = 0) -> pd.DataFrame:
    """Algorithm 1 with eta_x = 1/L22, eta_w = 1/(mu_w t) on `seeds` copies; excess risk at each recorded t."""
    k = problem.constants()
    w1 = np.tile((problem.c + problem.xs.mean(0) @ problem.C.T) / problem.h, (seeds, 1))
    ws = algorithm1(problem.grad_w, problem.grad_x, w1, problem.xs, steps, inner_steps, problem.radius,
                    1 / k["L22"], k["mu_w"], problem.p, seed=seed, record=record)
    rows = []
    for t, w in sorted(ws.items()):
        ex = problem.excess_risk(w)
        rows += [{"T": t, "seed": i, "excess": float(e)} for i, e in enumerate(ex)]
    return pd.DataFrame(rows)


def loglog_slope(df: pd.DataFrame, stat: str = "mean", t_min: int = 1, boot: int = 500,
                 seed: int = 0) -> dict[str, float]:
    """Least-squares slope of log10(stat of excess over seeds) on log10 T, with a 95% bootstrap interval
    over seeds; `stat` is 'mean' or a quantile such as 'q0.9'."""
    sub = df[df["T"] >= t_min]
    table = sub.pivot(index="seed", columns="T", values="excess").to_numpy()
    ts = np.log10(sub["T"].unique().astype(float))
    ts.sort()

    def agg(m: np.ndarray) -> np.ndarray:
        return m.mean(0) if stat == "mean" else np.quantile(m, float(stat[1:]), axis=0)

    def slope(m: np.ndarray) -> float:
        return float(np.polyfit(ts, np.log10(np.maximum(agg(m), 1e-300)), 1)[0])

    rng = np.random.default_rng(seed)
    bs = [slope(table[rng.integers(0, len(table), len(table))]) for _ in range(boot)]
    return {"slope": slope(table), "lo": float(np.quantile(bs, 0.025)), "hi": float(np.quantile(bs, 0.975))}


# ---------------------------------------------------------------------------------------------------
# Algorithm 1 for networks
# ---------------------------------------------------------------------------------------------------

def _project_torch(delta: torch.Tensor, radius: float, p: str) -> torch.Tensor:
    """The attacks package's Euclidean projection onto the l_p ball (p = '2' or 'inf')."""
    return project(delta, radius, "linf" if p == "inf" else "l2")


def algorithm1_torch(model: nn.Module, dataset: Dataset, steps: int, inner_steps: int, radius: float,
                     eta_x: float, mu_w: float, p: str = "2", seed: int = 0,
                     loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy,
                     device: torch.device | str = "cpu") -> nn.Module:
    """Algorithm 1 verbatim on a network: one uniformly drawn example per step, delta_1 = 0, K raw projected
    ascent steps (no pixel box: the algorithm has none), then w <- w - grad_w / (mu_w t). Trains in place."""
    _check_p(p)
    gen = torch.Generator().manual_seed(seed)
    model.to(device).train()
    params = [q for q in model.parameters() if q.requires_grad]
    for t in range(1, steps + 1):
        i = int(torch.randint(len(dataset), (1,), generator=gen))
        x, y = dataset[i]
        x, y = x[None].to(device), torch.as_tensor(y).view(1).to(device)
        delta = torch.zeros_like(x)
        for _ in range(inner_steps):
            delta.requires_grad_(True)
            (g,) = torch.autograd.grad(loss(model(x + delta), y), delta)
            delta = _project_torch(delta.detach() + eta_x * g, radius, p)
        grads = torch.autograd.grad(loss(model(x + delta), y), params)
        with torch.no_grad():
            for q, g in zip(params, grads):
                q -= g / (mu_w * t)
    return model.eval()


def algorithm1_config(norm: str, radius: float, step: float, inner_steps: int = 8, ascent: str | None = None,
                      **train: object) -> TrainConfig:
    """The mini-batch form of Algorithm 1 used for networks (Sec. 5.1.1): delta_1 = 0, K projected steps of
    size `step`; raw gradient for l2 and, as the paper did, its sign for l_inf (override with `ascent`)."""
    if norm not in ("l2", "linf"):
        raise ValueError(f"invalid norm={norm!r}: 'l2' or 'linf'")
    ascent = ascent or ("raw" if norm == "l2" else "sign")
    return TrainConfig(objective="adversarial", eps=radius, alpha=step, steps=inner_steps, norm=norm,
                       ascent=ascent, random_start=False, **train)
