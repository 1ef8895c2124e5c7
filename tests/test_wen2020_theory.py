"""wen2020 theory: the sympy terms of Theorem 3.1 / C.1 and the Lemma 3.1 check; wrong identities are caught."""
import numpy as np
import pytest

from robustbook.theory import wen2020 as w


def test_refutations_return_their_counterexamples():
    mc = w.refute_margin_chain()
    assert mc["smallest ratio"] < 1 and 0 < mc["fraction of points with ratio < 1"] < 1
    b2 = w.refute_b2_layer_counts()
    assert b2["CIFAR-10 total"] == pytest.approx(55, abs=0.01)
    assert b2["count, CIFAR-100 group 1"] == pytest.approx(39, abs=0.01)
    assert w.table6_matches_table3()["all equal"]
    assert w.refute_printed_gamma()["term with eps^k"] > w.refute_printed_gamma()["printed term with gamma^k"]


def test_lemma_3_1_needs_the_regions_and_the_right_segment():
    net = w.ReLUNet.random((6, 16, 16, 4), 0)
    rng = np.random.default_rng(1)
    x, x2 = rng.normal(size=(2, 6))
    assert w.lemma_3_1_residual(net, x, x2) < 1e-9
    assert w.lemma_3_1_residual(net, x, x2, per_region=False) > 1e-6
    assert w.lemma_3_1_residual(net, x, x2, reversed_segment=True) > 1e-6


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


def test_restricted_sigma_reading_is_refuted_by_the_masked_net():
    """Each layer keeps its non-zero singular values at 1, the masked product shrinks the margin to sin(phi)."""
    from robustbook.theory import wen2020 as W

    out = W.refute_restricted_sigma(phi=0.01)
    assert abs(out["restricted sigma_min product, masked layers"] - 1) < 1e-12
    assert abs(out["region factor ||(prod W_i^q)^T (w_y - w_yhat)|| / ||w_y - w_yhat||"] - np.sin(0.01)) < 1e-12
    assert out["(w_y - w_yhat)^T prod W_i^q (x - x')"] < 0.02 * out["reading's lower bound"]
    # the corrected reading holds with equality on the same net, and the old one is rejected there
    assert W.check_region_margin(nets=0).evidence["min u - bound"] > -1e-9
    with pytest.raises(AssertionError):
        W.check_region_margin(W._factor_restricted_masked, nets=0)
