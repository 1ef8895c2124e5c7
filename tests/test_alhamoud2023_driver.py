"""Domain-generalization helpers of the alhamoud2023 chapter: LODO splits, Frechet distance closed forms,
certified-accuracy curves and envelopes, correlation summary, the DomainBed loader's offline error."""
import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import TensorDataset

from robustbook.experiments import alhamoud2023 as dg
from robustbook.papers import alhamoud2023 as paper
from robustbook.data import DataUnavailableError
from robustbook.data.domainbed import domainbed
from robustbook.evaluate.frechet import frechet_distance


def _domains():
    return {a: TensorDataset(torch.full((10, 1, 4, 4), float(a)), torch.arange(10) % 3) for a in (0, 15, 30)}


def test_lodo_split_sizes_and_disjointness():
    s = dg.lodo(_domains(), 15, holdout_fraction=0.2, seed=0)
    assert s.sources == (0, 30)
    assert len(s.train) == 16 and len(s.source_val) == 4 and len(s.target_test) == 10
    values = {float(s.train[i][0][0, 0, 0]) for i in range(len(s.train))}
    assert values == {0.0, 30.0}  # the target never leaks into training
    with pytest.raises(ValueError, match="target"):
        dg.lodo(_domains(), 45)


def test_frechet_closed_forms():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((20000, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shift = np.array([1.0, -2.0, 0.5])
    assert frechet_distance(a, a + shift) == pytest.approx(float(shift @ shift), rel=1e-6)
    # independent coordinates: sum (s_a - s_b)^2 for standard deviations, up to sampling error
    b = rng.standard_normal((20000, 3)) * np.array([2.0, 1.0, 3.0])
    assert frechet_distance(a, b) == pytest.approx(1.0 + 0.0 + 4.0, abs=0.15)
    with pytest.raises(ValueError):
        frechet_distance(a, a[:, :2])


def test_curves_envelope_and_acr():
    t = pd.DataFrame({"kind": "pixel", "domain": "source", "sigma": [0.25] * 3 + [0.5] * 3,
                      "radius": [0.1, 0.3, 0.0, 0.6, 0.0, 0.0],
                      "correct": [True, True, False, True, False, False],
                      "prediction": [1, 1, -1, 1, 2, -1]})
    curves = dg.ca_curves(t, [0.0, 0.2, 0.5])
    by = curves.set_index(["sigma", "radius"])["certified_accuracy"]
    assert by[(0.25, 0.0)] == pytest.approx(2 / 3) and by[(0.25, 0.2)] == pytest.approx(1 / 3)
    assert by[(0.5, 0.5)] == pytest.approx(1 / 3) and by[(0.25, 0.5)] == 0
    env = dg.envelope(curves).set_index("radius")["certified_accuracy"]
    assert env[0.0] == pytest.approx(2 / 3) and env[0.5] == pytest.approx(1 / 3)
    acr = dg.acr_table(t).set_index("sigma")
    assert acr.loc[0.25, "acr"] == pytest.approx(0.4 / 3) and acr.loc[0.5, "abstain"] == pytest.approx(1 / 3)


def test_correlation_summary():
    x = np.arange(8.0)
    c = dg.correlation(x, 2 * x + 1, n_boot=200)
    assert c["pearson_r"] == pytest.approx(1.0) and c["spearman_rho"] == pytest.approx(1.0)
    assert c["pearson_lo"] <= c["pearson_r"] <= c["pearson_hi"]
    c = dg.correlation(x, -x, n_boot=200)
    assert c["spearman_rho"] == pytest.approx(-1.0)


def test_domainbed_offline_error(tmp_path):
    with pytest.raises(DataUnavailableError, match="PACS"):
        domainbed("PACS", root=tmp_path)
    with pytest.raises(ValueError, match="DomainBed"):
        domainbed("MNIST", root=tmp_path)


def test_frechet_pca_projection():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((5000, 6))
    b = a + np.array([3.0, 0, 0, 0, 0, 0])  # the shift lies on the top principal axis of the union
    assert frechet_distance(a, b, pca_dim=1) == pytest.approx(9.0, rel=0.02)
    assert frechet_distance(a, b, pca_dim=6) == pytest.approx(frechet_distance(a, b), rel=1e-6)
    with pytest.raises(ValueError, match="pca_dim"):
        frechet_distance(a, b, pca_dim=7)


def test_driver_recipes_select_on_held_out_sources_and_settings_are_per_profile():
    from robustbook.experiments.common import pick

    s = dg.certified_settings("smoke")
    r = dg.smoothing_recipe(s, 75, "rotation", 0.3)
    assert r.holdout_domain == 75 and r.selection == "source_val" and r.train.noise_sigma == 0.3
    assert r.train.objective == "smooth_rotation_gaussian"
    e = dg.empirical_settings("cpu")
    assert dg.adversarial_config(e, eps=0).objective == "standard"
    assert dg.adversarial_config(e, eps=8 / 255).steps == e.train_steps
    assert pick(dg.EMPIRICAL, "smoke", epochs=None) == dg.EMPIRICAL["smoke"]  # None keeps the profile's value
    with pytest.raises(ValueError, match="no_such_knob"):
        dg.empirical_settings("smoke", no_such_knob=1)


# ---------------------------------------------------------------------------------------------- verdict rules
from robustbook import verdicts as V  # noqa: E402

OK = V.Precondition("met", True, "above chance")
SHIFT = V.Precondition("domains differ", True, "effect in reference")
GATES = [OK, SHIFT]  # what task_gates returns when both hold


def _bits(p: float, n: int = 400, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(n) < p


def test_paper_numbers_come_from_the_transcription():
    assert dg.paper_range("robust_gain") == (30.17, 48.03)  # not "33 to 53" (issue 13)
    assert dg.paper_range("q1") == (-5.43, -0.23)
    assert dg.q1_claim("camelyon17").endswith("q1-camelyon-robust-better")
    assert dg.q1_claim("PACS").endswith("q1-robust-not-better")


def test_q4_threshold_claim_is_the_papers_printed_drop():
    """Q4 is judged against the paper's own number (the ACR drops 'by around 6% only', Q4_PIXEL_ACR_DROP), not a
    book constant looser than the drop the paper calls concerning; deformations read the same threshold; it is
    gated on points per domain, and another sigma is its registered alternative."""
    from robustbook.papers import registry

    concerning = 1 - paper.CAMELYON_DROP_FACTOR * paper.Q4_PIXEL_ACR_DROP
    for name in ("q4-pixel-acr-kept", "q4-deformation-acr-kept"):
        c = registry.claim("alhamoud2023:" + name)
        assert c.threshold[0] == pytest.approx(1 - paper.Q4_PIXEL_ACR_DROP) and c.threshold[0] > concerning
        assert c.threshold_source.startswith("paper:") and "Q4_PIXEL_ACR_DROP" in c.threshold_source
        assert "REFERENCE_SHARE" not in c.threshold_source
        assert "sample size" in c.preconditions and "sigma" in c.alternatives
    assert registry.claim("alhamoud2023:q4-deformation-acr-kept").kind == "book-reading"
    assert registry.claim("alhamoud2023:q2-robustness-drops").kind == "demonstration"  # holds nearly by construction
    assert registry.claim("alhamoud2023:a3-trades-generalizes-worse").kind == "book-reading"
    assert registry.claim("alhamoud2023:q5-capacity-surrogate").kind == "demonstration"  # capacity, not Q5
    assert "two-hidden-layer" in registry.claim("alhamoud2023:q5-capacity-surrogate").statement
    assert dg.q5_claim(dg.CERTIFIED["cpu"]).endswith("q5-capacity-surrogate")
    assert dg.q5_claim(dg.CERTIFIED["gpu"]).endswith("q5-stronger-backbone")
    assert not hasattr(dg, "Q4_KEEP") and not hasattr(dg, "Q6_NULL") and not hasattr(dg, "Q2_MIN_RHO")


def test_gpu_reaches_every_data_set_of_the_paper():
    names = [d for d, _ in dg.EMPIRICAL["gpu"].tasks]
    assert set(paper.TABLE2) == set(names) and "camelyon17" in names
    assert {d for d, _ in dg.EMPIRICAL["cpu"].tasks} == {"rotated_digits", "photo_digits"}


def test_q1_reaches_each_outcome_and_respects_its_precondition():
    std = _bits(0.8)
    worse = std & _bits(0.8, seed=1)  # robust loses about 16 points
    better = std | _bits(0.5, seed=2)
    assert dg.q1_verdict("t", std, worse, GATES).outcome == V.AGREES
    assert dg.q1_verdict("t", std, better, GATES).outcome == V.DISAGREES
    assert dg.q1_verdict("t", std, std, GATES).outcome == V.INCONCLUSIVE
    assert dg.q1_verdict("t", std, better, GATES, "camelyon17").outcome == V.AGREES  # Camelyon17's sign
    no_shift = dg.domain_shift(_bits(0.8), _bits(0.8, seed=5))
    assert no_shift.kind == "effect in reference" and not no_shift.met
    assert dg.domain_shift(_bits(0.8), _bits(0.5, seed=5)).met
    assert dg.q1_verdict("t", std, better, [OK, no_shift]).outcome == V.NOT_TESTABLE
    with pytest.raises(ValueError, match="declares preconditions"):
        dg.q1_verdict("t", std, better, [OK])  # a declared gate left out


def _matrices(src_acc, tgt_acc, n=300):
    rng = np.random.default_rng(0)
    return (rng.random((*np.shape(src_acc), n)) < np.asarray(src_acc)[..., None],
            rng.random((*np.shape(tgt_acc), n)) < np.asarray(tgt_acc)[..., None])


def test_q2_claim_ranks_models_within_columns_and_rejects_a_pooled_artefact():
    # five models x three attack columns; accuracy falls along eval eps on both domains
    src_acc = np.array([[0.55, 0.35, 0.15], [0.65, 0.45, 0.25], [0.75, 0.55, 0.35], [0.85, 0.65, 0.45],
                        [0.95, 0.75, 0.55]])
    cells = np.ones((5, 3), bool)
    src, tgt = _matrices(src_acc, src_acc - 0.05)  # same model order on the target
    assert dg.q2_rank_verdict("t", src, tgt, cells, GATES).outcome == V.AGREES
    # planted artefact: the target keeps the eval-eps axis but shuffles the models within each column
    shuffled = np.stack([src_acc[[2, 0, 4, 3, 1], 0], src_acc[[1, 3, 0, 4, 2], 1], src_acc[[3, 1, 2, 0, 4], 2]],
                        1) - 0.05
    pooled = V.rank_correlation(src_acc.ravel(), shuffled.ravel())
    assert pooled > 0.5  # the old pooled statistic "agrees" on it
    _, tgt_sh = _matrices(src_acc, shuffled)
    assert dg.q2_rank_verdict("t", src, tgt_sh, cells, GATES).outcome != V.AGREES
    mean, share = dg.shuffled_rank_control(src_acc, src_acc, cells, n=2000)
    assert abs(mean) < 0.1 and share == pytest.approx(1 / 120, abs=0.01)  # 5 models: a perfect match 1 in 5!
    _, tgt_rev = _matrices(src_acc, src_acc[::-1])
    assert dg.q2_rank_verdict("t", src, tgt_rev, cells, GATES).outcome == V.DISAGREES
    # four models (the paper's grid): the columns are not independent, so a perfect match is 1 in 4! = 24, not
    # 1 in 24 ** 3: the control permutes models jointly, and the gate counts models (MIN_RANK_POINTS)
    four = cells.copy()
    four[4] = False
    assert dg.models_ranked(four) == 4 < V.MIN_RANK_POINTS <= dg.models_ranked(cells)
    _, share4 = dg.shuffled_rank_control(src_acc, src_acc, four, n=2000)
    assert share4 == pytest.approx(1 / 24, abs=0.015) and share4 > (1 - V.LEVEL) / 2
    v4 = dg.q2_rank_verdict("t", src, tgt, four, GATES)
    assert v4.outcome == V.NOT_TESTABLE and "models ranked" in v4.precondition.text
    assert dg.q2_drop_verdict("t", src[1, 1], tgt[1, 1], GATES).kind == "demonstration"
    broken = np.column_stack([src_acc, np.zeros(5)])  # a column where every model is broken orders nothing
    assert dg.within_column_rank(broken, broken, np.ones((5, 4), bool)) == pytest.approx(1.0)


def test_q3_claims_are_paired_and_read_at_the_papers_radius():
    eps = (0, 8 / 255, 16 / 255, 32 / 255)
    assert dg.q3_eps(eps) == 16 / 255 and dg.q3_eps((0, 8 / 255, 32 / 255)) == 8 / 255
    m = np.array([[0.9, 0.3, 0.05, 0.02], [0.85, 0.6, 0.3, 0.05], [0.8, 0.6, 0.5, 0.06], [0.7, 0.5, 0.4, 0.08]])
    _, t = _matrices(m, m)
    gain, cost = dg.q3_verdicts("t", eps, t, GATES)
    assert gain.outcome == V.AGREES and cost.outcome == V.AGREES and "16/255" in gain.claim
    bad = m.copy()
    bad[2, 2], bad[-1, 0] = 0.01, 0.99  # no gain at 16/255, a clean gain at the largest eps
    _, tb = _matrices(bad, bad)
    gain, cost = dg.q3_verdicts("t", eps, tb, GATES)
    assert gain.outcome == V.DISAGREES and cost.outcome == V.DISAGREES
    assert dg.lambda_pair((0.0, 0.5, 0.9)) == (0.5, 0.9) and dg.lambda_pair((0.0, 0.1, 0.9)) == (0.1, 0.9)
    with pytest.raises(ValueError, match="above 0"):
        dg.lambda_pair((0.0, 0.9))


def test_above_chance_reads_every_split():
    ok = dg.above_chance({"m": {"source": 0.9, "target": 0.8}}, 10)
    assert ok.met and ok.kind == "above chance"
    bad = dg.above_chance({"m": {"source": 0.9, "target": 0.12}}, 10)  # the target at chance
    assert not bad.met and "m on target" in bad.text


def test_trades_verdict_compares_like_with_like():
    acc = np.array([[0.6, 0.5], [0.5, 0.4]])
    src, tgt_good = _matrices(acc, acc * 0.95)
    _, tgt_bad = _matrices(acc, acc * 0.5)
    assert dg.trades_verdict(src, tgt_good, src, tgt_bad, [OK]).outcome == V.AGREES
    assert dg.trades_verdict(src, tgt_bad, src, tgt_good, [OK]).outcome == V.DISAGREES
    assert dg.robustness_ratio(src, src) == pytest.approx(1.0)


def _certs(correct: np.ndarray, radius: float) -> pd.DataFrame:
    return pd.DataFrame({"correct": correct, "radius": np.where(correct, radius, 0.0)})


def _q4(kind, src, tgt, alts=None):
    return dg.q4_verdict(kind, 0.25, src, tgt, [*GATES, dg.points_gate(src, tgt)], alts)


def test_q4_can_disagree_and_q5_q6_reach_their_outcomes():
    src = _certs(_bits(0.8), 0.5)
    assert _q4("pixel", src, _certs(src["correct"].to_numpy(), 0.55)).outcome == V.AGREES  # keeps 110 %
    assert _q4("pixel", src, _certs(_bits(0.8, seed=3), 0.1)).outcome == V.DISAGREES  # keeps ~20 %
    v = _q4("scaling", src, _certs(_bits(0.8, seed=3), 0.3))  # keeps ~60 %: more than half, far below 94 %
    assert v.claim_id.endswith("q4-deformation-acr-kept") and v.outcome == V.DISAGREES
    assert v.claim.startswith("scaling:")  # the label names the perturbation, not the data-chosen sigma
    small = _q4("pixel", _certs(_bits(0.8)[:50], 0.5), _certs(_bits(0.8, seed=3)[:50], 0.45))
    assert small.outcome == V.NOT_TESTABLE and "certified points" in small.precondition.text  # 50 points: under MIN_SAMPLE
    flipped = _q4("pixel", src, _certs(src["correct"].to_numpy(), 0.55),
                  {"sigma 0.5": (src, _certs(_bits(0.8, seed=3), 0.1))})
    assert V.outcome_of(flipped.outcome) == V.INCONCLUSIVE and "sigma 0.5" in flipped.outcome
    weak, strong = _certs(_bits(0.5), 0.2), _certs(_bits(0.5), 0.6)
    assert dg.q5_verdict("rotation", weak, strong, ("a", "b"), [OK]).outcome == V.AGREES
    assert dg.q5_verdict("rotation", strong, weak, ("a", "b"), [OK]).outcome == V.DISAGREES
    assert dg.q5_verdict("rotation", weak, strong, ("a", "b"), [OK],
                         claim=dg.q5_claim(dg.CERTIFIED["cpu"])).kind == "demonstration"


def test_q6_claim_power_gate_makes_agree_reachable_or_says_not_testable():
    x = np.arange(40.0)
    assert dg.q6_verdict("scaling", x, x, [OK]).outcome == V.DISAGREES  # a perfect predictor refutes "not predictive"
    noise = np.random.default_rng(0).permutation(40)
    assert dg.q6_verdict("scaling", x, noise, [OK]).outcome == V.AGREES  # reachable at 40 targets
    six = dg.q6_verdict("scaling", x[:6], x[:6], [OK])  # cpu's six targets: the interval cannot fit the range
    assert six.outcome == V.NOT_TESTABLE and "width" in six.precondition.text
    assert dg.null_rank_width(6) > 1.0 > dg.null_rank_width(40)
    assert dg.q6_verdict("scaling", x[:4], x[:4], [OK]).outcome == V.NOT_TESTABLE  # PACS's four targets


def test_radius_cap_and_capped_share():
    assert dg.radius_cap(1.0, 500, 0.001) == pytest.approx(2.205, abs=1e-3)
    assert dg.radius_cap(0.5, 100_000, 0.001) == pytest.approx(0.5 * 3.811, abs=1e-3)
    cap = dg.radius_cap(0.25, 500, 0.001)
    t = pd.DataFrame({"correct": [True, True, False, True], "radius": [cap, 0.1, cap, cap * 0.9]})
    assert dg.capped_share(t, 0.25, 500, 0.001) == pytest.approx(0.25)  # a wrong point at the cap does not count


def _verdict(outcome, this_run, stability="1 training seed"):
    return V.Verdict("c: s", "r", 5.0, 4.0, 10.7, outcome, None, "alhamoud2023:x", stability=stability,
                     this_run=this_run)


def test_explain_follows_this_run_and_stability():
    one_seed = _verdict(f"{V.INCONCLUSIVE} (one seed: {V.DISAGREES} here; decisive needs 3 seeds)", V.DISAGREES)
    text = dg.explain(one_seed)
    assert "outside the paper's claim" in text and "one training seed" in text and "both sides" not in text
    assert "both sides" in dg.explain(_verdict(V.INCONCLUSIVE, V.INCONCLUSIVE))
    assert "supports" in dg.explain(_verdict(V.AGREES, V.AGREES))


def test_attack_gap_reports_what_n_points_can_miss():
    class R:
        def __init__(self, robust):
            self.robust = torch.tensor(robust)

    class Report:
        results = {"pgd": R([True] * 14 + [False] * 6), "autoattack": R([True] * 14 + [False] * 6)}

    g = dg.attack_gap(Report())
    assert g["n"] == 20 and g["missed"] == 0 and g["pgd"] == pytest.approx(0.7)
    assert 0.15 < g["gap_high"] < 0.18  # Wilson upper end of 0/20: a 16-point gap could go unseen
    Report.results["autoattack"] = R([True] * 10 + [False] * 10)
    assert dg.attack_gap(Report())["missed"] == 4


def test_frechet_shift_precondition():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((400, 4))
    assert dg.frechet_shift(a, a + 3.0).met
    assert not dg.frechet_shift(a, rng.standard_normal((400, 4))).met


def test_noise_control_is_registered_and_can_unmake_a_clean_accuracy_verdict():
    """The referee's first alternative to the clean-accuracy rows: the same training with a uniform random point of
    the eps-ball in place of the PGD point. Where the noise model is as good as the robust one, the verdict
    against the standard model is not replicated."""
    from robustbook.papers import registry

    for name in ("q1-robust-not-better", "q3-target-clean-cost", "a1-lambda-clean-cost"):
        assert "uniform noise" in registry.claim("alhamoud2023:" + name).alternatives
    c = dg.noise_config(dg.empirical_settings("cpu"), 8 / 255)
    assert c.objective == "noise_augmented" and c.eps == 8 / 255 and c.lam == 0.5
    std = _bits(0.6)
    robust = std | _bits(0.5, seed=2)  # robust beats standard: Q1 disagrees against the standard model
    assert dg.q1_verdict("t", std, robust, GATES).outcome == V.DISAGREES
    v = dg.q1_verdict("t", std, robust, GATES, noise_clean=robust)  # noise does as well: not adversarial
    assert V.outcome_of(v.outcome) == V.INCONCLUSIVE and "uniform noise" in v.outcome
    assert dg.q1_verdict("t", std, robust, GATES, noise_clean=std).outcome == V.DISAGREES  # noise no help
    eps = (0, 8 / 255, 16 / 255, 32 / 255)
    m = np.array([[0.7, 0.3, 0.05, 0.02], [0.8, 0.6, 0.3, 0.05], [0.85, 0.6, 0.5, 0.06], [0.95, 0.5, 0.4, 0.08]])
    _, t = _matrices(m, m)
    assert dg.q3_verdicts("t", eps, t, GATES)[1].outcome == V.DISAGREES
    assert V.outcome_of(dg.q3_verdicts("t", eps, t, GATES, noise_clean=t[-1, 0])[1].outcome) == V.INCONCLUSIVE
    small, large = _bits(0.9, seed=4), _bits(0.7, seed=5)
    plain = dg.lambda_verdicts(small, large, small, large, [OK])[1]
    netted = dg.lambda_verdicts(small, large, small, large, [OK], noise_small=small, noise_large=large)[1]
    assert plain.outcome == V.DISAGREES and V.outcome_of(netted.outcome) == V.INCONCLUSIVE
    assert dg.noise_radii(dg.EMPIRICAL["cpu"], "photo_digits") == (8 / 255, 32 / 255)
