"""yi2021's verdict rules (issues 13 and 20): each reaches the outcomes its data call for."""
from __future__ import annotations

import numpy as np
import pandas as pd

from robustbook import verdicts as V
from robustbook.data.corruptions import CORRUPTIONS
from robustbook.experiments.yi2021 import ablations, algorithm1, corruption_models, ood_bounds, table1


def _correct(rng, clean: float, corrupted: float, n: int = 400) -> np.ndarray:
    """(n, 1 + 15) 0/1 array with the given clean and corrupted accuracies."""
    return np.column_stack([rng.random(n) < clean] + [rng.random(n) < corrupted for _ in CORRUPTIONS]).astype(float)


def test_thm3_rule_is_one_range_on_the_interval():
    fits = {("2", "mean"): {"slope": -1.0, "lo": -1.05, "hi": -0.95},
            ("2", "q0.9"): {"slope": -0.5, "lo": -0.6, "hi": -0.4},
            ("inf", "mean"): {"slope": -0.9, "lo": -1.3, "hi": -0.7}}
    got = algorithm1.thm3_verdicts(fits, 100, 10_000, {"2": 1e-3}, {"2": 1.0})
    assert [v.outcome for v in got] == [V.AGREES, V.DISAGREES, V.INCONCLUSIVE, V.AGREES]
    # |slope + 1| < tol alone no longer agrees: the interval must lie inside the range
    assert algorithm1.thm3_verdicts({("2", "mean"): {"slope": -1.0, "lo": -1.5, "hi": -0.5}}, 100, 10_000, {}, {})[0].outcome \
        == V.INCONCLUSIVE
    short = algorithm1.thm3_verdicts(fits, 10, 300, {}, {})
    assert all(v.outcome == V.NOT_TESTABLE for v in short)
    # bound (11): a risk that does not beat the faster-rate control has no power
    assert algorithm1.thm3_verdicts({}, 100, 10_000, {"2": 1e-6}, {"2": 1.0})[0].outcome == V.INCONCLUSIVE
    assert algorithm1.thm3_verdicts({}, 100, 10_000, {"2": 2.0}, {"2": 1.0})[0].outcome == V.DISAGREES


def test_interior_peak_and_inverted_u_verdicts():
    rng = np.random.default_rng(0)
    assert ablations.interior_peak(np.array([[0.2, 0.8, 0.4]])) > 0
    assert ablations.interior_peak(np.array([[0.2, 0.4, 0.8]])) < 0
    assert np.isnan(ablations.interior_peak(np.array([[0.2, 0.4]])))
    std = _correct(rng, 0.95, 0.2)  # corruptions cost Std 75 points: testable
    peak = {("linf", x): _correct(rng, 0.9, a) for x, a in zip((-2, 0, 1, 2, 4), (0.3, 0.5, 0.7, 0.5, 0.3))}
    rising = {("l2", x): _correct(rng, 0.9, a) for x, a in zip((-2, 0, 1, 2, 4), (0.2, 0.35, 0.5, 0.65, 0.8))}
    flat = {("l2", x): _correct(rng, 0.9, 0.5) for x in (-2, 0, 1, 2, 4)}
    out = {v.claim: v.outcome for v in ablations.inverted_u_verdicts({**peak, **rising}, std, 10)}
    assert out["D.1 Adv-linf, Avg: inverted U in r (peak - worse end)"] == V.AGREES
    assert out["D.1 Adv-l2, Avg: inverted U in r (peak - worse end)"] == V.DISAGREES
    flat_out = {v.claim: v.outcome for v in ablations.inverted_u_verdicts(flat, std, 10)}
    assert flat_out["D.1 Adv-l2, Avg: inverted U in r (peak - worse end)"] == V.INCONCLUSIVE
    # a collapsed model leaves the grid (four radii left: still testable; two left: not testable)
    collapsed = {**peak, ("linf", 8): _correct(rng, 0.1, 0.1)}
    got = ablations.inverted_u_verdicts(collapsed, std, 10)
    assert got[-1].outcome == V.AGREES and "left out: x=8" in got[-1].precondition.text
    three = {k: v for k, v in peak.items() if k[1] in (-2, 1, 4)}
    three[("linf", 4)] = _correct(rng, 0.1, 0.1)
    assert all(v.outcome == V.NOT_TESTABLE for v in ablations.inverted_u_verdicts(three, std, 10))
    every = {k: _correct(rng, 0.1, 0.1) for k in peak}  # every model collapsed (the smoke profile's budget)
    assert all(v.outcome == V.NOT_TESTABLE for v in ablations.inverted_u_verdicts(every, std, 10))
    # preconditions: too few radii, or corruptions that do not hurt Std
    two = {k: v for k, v in peak.items() if k[1] in (-2, 1)}
    assert all(v.outcome == V.NOT_TESTABLE for v in ablations.inverted_u_verdicts(two, std, 10))
    easy = _correct(rng, 0.95, 0.95)
    assert all(v.outcome == V.NOT_TESTABLE for v in ablations.inverted_u_verdicts(peak, easy, 10))


def test_size_trend_verdicts_reach_each_outcome():
    rng = np.random.default_rng(1)
    std = _correct(rng, 0.95, 0.2)
    up = {("linf", n): _correct(rng, 0.9, a) for n, a in zip((300, 600, 1200), (0.3, 0.5, 0.7))}
    down = {("l2", n): _correct(rng, 0.9, a) for n, a in zip((300, 600, 1200), (0.7, 0.5, 0.3))}
    out = {v.claim: v for v in ablations.size_trend_verdicts({**up, **down}, std, 10)}
    assert out["D.2 Adv-linf, Avg: accuracy rises with n (Spearman rho)"].outcome == V.AGREES
    assert out["D.2 Adv-l2, Avg: accuracy rises with n (Spearman rho)"].outcome == V.DISAGREES
    assert out["D.2 Adv-linf, Avg: accuracy rises with n (Spearman rho)"].effect == 1.0
    same = {("linf", n): _correct(np.random.default_rng(2), 0.9, 0.5) for n in (300, 600, 1200)}
    assert {v.outcome for v in ablations.size_trend_verdicts(same, std, 10)} == {V.INCONCLUSIVE}


def test_plateau_precondition_follows_the_loss_curve():
    flat = pd.DataFrame({"epoch": [1, 2, 3], "loss": [2.0, 0.501, 0.5]})
    falling = pd.DataFrame({"epoch": [1, 2, 3], "loss": [1.0, 0.8, 0.7]})
    assert abs(V.last_epoch_share(flat) - 0.001 / 1.5) < 1e-12
    assert np.isnan(V.last_epoch_share(flat.iloc[:2])) and np.isnan(V.last_epoch_share(None))
    assert V.loss_flattened({"Std": flat, "Adv": flat}, ("Std", "Adv")).met
    assert not V.loss_flattened({"Std": flat, "Adv": falling}, ("Std", "Adv")).met
    assert not V.loss_flattened({"Std": flat}, ("Std", "Adv")).met  # unrecorded: not met
    ones = pd.DataFrame(np.ones((50, 16)), columns=["Clean", *CORRUPTIONS])
    worse = ones.copy()
    worse[list(CORRUPTIONS)] = 0.0
    from robustbook.data.corruptions import FAMILIES
    got = table1.table1_verdicts({"Std": worse, "Adv-l2": ones, "Adv-linf": ones}, FAMILIES,
                             histories={"Std": flat, "Adv-l2": flat, "Adv-linf": falling})
    assert {v.outcome for v in got if v.claim.startswith("Adv-linf")} == {V.NOT_TESTABLE}
    assert V.AGREES in {v.outcome for v in got if v.claim.startswith("Adv-l2")}


def test_eps_and_theory_verdicts_can_fail():
    rng = np.random.default_rng(3)
    big, small = rng.uniform(0.5, 1.0, 200), rng.uniform(0.0, 0.2, 200)
    acc = {"Std": 0.9, "Adv-linf": 0.85}
    assert ood_bounds.eps_verdict(big, small, acc, 10).outcome == V.AGREES
    assert ood_bounds.eps_verdict(small, big, acc, 10).outcome == V.DISAGREES
    assert ood_bounds.eps_verdict(big, small, {"Std": 0.9, "Adv-linf": 0.1}, 10).outcome == V.NOT_TESTABLE
    from robustbook.theory.yi2021 import N, concentration_term
    assert ood_bounds.theory_verdict("Remark 1", "remark1").outcome == V.AGREES
    assert ood_bounds.theory_verdict("printed", "bhc_solution", concentration_term(N, "printed"),
                             mutants=False).outcome == V.DISAGREES


def test_d2_models_train_as_many_steps_as_the_full_data_model():
    s = corruption_models.table1_settings(corruption_models.settings("cpu"))
    full = corruption_models.recipe(s, "Adv-linf")
    quarter = corruption_models.recipe(s, "Adv-linf", train_size=corruption_models.fraction_size(s, 0.25))
    n_full = len(__import__("robustbook.data.images", fromlist=["load"]).load(s.dataset, "train", s.channels))
    steps = lambda r, n: r.train.epochs * -(-n // r.train.batch_size)  # noqa: E731
    assert quarter.train.epochs > full.train.epochs == s.epochs
    assert abs(steps(quarter, quarter.train_size) - steps(full, n_full)) <= quarter.train.epochs
    gpu = corruption_models.settings("gpu")  # the paper's own budget: the same epochs for every size
    assert corruption_models.recipe(gpu, "Adv-linf", train_size=5000).train.epochs == gpu.epochs
