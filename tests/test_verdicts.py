"""robustbook.verdicts: every rule reaches each of its outcomes; intervals cover; bad input is refused."""
from __future__ import annotations

import numpy as np
import pytest

from robustbook import verdicts as v


@pytest.mark.parametrize("interval, expected, outcome", [
    ((0.05, 0.02, 0.08), 1, v.AGREES),
    ((-0.05, -0.08, -0.02), 1, v.DISAGREES),
    ((0.01, -0.02, 0.04), 1, v.INCONCLUSIVE),
    ((-0.05, -0.08, -0.02), -1, v.AGREES),
    ((0.05, 0.02, 0.08), -1, v.DISAGREES),
])
def test_sign_rule_reaches_each_outcome(interval, expected, outcome):
    assert v.sign_verdict("c", *interval, expected=expected).outcome == outcome


def test_sign_rule_margin_turns_a_small_effect_inconclusive():
    assert v.sign_verdict("c", 0.03, 0.02, 0.04, expected=1, margin=0.05).outcome == v.INCONCLUSIVE


@pytest.mark.parametrize("interval, outcome", [
    ((-1.0, -1.05, -0.95), v.AGREES), ((-0.5, -0.6, -0.4), v.DISAGREES), ((-0.9, -1.0, -0.8), v.INCONCLUSIVE)])
def test_range_rule_reaches_each_outcome(interval, outcome):
    assert v.range_verdict("slope", *interval, -1.1, -0.9).outcome == outcome


def test_bound_rule_reaches_each_outcome_and_needs_a_violated_control():
    assert v.bound_verdict("b", 0.5, 1.0, control_bound=0.1).outcome == v.AGREES
    assert v.bound_verdict("b", 1.5, 1.0, control_bound=0.1).outcome == v.DISAGREES
    # a control that is not violated means the check had no power
    assert v.bound_verdict("b", 0.05, 1.0, control_bound=0.1).outcome == v.INCONCLUSIVE
    assert v.bound_verdict("b", 0.5, 1.0).effect == pytest.approx(0.5)


def test_failed_precondition_is_not_testable_never_disagrees():
    pre = v.at_least("Std loses points", 0.1, 5.0)
    assert not pre.met and "measured 0.1" in pre.text
    out = v.sign_verdict("c", -0.05, -0.08, -0.02, expected=1, precondition=pre)
    assert out.outcome == v.NOT_TESTABLE
    assert v.sign_verdict("c", 0.05, 0.02, 0.08, expected=1,
                          precondition=v.at_most("x", 1, 2)).outcome == v.AGREES


def test_near_chance_is_one_rule():
    assert v.near_chance(0.12, 10) and not v.near_chance(0.2, 10)
    assert v.near_chance(0.52, 2) and not v.near_chance(0.6, 2)
    with pytest.raises(ValueError, match="fraction"):
        v.near_chance(12.0, 10)
    pre = v.trained_above_chance({"Std": 0.97, "AT": 0.1}, 10)
    assert not pre.met and "AT" in pre.text


def test_paired_difference_covers_the_true_effect_and_detects_a_real_one():
    rng = np.random.default_rng(0)
    a = rng.random(2000) < 0.8
    b = rng.random(2000) < 0.7
    eff, lo, hi = v.paired_difference(a, b)
    assert lo < 0.1 < hi and lo > 0
    eff, lo, hi = v.paired_difference(a, a)
    assert eff == lo == hi == 0


def test_seed_and_wilson_intervals():
    m, lo, hi = v.seed_interval([1.0, 2.0, 3.0])
    assert lo < 2.0 < hi and m == 2.0
    with pytest.raises(ValueError, match="3 seeds"):
        v.seed_interval([1.0, 2.0])
    p, lo, hi = v.wilson_interval(50, 100)
    assert p == 0.5 and 0.39 < lo < 0.41 and 0.59 < hi < 0.61
    with pytest.raises(ValueError):
        v.wilson_interval(5, 0)


def test_slope_and_spearman_intervals():
    x = [1, 2, 3, 4]
    rng = np.random.default_rng(1)
    y = -np.array(x)[None, :] + rng.normal(0, 0.1, size=(50, 4))
    s, lo, hi = v.slope_interval(x, y)
    assert lo < -1 < hi or abs(s + 1) < 0.05
    assert v.range_verdict("slope", s, lo, hi, -1.1, -0.9).outcome == v.AGREES
    rho, lo, hi = v.spearman_interval([1, 2, 3, 4, 5, 6], [2, 4, 5, 8, 9, 12])
    assert rho == 1.0 and v.sign_verdict("rho", rho, lo, hi, 1).outcome == v.AGREES
    with pytest.raises(ValueError, match="observations"):
        v.slope_interval(x, np.zeros((3, 3)))


def test_table_has_rule_effect_interval_verdict():
    t = v.table([v.sign_verdict("c", 0.05, 0.02, 0.08, expected=1)])
    assert list(t.columns) == ["claim", "source", "kind", "rule", "threshold_source", "effect", "interval",
                               "precondition", "precondition met", "control", "stability", "verdict", "id", "units",
                               "paper", "this run"]


def test_effect_outside_interval_is_refused():
    with pytest.raises(ValueError, match="outside"):
        v.sign_verdict("c", 1.0, 0.0, 0.5, expected=1)


def test_publish_glues_table_records_and_counts(monkeypatch):
    import json

    import myst_nb

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: glued.__setitem__(name, value))
    claims = [v.sign_verdict("a", 1.0, 0.5, 1.5, 1),
         v.sign_verdict("b", 1.0, 0.5, 1.5, -1, precondition=v.at_least("gap", 0.1, 1.0))]
    frame = v.publish("chap_x", claims)
    assert list(glued["chap_x"]["verdict"]) == [v.AGREES, v.NOT_TESTABLE]
    assert [r["claim"] for r in json.loads(glued["chap_x_records"])] == ["a", "b"]
    assert (glued["chap_x_n"], glued["chap_x_met"], glued["chap_x_agrees"], glued["chap_x_disagrees"],
            glued["chap_x_not_testable_here"]) == (2, 1, 1, 0, 1)
    assert frame.equals(glued["chap_x"])
    with pytest.raises(ValueError, match="invalid verdict key"):
        v.publish("chap-x", claims)
    with pytest.raises(ValueError, match="no verdicts"):
        v.publish("chap_x", [])


def test_check_rule_reaches_each_outcome():
    assert v.check_verdict("c", True, 2, 2).outcome == v.AGREES
    assert v.check_verdict("c", False, 2, 2).outcome == v.DISAGREES
    assert v.check_verdict("c", True, 2, 1).outcome == v.INCONCLUSIVE  # a mutant got through: no power
    assert v.check_verdict("c", True, 0, 0).outcome == v.INCONCLUSIVE
    assert v.check_verdict("c", False, 1, 1, v.Precondition("p", False)).outcome == v.NOT_TESTABLE
    with pytest.raises(ValueError):
        v.check_verdict("c", True, 1, 2)


def test_rank_correlation_is_spearman_with_ties_and_zero_when_constant():
    from scipy.stats import spearmanr

    x, y = [1, 2, 2, 3, 5], [0.1, 0.4, 0.3, 0.3, 0.9]
    assert v.rank_correlation(x, y) == pytest.approx(spearmanr(x, y).statistic)
    assert v.rank_correlation(x, [-v for v in y]) == pytest.approx(-spearmanr(x, y).statistic)
    assert v.rank_correlation(x, [0.5] * 5) == 0.0


def test_render_shows_claim_source_paper_here_and_a_badge_with_how_it_was_judged():
    vv = v  # the verdicts module
    from robustbook.papers.registry import Claim

    c = Claim("bai2024:render-test", "Table 5 (p. 8)", "paper-claim", "fine-tuning keeps W_inf accuracy", "range",
              threshold=(-0.0305, 1.0), threshold_source="paper: Table 5 (PAPER_TABLE5)", units="accuracy")
    verdict = vv.judge(c, -0.01, -0.02, 0.0, label="net-a")
    html = vv.render(vv.table([verdict]))
    assert "[Table 5 (p. 8)]" in html and "in [-3.05, 100] points" in html  # the paper's side in points
    assert "-1.0 points [-2.0, +0.0]" in html and 'class="rb-badge rb-agrees"' in html
    assert "<details><summary>how judged</summary>" in html and "PAPER_TABLE5" in html
    assert "<th></th>" not in html and "dataframe" not in html  # no pandas index
    assert vv.table([verdict])._repr_html_() == html  # what a notebook shows
    unstable = vv.judge(c, -0.01, -0.02, 0.0, alternatives={"seed 1": (-0.2, -0.3, -0.1)})
    assert 'rb-badge rb-inconclusive' in vv.render(vv.table([unstable]))
    assert '<select data-filter="outcome">' in vv.render(vv.table([verdict]), filters=True)
