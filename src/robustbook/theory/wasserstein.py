"""Wasserstein distances and worst cases over Wasserstein balls on a finite support, as linear programs.

Generic tools (no paper's claim lives here): the worst expected loss over a W_p ball around a discrete P0,
the pointwise worst case, and the W_inf / W_p distances between two discrete distributions. The checks of
yi2021's Lemma 1 and Theorem 2 built on them live in `robustbook.theory.yi2021`. No torch.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.optimize import linprog


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


def _coupling_feasible(pa: np.ndarray, pb: np.ndarray, allowed: np.ndarray) -> bool:
    """Is there a coupling of pa and pb supported on the pairs where `allowed` is True?"""
    n, m = allowed.shape
    a_eq = np.vstack([np.kron(np.eye(n), np.ones(m)), np.kron(np.ones(n), np.eye(m))])
    bounds = [(0, None) if ok else (0, 0) for ok in allowed.ravel()]
    res = linprog(np.zeros(n * m), A_eq=a_eq, b_eq=np.concatenate([pa, pb]), bounds=bounds, method="highs")
    return bool(res.success)


def _pairwise(xa: np.ndarray, xb: np.ndarray, norm: float) -> np.ndarray:
    xa, xb = np.asarray(xa, float), np.asarray(xb, float)
    xa = xa[:, None] if xa.ndim == 1 else xa
    xb = xb[:, None] if xb.ndim == 1 else xb
    return np.linalg.norm(xa[:, None, :] - xb[None, :, :], ord=norm, axis=-1)


def w_inf_distance(xa: np.ndarray, pa: np.ndarray, xb: np.ndarray, pb: np.ndarray, norm: float = np.inf) -> float:
    """W_inf between two discrete distributions: the least d such that a coupling moves no mass farther than d."""
    pa, pb = np.asarray(pa, float), np.asarray(pb, float)
    if not (np.isclose(pa.sum(), 1) and np.isclose(pb.sum(), 1)):
        raise ValueError("pa and pb must be probability vectors")
    dist = _pairwise(xa, xb, norm)
    cands = np.unique(dist)
    lo, hi = 0, len(cands) - 1
    while lo < hi:  # the smallest candidate distance that admits a coupling
        mid = (lo + hi) // 2
        if _coupling_feasible(pa, pb, dist <= cands[mid] + 1e-12):
            hi = mid
        else:
            lo = mid + 1
    return float(cands[lo])


def w_p_distance(xa: np.ndarray, pa: np.ndarray, xb: np.ndarray, pb: np.ndarray, p: float = 2,
                 norm: float = 2) -> float:
    """W_p between two discrete distributions (optimal transport with cost |x - z|^p, as a linear program)."""
    pa, pb = np.asarray(pa, float), np.asarray(pb, float)
    cost = _pairwise(xa, xb, norm) ** p
    n, m = cost.shape
    a_eq = np.vstack([np.kron(np.eye(n), np.ones(m)), np.kron(np.ones(n), np.eye(m))])
    res = linprog(cost.ravel(), A_eq=a_eq, b_eq=np.concatenate([pa, pb]), bounds=[(0, None)] * (n * m),
                  method="highs")
    if not res.success:
        raise RuntimeError(f"linear program failed: {res.message}")
    return float(max(res.fun, 0.0) ** (1 / p))
