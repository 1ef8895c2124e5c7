"""wen2020 theory: the sympy terms of Theorem 3.1 / C.1 and the Lemma 3.1 check; wrong identities are caught."""
import numpy as np
import pytest
import sympy as sp

from robustbook.theory import wen2020 as w


def test_all_checks_pass():
    w.check_all()


def test_bhc_with_gamma_in_place_of_eps_is_caught():
    printed = sp.sqrt(sp.log(2) * 2 ** (w.k + 1) * w.C_X ** w.k / (w.gamma ** w.k * w.m)
                      + 2 * sp.log(1 / w.eta) / w.m)
    with pytest.raises(AssertionError):
        w.check_bhc_form(printed)


def test_bhc_without_the_factor_two_cover_is_caught():
    # K = (C_X/eps)^k (radius-eps balls) gives 2^1, not 2^(k+1): a different expression
    printed = sp.sqrt(sp.log(2) * 2 * w.C_X ** w.k / (w.eps ** w.k * w.m) + 2 * sp.log(1 / w.eta) / w.m)
    with pytest.raises(AssertionError):
        w.check_bhc_form(printed)


def test_wrong_ramp_variation_is_caught():
    # dropping the max{0, .} makes the claimed bound negative for u_min > gamma: eq. (8) then fails
    with pytest.raises(AssertionError):
        w.check_ramp_variation(1 - w.u_min / w.gamma - sp.Rational(1, 10))


def test_margin_chain_stronger_claim_is_caught():
    with pytest.raises(AssertionError):
        w.check_margin_chain(claimed_factor=50.0)


def test_lemma_3_1_exact_and_single_jacobian_is_wrong():
    assert w.check_lemma_3_1() >= 2
    with pytest.raises(AssertionError):
        w.check_lemma_3_1(per_region=False)


def test_segment_regions_tile_the_segment():
    net = w.ReLUNet.random((4, 12, 3), seed=2)
    x, x2 = np.zeros(4), np.ones(4) * 3
    regs = w.segment_regions(net, x, x2)
    assert regs[0][0] == 0.0 and regs[-1][1] == 1.0
    for (s, e, _), (s2, _, _) in zip(regs, regs[1:]):
        assert e == s2 and e > s
    # a linear network has one region
    lin = w.ReLUNet([np.eye(4)], [np.zeros(4)])
    assert len(w.segment_regions(lin, x, x2)) == 1


def test_evaluate_bound_monotone():
    a = w.evaluate_bound(0.5, 1.0, 1.0, 0.1, 5, 1000)
    b = w.evaluate_bound(0.5, 1.0, 1.0, 0.2, 5, 1000)
    assert b["bhc_term"] < a["bhc_term"]
    assert w.evaluate_bound(2.0, 1.0, 1.0, 0.1, 5, 1000)["ramp_term"] == 0.0
    # agrees with the sympy expression
    expr = w.theorem_3_1_bound()
    val = float(expr.subs({w.u_min: 0.5, w.gamma: 1.0, w.C_X: 1.0, w.eps: 0.1, w.k: 5, w.m: 1000, w.eta: 0.05}))
    assert abs(val - a["bound"]) < 1e-9 * val
