"""Wasserstein balls around a distribution and Lemma 1 of yi2021 (sympy and linear programming; no torch).

Lemma 1: over the W_inf ball of radius r around P0, the worst expected loss is the expectation under P0
of the pointwise worst loss over the L_inf ball of radius r. This module checks it in closed form
(sympy) and by solving the worst-case problem over couplings as a linear program on a finite support.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import sympy as sp
from scipy.optimize import linprog


def check_lemma1_quadratic() -> dict[str, sp.Expr]:
    """Closed forms for f(x) = x^2 and a two-point P0 in one dimension; asserts the identities used.

    W_inf ball: every atom moves by at most r, so the worst case moves each atom outward by r and
    sup E f = E (|x| + r)^2 (Lemma 1). W_2 ball: only E|delta|^2 <= r^2 is required; by Cauchy-Schwarz
    sup E f = (sqrt(E x^2) + r)^2, attained at delta = r x / sqrt(E x^2). The gap between the two is
    2 r (sqrt(E x^2) - E|x|) >= 0 by Jensen: the W_2 ball is the larger threat.
    """
    p, r = sp.symbols("p r", positive=True)
    a, b = sp.symbols("a b", positive=True)  # atoms at +a (prob p) and -b (prob 1 - p)
    q = 1 - p
    ex2 = p * a**2 + q * b**2
    eabs = p * a + q * b
    pointwise = p * (a + r) ** 2 + q * (b + r) ** 2  # E sup_{|d|<=r} (x + d)^2
    assert sp.simplify(pointwise - (ex2 + 2 * r * eabs + r**2)) == 0
    # W_2: the Cauchy-Schwarz maximiser delta = r x / sqrt(E x^2) has E delta^2 = r^2 and attains the bound
    s = sp.sqrt(ex2)
    attained = p * (a + r * a / s) ** 2 + q * (-b - r * b / s) ** 2
    w2_value = (s + r) ** 2
    assert sp.simplify(sp.expand(attained - w2_value)) == 0
    assert sp.simplify(p * (r * a / s) ** 2 + q * (r * b / s) ** 2 - r**2) == 0
    gap = sp.simplify(w2_value - pointwise)
    assert sp.simplify(gap - 2 * r * (s - eabs)) == 0
    # Jensen: E x^2 - (E|x|)^2 = p q (a - b)^2 >= 0, so the gap is non-negative
    assert sp.simplify(ex2 - eabs**2 - p * q * (a - b) ** 2) == 0
    return {"w_inf_sup": pointwise, "w2_sup": w2_value, "gap": gap}


def check_lemma1_linear() -> sp.Expr:
    """For a linear loss f(x) = c x + e, both balls give E f + |c| r: the threat models agree."""
    c, e, r, m = sp.symbols("c e r m", real=True)
    rr = sp.Symbol("rr", positive=True)
    pointwise = c * m + e + sp.Abs(c) * rr  # E sup_{|d|<=r} (c(x + d) + e), with E x = m
    # W_2 sup: E[c delta] <= |c| sqrt(E delta^2) <= |c| r (Cauchy-Schwarz), equality at delta = r sign(c)
    w2 = c * m + e + sp.Abs(c) * rr
    assert sp.simplify(pointwise - w2) == 0
    return pointwise.subs(rr, r)


def worst_case_over_ball(atoms: np.ndarray, probs: np.ndarray, loss: Callable[[np.ndarray], np.ndarray],
                         radius: float, support: np.ndarray, p: float = np.inf) -> float:
    """max E_P loss over distributions P on `support` with W_p(P0, P) <= radius, P0 = sum probs * atoms.

    Solved exactly as a linear program over couplings pi(i, j) of atom i with support point j:
    row sums equal probs; for p = inf, mass may move only within L_inf distance `radius`;
    for finite p, the transport cost sum pi |x_i - z_j|^p is at most radius^p. One-dimensional points;
    the atoms are added to the support.
    """
    atoms, probs, support = (np.asarray(v, dtype=float) for v in (atoms, probs, support))
    support = np.union1d(support, atoms)  # P0 itself must be a candidate (r = 0)
    if not np.isclose(probs.sum(), 1.0) or (probs < 0).any():
        raise ValueError("probs must be a probability vector")
    if radius < 0:
        raise ValueError(f"invalid radius={radius!r}: must be >= 0")
    n, m = len(atoms), len(support)
    dist = np.abs(atoms[:, None] - support[None, :])
    gain = np.tile(loss(support), n)  # objective coefficient of pi(i, j)
    a_eq = np.kron(np.eye(n), np.ones(m))
    bounds = [(0, None)] * (n * m)
    a_ub = b_ub = None
    if np.isinf(p):
        bounds = [(0, None) if d <= radius + 1e-12 else (0, 0) for d in dist.ravel()]
    else:
        a_ub, b_ub = (dist**p).ravel()[None, :], [radius**p]
    res = linprog(-gain, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=probs, bounds=bounds, method="highs")
    if not res.success:
        raise RuntimeError(f"linear program failed: {res.message}")
    return float(-res.fun)


def pointwise_worst_case(atoms: np.ndarray, probs: np.ndarray, loss: Callable[[np.ndarray], np.ndarray],
                         radius: float, support: np.ndarray) -> float:
    """E_{P0} max_{|z - x| <= radius, z in support} loss(z): the right-hand side of Lemma 1."""
    atoms, probs, support = (np.asarray(v, dtype=float) for v in (atoms, probs, support))
    support = np.union1d(support, atoms)
    vals = loss(support)
    best = [vals[np.abs(support - x) <= radius + 1e-12].max() for x in atoms]
    return float(np.dot(probs, best))
