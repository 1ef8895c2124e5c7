"""wen2020 (Wen, Li & Jia, ICML 2020): the terms of the generalization bound of Theorem 3.1 / C.1.

Theorem C.1 (Xu & Mannor 2012): a (K, eps(.))-robust algorithm with loss bounded by M satisfies, with
probability >= 1 - eta, GE <= eps(S_m) + M sqrt((2 K log 2 + 2 log(1/eta)) / m).
Theorem 3.1 plugs in K = (2 C_X / eps)^k (eps-balls of diameter eps on a k-dimensional manifold; the
paper's 2^(k+1) comes from that factor 2) and the ramp-loss variation max{0, 1 - u_min / gamma}, with the
score margin u_min bounded below through the smallest singular values of the layers.

Also: an exact check of Lemma 3.1 / Corollary C.1 (the difference of a ReLU network's feature maps is the
sum, over the linear regions crossed by the segment, of the region's Jacobian times the part of the
segment inside it) on a numpy ReLU network.

Only sympy and numpy are used here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import sympy as sp

# Symbols (all positive unless stated).
C_X, eps, k, m, eta, M, gamma = sp.symbols("C_X epsilon k m eta M gamma", positive=True)
u_min, v_min, w_gap = sp.symbols("u_min v_min w_gap", nonnegative=True)
K = sp.Symbol("K", positive=True)


# ---------------------------------------------------------------------------------------------------
# Terms of the bound
# ---------------------------------------------------------------------------------------------------

def covering_number(c_x: sp.Expr = C_X, radius: sp.Expr = eps, dim: sp.Expr = k) -> sp.Expr:
    """Covering number (C_X / r)^k of a regular k-dimensional manifold by balls of radius r (Verma 2013)."""
    return (c_x / radius) ** dim


def partition_size(c_x: sp.Expr = C_X, e: sp.Expr = eps, dim: sp.Expr = k) -> sp.Expr:
    """K of Thm 3.1: cells of diameter eps, i.e. a cover by balls of radius eps/2: (2 C_X / eps)^k."""
    return covering_number(c_x, e / 2, dim)


def bhc_term(k_cells: sp.Expr = K, n: sp.Expr = m, delta: sp.Expr = eta, bound: sp.Expr = M) -> sp.Expr:
    """The Bretagnolle-Huber-Carol term M sqrt((2 K log 2 + 2 log(1/eta)) / m) of Theorem C.1."""
    return bound * sp.sqrt((2 * k_cells * sp.log(2) + 2 * sp.log(1 / delta)) / n)


def ramp_term(u: sp.Expr = u_min, g: sp.Expr = gamma) -> sp.Expr:
    """The loss-variation term max{0, 1 - u_min / gamma} of the ramp loss (eq. 8)."""
    return sp.Max(0, 1 - u / g)


def score_margin_lower_bound(gap: sp.Expr, sigmas: Sequence[sp.Expr], v: sp.Expr) -> sp.Expr:
    """u_min >= min ||w_y - w_yhat||_2 * prod_i sigma_min(W_i) * v_min (the chain eqs. 9-13)."""
    return gap * sp.Mul(*sigmas) * v


def theorem_3_1_bound() -> sp.Expr:
    """The right-hand side of Theorem 3.1 as we read it (ramp loss, so M = 1; K = (2 C_X/eps)^k)."""
    return sp.Max(0, 2 * (1 - u_min / gamma)) + bhc_term(partition_size(), m, eta, 1)


def theorem_3_1_printed() -> sp.Expr:
    """The last display of App. C as printed: gamma^k where the cover radius eps^k belongs."""
    return sp.Max(0, 2 * (1 - u_min / gamma)) + sp.sqrt(
        sp.log(2) * 2 ** (k + 1) * C_X ** k / (gamma ** k * m) + 2 * sp.log(1 / eta) / m)


# ---------------------------------------------------------------------------------------------------
# sympy checks (each raises AssertionError on a wrong identity)
# ---------------------------------------------------------------------------------------------------

def check_bhc_form(printed: sp.Expr | None = None) -> None:
    """The BHC term with K = (2 C_X/eps)^k equals sqrt(log2 2^(k+1) C_X^k/(eps^k m) + 2 log(1/eta)/m)."""
    ours = bhc_term(partition_size(), m, eta, 1)
    if printed is None:
        printed = sp.sqrt(sp.log(2) * 2 ** (k + 1) * C_X ** k / (eps ** k * m) + 2 * sp.log(1 / eta) / m)
    diff = sp.simplify(sp.expand_power_base(ours ** 2 - printed ** 2, force=True))
    diff = sp.simplify(sp.powsimp(sp.expand(diff), force=True))
    assert diff == 0, f"BHC term mismatch: ours^2 - printed^2 = {diff}"


def check_printed_gamma_is_a_typo() -> None:
    """The printed gamma^k differs from eps^k unless gamma = eps: evaluate at a point where they differ."""
    ours = bhc_term(partition_size(), m, eta, 1)
    printed = theorem_3_1_printed() - sp.Max(0, 2 * (1 - u_min / gamma))
    point = {C_X: 3, eps: sp.Rational(1, 2), gamma: 2, k: 2, m: 1000, eta: sp.Rational(1, 20)}
    assert abs(float(ours.subs(point)) - float(printed.subs(point))) > 1e-3, "gamma^k and eps^k agree?"
    same = {**point, gamma: point[eps]}
    assert abs(float(ours.subs(same)) - float(printed.subs(same))) < 1e-12


def check_covering_monotone() -> None:
    """K = (2 C_X/eps)^k decreases in eps and grows in k (for 2 C_X > eps): stronger AR, fewer cells."""
    Kexpr = partition_size()
    assert sp.simplify(sp.diff(Kexpr, eps) + k * Kexpr / eps) == 0
    d_k = sp.simplify(sp.diff(Kexpr, k) - Kexpr * sp.log(2 * C_X / eps))
    assert sp.simplify(sp.expand_log(d_k, force=True)) == 0


def check_ramp_variation(term: sp.Expr | None = None) -> None:
    """Eq. (8): for u(x), u(x') >= u_min >= 0, |ramp(u) - ramp(u')| <= max{0, 1 - u_min/gamma}.

    Checked exactly (rational arithmetic) on a grid of u_min, u - u_min, u' - u_min and gamma covering
    every ordering of u_min, u, u' and gamma.
    """
    term = ramp_term() if term is None else term
    a, b = sp.symbols("a b", nonnegative=True)  # u = u_min + a, u' = u_min + b
    r = lambda u: sp.Max(0, 1 - u / gamma)  # noqa: E731
    lhs = sp.Abs(r(u_min + a) - r(u_min + b))
    grid = [sp.Rational(p, 4) for p in (0, 1, 3, 4, 6, 9)]
    for gv in (sp.Rational(1, 2), 1, 2):
        for uv in grid:
            for av in grid:
                for bv in grid:
                    s = {gamma: gv, u_min: uv, a: av, b: bv}
                    assert lhs.subs(s) <= term.subs(s), f"eq. (8) fails at {s}"


def check_sum_over_cells() -> None:
    """Eq. (17) <= eps-term: sum_i |N_i|/m * max_i(variation) = max variation when sum_i |N_i| = m."""
    n1, n2, n3 = sp.symbols("N1 N2 N3", nonnegative=True)
    v = sp.Symbol("v", nonnegative=True)
    expr = (n1 * v + n2 * v + n3 * v) / (n1 + n2 + n3)
    assert sp.simplify(expr - v) == 0


def check_margin_chain(seed: int = 0, trials: int = 200, claimed_factor: float = 1.0) -> None:
    """||A_L...A_1 x|| >= prod sigma_min(A_i) ||x|| for tall full-column-rank factors (eq. 14).

    `claimed_factor` > 1 asks for a stronger inequality than the true one (to show a wrong claim fails).
    """
    rng = np.random.default_rng(seed)
    for _ in range(trials):
        dims = [int(d) for d in np.sort(rng.integers(2, 7, size=3))]  # non-decreasing: tall factors
        mats = [rng.normal(size=(dims[i + 1], dims[i])) for i in range(len(dims) - 1)]
        x = rng.normal(size=dims[0])
        y = x
        for A in mats:
            y = A @ y
        smin = np.prod([np.linalg.svd(A, compute_uv=False).min() for A in mats])
        assert np.linalg.norm(y) >= claimed_factor * smin * np.linalg.norm(x) - 1e-9, \
            "product of smallest singular values does not bound the norm"


def check_all() -> None:
    """Run every check of this module."""
    check_bhc_form()
    check_printed_gamma_is_a_typo()
    check_covering_monotone()
    check_ramp_variation()
    check_sum_over_cells()
    check_margin_chain()
    check_lemma_3_1()


# ---------------------------------------------------------------------------------------------------
# Evaluating the bound with measured quantities
# ---------------------------------------------------------------------------------------------------

def evaluate_bound(u: float, g: float, c_x: float, e: float, dim: float, n: int, delta: float = 0.05
                   ) -> dict[str, float]:
    """Numeric terms of Theorem 3.1 (as corrected): ramp term, log10 K, BHC term and their sum."""
    ramp = max(0.0, 2 * (1 - u / g))
    log_k = dim * (np.log(2 * c_x) - np.log(e))
    # sqrt((2 K log2 + 2 log(1/eta)) / m), computed in logs to survive huge K
    log_first = np.log(2 * np.log(2)) + log_k - np.log(n)
    second = 2 * np.log(1 / delta) / n
    bhc = float(np.sqrt(np.exp(min(log_first, 700.0)) + second)) if log_first < 700 else float("inf")
    return {"ramp_term": ramp, "log10_K": float(log_k / np.log(10)), "bhc_term": bhc, "bound": ramp + bhc}


# ---------------------------------------------------------------------------------------------------
# Lemma 3.1 / Corollary C.1 on a numpy ReLU network
# ---------------------------------------------------------------------------------------------------

@dataclass
class ReLUNet:
    """I_l(x) = W_l relu(... relu(W_1 x + b_1) ...) + b_l: affine layers with ReLU between them."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]

    @staticmethod
    def random(dims: Sequence[int], seed: int = 0) -> "ReLUNet":
        """Gaussian weights (He scaling) and small Gaussian biases."""
        rng = np.random.default_rng(seed)
        ws = [rng.normal(size=(dims[i + 1], dims[i])) * np.sqrt(2 / dims[i]) for i in range(len(dims) - 1)]
        bs = [0.1 * rng.normal(size=dims[i + 1]) for i in range(len(dims) - 1)]
        return ReLUNet(ws, bs)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        h = x
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            h = W @ h + b
            if i < len(self.weights) - 1:
                h = np.maximum(h, 0)
        return h

    def pattern(self, x: np.ndarray) -> list[np.ndarray]:
        """Activation pattern (which units are on) of every hidden layer at x: the linear region."""
        pats, h = [], x
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            z = W @ h + b
            pats.append(z > 0)
            h = np.maximum(z, 0)
        return pats

    def region_jacobian(self, pats: list[np.ndarray]) -> np.ndarray:
        """prod_i W_i^q: the Jacobian in the region q (rows of W_i switched off where the unit is off)."""
        J = np.eye(self.weights[0].shape[1])
        for W, p in zip(self.weights[:-1], pats):
            J = (W * p[:, None]) @ J
        return self.weights[-1] @ J

    def preactivations_on_segment(self, x: np.ndarray, d: np.ndarray, pats: list[np.ndarray]
                                  ) -> list[tuple[np.ndarray, np.ndarray]]:
        """With the pattern fixed, each hidden pre-activation along x + t d is a_i + t b_i: return (a, b)."""
        out, ha, hb = [], x.copy(), d.copy()
        for W, bias, p in zip(self.weights[:-1], self.biases[:-1], pats):
            za, zb = W @ ha + bias, W @ hb
            out.append((za, zb))
            ha, hb = za * p, zb * p
        return out


def segment_regions(net: ReLUNet, x: np.ndarray, x2: np.ndarray, tol: float = 1e-12
                    ) -> list[tuple[float, float, list[np.ndarray]]]:
    """The linear regions q_j crossed by the segment x -> x2, as (s_j, e_j, pattern) with exact breakpoints."""
    d = x2 - x
    t, regions = 0.0, []
    while t < 1.0 - tol:
        # pattern just inside the next piece (probe a hair beyond t to break ties at a breakpoint)
        probe = min(t + 1e-9, (t + 1.0) / 2)
        pats = net.pattern(x + probe * d)
        t_next = 1.0
        for (a, b), p in zip(net.preactivations_on_segment(x, d, pats), pats):
            with np.errstate(divide="ignore", invalid="ignore"):
                cross = -a / b
            ok = np.isfinite(cross) & (cross > t + 1e-12) & (cross < t_next)
            if ok.any():
                t_next = float(cross[ok].min())
        regions.append((t, t_next, pats))
        t = t_next
    return regions


def lemma_3_1_residual(net: ReLUNet, x: np.ndarray, x2: np.ndarray, per_region: bool = True) -> float:
    """|I(x2) - I(x) - sum_j (e_j - s_j) J_{q_j} (x2 - x)|, max-norm; per_region=False uses J at x only."""
    d = x2 - x
    if per_region:
        total = sum((e - s) * (net.region_jacobian(p) @ d) for s, e, p in segment_regions(net, x, x2))
    else:
        total = net.region_jacobian(net.pattern(x)) @ d
    return float(np.abs(net(x2) - net(x) - total).max())


def check_lemma_3_1(seed: int = 0, trials: int = 20, dims: Sequence[int] = (6, 16, 16, 4),
                    per_region: bool = True, min_regions: int = 2) -> int:
    """Lemma 3.1 / Cor. C.1 to 1e-9 on random segments; returns the most regions one segment crossed."""
    net = ReLUNet.random(dims, seed)
    rng = np.random.default_rng(seed + 1)
    most = 0
    for _ in range(trials):
        x, x2 = rng.normal(size=dims[0]), rng.normal(size=dims[0])
        most = max(most, len(segment_regions(net, x, x2)))
        res = lemma_3_1_residual(net, x, x2, per_region)
        assert res < 1e-9, f"Lemma 3.1 fails: residual {res:.3e}"
    assert most >= min_regions, "no segment crossed several regions: the check would be vacuous"
    return most
