"""yi2021's verdict rules (issues 13 and 20): each reaches the outcomes its data call for."""
from __future__ import annotations

import numpy as np
import pandas as pd

from robustbook import verdicts as V
from robustbook.data.corruptions import CORRUPTIONS
from robustbook.experiments.yi2021 import ablations, algorithm1, corruption_models, ood_bounds, table1
from robustbook.papers.registry import claim as claim_of


def _correct(rng, clean: float, corrupted: float, n: int = 400) -> np.ndarray:
    """(n, 1 + 15) 0/1 array with the given clean and corrupted accuracies."""
    return np.column_stack([rng.random(n) < clean] + [rng.random(n) < corrupted for _ in CORRUPTIONS]).astype(float)


FLAT = pd.DataFrame({"epoch": [1, 2, 3], "loss": [2.0, 0.501, 0.5]})
FALLING = pd.DataFrame({"epoch": [1, 2, 3], "loss": [1.0, 0.8, 0.7]})


def test_thm3_rule_is_one_range_on_the_interval():
    fits = {("2", "mean"): {"slope": -1.0, "lo": -1.05, "hi": -0.95},
            ("2", "q0.9"): {"slope": -0.5, "lo": -0.6, "hi": -0.4},
            ("inf", "mean"): {"slope": -0.9, "lo": -1.3, "hi": -0.7}}
    k1 = {key: {"slope": -0.2, "lo": -0.25, "hi": -0.15} for key in fits}  # the K = 1 control: rejected
    got = algorithm1.thm3_verdicts(fits, 100, 10_000, {"2": 0.5}, {"2": 1.0}, k1)
    assert [v.outcome for v in got] == [V.AGREES, V.DISAGREES, V.INCONCLUSIVE, V.AGREES]
    assert all(v.claim_id.startswith("yi2021:thm3-") for v in got)
    one = lambda s, lo, hi, control=k1, printed=None: algorithm1.thm3_verdicts(  # noqa: E731
        {("2", "mean"): {"slope": s, "lo": lo, "hi": hi}}, 100, 10_000, {}, {}, control, printed)[0].outcome
    # |slope + 1| < tol alone does not agree: the interval must lie below -1 + tol
    assert one(-1.0, -1.5, -0.5) == V.INCONCLUSIVE
    # O~(1/T) is an upper rate: a faster fall (slope -2) agrees, a slower one (-0.5, above) disagrees
    assert one(-2.0, -2.1, -1.9) == V.AGREES and one(-0.5, -0.6, -0.4) == V.DISAGREES
    # the negative control (referee 3, Y7): a K = 1 run the rule lets through (or none at all) gates the row
    fast = {("2", "mean"): {"slope": -1.0, "lo": -1.05, "hi": -0.95}}
    assert one(-1.0, -1.05, -0.95, control=fast) == V.NOT_TESTABLE
    assert one(-1.0, -1.05, -0.95, control={}) == V.NOT_TESTABLE
    # the printed K is the paper-setting alternative: a slower fall there keeps the row from being decisive
    assert one(-1.0, -1.05, -0.95, printed={("2", "mean"): {"slope": -0.5, "lo": -0.6, "hi": -0.4}}).startswith(
        V.INCONCLUSIVE)
    assert one(-1.0, -1.05, -0.95, printed=fast) == V.AGREES
    assert claim_of("yi2021:thm3-rate").seeded  # a simulation on seeded problems: the 3-seed rule applies
    short = algorithm1.thm3_verdicts(fits, 10, 300, {}, {}, k1)
    assert all(v.outcome == V.NOT_TESTABLE for v in short)
    # bound (11): the control is (11) at a faster rate exponent, 1 + LOG_FACTOR_SLOPE; a risk 225 times below
    # the bound at T = 10^4 is also below that control (a factor 10^(4 * 0.15) ~ 4): inconclusive, not agreement
    assert abs(algorithm1.control_bound(1.0, 10_000) - 10_000 ** -V.LOG_FACTOR_SLOPE) < 1e-12
    assert algorithm1.thm3_verdicts({}, 100, 10_000, {"2": 1 / 225}, {"2": 1.0})[0].outcome == V.INCONCLUSIVE
    assert algorithm1.thm3_verdicts({}, 100, 10_000, {"2": 2.0}, {"2": 1.0})[0].outcome == V.DISAGREES


def _hist(correct: dict, norm: str, what: str = "x") -> dict:
    return {"Std": FLAT, **{f"Adv-{norm} {what}={k[1]:g}" if what == "x" else f"Adv-{norm} n={k[1]}": FLAT
                            for k in correct if k[0] == norm}}


def test_interior_peak_and_inverted_u_verdicts():
    rng = np.random.default_rng(0)
    assert ablations.interior_peak(np.array([[0.2, 0.8, 0.4]])) > 0
    assert ablations.interior_peak(np.array([[0.2, 0.4, 0.8]])) < 0
    assert np.isnan(ablations.interior_peak(np.array([[0.2, 0.4]])))
    std = _correct(rng, 0.95, 0.2)  # corruptions cost Std 75 points: testable
    peak = {("linf", x): _correct(rng, 0.9, a) for x, a in zip((-2, 0, 1, 2, 4), (0.3, 0.5, 0.7, 0.5, 0.3))}
    rising = {("l2", x): _correct(rng, 0.9, a) for x, a in zip((-2, 0, 1, 2, 4), (0.2, 0.35, 0.5, 0.65, 0.8))}
    flat = {("l2", x): _correct(rng, 0.9, 0.5) for x in (-2, 0, 1, 2, 4)}
    hist = {**_hist(peak, "linf"), **_hist(rising, "l2")}
    out = {v.claim.split(":")[0]: v.outcome for v in ablations.inverted_u_verdicts({**peak, **rising}, std, 10, 0, hist)}
    assert out["D.1 Adv-linf, Avg"] == V.AGREES
    assert out["D.1 Adv-l2, Avg"] == V.DISAGREES
    flat_out = {v.claim.split(":")[0]: v.outcome for v in ablations.inverted_u_verdicts(flat, std, 10, 0, hist)}
    assert flat_out["D.1 Adv-l2, Avg"] == V.INCONCLUSIVE
    # the plateau rule gates every model D.1 reads: one unflattened radius, or no curves at all, is not testable
    falling = {**hist, "Adv-linf x=1": FALLING}
    assert {v.outcome for v in ablations.inverted_u_verdicts(peak, std, 10, 0, falling)} == {V.NOT_TESTABLE}
    assert {v.outcome for v in ablations.inverted_u_verdicts(peak, std, 10)} == {V.NOT_TESTABLE}
    # a collapsed model never leaves the grid: one model at chance at any radius makes the whole claim not
    # testable (referee 3, Y3), however many radii remain
    collapsed = {**peak, ("linf", 8): _correct(rng, 0.1, 0.1)}
    got = ablations.inverted_u_verdicts(collapsed, std, 10, 0, {**hist, "Adv-linf x=8": FLAT})
    assert {v.outcome for v in got} == {V.NOT_TESTABLE} and "x=8" in got[-1].precondition.text
    three = {k: v for k, v in peak.items() if k[1] in (-2, 1, 4)}
    three[("linf", 4)] = _correct(rng, 0.1, 0.1)
    assert all(v.outcome == V.NOT_TESTABLE for v in ablations.inverted_u_verdicts(three, std, 10, 0, hist))
    every = {k: _correct(rng, 0.1, 0.1) for k in peak}  # every model collapsed (the smoke profile's budget)
    assert all(v.outcome == V.NOT_TESTABLE for v in ablations.inverted_u_verdicts(every, std, 10, 0, hist))
    # gates: too few radii, or corruptions that do not hurt Std
    two = {k: v for k, v in peak.items() if k[1] in (-2, 1)}
    assert all(v.outcome == V.NOT_TESTABLE for v in ablations.inverted_u_verdicts(two, std, 10, 0, hist))
    easy = _correct(rng, 0.95, 0.95)
    assert all(v.outcome == V.NOT_TESTABLE for v in ablations.inverted_u_verdicts(peak, easy, 10, 0, hist))


def test_size_trend_verdicts_need_enough_sizes_and_trained_models():
    rng = np.random.default_rng(1)
    std = _correct(rng, 0.95, 0.2)
    sizes = (300, 600, 900, 1200, 1500)
    up = {("linf", n): _correct(rng, 0.9, a) for n, a in zip(sizes, (0.3, 0.4, 0.5, 0.6, 0.7))}
    down = {("l2", n): _correct(rng, 0.9, a) for n, a in zip(sizes, (0.7, 0.6, 0.5, 0.4, 0.3))}
    hist = {**_hist(up, "linf", "n"), **_hist(down, "l2", "n")}
    out = {v.claim.split(":")[0]: v for v in ablations.size_trend_verdicts({**up, **down}, std, 10, 0, hist)}
    assert out["D.2 Adv-linf, Avg"].outcome == V.AGREES and abs(out["D.2 Adv-linf, Avg"].effect - 1.0) < 1e-9
    assert out["D.2 Adv-l2, Avg"].outcome == V.DISAGREES
    same = {("linf", n): _correct(np.random.default_rng(2), 0.9, 0.5) for n in sizes}
    assert {v.outcome for v in ablations.size_trend_verdicts(same, std, 10, 0, hist)} == {V.INCONCLUSIVE}
    # three sizes (the cpu profile's): a rank correlation over < MIN_RANK_POINTS points is not testable, even a
    # V-shaped 77.5 / 45 / 82.8 that three points would call "rising"
    vee = {("linf", n): _correct(rng, c, c) for n, c in zip((300, 600, 1200), (0.775, 0.45, 0.828))}
    got = ablations.size_trend_verdicts(vee, std, 10, 0, _hist(vee, "linf", "n"))
    assert {v.outcome for v in got} == {V.NOT_TESTABLE} and "sizes ranked" in got[0].precondition.text
    # an unflattened model gates D.2 like every other claim that reads it
    assert {v.outcome for v in ablations.size_trend_verdicts(up, std, 10, 0, {**hist, "Adv-linf n=600": FALLING})} \
        == {V.NOT_TESTABLE}


def test_plateau_precondition_follows_the_loss_curve():
    assert abs(V.last_epoch_share(FLAT) - 0.001 / 1.5) < 1e-12
    assert np.isnan(V.last_epoch_share(FLAT.iloc[:2])) and np.isnan(V.last_epoch_share(None))
    assert V.loss_flattened({"Std": FLAT, "Adv": FLAT}, ("Std", "Adv")).met
    assert not V.loss_flattened({"Std": FLAT, "Adv": FALLING}, ("Std", "Adv")).met
    assert not V.loss_flattened({"Std": FLAT}, ("Std", "Adv")).met  # unrecorded: not met
    ones = pd.DataFrame(np.ones((50, 16)), columns=["Clean", *CORRUPTIONS])
    worse = ones.copy()
    worse[list(CORRUPTIONS)] = 0.4
    from robustbook.data.corruptions import FAMILIES
    got = table1.table1_verdicts({"Std": worse, "Adv-l2": ones, "Adv-linf": ones}, FAMILIES,
                                 histories={"Std": FLAT, "Adv-l2": FLAT, "Adv-linf": FALLING})
    assert {v.outcome for v in got if v.claim.startswith("Adv-linf")} == {V.NOT_TESTABLE}
    assert V.AGREES in {v.outcome for v in got if v.claim.startswith("Adv-l2")}
    assert {v.claim_id for v in got} == set(table1.CLAIM_IDS.values())
    # a model at chance on the group read: not testable (the book's one near-chance rule, every split read)
    chance = worse.copy()
    chance[list(CORRUPTIONS)] = 0.1
    got = table1.table1_verdicts({"Std": chance, "Adv-l2": ones, "Adv-linf": ones}, FAMILIES,
                                 histories={m: FLAT for m in ("Std", "Adv-l2", "Adv-linf")})
    assert {v.outcome for v in got} == {V.NOT_TESTABLE}


def test_eps_and_theory_verdicts_can_fail():
    rng = np.random.default_rng(3)
    big, small = rng.uniform(0.5, 1.0, 200), rng.uniform(0.0, 0.2, 200)
    acc = {"Std": 0.9, "Adv-linf": 0.85}
    hist = {"Std": FLAT, "Adv-linf": FLAT}
    assert ood_bounds.eps_verdict(big, small, acc, 10, 0, hist).outcome == V.AGREES
    assert ood_bounds.eps_verdict(small, big, acc, 10, 0, hist).outcome == V.DISAGREES
    assert ood_bounds.eps_verdict(big, small, {"Std": 0.9, "Adv-linf": 0.1}, 10, 0, hist).outcome == V.NOT_TESTABLE
    # Table 1's models are gated by the same plateau rule here
    assert ood_bounds.eps_verdict(big, small, acc, 10, 0, {"Std": FLAT, "Adv-linf": FALLING}).outcome \
        == V.NOT_TESTABLE
    from robustbook.theory.yi2021 import N, concentration_term
    assert ood_bounds.theory_verdict("yi2021:remark1", "remark1").outcome == V.AGREES
    assert ood_bounds.theory_verdict("yi2021:concentration-term-printed", "bhc_solution",
                                     concentration_term(N, "printed"), mutants=False).outcome == V.DISAGREES


def test_nlu_table2_gates_every_split_and_not_the_std_drop():
    from robustbook.experiments.yi2021 import nlu

    rng = np.random.default_rng(4)
    acc = lambda p, n=400: (rng.random(n) < p).astype(float)
    # out of domain both at chance (56.25% and 48.75% at n = 80 in the cpu run): not testable
    correct = {"Std": {"airline": acc(0.85), "brands": acc(0.49)}, "Adv-l2": {"airline": acc(0.80),
                                                                              "brands": acc(0.56)},
               "Adv-linf": {"airline": acc(0.85), "brands": acc(0.5)}}
    flat = {m: FLAT for m in ("Std", "Adv-l2", "Adv-linf")}
    assert {v.outcome for v in nlu.table2_verdicts(correct, "airline", 0, flat)} == {V.NOT_TESTABLE}
    # Std barely drops and Adv drops a lot: a refutation the old "Std drop >= 2 points" gate hid
    correct = {"Std": {"airline": acc(0.80), "cars": acc(0.80)}, "Adv-l2": {"airline": acc(0.85), "cars": acc(0.65)},
               "Adv-linf": {"airline": acc(0.85), "cars": acc(0.65)}}
    assert {v.outcome for v in nlu.table2_verdicts(correct, "airline", 0, flat)} == {V.DISAGREES}
    # the plateau gate reads the fine-tuned text models too: an unflattened or unrecorded curve is not testable
    assert {v.outcome for v in nlu.table2_verdicts(correct, "airline", 0, {**flat, "Adv-l2": FALLING})
            if v.claim.startswith("Adv-l2 vs")} == {V.NOT_TESTABLE}
    assert {v.outcome for v in nlu.table2_verdicts(correct, "airline")} == {V.NOT_TESTABLE}
    # two epochs (the cpu profile's) cannot show a plateau
    assert {v.outcome for v in nlu.table2_verdicts(correct, "airline", 0, {m: FLAT.iloc[1:] for m in flat})} \
        == {V.NOT_TESTABLE}


def test_nlu_text_history_is_per_epoch_mean_of_batch_losses(monkeypatch):
    from robustbook import zoo
    from robustbook.experiments.yi2021 import nlu

    s = nlu.NLU_SETTINGS["cpu"]  # 256 tweets, batch 16: 16 steps per epoch
    steps = pd.DataFrame({"step": range(1, 49), "loss": np.repeat([1.0, 0.5, 0.499], 16)})
    monkeypatch.setattr(zoo, "history", lambda recipe, device="cpu": steps)
    monkeypatch.setattr(nlu, "text_recipe", lambda *a, **k: None)
    h = nlu.text_history(s, "airline", "Std")
    assert h["epoch"].tolist() == [1, 2, 3] and np.allclose(h["loss"], [1.0, 0.5, 0.499])
    assert abs(V.last_epoch_share(h) - 0.001 / 0.501) < 1e-12
    monkeypatch.setattr(zoo, "history", lambda recipe, device="cpu": None)
    assert nlu.text_history(s, "airline", "Std") is None


def test_table3_gates_corruptions_not_comparisons():
    from robustbook.experiments.yi2021 import table3
    from robustbook.papers.yi2021 import FINETUNINGS, PRETRAININGS

    rng = np.random.default_rng(5)
    n, cols = 400, len(CORRUPTIONS)

    def model(clean, hurt):
        out = np.column_stack([rng.random(n) < clean] + [rng.random(n) < a for a in hurt]).astype(float)
        return out

    # gaussian noise (index 0) does not hurt the reference: left out, by the reference model alone
    base = [0.5] * cols
    base[0] = 0.95
    correct = {(ft, pre): model(0.95, [a + (0.1 if ft == "Adv-linf" else 0.0) if a == 0.5 else a for a in base])
               for ft in FINETUNINGS for pre in PRETRAININGS}
    kept, why = table3.kept_corruptions(correct, 5)
    assert list(why) == ["gaussian_noise"] and len(kept) == cols - 1
    flat = {**{f"{ft}/{pre}": FLAT for ft in FINETUNINGS for pre in PRETRAININGS},
            **{f"pre-training {m}": FLAT for m in PRETRAININGS[1:]}}
    got = table3.table3_verdicts(correct, 5, 0, flat)
    b = [v for v in got if v.claim_id == "yi2021:t3-linf-beats-l2-finetuning"]
    assert len(b) == len(PRETRAININGS) and {v.outcome for v in b} == {V.AGREES}
    # a compared model erased by the corruptions (5 classes: chance 0.2) gates the rows that read it, and only
    # those (referee 3, Y10); no column is dropped
    erased = {**correct, ("Adv-l2", "No"): model(0.95, [0.05 if a != 0.95 else a for a in base])}
    assert table3.kept_corruptions(erased, 5)[0] == kept
    gated = {v.claim.split(": for ")[0]: v.outcome for v in table3.table3_verdicts(erased, 5, 0, flat)}
    reads_it = {"(a) fine-tuning Adv-l2: pre-training Adv-l2 vs No", "(a) fine-tuning Adv-l2: pre-training Adv-linf vs No",
                "(b) pre-training No: fine-tuning Adv-linf vs Adv-l2"}
    assert {k for k, o in gated.items() if o == V.NOT_TESTABLE} == reads_it
    nothing = {k: model(0.95, [0.95] * cols) for k in correct}  # no corruption hurts the reference
    assert {v.outcome for v in table3.table3_verdicts(nothing, 5, 0, flat)} == {V.NOT_TESTABLE}
    # the plateau gate reads the fine-tuned model and the source model it came from, and only the rows reading them
    label = lambda v: v.claim.split(": for ")[0]
    reads = {"Adv-l2/Std": lambda t: t.startswith("(a) fine-tuning Adv-l2:") and t.endswith("vs Std")
             or t.startswith("(b) pre-training Std:"),
             "pre-training Std": lambda t: t.endswith("vs Std") or t.startswith("(b) pre-training Std:")}
    for late, reads_it in reads.items():
        gated = table3.table3_verdicts(correct, 5, 0, {**flat, late: FALLING})
        assert {label(v) for v in gated if v.outcome == V.NOT_TESTABLE} == {label(v) for v in gated
                                                                            if reads_it(label(v))}
        assert 0 < sum(v.outcome == V.NOT_TESTABLE for v in gated) < len(gated)
    assert {v.outcome for v in table3.table3_verdicts(correct, 5)} == {V.NOT_TESTABLE}  # no curve recorded


def test_table3_estimator_on_the_papers_own_table_gives_the_papers_direction():
    """Both Table 3 claims are read on the 15-corruption average, where Sec. 5.2 states them: the driver's
    estimator applied to the paper's own Table 3 must give the claims' direction on every row it publishes. On a
    subset of columns it need not (the columns a reference-drop rule kept at cpu reverse claim (b) in the
    paper's own numbers), which is why no subset is judged (referee 3, Y2)."""
    from robustbook.experiments.yi2021 import table3
    from robustbook.papers import yi2021 as paper
    from robustbook.papers.registry import claim

    eff = table3.paper_effects()
    assert len(eff) == 16
    for label, e in eff.items():
        c = claim("yi2021:t3-adv-pretraining" if label.startswith("(a)") else "yi2021:t3-linf-beats-l2-finetuning")
        assert e * c.direction > 0, label
    subset = ["motion_blur", "zoom_blur", "fog", "contrast"]  # the cold cpu build's kept columns
    t = paper.PAPER_TABLE3[subset].mean(axis=1)
    assert all(t[("Adv-linf", pre)] < t[("Adv-l2", pre)] for pre in paper.PRETRAININGS)


def test_plateau_tolerance_sensitivity_threshold():
    half_share = pd.DataFrame({"epoch": [1, 2, 3], "loss": [2.0, 0.515, 0.5]})  # last epoch: 1% of the descent
    assert abs(V.last_epoch_share(half_share) - 0.01) < 1e-12
    steep = pd.DataFrame({"epoch": [1, 2, 3], "loss": [2.0, 0.53, 0.5]})  # 2%: flattened only at twice the tolerance
    gate = lambda: [V.Verdict("row", "", 0, 0, 0, V.AGREES if V.loss_flattened({"m": steep}, ("m",)).met
                              else V.NOT_TESTABLE)]
    assert not V.loss_flattened({"m": steep}, ("m",)).met
    with V.plateau_tolerance(2.5 * V.PLATEAU_TOL):
        assert V.loss_flattened({"m": steep}, ("m",)).met
    assert not V.loss_flattened({"m": steep}, ("m",)).met  # restored after the block
    changed = V.plateau_sensitivity(gate, (0.5, 2.5))
    assert len(changed) == 1 and changed.iloc[0]["at this tolerance"] == V.AGREES
    assert V.plateau_sensitivity(gate, (0.5,)).empty


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


def test_plateau_sensitivity_threshold_on_table1_rows():
    from robustbook.data.corruptions import FAMILIES

    ones = pd.DataFrame(np.ones((50, 16)), columns=["Clean", *CORRUPTIONS])
    worse = ones.copy()
    worse[list(CORRUPTIONS)] = 0.4
    curve = lambda share: pd.DataFrame({"epoch": [1, 2, 3], "loss": [2.0, 1.0 + share, 1.0]})  # share of descent ~
    hist = {"Std": curve(0.0021), "Adv-l2": curve(0.0055), "Adv-linf": curve(0.018)}  # the cold cpu build's shares
    rows = lambda: table1.table1_verdicts({"Std": worse, "Adv-l2": ones, "Adv-linf": ones}, FAMILIES, 0, hist)
    changed = V.plateau_sensitivity(rows)
    half = changed[changed["tolerance"].str.startswith("0.5 x")]
    double = changed[changed["tolerance"].str.startswith("2 x")]
    assert len(half) == 6 and half["verdict row"].str.startswith("Adv-l2 - Std").all()
    assert (half["at this tolerance"] == V.NOT_TESTABLE).all()
    assert len(double) == 6 and double["verdict row"].str.startswith("Adv-linf - Std").all()
    assert (double["at this tolerance"] != V.NOT_TESTABLE).all()
    assert V._plateau_tol == [V.PLATEAU_TOL]  # the published tolerance is restored


def test_fig1_on_a_substitute_encoder_is_never_decisive():
    """Fig. 1 (referee 3, Y1): a verdict on an encoder the paper did not use names the paper's encoders as not run,
    so it reads inconclusive whichever way it points; on the paper's encoders the rule decides. The random twin
    and the attack's start come from the seed: the claims are `seeded`."""
    from robustbook.experiments.yi2021 import nlu

    rng = np.random.default_rng(0)
    n = 48

    def shifts(name):
        rows = []
        for pre, cos, rel in ((True, 0.990, 0.10), (False, 0.999, 0.03)):  # the pre-trained encoder moves more
            rows.append(pd.DataFrame({"model": name if pre else f"random {name}", "pretrained": pre,
                                      "example": np.arange(n), "cos": cos + 1e-4 * rng.standard_normal(n),
                                      "relative l2": rel + 1e-3 * rng.standard_normal(n),
                                      "l2": 10 * rel + 1e-2 * rng.standard_normal(n)}))
        return pd.concat(rows, ignore_index=True)

    sub = nlu.fig1_verdicts(shifts("minilm"))
    assert all(v.outcome.startswith(V.INCONCLUSIVE + " (not replicated: disagrees") for v in sub)
    assert all(nlu.FIG1_NOT_RUN in v.stability for v in sub)
    assert {nlu.fig1_direction(r) for r in V.table(sub).to_dict("records")} == {V.DISAGREES}
    assert {v.outcome for v in nlu.fig1_verdicts(shifts("bert-base"))} == {V.DISAGREES}
    assert all(claim_of(cid).seeded for _, cid in nlu.FIG1_CLAIMS)
