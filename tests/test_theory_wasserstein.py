"""Lemma 1 of yi2021: closed forms and the linear program over couplings."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from robustbook.theory import wasserstein as W

GRID = np.linspace(-3, 3, 601)


def test_closed_form_checks_pass():
    forms = W.check_lemma1_quadratic()
    p, r, a, b = sp.symbols("p r a b", positive=True)
    val = forms["gap"].subs({p: sp.Rational(1, 2), a: 1, b: 3, r: sp.Rational(1, 10)})
    assert float(val) > 0
    W.check_lemma1_linear()


def test_a_wrong_identity_is_caught():
    p, r, a, b = sp.symbols("p r a b", positive=True)
    wrong = p * (a + r) ** 2 + (1 - p) * (b + r) ** 2 - (p * a**2 + (1 - p) * b**2 + r**2)  # drops 2 r E|x|
    assert sp.simplify(wrong) != 0


@pytest.mark.parametrize("r", [0.0, 0.1, 0.4, 1.0])
def test_lemma1_lp_equals_pointwise_worst_case(r):
    rng = np.random.default_rng(0)
    atoms, probs = rng.uniform(-1.5, 1.5, 5), rng.dirichlet(np.ones(5))
    loss = lambda z: np.cos(2 * z) + 0.3 * z
    lp = W.worst_case_over_ball(atoms, probs, loss, r, GRID, p=np.inf)
    assert lp == pytest.approx(W.pointwise_worst_case(atoms, probs, loss, r, GRID), abs=1e-9)
    assert W.worst_case_over_ball(atoms, probs, loss, r, GRID, p=2) >= lp - 1e-9


def test_worst_case_is_monotone_in_the_radius():
    vals = [W.worst_case_over_ball([0.0, 1.0], [0.5, 0.5], np.sin, r, GRID, p=2) for r in (0, 0.1, 0.2, 0.5)]
    assert all(a <= b + 1e-12 for a, b in zip(vals, vals[1:]))


def test_bad_inputs():
    with pytest.raises(ValueError, match="probability"):
        W.worst_case_over_ball([0.0], [0.5], np.sin, 0.1, GRID)
    with pytest.raises(ValueError, match="radius"):
        W.worst_case_over_ball([0.0], [1.0], np.sin, -0.1, GRID)
