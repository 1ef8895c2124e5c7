"""yi2021 theory: every check passes, and deliberately wrong identities / printed slips are caught."""
import pytest
import sympy as sp

from robustbook.theory import yi2021 as y


def test_all_checks_pass():
    y.check_all()


def test_printed_concentration_term_is_not_the_bhc_solution():
    # the printed sqrt((N log 2 + 2 log(1/theta)) / n) misses the factor 2 in front of N log 2
    with pytest.raises(AssertionError):
        y.check_bhc_solution(y.concentration_term(y.N, "printed"))
    assert sp.simplify(y.printed_concentration_gap() - y.N * sp.log(2) / y.n) == 0


def test_printed_covering_exponent_is_not_scale_invariant():
    with pytest.raises(AssertionError):
        y.check_covering_scale_invariance("printed")


def test_caratheodory_cover_with_too_few_vertices_fails():
    # cells of radius 0.8 on the unit l1 ball need averages of k = 2 vertices; k = 1 (the vertices) is not a cover
    assert y.check_caratheodory_cover(cell=0.8) == 2
    with pytest.raises(AssertionError):
        y.check_caratheodory_cover(cell=0.8, k_vertices=1)  # centres = the vertices: the origin is 1 away


def test_wrong_monotonicity_claim_is_caught():
    with pytest.raises(AssertionError):
        y.check_observations({"r": +1})  # "looser with larger r" is false
    with pytest.raises(AssertionError):
        y.check_observations({"n": +1})


def test_wrong_product_identity_is_caught():
    with pytest.raises(AssertionError):
        y.check_product_identity((y.j - 1) / ((y.t - 1) * y.t))


def test_printed_induction_constant_differs_from_its_own_algebra():
    out = y.check_induction_printed_algebra()
    assert sp.simplify(out["difference"] - y.G ** 2 * y.L / y.mu_w ** 2) == 0


def test_printed_induction_step_fails_numerically_and_ours_holds():
    y.check_induction_numeric()  # a = b^2 + 2c
    with pytest.raises(AssertionError):
        y.check_induction_numeric(y.printed_a)  # the root of a - b sqrt(a/2) - c = 0 is too small at t = 2


def test_printed_inner_steps_do_not_control_the_corrected_term():
    short = y.printed_condition_shortfall()
    # error / allowed grows like sqrt(T) at t = T: > 1 for large T whatever the constants
    val = short.subs({y.t: y.T, y.L12: 1, y.mu_w: 1, y.G: 1, y.L: 1}).subs(y.T, 10 ** 4)
    assert float(val) > 1


def test_wrong_corollary_constant_is_caught():
    wrong = y.corollary1_printed("inf")["bound"] - y.eps0  # 2 eps0 instead of 3 eps0
    with pytest.raises(AssertionError):
        y.check_corollary1("inf", wrong)


def test_corollary_w2_radius_differs_from_printed():
    radii = y.check_corollary1("2")
    ratio = sp.simplify(radii["rebuilt_radius"] / radii["printed_radius"])
    assert ratio.has(y.eps0) and ratio.has(y.T)


def test_log10_terms_vacuous_and_monotone():
    a = y.log10_bound_terms(0.1, 3.0, 1024, 200.0, 2 / 255, 1437)
    bb = y.log10_bound_terms(0.1, 3.0, 1024, 200.0, 4 / 255, 1437)
    assert a["log10_concentration_term"] > 1e6  # vacuous by millions of orders of magnitude
    assert bb["log10_concentration_term"] < a["log10_concentration_term"]
    small = y.log10_bound_terms(0.1, 1.0, 2, 1.0, 10.0, 10 ** 6)
    assert small["log10_concentration_term"] < 0


def test_bad_reading_rejected():
    with pytest.raises(ValueError):
        y.covering_exponent(1, "guess")
