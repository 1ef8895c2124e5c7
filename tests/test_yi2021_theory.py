"""yi2021 theory: the library pieces around the checks (the checks and their mutants run in test_falsifiable.py)."""
import pytest
import sympy as sp

from robustbook.theory import core
from robustbook.theory import yi2021 as y


def test_refutations_return_their_counterexamples():
    assert y.refute_step18()["W_inf(P0, T#P0)"] > y.refute_step18()["E|x - T(x)|"]
    out = y.refute_step27()
    assert out["E|T-x| (swap)"] > out["W2 (swap)"] and out["E|T-x| (monotone T)"] < out["W2 (monotone T)"]
    assert y.refute_induction_printed()["bound at t = 2"] > y.refute_induction_printed()["a / t"]
    assert sp.simplify(y.refute_47_arithmetic()["derived - printed"] - y.G ** 2 * y.L / y.mu_w ** 2) == 0
    assert y.refute_corollary1_radius()["rebuilt radius"] != pytest.approx(10.0)
    assert y.refute_condition_37()["max error / allowance over 300 random constant sets"] > 1


def test_step_table_verdicts_are_computed():
    df = y.steps_corollary1()
    assert list(df.columns) == ["step", "claim", "how checked", "verdict", "evidence", "theorem survives"]
    assert (df["verdict"] != core.FAILED).all()
    assert df.set_index("step").loc["W2 radius", "verdict"] == core.FALSE


def test_a_failing_check_shows_in_the_table():
    row = core.step_check("p", "s", "c", "h", lambda: y.check_cell_diameter(1.0))
    assert row.verdict == core.FAILED and "apart" in row.evidence


def test_log10_terms_vacuous_and_monotone():
    a = y.log10_bound_terms(0.1, 3.0, 1024, 200.0, 2 / 255, 1437)
    bb = y.log10_bound_terms(0.1, 3.0, 1024, 200.0, 4 / 255, 1437)
    assert a["log10_concentration_term"] > 1e6  # vacuous by millions of orders of magnitude
    assert bb["log10_concentration_term"] < a["log10_concentration_term"]
    assert y.log10_bound_terms(0.1, 1.0, 2, 1.0, 10.0, 10 ** 6)["log10_concentration_term"] < 0


def test_bad_reading_rejected():
    with pytest.raises(ValueError):
        y.covering_exponent(1, "guess")


def test_lemma2_atom_witness_plans_beat_every_map():
    """P0 = delta_0, a tent on [0.5, 1.5], W2 radius 0.5: plans reach 1/4, every map 0 (no maximiser is a map's law)."""
    out = y.refute_lemma2_map()
    assert out["sup over plans (LP)"] == pytest.approx(0.25, abs=1e-9)
    assert out["dual (23)"] == pytest.approx(0.25, abs=1e-9)
    assert out["best map (|t| <= r)"] == 0.0 and out["best map (grid)"] == 0.0
    y.check_lemma2_form("coupling")
    with pytest.raises(AssertionError, match="sup over maps"):
        y.check_lemma2_form("map")
    # the tent within reach of a map: then a map does attain the sup, and the witness stops being one
    with pytest.raises(AssertionError):
        y.refute_lemma2_map(radius=0.5, centre=0.5, half_width=0.5)
    rows = y.steps_theorem2().set_index("step")
    assert rows.loc["statement (some maximiser)", "verdict"] == core.FALSE
