"""yi2021 (Yi et al., ICML 2021): the OOD bounds (5)-(6), Theorem 3's algebra, Proposition 1, Corollary 1.

Each `check_*` function verifies, with sympy, one step that a proof of the paper relies on and raises
AssertionError when the identity or inequality it is given is wrong. Where a step is wrong as printed,
the check verifies our corrected form and a companion function shows how far the printed one is off;
the corrections are collected on the book's errata page.

Readings (the paper was read from a plain-text extraction):
- the covering number of Thms 1-2 reads (2 d0)^(2D/r^2 + 1) and (2 d0)^(2 eps^2 D/r^2 + 1);
- the high-probability term reads sqrt((N log 2 + 2 log(1/theta)) / n);
- Corollary 1's W2 ball reads B_W2(P0, r/eps0).

Only sympy, mpmath and numpy are used here.
"""
from __future__ import annotations

import math
from typing import Callable

import mpmath
import numpy as np
import sympy as sp

# ---------------------------------------------------------------------------------------------------
# Symbols (all positive)
# ---------------------------------------------------------------------------------------------------
d0, D, r, n, theta, M, eps = sp.symbols("d_0 D r n theta M epsilon", positive=True)
r0 = sp.Symbol("r_0", nonnegative=True)
N = sp.Symbol("N", positive=True)
lam = sp.Symbol("lambda", positive=True)
# Theorem 3
G, L, L11, L12, L21, L22, mu_w, mu_x, T, t, K = sp.symbols(
    "G L L_11 L_12 L_21 L_22 mu_w mu_x T t K", positive=True)
a, b, c = sp.symbols("a b c", positive=True)
j, k = sp.symbols("j k", integer=True, positive=True)
eps0, Delta = sp.symbols("epsilon_0 Delta", positive=True)

READINGS = ("printed", "corrected")


def assert_identity(lhs: sp.Expr, rhs: sp.Expr, what: str) -> None:
    """Raise AssertionError unless lhs - rhs simplifies to zero."""
    diff = sp.simplify(sp.expand_log(sp.expand(lhs - rhs), force=True))
    assert diff == 0, f"{what}: lhs - rhs = {diff} (not an identity)"


def assert_nonnegative(expr: sp.Expr, what: str, subs: dict | None = None) -> None:
    """Raise AssertionError unless sympy proves expr >= 0 (symbols positive) or it is a non-negative number."""
    e = sp.simplify(expr.subs(subs or {}))
    ok = e.is_nonnegative
    if ok is None and e.is_number:
        ok = bool(e >= 0)
    assert ok, f"{what}: cannot show {e} >= 0"


# ---------------------------------------------------------------------------------------------------
# Theorems 1 and 2: the terms of bounds (5) and (6)
# ---------------------------------------------------------------------------------------------------

def covering_exponent(theorem: int = 1, reading: str = "printed") -> sp.Expr:
    """Exponent of 2 d0 in the covering number N of Thm 1 (theorem=1) or Thm 2 (theorem=2)."""
    if reading not in READINGS:
        raise ValueError(f"invalid reading={reading!r}: choose one of {', '.join(READINGS)}")
    scale = 1 if theorem == 1 else eps ** 2
    if theorem not in (1, 2):
        raise ValueError(f"invalid theorem={theorem!r}: 1 or 2")
    if reading == "printed":
        return 2 * scale * D / r ** 2 + 1
    # cells of diameter r (Thm 1; r/eps for Thm 2) need an (r/2)-cover; approximate Caratheodory on the
    # cross-polytope of l1-radius D (2 d0 vertices at l2 distance D from its centre): ceil(D^2/(r/2)^2)
    return 4 * scale * D ** 2 / r ** 2 + 1


def covering_number(theorem: int = 1, reading: str = "printed") -> sp.Expr:
    """N = (2 d0)^exponent, the number of cells of the partition used by the proofs of Thms 1-2."""
    return (2 * d0) ** covering_exponent(theorem, reading)


def concentration_term(cells: sp.Expr = N, reading: str = "printed") -> sp.Expr:
    """sqrt((c N log 2 + 2 log(1/theta)) / n) with c = 1 as printed, c = 2 as Bretagnolle-Huber-Carol gives."""
    factor = 1 if reading == "printed" else 2
    return sp.sqrt((factor * cells * sp.log(2) + 2 * sp.log(1 / theta)) / n)


def bound_theorem1(reading: str = "printed") -> sp.Expr:
    """Right-hand side of (5): eps + M sqrt((N log 2 + 2 log(1/theta)) / n), W_inf ball of radius r0 <= r."""
    return eps + M * concentration_term(covering_number(1, reading), reading)


def bound_theorem2(reading: str = "printed") -> sp.Expr:
    """Right-hand side of (6): (M + 1) eps + M sqrt(...), W_2 ball of radius r0 <= r."""
    return (M + 1) * eps + M * concentration_term(covering_number(2, reading), reading)


def check_remark1() -> None:
    """Remark 1: the bounds do not depend on r0, so they hold at r0 = 0, the in-distribution case."""
    for reading in READINGS:
        for bound in (bound_theorem1(reading), bound_theorem2(reading)):
            assert r0 not in bound.free_symbols, "the bound depends on r0"
            assert_identity(bound.subs(r0, 0), bound, "bound at r0 = 0")


def check_bhc_solution(printed: sp.Expr | None = None) -> sp.Expr:
    """Solve 2^N exp(-n lam^2 / 2) = theta (Prop. A6.6 of van der Vaart & Wellner) for lam; compare with `printed`.

    Returns the solution; raises if `printed` (default: our corrected term) differs from it.
    """
    sol = sp.solve(sp.Eq(N * sp.log(2) - n * lam ** 2 / 2, sp.log(theta)), lam)
    assert len(sol) == 1, sol
    lam_star = sol[0]
    # the tail probability at lam_star is exactly theta
    assert_identity(sp.log(2 ** N * sp.exp(-n * lam_star ** 2 / 2)), sp.log(theta), "tail at solution")
    target = concentration_term(N, "corrected") if printed is None else printed
    assert_identity(lam_star ** 2, target ** 2, "Bretagnolle-Huber-Carol radius")
    return lam_star


def printed_concentration_gap() -> sp.Expr:
    """Squared corrected minus squared printed term: N log 2 / n (> 0, so the printed term is too small)."""
    return sp.simplify(concentration_term(N, "corrected") ** 2 - concentration_term(N, "printed") ** 2)


def check_covering_scale_invariance(reading: str = "corrected") -> None:
    """N must not change when x, D and r are all scaled by the same c (units); raises if it does."""
    cs = sp.Symbol("c", positive=True)
    for thm in (1, 2):
        e = covering_exponent(thm, reading)
        assert_identity(e.subs({D: cs * D, r: cs * r}, simultaneous=True), e, f"exponent of Thm {thm} under scaling")


def check_caratheodory_cover(dim: int = 3, radius: float = 1.0, cell: float = 0.8, samples: int = 4000,
                             seed: int = 0, k_vertices: int | None = None) -> int:
    """Numerically: every point of the l1 ball of radius `radius` lies within `cell` (l2) of an average of
    k = ceil(radius^2 / cell^2) of its 2*dim vertices, so (2 dim)^k points cover it. Returns k.

    `k_vertices` overrides k (a smaller k must fail: the check can fail)."""
    rng = np.random.default_rng(seed)
    kk = math.ceil(radius ** 2 / cell ** 2) if k_vertices is None else k_vertices
    verts = np.concatenate([np.eye(dim), -np.eye(dim)]) * radius
    # all multisets of k vertices (averages)
    idx = np.stack(np.meshgrid(*[np.arange(2 * dim)] * kk, indexing="ij"), -1).reshape(-1, kk)
    centres = verts[idx].mean(1)
    assert len(centres) <= (2 * dim) ** kk
    # uniform points of the l1 ball: Laplace direction, radius U^(1/dim)
    z = rng.laplace(size=(samples, dim))
    z = z / np.abs(z).sum(1, keepdims=True) * rng.uniform(size=(samples, 1)) ** (1 / dim) * radius
    # add the vertices and edge midpoints, the hardest points
    z = np.concatenate([z, verts, (verts[:, None] + verts[None]).reshape(-1, dim) / 2])
    dist = np.sqrt(((z[:, None, :] - centres[None]) ** 2).sum(-1)).min(1)
    assert dist.max() <= cell + 1e-12, f"point at distance {dist.max():.3f} > {cell} from every centre"
    return kk


def derivative_signs(bound: sp.Expr, points: int = 300, seed: int = 0) -> dict[str, int]:
    """Sign (+1/-1) of the derivative of `bound` in r, eps, d0, D, n (d0 >= 1, theta < 1).

    sympy's assumption system decides the sign where it can; otherwise the derivative is evaluated at
    `points` random points (log-uniform over many decades) and must have one sign at all of them.
    """
    kk, q = sp.Symbol("k_d", nonnegative=True), sp.Symbol("q", positive=True)
    sub = {d0: 1 + kk, theta: 1 / (1 + q)}
    rng = np.random.default_rng(seed)
    syms = sorted(bound.subs(sub).free_symbols, key=str)
    out = {}
    for name, s in (("r", r), ("eps", eps), ("d0", d0), ("D", D), ("n", n)):
        dv = sp.diff(bound, s).subs(sub)
        sign = 1 if dv.is_positive else -1 if dv.is_negative else 0
        if sign == 0:
            fn = sp.lambdify(syms, dv, "mpmath")
            vals = []
            for _ in range(points):
                pt = {sym: mpmath.mpf(10) ** rng.uniform(-2, 1) for sym in syms}
                vals.append(fn(*[pt[sym] for sym in syms]))
            if all(v > 0 for v in vals):
                sign = 1
            elif all(v < 0 for v in vals):
                sign = -1
            else:
                raise AssertionError(f"d bound / d {name} changes sign")
        out[name] = sign
    return out


EXPECTED_SIGNS = {"r": -1, "eps": 1, "d0": 1, "D": 1, "n": -1}


def check_observations(expected: dict[str, int] | None = None) -> None:
    """Observations 1-2 below Thm 2: tighter with larger r, smaller eps and larger n; looser with d0 and D."""
    expected = EXPECTED_SIGNS if expected is None else expected
    for reading in READINGS:
        for bound in (bound_theorem1(reading), bound_theorem2(reading)):
            got = derivative_signs(bound)
            for key, want in expected.items():
                assert got[key] == want, f"{reading}: d bound/d {key} has sign {got[key]}, expected {want}"


def log10_bound_terms(eps_value: float, m_value: float, dim: int, diameter: float, radius: float, n_train: int,
                      theta_value: float = 0.05, theorem: int = 1, reading: str = "printed") -> dict[str, float]:
    """log10 of each term of (5) / (6) at measured values (mpmath: the covering number overflows floats)."""
    mp = mpmath.mp
    mp.dps = 30
    scale = 1.0 if theorem == 1 else eps_value ** 2
    if reading == "printed":
        expo = mpmath.mpf(2) * scale * diameter / radius ** 2 + 1
        fac = 1
    else:
        expo = mpmath.mpf(4) * scale * diameter ** 2 / radius ** 2 + 1
        fac = 2
    log10_n_cells = expo * mpmath.log10(2 * dim)
    n_cells = mpmath.power(10, log10_n_cells)
    inside = fac * n_cells * mpmath.log(2) + 2 * mpmath.log(1 / theta_value)
    log10_conc = (mpmath.log10(inside) - mpmath.log10(n_train)) / 2 + mpmath.log10(m_value)
    lead = eps_value if theorem == 1 else (m_value + 1) * eps_value
    return {"log10_robustness_term": float(mpmath.log10(lead)) if lead > 0 else float("-inf"),
            "log10_covering_number": float(log10_n_cells),
            "log10_concentration_term": float(log10_conc),
            "log10_bound": float(mpmath.log10(lead + mpmath.power(10, log10_conc)))}


# ---------------------------------------------------------------------------------------------------
# Theorem 3 (convergence of Algorithm 1)
# ---------------------------------------------------------------------------------------------------

def smoothness_L() -> sp.Expr:
    """L = L11 + L12 L21 / mu_x, the gradient-Lipschitz constant of the adversarial risk (Nouiehed et al.)."""
    return L11 + L12 * L21 / mu_x


def inner_steps(reading: str = "printed", p: str = "linf") -> sp.Expr:
    """The least K of Thm 3 as printed, (L22/mu_x) log(8 T mu_w d0 r^2 / (G L)), or as corrected."""
    if reading == "printed":
        return L22 / mu_x * sp.log(8 * T * mu_w * d0 * r ** 2 / (G * L))
    rad = 2 * sp.sqrt(d0) * r if p == "linf" else 2 * r  # l2 diameter of the l_p ball
    return 2 * L22 / mu_x * sp.log(2 * T * mu_w * L12 * rad / (G * L))


def inner_steps_value(l22: float, mux: float, steps_total: int, muw: float, dim: int, radius: float, g: float,
                      l_const: float, l12: float, p: str = "linf", reading: str = "corrected") -> int:
    """The least integer K that satisfies Thm 3's condition at given constants (at least 1)."""
    subs = {L22: l22, mu_x: mux, T: steps_total, mu_w: muw, d0: dim, r: radius, G: g, L: l_const, L12: l12}
    return max(1, int(math.ceil(float(inner_steps(reading, p).subs(subs)))))


def check_condition_37(reading: str = "printed") -> None:
    """With K from Thm 3 and (1 - mu_x/L22)^K <= exp(-K mu_x/L22), the inner-loop error term of (35) is at
    most eta_w^2 G^2 L / 2 for every t <= T: the ratio (allowed / error) simplifies to T/t."""
    eta = 1 / (mu_w * t)
    contraction = sp.exp(-inner_steps(reading) * mu_x / L22)  # >= (1 - mu_x/L22)^K
    if reading == "printed":
        # (36) as printed: eta * G * (1 - mu_x/L22)^K * 4 d0 r^2 (squared distance, no L12)
        error = eta * G * contraction * 4 * d0 * r ** 2
    else:
        # eta ||grad R|| * ||grad_w f(x*) - grad_w f(x + delta)|| <= eta G L12 ||delta - delta*||
        # <= eta G L12 (1 - mu_x/L22)^(K/2) * 2 sqrt(d0) r     (Lemma 3 bounds the SQUARED distance)
        error = eta * G * L12 * sp.sqrt(contraction) * 2 * sp.sqrt(d0) * r
    allowed = eta ** 2 * G ** 2 * L / 2
    ratio = sp.simplify(sp.powsimp(sp.expand_log(allowed / error, force=True), force=True))
    assert_identity(ratio, T / t, f"condition (37) [{reading}]")


def printed_condition_shortfall() -> sp.Expr:
    """Under the printed K, error/allowed of the CORRECTED inner-loop term (> 1 means (36) fails)."""
    eta = 1 / (mu_w * t)
    error = eta * G * L12 * sp.sqrt(sp.exp(-inner_steps("printed") * mu_x / L22)) * 2 * sp.sqrt(d0) * r
    allowed = eta ** 2 * G ** 2 * L / 2
    return sp.simplify(sp.powsimp(error / allowed, force=True))


def check_product_identity(claimed: sp.Expr | None = None) -> None:
    """(38): prod_{k=j+1}^{t} (1 - 2/k) = (j - 1) j / ((t - 1) t) for 2 <= j <= t."""
    claimed = (j - 1) * j / ((t - 1) * t) if claimed is None else claimed
    tt = sp.Symbol("t", integer=True, positive=True)
    prod = sp.product(1 - 2 / k, (k, j + 1, tt))
    for tv in range(3, 12):
        for jv in range(2, tv + 1):
            got = sp.nsimplify(prod.subs({tt: tv, j: jv}).doit())
            want = claimed.subs({t: tv, j: jv})
            assert sp.simplify(got - want) == 0, f"product at j={jv}, t={tv}: {got} != {want}"
    # and symbolically: ratio of consecutive factors telescopes
    assert_identity(claimed.subs(t, t + 1) / claimed, 1 - 2 / (t + 1), "telescoping step of (38)")


def check_expectation_rate(steps: int = 2000) -> None:
    """(38): a_{t+1} <= (1 - 2/t) a_t + c/t^2 from t = 2 gives a_{t+1} <= c/t (closed form and numbers)."""
    tt = sp.Symbol("t", integer=True, positive=True)
    total = sp.summation((j - 1) / j, (j, 2, tt))  # = sum_j (1/j^2) (j-1) j
    # sum_{j=2}^t (j-1)/j = t - H_t <= t - 1 since H_t >= 1
    assert_identity(total, tt - sp.harmonic(tt), "sum in (38)")
    for tv in (2, 3, 10, 100):
        assert float((total / ((tt - 1) * tt)).subs(tt, tv)) <= 1 / tv + 1e-15
    # numbers: worst case of the recursion with equality, any a_2
    cval, at = 1.0, 1e6
    for tv in range(2, steps):
        at = (1 - 2 / tv) * at + cval / tv ** 2
        assert at <= cval / tv + 1e-12, f"a_{tv + 1} = {at} > c/t"


def _positive_roots(poly: sp.Expr, var: sp.Symbol) -> list[sp.Expr]:
    """Roots of `poly` in `var` that are positive for all positive b, c (tested at random points)."""
    rng = np.random.default_rng(0)
    pts = [{b: float(x), c: float(y)} for x, y in rng.lognormal(0, 1, (20, 2))]
    return [s for s in sp.solve(poly, var) if all(float(s.subs(pt)) > 0 for pt in pts)]


def induction_constants() -> dict[str, sp.Expr]:
    """b and c of (44) with ll = log(log(T/theta))."""
    ll = sp.Symbol("ll", positive=True)
    return {"ll": ll, "b": 8 * G * sp.sqrt(2 * L * ll) / mu_w, "c": (8 * mu_w * G ** 2 * ll + G ** 2 * L) / mu_w ** 2}


def check_induction_printed_algebra() -> dict[str, sp.Expr]:
    """(44)-(47) as printed: the root of a - b sqrt(a/2) - c = 0, the relaxation (46), and the constant
    (b^2 + 4c)/2 it yields. Returns that constant and the printed (47); they differ (see errata)."""
    sa = sp.Symbol("s", positive=True)  # s = sqrt(a)
    root = _positive_roots(sa ** 2 - b * sa / sp.sqrt(2) - c, sa)
    assert len(root) == 1
    assert_identity(root[0], (b + sp.sqrt(b ** 2 + 8 * c)) / (2 * sp.sqrt(2)), "root (45)")
    # (46): ((b + sqrt(b^2 + 8c)) / (2 sqrt 2))^2 <= 2 (2 b^2 + 8 c) / 8 since (x + y)^2 <= 2 x^2 + 2 y^2
    slack = 2 * (2 * b ** 2 + 8 * c) / 8 - root[0] ** 2  # 4 * slack = (b - sqrt(b^2 + 8c))^2 / 2 >= 0
    assert_identity(sp.expand(slack * 4), sp.expand((b - sp.sqrt(b ** 2 + 8 * c)) ** 2) / 2, "slack of (46)")
    cs = induction_constants()
    derived = sp.expand((2 * (2 * b ** 2 + 8 * c) / 8).subs({b: cs["b"], c: cs["c"]}))
    printed = (G ** 2 * cs["ll"] * (64 * L + 16 * mu_w) + G ** 2 * L) / mu_w ** 2
    return {"derived": derived, "printed": printed, "difference": sp.simplify(derived - printed)}


def check_induction_corrected() -> sp.Expr:
    """(44) corrected: the RHS is b sqrt(a/2) / sqrt(t(t-1)) + c/t <= (b sqrt(a) + c)/t for t >= 2, so
    a >= b sqrt(a) + c suffices, i.e. a >= ((b + sqrt(b^2 + 4c))/2)^2, relaxed to b^2 + 2c. Returns it."""
    tt = sp.Symbol("t", positive=True)
    lhs_sum = sp.summation(j - 1, (j, 2, sp.Symbol("t", integer=True, positive=True)))
    assert_identity(lhs_sum, sp.Symbol("t", integer=True, positive=True) * (sp.Symbol("t", integer=True, positive=True) - 1) / 2, "sum (j-1)")
    # sqrt(t/(t-1)) <= sqrt(2) for t >= 2:  2(t-1) - t = t - 2 >= 0
    assert_nonnegative((2 * (tt - 1) - tt).subs(tt, 2 + sp.Symbol("u", nonnegative=True)), "t/(t-1) <= 2")
    sa = sp.Symbol("s", positive=True)
    root = _positive_roots(sa ** 2 - b * sa - c, sa)
    assert_identity(root[0], (b + sp.sqrt(b ** 2 + 4 * c)) / 2, "corrected root")
    assert_identity(sp.expand(b ** 2 + 2 * c - root[0] ** 2), sp.expand((b - sp.sqrt(b ** 2 + 4 * c)) ** 2 / 4),
                    "relaxation b^2 + 2c")
    cs = induction_constants()
    return sp.expand((b ** 2 + 2 * c).subs({b: cs["b"], c: cs["c"]}))


def check_induction_numeric(a_const: Callable[[float, float], float] | None = None, steps: int = 400,
                            trials: int = 200, seed: int = 0) -> None:
    """Numbers: if e_j <= a/(j - 1) for j <= t then b/((t-1)t) sqrt(sum (j-1)^2 e_j) + c/t <= a/t, with
    a = a_const(b, c) (default b^2 + 2c, ours); raises on the first (b, c, t) where the step fails."""
    a_const = (lambda bb, cc: bb ** 2 + 2 * cc) if a_const is None else a_const
    rng = np.random.default_rng(seed)
    for _ in range(trials):
        bb, cc = rng.lognormal(0, 2, 2)
        av = a_const(bb, cc)
        tv = np.arange(2, steps)
        rhs = bb / ((tv - 1) * tv) * np.sqrt(av * tv * (tv - 1) / 2) + cc / tv
        bad = np.nonzero(rhs > av / tv * (1 + 1e-12))[0]
        assert len(bad) == 0, f"induction step fails at b={bb:.3g}, c={cc:.3g}, t={tv[bad[0]]}"


def printed_a(bb: float, cc: float) -> float:
    """The printed sufficient constant a = ((b + sqrt(b^2 + 8c)) / (2 sqrt 2))^2 of (45)."""
    return ((bb + math.sqrt(bb ** 2 + 8 * cc)) / (2 * math.sqrt(2))) ** 2


def theorem3_expectation_bound() -> sp.Expr:
    """(11): G^2 L / (T mu_w^2)."""
    return G ** 2 * L / (T * mu_w ** 2)


def theorem3_probability_bound(th: sp.Expr = theta, reading: str = "printed") -> sp.Expr:
    """(12) as printed, or with the constant our re-derivation of (44)-(47) gives."""
    ll = sp.log(sp.log(T / th))
    if reading == "printed":
        return (G ** 2 * ll * (64 * L + 16 * mu_w) + G ** 2 * L) / (T * mu_w ** 2)
    return (G ** 2 * ll * (128 * L + 16 * mu_w) + 2 * G ** 2 * L) / (T * mu_w ** 2)


# ---------------------------------------------------------------------------------------------------
# Proposition 1 and Corollary 1
# ---------------------------------------------------------------------------------------------------

def check_proposition1(trials: int = 2000, seed: int = 0) -> None:
    """Prop. 1 numerically: for f >= 0 on a finite perturbation set, mean sup|f(x+d) - f(x)| <= 2 R_adv and
    R_clean <= R_adv (the proof's (48)-(50)); raises on a counterexample."""
    rng = np.random.default_rng(seed)
    for _ in range(trials):
        vals = rng.exponential(size=(8, 6))  # 8 samples, 6 perturbations, column 0 = no perturbation
        r_adv = vals.max(1).mean()
        r_clean = vals[:, 0].mean()
        rob = np.abs(vals - vals[:, :1]).max(1).mean()
        assert r_clean <= r_adv + 1e-12 and rob <= 2 * r_adv + 1e-12


def corollary1_rebuilt(p: str = "inf") -> dict[str, sp.Expr]:
    """Corollary 1 rebuilt: Thm 3 at theta/2 gives R_adv <= eps0 + Delta; Prop. 1 gives clean risk <= eps0 + Delta
    and robustness level 2(eps0 + Delta); Thm 1 (p='inf') or Thm 2 (p='2') at theta/2; union bound."""
    delta_t = theorem3_probability_bound(theta / 2, "printed")
    clean = eps0 + delta_t
    level = 2 * (eps0 + delta_t)
    if p == "inf":
        cells = covering_number(1, "printed")
        bound = clean + level + M * concentration_term(cells, "printed").subs(theta, theta / 2)
        return {"bound": bound, "radius": r}
    # Thm 2 with its eps set to the robustness level 2 (eps0 + Delta) in both roles (Markov and robustness):
    # the trained radius r(2) = 2 r / eps0 must equal 2 rho / eps, so rho = r eps / eps0.
    e2 = level
    rho = r * e2 / eps0
    cells = (2 * d0) ** (2 * e2 ** 2 * D / rho ** 2 + 1)
    bound = clean + (M + 1) * e2 + M * concentration_term(cells, "printed").subs(theta, theta / 2)
    return {"bound": bound, "radius": rho}


def corollary1_printed(p: str = "inf") -> dict[str, sp.Expr]:
    """Corollary 1 as printed (with the same concentration-term reading as Thms 1-2)."""
    ll = sp.log(sp.log(2 * T / theta))
    if p == "inf":
        cells = (2 * d0) ** (2 * D / r ** 2 + 1)
        bound = 3 * eps0 + (G ** 2 * ll * (192 * L + 48 * mu_w) + 3 * G ** 2 * L) / (T * mu_w ** 2) + M * sp.sqrt(
            (cells * sp.log(2) + 2 * sp.log(2 / theta)) / n)
        return {"bound": bound, "radius": r}
    cells = (2 * d0) ** (2 * eps0 ** 2 * D / r ** 2 + 1)
    bound = (2 * M + 3) * eps0 + (2 * M + 3) * (G ** 2 * ll * (64 * L + 16 * mu_w) + G ** 2 * L) / (
        T * mu_w ** 2) + M * sp.sqrt((cells * sp.log(2) + 2 * sp.log(2 / theta)) / n)
    return {"bound": bound, "radius": r / eps0}


def check_corollary1(p: str = "inf", printed: sp.Expr | None = None) -> dict[str, sp.Expr]:
    """The printed constants of Corollary 1 equal the rebuilt ones; returns both radii (they may differ)."""
    ours = corollary1_rebuilt(p)
    theirs = corollary1_printed(p) if printed is None else {"bound": printed, "radius": None}
    assert_identity(ours["bound"], theirs["bound"], f"Corollary 1 (W_{p}) constants")
    return {"rebuilt_radius": ours["radius"], "printed_radius": theirs["radius"]}


def corollary1_w2_split_roles() -> sp.Expr:
    """A sharper W2 corollary: Markov with eps0 (radius r), robustness level 2(eps0 + Delta) kept apart."""
    delta_t = theorem3_probability_bound(theta / 2, "printed")
    cells = (2 * d0) ** (2 * eps0 ** 2 * D / r ** 2 + 1)
    return (eps0 + delta_t) + M * eps0 + 2 * (eps0 + delta_t) + M * concentration_term(cells).subs(theta, theta / 2)


def check_all() -> None:
    """Run every check of this module (each raises AssertionError on a wrong identity)."""
    check_remark1()
    check_bhc_solution()
    check_covering_scale_invariance("corrected")
    check_caratheodory_cover()
    check_observations()
    check_condition_37("printed")
    check_condition_37("corrected")
    check_product_identity()
    check_expectation_rate()
    check_induction_printed_algebra()
    check_induction_corrected()
    check_induction_numeric()
    check_proposition1()
    check_corollary1("inf")
    check_corollary1("2")
