"""yi2021 Section 4 (robust pre-training): Theorems 4 and 5, their proofs (App. B.1-B.2) step by step.

Notation. The pre-trained weights w_pre are fixed; f(w_pre, x) is a loss in [0, M]. Pre-training data come
from Q0, fine-tuning data from P0, TV is the total variation distance TV(P0, Q0) = 1/2 sum |p - q|.

* Theorem 4 (W_inf): if sup_{Q in B_Winf(Q0, r)} R_Q(w_pre) <= eps_pre then
  sup_{P in B_Winf(P0, r)} R_P(w_pre) <= eps_pre + 2 M TV                                       (13)
  and, with probability >= 1 - theta over n samples of P0, the empirical adversarial risk is at most
  eps_pre + 2 M TV + M sqrt(log(1/theta) / (2 n))                                                (14).
* Theorem 5 (W_2): if sup over B_W2(Q0, r0) <= eps_pre with r0 = sqrt(2 D^2 TV + r^2), then
  sup_{P in B_W2(P0, r)} R_P(w_pre) <= eps_pre + 2 M TV                                          (15).

Each check below tests one step on exact objects: sympy for algebra, small linear programs over discrete
distributions where the step is an inequality between measures (the LP computes the worst case over all
measures / functions on a finite support, so a false inequality is found, not sampled). Each check takes
the claim as arguments, and `MUTANTS` lists wrong claims (a constant changed, a term dropped, an inequality
reversed) that it must reject. One printed step of Theorem 5's proof is wrong: it takes from Lemma 2 a map T with
T(x) ~ P* for x ~ P0 and applies the same T to Q0; when P0 has atoms no worst case need be the law of a map
(`refute_theorem5_map`, the yi2021 Lemma 2 witness). Theorem 5 survives with a transport plan in place of T: its
kernel carried to Q0 satisfies (55) and the risk step (`theorem5_transplant`). Two steps are loose: for a loss >= 0
the factor 2 in front of TV in (52)-(53) can be 1 (`tightest_constants`), and in Theorem 5 the enlarged radius r0
alone already carries the transfer: with r0^2 >= D^2 TV + r^2 the conclusion holds without the 2 M TV term
(`theorem5_without_tv_term`).

Only numpy, scipy and sympy are used here.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import sympy as sp
from scipy.optimize import linprog

M_, TV_, D_, r_, n_, theta_, t_ = sp.symbols("M TV D r n theta t", positive=True)
TOL = 1e-7


def _record(name: str, claim: str, how: str, detail: str, **values: Any) -> dict[str, Any]:
    return {"check": name, "claim": claim, "how checked": how, "verdict": "holds", "detail": detail, **values}


def _instance(rng: np.random.Generator, k: int, disjoint: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Two random distributions on k atoms (a share `disjoint` of Q0's mass put where P0 has none)."""
    p = rng.dirichlet(np.ones(k) * 0.7)
    q = rng.dirichlet(np.ones(k) * 0.7)
    if disjoint:
        p[: k // 3] = 0
        p /= p.sum()
    return p, q


def structured_instance(t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The worst case of Section 4: P0 and Q0 share mass 1 - t and differ by mass t sent to opposite ends.

    Atoms at 0, 0.5, 1 (diameter D = 1), loss f = (1, 0.3, 0): P0 = t at 0 (where the loss is M = 1),
    Q0 = t at 1 (where it is 0), both 1 - t at 0.5. Returns (atoms, f, p, q); TV(P0, Q0) = t.
    """
    ys = np.array([0.0, 0.5, 1.0])
    return ys, np.array([1.0, 0.3, 0.0]), np.array([t, 1 - t, 0.0]), np.array([0.0, 1 - t, t])


def tv(p: np.ndarray, q: np.ndarray) -> float:
    """Total variation distance of two distributions on the same atoms."""
    return 0.5 * float(np.abs(np.asarray(p) - np.asarray(q)).sum())


# --------------------------------------------------------------------------------- worst cases as LPs
def sup_winf(p: np.ndarray, xs: np.ndarray, ys: np.ndarray, f: np.ndarray, r: float) -> float:
    """sup of E_P f over the W_inf ball of radius r around P = sum p_i delta_{x_i}, P supported on `ys`.

    A coupling pi(i, j) >= 0 with row sums p and pi(i, j) = 0 when |x_i - y_j| > r; maximise sum pi f(y_j).
    """
    k, m = len(xs), len(ys)
    dist = np.abs(xs[:, None] - ys[None, :])
    allowed = (dist <= r + 1e-12).ravel()
    c = -np.tile(f, k)
    a_eq = np.kron(np.eye(k), np.ones(m))
    bounds = [(0, None) if ok else (0, 0) for ok in allowed]
    res = linprog(c, A_eq=a_eq, b_eq=p, bounds=bounds, method="highs")
    assert res.status == 0, res.message
    return -float(res.fun)


def sup_w2(p: np.ndarray, xs: np.ndarray, ys: np.ndarray, f: np.ndarray, r: float) -> float:
    """sup of E_P f over the W_2 ball of radius r around sum p_i delta_{x_i} (couplings with cost <= r^2)."""
    k, m = len(xs), len(ys)
    cost = ((xs[:, None] - ys[None, :]) ** 2).ravel()
    res = linprog(-np.tile(f, k), A_ub=cost[None, :], b_ub=[r * r], A_eq=np.kron(np.eye(k), np.ones(m)), b_eq=p,
                  bounds=[(0, None)] * (k * m), method="highs")
    assert res.status == 0, res.message
    return -float(res.fun)


def worst_mean_gap(p: np.ndarray, q: np.ndarray, m: float) -> float:
    """max over functions 0 <= g <= m of |E_P g - E_Q g| (an LP; its value is m TV)."""
    best = 0.0
    for sign in (1, -1):
        res = linprog(-sign * (p - q), bounds=[(0, m)] * len(p), method="highs")
        best = max(best, -float(res.fun))
    return best


def worst_transport_cost(p: np.ndarray, q: np.ndarray, d2: float, r2: float) -> float:
    """max of E_Q c over costs 0 <= c <= D^2 with E_P c <= r^2 (the step (55) of Theorem 5's proof)."""
    res = linprog(-q, A_ub=p[None, :], b_ub=[r2], bounds=[(0, d2)] * len(p), method="highs")
    assert res.status == 0, res.message
    return -float(res.fun)


def best_classifier_accuracy(p: np.ndarray, q: np.ndarray) -> float:
    """Accuracy of the Bayes classifier telling P from Q with equal priors: 1/2 sum max(p, q)."""
    return 0.5 * float(np.maximum(p, q).sum())


# --------------------------------------------------------------------------------- the checks
def check_winf_lemma1(radius_factor: float = 1.0, trials: int = 15, seed: int = 0) -> dict[str, Any]:
    """(51): sup over B_Winf(P0, r) of E f equals E_P0 sup_{|d| <= r} f(x + d) (the map T_r pushes P0 to P*)."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(trials):
        ys = np.sort(rng.uniform(0, 1, 12))
        xs = ys[rng.choice(12, 5, replace=False)]
        f = rng.uniform(0, 1, 12)
        r = rng.uniform(0.05, 0.3)
        p = rng.dirichlet(np.ones(5))
        lp = sup_winf(p, xs, ys, f, r)
        ball = np.abs(xs[:, None] - ys[None, :]) <= radius_factor * r + 1e-12
        formula = float(p @ np.where(ball, f[None, :], -np.inf).max(1)) if ball.any(1).all() else -np.inf
        worst = max(worst, abs(lp - formula))
    assert worst < 1e-6, f"(51) fails: LP sup and E_P0 sup_|d|<=r f differ by {worst:.3g}"
    return _record("winf_lemma1", "sup_{B_Winf(P0,r)} R = E_P0 sup_{|d|<=r} f(x+d)  (51)",
                   "LP over couplings on a finite support vs the formula, 15 random instances",
                   f"largest difference {worst:.1e}", max_difference=worst)


def check_tv_step(constant: float = 2.0, trials: int = 60, seed: int = 0) -> dict[str, Any]:
    """(52): for 0 <= g <= M, |E_P0 g - E_Q0 g| <= constant * M * TV(P0, Q0) (printed: constant 2)."""
    rng = np.random.default_rng(seed)
    worst_ratio = 0.0
    for i in range(trials):
        p, q = _instance(rng, 8, disjoint=0.5 if i % 2 else 0.0)
        m = rng.uniform(0.5, 3)
        gap = worst_mean_gap(p, q, m)
        worst_ratio = max(worst_ratio, gap / (m * tv(p, q)))
        assert gap <= constant * m * tv(p, q) + TOL, (
            f"(52) with constant {constant} fails: worst |E_P g - E_Q g| = {gap:.4f} > {constant} M TV = "
            f"{constant * m * tv(p, q):.4f}")
    return _record("tv_step", f"|E_P0 g - E_Q0 g| <= {constant:g} M TV for 0 <= g <= M  (52)",
                   "LP over all functions 0 <= g <= M, 60 random pairs (P0, Q0)",
                   f"largest |gap| / (M TV) = {worst_ratio:.4f}: the constant 1 is tight", worst_ratio=worst_ratio)


def check_triangle(sign: int = 1) -> dict[str, Any]:
    """(53): a <= |a - b| + b for all reals (sign=+1); the composition R_P* <= |R_P* - R_Q*| + R_Q*."""
    a, b = sp.symbols("a b", real=True)
    claim = sp.Abs(a - b) + sign * b - a
    # an identity-free check: the claim holds on both branches of |a - b|
    branches = [sp.simplify(claim.subs(sp.Abs(a - b), a - b)), sp.simplify(claim.subs(sp.Abs(a - b), b - a))]
    conds = [a >= b, a < b]
    for br, cond in zip(branches, conds):
        # on a >= b: br must be >= 0 wherever cond holds; test the extreme rays numerically and symbolically
        for av, bv in ((2, 1), (1, 1), (-3, -5), (0, 7), (-2, 3), (5, -5)):
            if bool(cond.subs({a: av, b: bv})):
                assert br.subs({a: av, b: bv}) >= 0, f"(53) fails at a={av}, b={bv}: {br.subs({a: av, b: bv})} < 0"
    return _record("triangle", "R_P* <= |R_P* - R_Q*| + R_Q*  (53)", "sympy, both branches of |a - b|",
                   "holds for all reals")


def check_theorem4(constant: float = 2.0, eps_factor: float = 1.0, trials: int = 30,
                   seed: int = 0) -> dict[str, Any]:
    """(13) end to end: sup_{B_Winf(P0,r)} R <= eps_pre + constant * M * TV with eps_pre the sup around Q0."""
    rng = np.random.default_rng(seed)
    worst = -np.inf
    m = 1.0
    for i in range(trials + 3):
        if i < 3:  # the structured worst case first, then random instances
            ys, f, p, q = structured_instance((0.1, 0.5, 1.0)[i])
            r = 0.1
        else:
            ys = np.sort(rng.uniform(0, 1, 10))
            f = rng.uniform(0, m, 10)
            r = rng.uniform(0.05, 0.3)
            p, q = _instance(rng, 10, disjoint=0.5 if i % 2 else 0.0)
        lhs = sup_winf(p, ys, ys, f, r)
        eps_pre = sup_winf(q, ys, ys, f, r)
        rhs = eps_factor * eps_pre + constant * m * tv(p, q)
        worst = max(worst, (lhs - eps_factor * eps_pre) / (m * tv(p, q)))
        assert lhs <= rhs + TOL, (f"(13) with eps x{eps_factor:g}, {constant:g} M TV fails: sup over P0's ball "
                                  f"{lhs:.4f} > {rhs:.4f}")
    return _record("theorem4", f"sup_{{B_Winf(P0,r)}} R <= eps_pre + {constant:g} M TV  (13)",
                   "LPs over W_inf balls around P0 and Q0: the structured worst case and 30 random instances",
                   f"largest (sup - eps_pre) / (M TV) = {worst:.4f}", worst_ratio=float(worst))


def hoeffding_deviation() -> sp.Expr:
    """The t solving exp(-2 n t^2 / M^2) = theta: Hoeffding's one-sided deviation for losses in [0, M]."""
    sols = sp.solve(sp.Eq(sp.exp(-2 * n_ * t_ ** 2 / M_ ** 2), theta_), t_)
    pos = [s for s in sols if s.is_positive is not False]
    assert pos, "no positive solution"
    return sp.simplify(pos[0])


def check_hoeffding(term: sp.Expr | None = None) -> dict[str, Any]:
    """(14): the deviation term is M sqrt(log(1/theta) / (2 n)) (Hoeffding for i.i.d. losses in [0, M])."""
    term = M_ * sp.sqrt(sp.log(1 / theta_) / (2 * n_)) if term is None else term
    want = hoeffding_deviation()
    th = sp.Symbol("th", positive=True)
    diff = sp.simplify((want - term).subs(theta_, 1 / (1 + th)))  # theta in (0, 1): log(1/theta) > 0
    assert diff == 0, f"(14): the Hoeffding deviation is {want}, not {term}"
    return _record("hoeffding", "deviation term M sqrt(log(1/theta)/(2n))  (14)",
                   "sympy: solve exp(-2 n t^2 / M^2) = theta for t", f"t = {want}")


def check_w2_radius(r0_squared: Callable[[float, float, float], float] | None = None, trials: int = 60,
                    seed: int = 0) -> dict[str, Any]:
    """(55): W2(Q0, T#Q0)^2 <= int |z - T z|^2 dQ0 <= r0^2 = 2 D^2 TV + r^2 given int |z - T z|^2 dP0 <= r^2."""
    r0_squared = r0_squared or (lambda d2, tv_, r2: 2 * d2 * tv_ + r2)
    rng = np.random.default_rng(seed)
    worst_ratio = 0.0
    for i in range(trials):
        p, q = _instance(rng, 8, disjoint=0.5 if i % 2 else 0.0)
        d2 = rng.uniform(0.5, 4)
        r2 = rng.uniform(0.0, 0.5) * d2
        cost = worst_transport_cost(p, q, d2, r2)
        worst_ratio = max(worst_ratio, (cost - r2) / (d2 * tv(p, q)))
        assert cost <= r0_squared(d2, tv(p, q), r2) + TOL, (
            f"(55) fails: E_Q0 |z - Tz|^2 can reach {cost:.4f} > r0^2 = {r0_squared(d2, tv(p, q), r2):.4f}")
    return _record("w2_radius", "r0^2 = 2 D^2 TV + r^2 bounds W2(Q0, T#Q0)^2  (55)",
                   "LP over all costs 0 <= c <= D^2 with E_P0 c <= r^2, 60 random pairs",
                   f"largest (E_Q0 c - r^2) / (D^2 TV) = {worst_ratio:.4f}: 1 D^2 TV suffices",
                   worst_ratio=worst_ratio)


def check_theorem5(constant: float = 2.0, tv_factor: float = 2.0, trials: int = 20, seed: int = 0) -> dict[str, Any]:
    """(15) end to end with W_2 balls: eps_pre taken over B_W2(Q0, r0), r0^2 = tv_factor D^2 TV + r^2.

    With tv_factor >= 1 the TV term is not even needed (constant 0 holds): Q0's extra radius lets its mass
    t that P0 lacks travel (at most D) to wherever P0's worst case sends P0's own extra mass, so Q0's ball
    contains P0's worst-case distribution.
    """
    rng = np.random.default_rng(seed)
    worst = -np.inf
    for i in range(trials + 3):
        if i < 3:
            ys, f, p, q = structured_instance((0.1, 0.5, 1.0)[i])
            r = 0.05
        else:
            ys = np.sort(rng.uniform(0, 1, 8))
            f = rng.uniform(0, 1, 8)
            r = rng.uniform(0.02, 0.2)
            p, q = _instance(rng, 8, disjoint=0.5 if i % 2 else 0.0)
        d = float(ys.max() - ys.min())
        t = tv(p, q)
        lhs = sup_w2(p, ys, ys, f, r)
        eps_pre = sup_w2(q, ys, ys, f, math.sqrt(tv_factor * d * d * t + r * r))
        worst = max(worst, (lhs - eps_pre) / t)
        assert lhs <= eps_pre + constant * t + TOL, (
            f"(15) with r0^2 = {tv_factor:g} D^2 TV + r^2 and {constant:g} M TV fails: {lhs:.4f} > "
            f"{eps_pre + constant * t:.4f}")
    return _record("theorem5", f"sup_{{B_W2(P0,r)}} R <= eps_pre + {constant:g} M TV, r0^2 = {tv_factor:g} D^2 TV + r^2"
                   "  (15)", "LPs over W_2 balls (couplings with cost <= radius^2): structured worst case + 20 random",
                   f"largest (sup - eps_pre) / (M TV) = {worst:.4f}", worst_ratio=float(worst))


def check_theorem5_without_tv_term(tv_factor: float = 1.0, **kw: Any) -> dict[str, Any]:
    """(15) holds with no TV term at all once r0^2 >= D^2 TV + r^2: the radius alone pays for the shift."""
    rec = check_theorem5(0.0, tv_factor, **kw)
    return {**rec, "check": "theorem5_without_tv_term"}


def w2_plan(p: np.ndarray, xs: np.ndarray, ys: np.ndarray, f: np.ndarray, r: float) -> tuple[float, np.ndarray]:
    """The worst case over the W_2 ball around sum p_i delta_{x_i} and an optimal transport plan pi(i, j) reaching it."""
    k, m = len(xs), len(ys)
    cost = ((xs[:, None] - ys[None, :]) ** 2).ravel()
    res = linprog(-np.tile(f, k), A_ub=cost[None, :], b_ub=[r * r], A_eq=np.kron(np.eye(k), np.ones(m)), b_eq=p,
                  bounds=[(0, None)] * (k * m), method="highs")
    assert res.status == 0, res.message
    return -float(res.fun), np.clip(res.x.reshape(k, m), 0, None)


def _transplant_instances(trials: int, seed: int):
    """The atom witness of Lemma 2 (P0 = delta_0, a tent out of every map's reach), the structured worst case and
    random pairs; every P0 here has atoms, as every empirical distribution does."""
    ys = np.round(np.linspace(-1, 2, 31), 10)
    tent = np.maximum(0.0, 1 - np.abs(ys - 1.0) / 0.5)
    p, q = (ys == 0).astype(float), 0.5 * (ys == 0) + 0.5 * (ys == -1)
    out = [(ys, tent, p, q, 0.5, "witness: P0 = delta_0, Q0 = (delta_0 + delta_-1)/2, tent at 1, r = 0.5")]
    for t in (0.1, 0.5):
        out.append((*structured_instance(t), 0.05, f"structured, TV = {t}"))
    rng = np.random.default_rng(seed)
    for i in range(trials):
        ys_ = np.sort(rng.uniform(0, 1, 8))
        p_, q_ = _instance(rng, 8, disjoint=0.5 if i % 2 else 0.0)
        out.append((ys_, rng.uniform(0, 1, 8), p_, q_, rng.uniform(0.02, 0.2), f"random #{i}"))
    return out


def check_theorem5_transplant(form: str = "plan", trials: int = 10, seed: int = 1) -> dict[str, Any]:
    """Theorem 5's proof, (55) and the step after it, with P0's worst case carried over to Q0.

    form='plan' (the repair): take an optimal plan pi of P0's W_2 worst case, its kernel K(. | z) (K(. | z) = delta_z
    where P0 has no mass) and Q* = K applied to Q0; then E_Q0 int |z - y|^2 K(dy | z) <= 2 D^2 TV + r^2 (55) and
    R_P* <= R_Q* + 2 M TV, so the conclusion follows. form='map' is the printed route: Lemma 2 gives a map T with
    T#P0 = P*, so the sup over P0's ball must equal the best value over maps (checked where P0 has <= 2 atoms)."""
    if form not in ("plan", "map"):
        raise ValueError(f"invalid form={form!r}: 'plan' or 'map'")
    from .yi2021 import best_map_value

    worst_cost = worst_risk = -np.inf
    for ys, f, p, q, r, label in _transplant_instances(trials, seed):
        d = float(ys.max() - ys.min())
        t = tv(p, q)
        sup_p, plan = w2_plan(p, ys, ys, f, r)
        if form == "map":
            if (p > 0).sum() <= 2:
                on = p > 0
                best = best_map_value(ys[on], p[on], lambda z: np.interp(z, ys, f), r, ys)
                assert abs(best - sup_p) < 1e-7, (f"{label}: Lemma 2's map gives {best:.4f} < sup over P0's W2 ball "
                                                  f"{sup_p:.4f}: no map pushes P0 to a worst case")
            continue
        kernel = np.where(p[:, None] > 1e-15, plan / np.maximum(p, 1e-300)[:, None], np.eye(len(ys)))
        q_star = q @ kernel
        cost_q = float(q @ (kernel * (ys[:, None] - ys[None, :]) ** 2).sum(1))
        r_q = float(q_star @ f)
        worst_cost = max(worst_cost, cost_q - (2 * d * d * t + r * r))
        worst_risk = max(worst_risk, sup_p - r_q - 2 * t)
        assert cost_q <= 2 * d * d * t + r * r + TOL, f"{label}: (55) fails for the plan: {cost_q:.4f}"
        assert sup_p <= r_q + 2 * t + TOL, f"{label}: R_P* = {sup_p:.4f} > R_Q* + 2 M TV = {r_q + 2 * t:.4f}"
    return _record("theorem5_transplant", f"Theorem 5's proof with P0's worst case carried to Q0 by a {form}",
                   "LP plan of P0's W_2 worst case, its kernel applied to Q0: the atom witness, 2 structured, "
                   f"{trials} random pairs", f"largest (55) excess {worst_cost:.3g}, largest R_P* - R_Q* - 2 M TV "
                   f"{worst_risk:.3g}", worst_risk_excess=float(worst_risk))


def refute_theorem5_map() -> dict[str, Any]:
    """B.2 opens with "by Lemma 2 there is a map T with T(x) ~ P*": with P0 = delta_0 no worst case is such a law."""
    from .yi2021 import refute_lemma2_map

    return refute_lemma2_map()


def tv_lower_bound(accuracy: float) -> float:
    """A lower bound on TV from a classifier telling P from Q on balanced held-out data: 2 acc - 1 (>= 0)."""
    return max(0.0, 2.0 * accuracy - 1.0)


def check_two_sample_bound(factor: float = 1.0, trials: int = 200, seed: int = 0) -> dict[str, Any]:
    """Any classifier's balanced accuracy is <= (1 + TV) / 2, so TV >= factor * (2 acc - 1) with factor 1."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(trials):
        p, q = _instance(rng, 6)
        acc = best_classifier_accuracy(p, q)  # the best any classifier can do
        worst = max(worst, factor * (2 * acc - 1) - tv(p, q))
        assert factor * (2 * acc - 1) <= tv(p, q) + TOL, (
            f"TV >= {factor:g} (2 acc - 1) fails: TV = {tv(p, q):.4f}, bound {factor * (2 * acc - 1):.4f}")
    return _record("two_sample_bound", f"TV(P, Q) >= {factor:g} (2 acc - 1) for balanced accuracy acc",
                   "exact Bayes accuracy on 200 random pairs (the best classifier attains 2 acc - 1 = TV)",
                   f"largest excess {worst:.1e}")


def theorem4_bound(eps_pre: float, m: float, tv_value: float, n: int | None = None, theta: float = 0.05) -> float:
    """The right-hand side of (13), plus the Hoeffding term of (14) when n is given."""
    out = eps_pre + 2 * m * tv_value
    return out + (m * math.sqrt(math.log(1 / theta) / (2 * n)) if n else 0.0)


def theorem5_radius(d: float, tv_value: float, r: float) -> float:
    """r0 = sqrt(2 D^2 TV + r^2): how far around Q0 the pre-trained model must be robust for Theorem 5."""
    return math.sqrt(2 * d * d * tv_value + r * r)


def tightest_constants(seed: int = 0) -> dict[str, float]:
    """The largest ratios the LPs reach: both printed factors 2 in front of TV could be 1 for f >= 0."""
    return {"(52) |gap| / (M TV)": check_tv_step(seed=seed)["worst_ratio"],
            "(55) (E_Q0 c - r^2) / (D^2 TV)": check_w2_radius(seed=seed)["worst_ratio"],
            "(13) (sup - eps_pre) / (M TV)": check_theorem4(seed=seed)["worst_ratio"]}


CHECKS: dict[str, Callable[..., dict[str, Any]]] = {
    "winf_lemma1": check_winf_lemma1,
    "tv_step": check_tv_step,
    "triangle": check_triangle,
    "theorem4": check_theorem4,
    "hoeffding": check_hoeffding,
    "w2_radius": check_w2_radius,
    "theorem5": check_theorem5,
    "theorem5_without_tv_term": check_theorem5_without_tv_term,
    "theorem5_transplant": check_theorem5_transplant,
    "two_sample_bound": check_two_sample_bound,
}

# Wrong variants of each claim, as (what is wrong, keyword arguments of the check): each must be rejected.
MUTANTS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "winf_lemma1": [("no inner sup (radius 0)", {"radius_factor": 0.0}),
                    ("sup over the doubled ball", {"radius_factor": 2.0})],
    "tv_step": [("constant 1/2 instead of 2", {"constant": 0.5})],
    "triangle": [("inequality reversed: R_P* <= |R_P* - R_Q*| - R_Q*", {"sign": -1})],
    "theorem4": [("TV term halved twice (M TV / 2)", {"constant": 0.5}),
                 ("eps_pre dropped", {"eps_factor": 0.0})],
    "hoeffding": [("M dropped", {"term": sp.sqrt(sp.log(1 / theta_) / (2 * n_))}),
                  ("2n replaced by n", {"term": M_ * sp.sqrt(sp.log(1 / theta_) / n_)})],
    "w2_radius": [("TV term dropped: r0 = r", {"r0_squared": lambda d2, tv_, r2: r2}),
                  ("D^2 TV / 2 + r^2", {"r0_squared": lambda d2, tv_, r2: 0.5 * d2 * tv_ + r2})],
    "theorem5": [("no transfer at all: r0 = r and no TV term", {"constant": 0.0, "tv_factor": 0.0})],
    "theorem5_without_tv_term": [("radius too small: r0^2 = D^2 TV / 4 + r^2", {"tv_factor": 0.25})],
    "theorem5_transplant": [("a map T with T#P0 = P* (as printed, via Lemma 2)", {"form": "map"})],
    "two_sample_bound": [("TV >= 2 (2 acc - 1)", {"factor": 2.0})],
}


def run_checks() -> list[dict[str, Any]]:
    """Run every check (each raises AssertionError on failure); return their records."""
    return [check() for check in CHECKS.values()]


def run_mutants() -> list[dict[str, Any]]:
    """Run every mutant; a row per mutant saying whether its check rejected it (all must be rejected)."""
    rows = []
    for name, variants in MUTANTS.items():
        for what, kwargs in variants:
            try:
                CHECKS[name](**kwargs)
                rejected, why = False, "accepted (the check has no power against it)"
            except AssertionError as err:
                rejected, why = True, str(err).splitlines()[0][:140]
            rows.append({"check": name, "mutant": what, "rejected": rejected, "message": why})
    return rows
