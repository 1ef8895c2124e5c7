"""wen2020 (Wen, Li & Jia, ICML 2020): the terms of the generalization bound of Theorem 3.1 / C.1.

Theorem C.1 (Xu & Mannor 2012): a (K, eps(.))-robust algorithm with loss bounded by M satisfies, with
probability >= 1 - eta, GE <= eps(S_m) + M sqrt((2 K log 2 + 2 log(1/eta)) / m).
Theorem 3.1 plugs in K = (2 C_X / eps)^k (eps-balls of diameter eps on a k-dimensional manifold; the
paper's 2^(k+1) comes from that factor 2) and the ramp-loss variation max{0, 1 - u_min / gamma}, with the
score margin u_min bounded below through the smallest singular values of the layers.

Also: an exact check of Lemma 3.1 / Corollary C.1 (the difference of a ReLU network's feature maps is the
sum, over the linear regions crossed by the segment, of the region's Jacobian times the part of the
segment inside it) on a numpy ReLU network.

The API of `robustbook.theory.core`: `CHECKS`, `MUTANTS`, `run_checks()`, `refute_*` and the step tables
`steps_theorem31()` (eqs. (7)-(18)) and `steps_lemma31()`. Only sympy, numpy and pandas are used here.
"""
from __future__ import annotations

import math
from fractions import Fraction
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import sympy as sp

from .core import Mutant, Result, bhc_radius, check_bhc_radius_claim, run_checks as _run_checks, step_check
from .core import step_cited, step_extra, step_false, steps_table

# The numbers this module reads from the paper (B2_SUMS, TABLE3_RESNET56_STRENGTH4, TABLE6_UNCONTROLLED_STRENGTH4)
# are transcribed once, with their locations, in robustbook.papers.wen2020 (tests/test_transcriptions.py).
from ..papers import wen2020 as _paper

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


def lemma_3_1_residual(net: ReLUNet, x: np.ndarray, x2: np.ndarray, per_region: bool = True,
                       reversed_segment: bool = False) -> float:
    """|I(x2) - I(x) - sum_j (e_j - s_j) J_{q_j} (x2 - x)|, max-norm; per_region=False uses J at x only;
    reversed_segment takes the regions of the segment x -> x - (x2 - x), as eq. (7) prints its integrand."""
    d = x2 - x
    if per_region:
        end = x - d if reversed_segment else x2
        total = sum((e - s) * (net.region_jacobian(p) @ d) for s, e, p in segment_regions(net, x, end))
    else:
        total = net.region_jacobian(net.pattern(x)) @ d
    return float(np.abs(net(x2) - net(x) - total).max())



# ===================================================================================================
# Checks (each takes one optional variant of its claim, returns a Result, raises AssertionError if false)
# ===================================================================================================

def check_lemma_3_1(per_region: bool = True, seed: int = 0, trials: int = 20, dims: Sequence[int] = (6, 16, 16, 4),
                    min_regions: int = 2, reversed_segment: bool = False) -> Result:
    """Lemma 3.1 / Cor. C.1 to 1e-9 on random segments: I(x') - I(x) = sum_j (e_j - s_j) J_{q_j} (x' - x)."""
    net = ReLUNet.random(dims, seed)
    rng = np.random.default_rng(seed + 1)
    most, worst = 0, 0.0
    for _ in range(trials):
        x, x2 = rng.normal(size=dims[0]), rng.normal(size=dims[0])
        most = max(most, len(segment_regions(net, x, x2)))
        res = lemma_3_1_residual(net, x, x2, per_region, reversed_segment)
        worst = max(worst, res)
        assert res < 1e-9, f"Lemma 3.1 fails: residual {res:.3e}"
    assert most >= min_regions, "no segment crossed several regions: the check would be vacuous"
    return Result("lemma_3_1", "I(x') - I(x) = sum over the regions crossed of (e_j - s_j) J_q (x' - x)",
                  f"{trials} random segments of a {'-'.join(map(str, dims))} ReLU net, exact breakpoints",
                  {"most regions crossed": most, "max residual": worst})


def check_bhc_form(printed: sp.Expr | None = None) -> Result:
    """The book's reading: the BHC term with K = (2 C_X/eps)^k (cells of diameter eps) equals
    sqrt(log2 2^(k+1) C_X^k/(eps^k m) + 2 log(1/eta)/m) (`printed`)."""
    ours = bhc_term(partition_size(), m, eta, 1)
    if printed is None:
        printed = sp.sqrt(sp.log(2) * 2 ** (k + 1) * C_X ** k / (eps ** k * m) + 2 * sp.log(1 / eta) / m)
    _same_square(ours, printed, "BHC term (K = (2 C_X/eps)^k)")
    return Result("bhc_form", "M sqrt((2K log 2 + 2 log(1/eta))/m) with K = (2 C_X/eps)^k is the last display with "
                  "eps^k (the book's reading of the cell count)", "sympy: difference of squares simplifies to 0", {})


def _same_square(ours: sp.Expr, printed: sp.Expr, what: str) -> None:
    diff = sp.simplify(sp.expand_power_base(ours ** 2 - printed ** 2, force=True))
    diff = sp.simplify(sp.powsimp(sp.expand(diff), force=True))
    assert diff == 0, f"{what} mismatch: ours^2 - printed^2 = {diff}"


def proof_cell_count() -> sp.Expr:
    """K as the proof of Theorem C.1 states it (App. C): the eps-cover's covering number C_X^k / eps^k."""
    return covering_number(C_X, eps, k)


def check_bhc_form_proof(printed: sp.Expr | None = None) -> Result:
    """Theorem C.1's term with the proof's own K = C_X^k/eps^k equals `printed` (default: that term written out,
    sqrt(2 log2 C_X^k/(eps^k m) + 2 log(1/eta)/m)). The printed display is judged against it."""
    ours = bhc_term(proof_cell_count(), m, eta, 1)
    if printed is None:
        printed = sp.sqrt(2 * sp.log(2) * C_X ** k / (eps ** k * m) + 2 * sp.log(1 / eta) / m)
    _same_square(ours, printed, "BHC term (the proof's K = C_X^k/eps^k)")
    return Result("bhc_form_proof", "M sqrt((2K log 2 + 2 log(1/eta))/m) with the proof's K = C_X^k/eps^k",
                  "sympy: difference of squares simplifies to 0", {})


def check_bhc_tail(radius: Callable[[int, int, float], float] | None = None) -> Result:
    """Eq. (18) (BHC): P(sum_i |N_i/m - mu(C_i)| >= radius(K, m, eta)) <= eta for multinomial cell counts."""
    radius = bhc_radius if radius is None else radius
    return Result("bhc_tail", "the cell-frequency deviation exceeds sqrt((2K log 2 + 2 log(1/eta))/m) w.p. <= eta",
                  "Monte Carlo, 4,000 multinomial draws at 4 (K, m)", check_bhc_radius_claim(radius))


def _no_cells(cells: int, n_: int, level: float) -> float:
    return math.sqrt(2 * math.log(1 / level) / n_)


def check_ramp_variation(term: sp.Expr | None = None) -> Result:
    """Eq. (8): for margins u, u' >= u_min >= 0, |ramp(u) - ramp(u')| <= max{0, 1 - u_min/gamma} (exact grid)."""
    term = ramp_term() if term is None else term
    a, b = sp.symbols("a b", nonnegative=True)  # u = u_min + a, u' = u_min + b
    rmp = lambda u: sp.Max(0, 1 - u / gamma)  # noqa: E731
    lhs = sp.Abs(rmp(u_min + a) - rmp(u_min + b))
    mods = [{"Max": max, "Abs": abs}]
    f_lhs = sp.lambdify((gamma, u_min, a, b), lhs, mods)
    f_term = sp.lambdify((gamma, u_min, a, b), term, mods)
    grid = [Fraction(p, 4) for p in (0, 1, 3, 4, 6, 9)]
    for gv in (Fraction(1, 2), Fraction(1), Fraction(2)):
        for uv in grid:
            for av in grid:
                for bv in grid:
                    assert f_lhs(gv, uv, av, bv) <= f_term(gv, uv, av, bv), \
                        f"eq. (8) fails at gamma={gv}, u_min={uv}, u-u_min={av}, u'-u_min={bv}"
    return Result("ramp_variation", "|l_gamma(z) - l_gamma(z')| <= max{0, 1 - u_min/gamma}",
                  "exact rationals on a 3 x 6^3 grid of (gamma, u_min, u - u_min, u' - u_min)", {})


def refute_mixed_cell(gam: float = 1.0, u: float = 2.0) -> dict[str, Any]:
    """(15)-(16) assume one label per cell: a cell with a correctly classified training point (margin u >= gamma)
    and a point of another label (ramp loss 1) breaks (16)."""
    loss_train = max(0.0, 1 - u / gam)
    loss_other = 1.0  # misclassified with respect to its own label: margin <= 0, ramp loss clipped at 1
    bound = max(0.0, 1 - u / gam)
    assert abs(loss_train - loss_other) > bound
    return {"counterexample": f"gamma = {gam}; training point with margin {u}; a point of another label in its cell",
            "|l - l'|": abs(loss_train - loss_other), "bound max{0, 1 - u_min/gamma}": bound}


def check_step9_11(relation: str = "ge", trials: int = 3000, seed: int = 0) -> Result:
    """(9)-(11): with u(z) = min_{i != y} (w_y - w_i)^T h(z) and yhat = yhat(x), u(x) - u(x') relates to
    (w_y - w_yhat)^T (h(x) - h(x')) by `relation`: 'ge' (always true) or 'eq' (as printed; false when yhat changes)."""
    rng = np.random.default_rng(seed)
    worst = np.inf
    for _ in range(trials):
        w = rng.normal(size=(4, 5))
        h, h2 = rng.normal(size=5), rng.normal(size=5)  # h(x), h(x') (any two feature vectors)
        y = 0
        others = np.arange(1, 4)
        yhat = others[np.argmax(w[others] @ h)]
        u = lambda z: float(np.min((w[y] - w[others]) @ z))  # noqa: E731
        lhs, rhs = u(h) - u(h2), float((w[y] - w[yhat]) @ (h - h2))
        worst = min(worst, lhs - rhs)
        assert lhs >= rhs - 1e-12, f"u(x) - u(x') = {lhs:.4f} < {rhs:.4f}"
        if relation == "eq":
            assert abs(lhs - rhs) < 1e-9, f"u(x) - u(x') = {lhs:.4f} != (w_y - w_yhat)^T(h - h') = {rhs:.4f}"
    return Result("step9_11", "u(x) - u(x') >= (w_y - w_yhat)^T (h(x) - h(x'))",
                  f"{trials} random heads and feature pairs", {"min lhs - rhs": worst})


def refute_step9_11() -> dict[str, Any]:
    """(9)-(11) as an equality: a head and two feature vectors where the runner-up class changes."""
    w = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # class 0 scores 0; classes 1, 2 score h_1, h_2
    h, h2 = np.array([-1.0, -2.0]), np.array([-3.0, -0.5])
    u = lambda z: float(np.min((w[0] - w[1:]) @ z))  # noqa: E731
    yhat = 1 + int(np.argmax(w[1:] @ h))
    lhs, rhs = u(h) - u(h2), float((w[0] - w[yhat]) @ (h - h2))
    assert lhs > rhs + 1e-9
    return {"counterexample": "W = [[0, 0], [1, 0], [0, 1]], y = 0, h(x) = (-1, -2), h(x') = (-3, -0.5)",
            "u(x) - u(x')": lhs, "(w_y - w_yhat)^T (h - h')": rhs}


def check_sum_over_cells(factor: float = 1.0, trials: int = 300, seed: int = 0) -> Result:
    """Eq. (17): (1/m) sum_i sum_{j in N_i} max_{z in C_i} |l(z) - l(z_j)| <= factor * v when every cell's variation is
    <= v (factor 1; the text's max{0, 2(1 - u_min/gamma)} is twice that)."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(trials):
        cells, mm, v = rng.integers(2, 8), rng.integers(5, 60), rng.uniform(0.05, 1)
        base = rng.uniform(0, 1 - v, cells)
        grid = base[:, None] + v * rng.uniform(0, 1, (cells, 50))  # the losses of all points of each cell
        grid[:, 0], grid[:, 1] = base, base + v  # variation exactly v in each cell
        assign = rng.integers(0, cells, mm)
        train = grid[assign, rng.integers(0, 50, mm)]
        term = float(np.mean([np.abs(grid[a] - lz).max() for a, lz in zip(assign, train)]))
        worst = max(worst, term / v)
        assert term <= factor * v + 1e-12, f"(17) = {term:.3f} > {factor} v = {factor * v:.3f}"
    return Result("sum_over_cells", "(17) <= max{0, 1 - u_min/gamma} (the factor 2 of the text is loose)",
                  "300 random cell assignments with within-cell variation exactly v", {"max (17) / v": worst})


def _hidden_sigma_min(net: ReLUNet) -> float:
    return float(np.prod([np.linalg.svd(w, compute_uv=False).min() for w in net.weights[:-1]]))


def margin_chain_ratios(masked: bool = True, nets: int = 20, points: int = 50, width: int = 8, depth: int = 2,
                        seed: int = 0, sigma: str = "min") -> np.ndarray:
    """|(prod W_i^q)^T (w_y - w_yhat)| / (|w_y - w_yhat| prod sigma_min(W_i)) at random inputs of random ReLU nets with
    square hidden layers; masked=False drops the ReLU masks (every unit on). (13)-(14) claim every ratio >= 1."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(nets):
        net = ReLUNet.random([width] * (depth + 1) + [3], seed + i)
        smin = (_hidden_sigma_min(net) if sigma == "min"
                else float(np.prod([np.linalg.svd(w, compute_uv=False).max() for w in net.weights[:-1]])))
        for _ in range(points):
            x = rng.normal(size=width)
            pats = net.pattern(x) if masked else [np.ones(width, bool)] * depth
            jac = np.eye(width)
            for w, p in zip(net.weights[:-1], pats):
                jac = (w * p[:, None]) @ jac
            scores = net(x)
            y, yhat = np.argsort(scores)[::-1][:2]
            v = net.weights[-1][y] - net.weights[-1][yhat]
            out.append(np.linalg.norm(jac.T @ v) / (np.linalg.norm(v) * smin))
    return np.asarray(out)


MARGIN_SETTINGS = ("every unit on", "ReLU masks", "sigma_max")


def check_margin_chain(setting: str = "every unit on") -> Result:
    """(13)-(14): |(w_y - w_yhat)^T prod W_i^q d| >= |w_y - w_yhat| prod sigma_min(W_i) |d| for d orthogonal to the
    null space, checked on random nets. `setting`: "every unit on" (the book's corrected statement: square layers, no
    unit switched off; it holds), "ReLU masks" (the paper's setting: the masks of the input's region, as printed;
    claim wen2020:thm31-margin-chain), "sigma_max" (a wrong variant: each layer's largest singular value in place of
    its smallest, with every unit on)."""
    if setting not in MARGIN_SETTINGS:
        raise ValueError(f"setting {setting!r}: one of {MARGIN_SETTINGS}")
    ratios = margin_chain_ratios(setting == "ReLU masks", sigma="max" if setting == "sigma_max" else "min")
    assert ratios.min() >= 1 - 1e-9, (f"(13) fails: ratio {ratios.min():.3g} < 1 at "
                                      f"{(ratios < 1).mean():.0%} of the points")
    return Result("margin_chain", f"(13)-(14) ({setting})", "20 random 8-8-8-3 ReLU nets x 50 inputs",
                  {"min ratio": float(ratios.min())})


def check_one_label_cells(bound: Callable[[float, float], float] | None = None, trials: int = 2000,
                          seed: int = 0) -> Result:
    """(15)-(16) under the book's added assumption: each cell holds one label and the classifier predicts one class
    on it, so either every point of the cell is classified correctly with margin >= u_min (case 1) or every point is
    misclassified (case 2, ramp loss 1 throughout); then |l(z) - l(z')| <= bound(u_min, gamma), by default
    max{0, 1 - u_min/gamma}. Random cells of ramp losses (clipped to [0, 1])."""
    bound = (lambda u, g: max(0.0, 1 - u / g)) if bound is None else bound
    ramp = lambda u, g: min(1.0, max(0.0, 1 - u / g))  # noqa: E731
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(trials):
        g = float(rng.uniform(0.2, 2.0))
        if rng.random() < 0.5:  # case 1: every point correct, margins >= u_min (u_min attained by one of them)
            umin = float(rng.uniform(0, 2 * g))
            margins = np.concatenate([[umin], umin + rng.exponential(g, 8)])
        else:  # case 2: every point misclassified (margin <= 0)
            umin, margins = 0.0, -rng.exponential(g, 9)
        losses = np.array([ramp(u, g) for u in margins])
        var = float(losses.max() - losses.min())
        worst = max(worst, var - bound(umin, g))
        assert var <= bound(umin, g) + 1e-12, f"(16) fails: variation {var:.3g} > bound {bound(umin, g):.3g}"
    return Result("one_label_cells", "|l(z) - l(z')| <= max{0, 1 - u_min/gamma} in a one-label, one-prediction cell",
                  f"{trials} random cells (cases 1 and 2 of the proof)", {"max variation - bound": worst})


def refute_margin_chain() -> dict[str, Any]:
    """(13)-(14) in the ReLU-masked, rank-one-last-layer setting of the proof: the computed ratios."""
    ratios = margin_chain_ratios(True)
    assert ratios.min() < 1
    return {"counterexample": "random ReLU nets (8-8-8-3, He init), the region of a random input",
            "smallest ratio": float(ratios.min()), "smallest nonzero ratio": float(ratios[ratios > 0].min()),
            "fraction of points with ratio < 1": float((ratios < 1).mean())}


def _restricted_sigma_min(mat: np.ndarray, tol: float = 1e-12) -> float:
    """Smallest non-zero singular value of `mat`: its smallest singular value on the directions it does not annihilate."""
    sv = np.linalg.svd(mat, compute_uv=False)
    kept = sv[sv > tol * max(1.0, sv.max())]
    return float(kept.min()) if kept.size else float("inf")  # a layer with every unit off annihilates everything


def masked_example_net(phi: float = 0.01) -> tuple[ReLUNet, np.ndarray]:
    """A 2-2-2-2 ReLU net and an input x whose region keeps unit 1 of layer 1 and unit 2 of layer 2: every layer,
    masked or not, has all its non-zero singular values equal to 1 (rotations), yet the masked product sends the
    surviving direction to sin(phi) times its length."""
    def rot(a: float) -> np.ndarray:
        return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])

    w1, w2 = rot(np.pi / 6), rot(phi)
    w_out = np.array([[0.0, 1.0], [0.0, -1.0]])  # class 0 scores h_2, class 1 scores -h_2
    net = ReLUNet([w1, w2, w_out], [np.array([0.0, -10.0]), np.array([-10.0, 0.0]), np.zeros(2)])
    return net, w1[0] / np.linalg.norm(w1[0])  # x along the first row of W_1: z_1 = 1 > 0, z_2 = -10 + ... < 0


def region_margin_terms(net: ReLUNet, x: np.ndarray) -> dict[str, float]:
    """At x (label = predicted class y, runner-up yhat): the region's score margin u(x), its distance to the region's
    decision hyperplane, the factor ||(prod W_i^q)^T (w_y - w_yhat)|| and the singular-value factors of (13)-(14)."""
    pats = net.pattern(x)
    jac = np.eye(x.size)
    masked = []
    for w, p in zip(net.weights[:-1], pats):
        masked.append(w * p[:, None])
        jac = masked[-1] @ jac
    scores = net(x)
    y, yhat = np.argsort(scores)[::-1][:2]
    v = net.weights[-1][y] - net.weights[-1][yhat]
    u = float(scores[y] - scores[yhat])
    g = float(np.linalg.norm(jac.T @ v))
    nv = float(np.linalg.norm(v))
    return {"u(x)": u, "distance to the region's boundary": u / g if g > 0 else np.inf,
            "||(prod W_i^q)^T (w_y - w_yhat)||": g, "||w_y - w_yhat||": nv,
            "prod restricted sigma_min(W_i^q)": float(np.prod([_restricted_sigma_min(w) for w in masked])),
            "prod restricted sigma_min(W_i)": float(np.prod([_restricted_sigma_min(w) for w in net.weights[:-1]])),
            "prod sigma_min(W_i)": _hidden_sigma_min(net)}


def _factor_region(t: dict[str, float]) -> float:
    return t["||(prod W_i^q)^T (w_y - w_yhat)||"]


def _factor_restricted_masked(t: dict[str, float]) -> float:
    return t["||w_y - w_yhat||"] * t["prod restricted sigma_min(W_i^q)"]


def _factor_restricted_layers(t: dict[str, float]) -> float:
    return t["||w_y - w_yhat||"] * t["prod restricted sigma_min(W_i)"]


def check_region_margin(factor: Callable[[dict[str, float]], float] | None = None, nets: int = 10, points: int = 30,
                        seed: int = 0) -> Result:
    """Theorem 3.1 as we read it: in the linear region q of x, u(x) >= factor * (distance from x to the region's
    decision hyperplane) with factor ||(prod W_i^q)^T (w_y - w_yhat)|| (equality); checked on the masked example net
    and on random 8-8-8-3 ReLU nets."""
    factor = _factor_region if factor is None else factor
    cases = [masked_example_net()]
    rng = np.random.default_rng(seed)
    for i in range(nets):
        net = ReLUNet.random([8, 8, 8, 3], seed + i)
        cases += [(net, rng.normal(size=8)) for _ in range(points)]
    worst = np.inf
    for net, x in cases:
        t = region_margin_terms(net, x)
        if not np.isfinite(t["distance to the region's boundary"]):
            continue  # the region annihilates w_y - w_yhat: u is constant there and the bound says nothing
        bound = factor(t) * t["distance to the region's boundary"]
        worst = min(worst, t["u(x)"] - bound)
        assert t["u(x)"] >= bound - 1e-9, (f"u(x) = {t['u(x)']:.4g} < factor x distance = {bound:.4g} "
                                           f"(factor {factor(t):.4g}, region factor {_factor_region(t):.4g})")
    return Result("region_margin", "u(x) = ||(prod W_i^q)^T (w_y - w_yhat)|| x distance to the region's boundary",
                  f"the masked example net and {nets} random 8-8-8-3 nets x {points} inputs",
                  {"min u - bound": float(worst)})


def refute_restricted_sigma(phi: float = 0.01, step: float = 0.5) -> dict[str, Any]:
    """The reading 'sigma_min restricted to the directions the network does not annihilate': on the masked example
    net every layer, masked or not, keeps all its non-zero singular values at 1, yet the region's factor is sin(phi);
    a pair x, x' in the same region shows the stated inequality failing."""
    net, x = masked_example_net(phi)
    t = region_margin_terms(net, x)
    jac = np.eye(x.size)
    for w, p in zip(net.weights[:-1], net.pattern(x)):
        jac = (w * p[:, None]) @ jac  # prod W_i^q over the hidden layers (region_jacobian adds the last layer)
    d = step * x  # x' = x - d stays in the region (same pattern) and d is orthogonal to the null space
    x2 = x - d
    assert all((p == q).all() for p, q in zip(net.pattern(x), net.pattern(x2))), "x' left the region"
    v = net.weights[-1][0] - net.weights[-1][1]
    lhs = float(v @ jac @ d)  # (w_y - w_yhat)^T prod W_i^q (x - x')
    reading_rhs = t["||w_y - w_yhat||"] * t["prod restricted sigma_min(W_i^q)"] * float(np.linalg.norm(d))
    layers_rhs = t["||w_y - w_yhat||"] * t["prod restricted sigma_min(W_i)"] * float(np.linalg.norm(d))
    assert 0 < t["||(prod W_i^q)^T (w_y - w_yhat)||"] and lhs < 0.1 * min(reading_rhs, layers_rhs)
    return {"counterexample": (f"2-2-2-2 ReLU net: W_1 rotation by 30 deg, W_2 rotation by phi = {phi}, biases (0, -10) "
                               "and (-10, 0), last rows (0, 1), (0, -1); x the unit first row of W_1 (unit 1 of layer 1 "
                               f"and unit 2 of layer 2 on); x' = (1 - {step}) x"),
            "restricted sigma_min product, masked layers": t["prod restricted sigma_min(W_i^q)"],
            "restricted sigma_min product, layers": t["prod restricted sigma_min(W_i)"],
            "region factor ||(prod W_i^q)^T (w_y - w_yhat)|| / ||w_y - w_yhat||":
                t["||(prod W_i^q)^T (w_y - w_yhat)||"] / t["||w_y - w_yhat||"],
            "(w_y - w_yhat)^T prod W_i^q (x - x')": lhs, "reading's lower bound": reading_rhs,
            "||x - x'||": float(np.linalg.norm(d))}


def _refute_chain_and_mask() -> dict[str, Any]:
    """(13)-(14) without the extra assumption: the random-net ratios and the explicit masked net."""
    mask = refute_restricted_sigma()
    return {**refute_margin_chain(), "explicit net": mask["counterexample"],
            **{kk: v for kk, v in mask.items() if kk != "counterexample"}}


def refute_printed_gamma() -> dict[str, Any]:
    """The last display's gamma^k against eps^k at a point where gamma != eps."""
    ours = bhc_term(partition_size(), m, eta, 1)
    printed = theorem_3_1_printed() - sp.Max(0, 2 * (1 - u_min / gamma))
    point = {C_X: 3, eps: sp.Rational(1, 2), gamma: 2, k: 2, m: 1000, eta: sp.Rational(1, 20)}
    a, b = float(ours.subs(point)), float(printed.subs(point))
    assert abs(a - b) > 1e-3
    return {"counterexample": "C_X = 3, eps = 1/2, gamma = 2, k = 2, m = 1000, eta = 0.05", "term with eps^k": a,
            "printed term with gamma^k": b}


def refute_b2_layer_counts() -> dict[str, Any]:
    """App. B.2: sum / average is the number of layers in each group; CIFAR-100's second group is not an integer
    count, and the two CIFAR-100 groups do not add up to the CIFAR-10 total (the same ResNet-56)."""
    counts = {kk: s / a for kk, (s, a) in _paper.B2_SUMS.items()}
    c10 = counts["CIFAR-10 group 1"] + counts["CIFAR-10 group 2"]
    c100 = counts["CIFAR-100 group 1"] + counts["CIFAR-100 group 2"]
    off = abs(counts["CIFAR-100 group 2"] - round(counts["CIFAR-100 group 2"]))
    assert off > 0.02 and abs(c10 - c100) > 5
    return {"counterexample": "layer counts = sum / average", **{f"count, {kk}": v for kk, v in counts.items()},
            "CIFAR-10 total": c10, "CIFAR-100 total": c100}


def table6_matches_table3() -> dict[str, Any]:
    """Table 6 'SP Uncontrolled' vs Table 3 ResNet-56 at strength 4: App. D.2 says the Table 3 networks are those of
    App. B.3 without spectral normalization, i.e. the uncontrolled configuration, so equality is expected."""
    same = _paper.TABLE3_RESNET56_STRENGTH4 == _paper.TABLE6_UNCONTROLLED_STRENGTH4
    return {"entries compared": len(_paper.TABLE3_RESNET56_STRENGTH4), "all equal": same}


CHECKS: dict[str, Callable[..., Result]] = {
    "lemma_3_1": check_lemma_3_1, "bhc_form": check_bhc_form, "bhc_form_proof": check_bhc_form_proof,
    "bhc_tail": check_bhc_tail, "ramp_variation": check_ramp_variation, "step9_11": check_step9_11,
    "sum_over_cells": check_sum_over_cells, "margin_chain": check_margin_chain, "one_label_cells": check_one_label_cells,
    "region_margin": check_region_margin,
}

# How each check works (the overview counts them by kind), and the checks whose claim is the book's corrected or
# completed statement rather than the paper's as printed (the printed form is then its own claim, or a row of the
# step table that reads "false as printed" or "holds under an extra assumption").
CHECK_HOW: dict[str, str] = {
    "lemma_3_1": "exact region walk on random ReLU networks", "bhc_form": "sympy identity",
    "bhc_form_proof": "sympy identity", "bhc_tail": "Monte Carlo", "ramp_variation": "exact rational grid",
    "step9_11": "random draws", "sum_over_cells": "random draws", "margin_chain": "random ReLU networks",
    "one_label_cells": "random draws", "region_margin": "random ReLU networks",
}
CORRECTED: dict[str, str] = {
    "lemma_3_1": "the segment x + t(x' - x) and a vector identity (eq. (7) prints x - t(x' - x) under a norm)",
    "bhc_form": "cells of diameter eps, K = (2 C_X/eps)^k (the proof states K = C_X^k/eps^k)",
    "step9_11": "'>=' where (9)-(11) print '='",
    "margin_chain": "every unit on (the proof's ReLU masks break it)",
    "one_label_cells": "one label and one prediction per cell, an assumption the text does not state",
    "region_margin": "the region factor ||(prod W_i^q)^T (w_y - w_yhat)|| in place of the singular values",
}

MUTANTS: dict[str, list[Mutant]] = {
    "lemma_3_1": [Mutant("one Jacobian (at x) for the whole segment", False)],
    # wrong variants of the formula, none of them a form the paper states (the printed display is its own claim)
    "bhc_form": [Mutant("2^k in place of 2^(k+1) (a constant changed)",
                        sp.sqrt(sp.log(2) * 2 ** k * C_X ** k / (eps ** k * m) + 2 * sp.log(1 / eta) / m)),
                 Mutant("log(1/eta) in place of 2 log(1/eta) (a constant changed)",
                        sp.sqrt(sp.log(2) * 2 ** (k + 1) * C_X ** k / (eps ** k * m) + sp.log(1 / eta) / m))],
    "bhc_form_proof": [Mutant("4 log 2 in place of 2 log 2 (a constant changed)",
                              sp.sqrt(4 * sp.log(2) * C_X ** k / (eps ** k * m) + 2 * sp.log(1 / eta) / m)),
                       Mutant("C_X^(k+1) in place of C_X^k (an exponent changed)",
                              sp.sqrt(2 * sp.log(2) * C_X ** (k + 1) / (eps ** k * m) + 2 * sp.log(1 / eta) / m))],
    "bhc_tail": [Mutant("radius without the 2^K factor", _no_cells)],
    "ramp_variation": [Mutant("max{0, .} dropped, minus 1/10", 1 - u_min / gamma - sp.Rational(1, 10))],
    "step9_11": [Mutant("equality (as printed)", "eq")],
    "sum_over_cells": [Mutant("(17) <= v / 2", 0.5)],
    "margin_chain": [Mutant("each layer's largest singular value in place of its smallest", "sigma_max")],
    "one_label_cells": [Mutant("the bound halved", lambda u, g: 0.5 * max(0.0, 1 - u / g))],
    "region_margin": [Mutant("||w_y - w_yhat|| prod sigma_min(W_i^q) on the directions not annihilated (our old reading)",
                             _factor_restricted_masked),
                      Mutant("||w_y - w_yhat|| prod sigma_min(W_i) on the directions not annihilated (unmasked layers)",
                             _factor_restricted_layers)],
}


def run_checks() -> dict[str, Result]:
    """Run every check of this module at its default claim (raises on the first failure)."""
    return _run_checks(CHECKS)


def _ev(res: Result) -> str:
    return ", ".join(f"{kk} = {v:.3g}" if isinstance(v, float) else f"{kk} = {v}" for kk, v in res.evidence.items())


def steps_lemma31():
    """Lemma 3.1 / Corollary C.1, one row per step."""
    pr = "Lemma 3.1"
    return steps_table([
        step_false(pr, "(7)", "I(x) - I(x') = int_0^1 J(x - t(x' - x)) dt (x - x') (printed with a norm on the left)",
                   "the residual with the regions of the printed segment x - t(x' - x)",
                   lambda: _refute_reversed(), "yes: the segment is x + t(x' - x) (as in (10)); the left side is a vector"),
        step_check(pr, "regions", "J is constant on each linear region: prod_i W_i^q", "exact region walk",
                   check_lemma_3_1, _ev),
        step_check(pr, "sum", "the integral splits into sum_j (e_j - s_j) prod W_i^{q_j} (x' - x)", "residual <= 1e-9",
                   check_lemma_3_1, _ev),
    ])


def _refute_reversed() -> dict[str, Any]:
    net = ReLUNet.random((6, 16, 16, 4), 0)
    rng = np.random.default_rng(1)
    res = max(lemma_3_1_residual(net, *rng.normal(size=(2, 6)), reversed_segment=True) for _ in range(10))
    assert res > 1e-6
    return {"counterexample": "10 random segments of a 6-16-16-4 ReLU net", "max residual (printed segment)": res}


def steps_theorem31():
    """Theorem 3.1 / C.1, eqs. (7)-(18), one row per step."""
    pr = "Theorem 3.1"
    return steps_table([
        step_check(pr, "(8)", "|l(z) - l(z')| <= max{0, 1 - u_min/gamma} in a cell", "exact rational grid",
                   check_ramp_variation),
        step_extra(pr, "(9)-(11)", "u(x) = u(x) - u(x') = (w_y - w_yhat)^T (T'x - T'x')",
                   "random heads and feature pairs",
                   "'=' read as '>=' (the direction the lower bound on u_min uses); equality needs yhat fixed",
                   check_step9_11, refute_step9_11),
        step_check(pr, "(12)", "Corollary C.1 with a rank-one last layer", "Lemma 3.1 check", check_lemma_3_1, _ev),
        step_extra(pr, "(13)-(14)", "(w_y - w_yhat)^T prod W_i^q (x - x') >= |w_y - w_yhat| prod sigma_min(W_i) |x - x'|",
                   "random ReLU nets: ratios with and without the masks",
                   "no unit switched off in the regions crossed (then sigma_min of the product bounds it); taking each "
                   "sigma_min only over the directions a layer does not annihilate is not enough (the explicit net); "
                   "what holds is the region factor ||(prod W_i^q)^T (w_y - w_yhat)|| (`region_margin`)",
                   check_margin_chain, _refute_chain_and_mask),
        step_extra(pr, "(15)-(16)", "one label and one prediction per cell, so only cases 1) and 2)",
                   "random one-label cells under the assumption; a mixed cell without it",
                   "every cell holds one label and the classifier is constant on it", check_one_label_cells,
                   refute_mixed_cell),
        step_check(pr, "(17)", "(17) <= max{0, 2(1 - u_min/gamma)}", "random cell assignments, tight variation",
                   check_sum_over_cells, lambda res: _ev(res) + ": even factor 1 holds"),
        step_check(pr, "(18)", "BHC: M sum |N_i/m - mu(C_i)| <= M sqrt((2K log 2 + 2 log(1/eta))/m)", "Monte Carlo",
                   check_bhc_tail, _ev),
        step_false(pr, "last display", "K's term with gamma^k", "evaluate both at gamma != eps", refute_printed_gamma,
                   "yes, with eps^k and the book's cells of diameter eps (`bhc_form`); the proof's own K = C_X^k/eps^k "
                   "gives 2 where the display has 2^(k+1) (`bhc_form_proof`)"),
    ])


def errata_evidence() -> dict[str, Any]:
    """The numbers the errata page pastes for wen2020."""
    mc, b2, rs = refute_margin_chain(), refute_b2_layer_counts(), refute_restricted_sigma()
    return {"wen_mask_sigma_reading": rs["restricted sigma_min product, masked layers"],
            "wen_mask_region_factor": rs["region factor ||(prod W_i^q)^T (w_y - w_yhat)|| / ||w_y - w_yhat||"],
            "wen_mask_lhs": rs["(w_y - w_yhat)^T prod W_i^q (x - x')"], "wen_mask_rhs": rs["reading's lower bound"],
            "wen_chain_min": mc["smallest ratio"], "wen_chain_min_nonzero": mc["smallest nonzero ratio"],
            "wen_chain_frac": mc["fraction of points with ratio < 1"],
            "wen_b2_c10": b2["CIFAR-10 total"], "wen_b2_c100": b2["CIFAR-100 total"],
            "wen_b2_c100g2": b2["count, CIFAR-100 group 2"],
            "wen_b2_implied_sum": (round(b2["CIFAR-10 total"]) - round(b2["count, CIFAR-100 group 1"]))
            * _paper.B2_SUMS["CIFAR-100 group 2"][1],
            "wen_t6_equal": str(table6_matches_table3()["all equal"])}
