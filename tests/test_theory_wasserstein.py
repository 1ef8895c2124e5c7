"""Finite-support linear programs over Wasserstein balls and distances (robustbook.theory.wasserstein)."""
from __future__ import annotations

import numpy as np
import pytest

from robustbook.theory import wasserstein as W

GRID = np.linspace(-3, 3, 601)


@pytest.mark.parametrize("r", [0.0, 0.1, 0.4, 1.0])
def test_w_inf_lp_equals_pointwise_worst_case(r):
    rng = np.random.default_rng(0)
    atoms, probs = rng.uniform(-1.5, 1.5, 5), rng.dirichlet(np.ones(5))
    loss = lambda z: np.cos(2 * z) + 0.3 * z
    lp = W.worst_case_over_ball(atoms, probs, loss, r, GRID, p=np.inf)
    assert lp == pytest.approx(W.pointwise_worst_case(atoms, probs, loss, r, GRID), abs=1e-9)
    assert W.worst_case_over_ball(atoms, probs, loss, r, GRID, p=2) >= lp - 1e-9


def test_worst_case_is_monotone_in_the_radius():
    vals = [W.worst_case_over_ball([0.0, 1.0], [0.5, 0.5], np.sin, r, GRID, p=2) for r in (0, 0.1, 0.2, 0.5)]
    assert all(a <= b + 1e-12 for a, b in zip(vals, vals[1:]))


def test_distances_closed_forms():
    x, p = np.array([0.0, 1.0]), np.array([0.5, 0.5])
    assert W.w_inf_distance(x, p, x + 0.3, p) == pytest.approx(0.3)
    assert W.w_inf_distance(x, p, np.array([0.5, 1.0]), p) == pytest.approx(0.5)  # a max, not a mean
    assert W.w_p_distance(x, p, np.array([0.0, 2.0]), p) == pytest.approx(np.sqrt(0.5))
    assert W.w_p_distance(x, p, x[::-1], p) == pytest.approx(0.0, abs=1e-9)  # same law
    assert W.w_p_distance(x, p, x + 1, p, p=1) == pytest.approx(1.0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="probability"):
        W.worst_case_over_ball([0.0], [0.5], np.sin, 0.1, GRID)
    with pytest.raises(ValueError, match="radius"):
        W.worst_case_over_ball([0.0], [1.0], np.sin, -0.1, GRID)
    with pytest.raises(ValueError, match="probability"):
        W.w_inf_distance([0.0], [0.5], [0.0], [1.0])
