"""wen2020's driver: its trend rules reach every outcome on synthetic sweeps, preconditions gate them, and the
gpu-only tables are wired to data sets, networks and the paper's transcribed rows."""
import numpy as np
import pandas as pd
import pytest

from robustbook import verdicts as V
from robustbook.experiments import wen2020 as ex
from robustbook.papers import wen2020 as paper


def _net(acc: float, loss: float, trn_acc: float, n: int = 300, seed: int = 0, robust: float = 0.5,
         spread: float = 1.0) -> dict:
    rng = np.random.default_rng(seed)
    correct = rng.random(n) < acc
    points = pd.DataFrame({"correct": correct, "loss": loss + 0.05 * rng.standard_normal(n),
                           "margin": spread * rng.standard_normal(n), "robust": correct & (rng.random(n) < robust)})
    return {"row": {"trn_acc": trn_acc, "test_acc": 100 * correct.mean(), "trn_loss": 0.1}, "points": points}


def _sweep(direction: int, trn=(100, 99, 98, 97), acc=(0.95, 0.9, 0.9, 0.9)) -> dict:
    """AR 0, 4, 16, 32 whose test loss, margin spread and robust share move in `direction` (0: flat)."""
    return {ar: _net(a, 0.5 + direction * 0.1 * k, t, seed=k, robust=0.5 + direction * 0.1 * k,
                     spread=1 + direction * 0.3 * k)
            for k, (ar, a, t) in enumerate(zip((0, 4, 16, 32), acc, trn))}


FLAT = pd.DataFrame({"epoch": [1, 2, 3, 4], "loss": [2.3, 1.0, 0.501, 0.5]})
FALLING = pd.DataFrame({"epoch": [1, 2, 3, 4], "loss": [2.3, 2.0, 1.5, 1.0]})


def _verdicts(direction: int, histories=None, **kw):
    m = _sweep(direction, **kw)
    lv = {a: np.random.default_rng(a).normal(1 + direction * 0.2 * a / 4, 0.05, 300) for a in (4, 16, 32)}
    sv = np.random.default_rng(1).normal(-direction * 0.1, 0.01, 12)
    hist = {a: FLAT for a in m} if histories is None else histories
    return {v.claim_id: v for v in ex.regularizer_verdicts(m, 10, lv, sv, (4, 16), hist, seed=0)}


def test_regularizer_rules_reach_agree_disagree_and_inconclusive():
    shrinking, growing, flat = _verdicts(-1), _verdicts(+1), _verdicts(0)
    loss = "wen2020:loss-gap-shrinks"
    assert shrinking[loss].outcome == V.AGREES and growing[loss].outcome == V.DISAGREES
    assert flat[loss].outcome == V.INCONCLUSIVE
    pgd = "wen2020:pgd-acc-rises"
    assert growing[pgd].outcome == V.AGREES and shrinking[pgd].outcome == V.DISAGREES
    margins = "wen2020:margins-concentrate"
    assert shrinking[margins].outcome == V.AGREES and growing[margins].outcome == V.DISAGREES
    sv = "wen2020:sv-std-shrinks"
    assert shrinking[sv].outcome == V.AGREES and growing[sv].outcome == V.DISAGREES
    lv = "wen2020:loss-variation-falls"
    assert shrinking[lv].outcome == V.AGREES and growing[lv].outcome == V.DISAGREES
    for v in shrinking.values():  # every row carries its registered source, rule, interval and preconditions
        assert v.low <= v.effect <= v.high and v.precondition is not None and "interval" in v.rule
        assert v.source and v.threshold_source.startswith("book: robustbook.verdicts.NO_MARGIN")


def test_preconditions_make_rows_not_testable():
    # an underfitting network is no longer a chapter gate of its own: the PGD row reads as its data say
    underfit = _verdicts(+1, trn=(100, 99, 98, 70))
    assert underfit["wen2020:pgd-acc-rises"].outcome == V.AGREES
    chance = _verdicts(-1, acc=(0.95, 0.9, 0.1, 0.1))
    assert {v.outcome for v in chance.values()} == {V.NOT_TESTABLE}
    # one network still descending gates every claim that reads it, and only those
    hist = {0: FLAT, 4: FLAT, 16: FLAT, 32: FALLING}
    out = _verdicts(-1, histories=hist)
    assert out["wen2020:loss-gap-shrinks"].outcome == V.NOT_TESTABLE
    assert "AR 32 loss flattened" in out["wen2020:loss-gap-shrinks"].precondition.text
    assert out["wen2020:sv-std-shrinks"].outcome == V.AGREES  # reads AR 4 and 16 only
    # no recorded history: not shown to have flattened
    assert {v.outcome for v in _verdicts(-1, histories={}).values()} == {V.NOT_TESTABLE}


def _cap_ids(vs):
    return {(v.claim.split(" (paper")[0], v.claim_id): v.outcome for v in vs}


def test_capacity_rules_follow_table6_directions_and_chance():
    m = {(1.0, 4): _net(0.9, 0.5, 99, seed=1), (1.0, 32): _net(0.9, 0.2, 80, seed=2),  # error gap falls
         (None, 4): _net(0.9, 0.5, 99, seed=3), (None, 32): _net(0.9, 0.7, 80, seed=4)}  # loss gap rises, error gap falls
    hist = {k: FLAT for k in m}
    out = _cap_ids(ex.capacity_verdicts(m, 10, hist))
    assert out == {("SP 1", "wen2020:capacity-loss-gap-falls"): V.AGREES,
                   ("SP 1", "wen2020:capacity-error-gap-falls-sp1"): V.AGREES,
                   ("SP free", "wen2020:capacity-loss-gap-falls"): V.DISAGREES,
                   ("SP free", "wen2020:capacity-error-gap-rises"): V.DISAGREES}
    m[1.0, 4] = _net(0.1, 0.5, 10, seed=5)  # at chance: that clip is not testable, the other one still is
    out = _cap_ids(ex.capacity_verdicts(m, 10, hist))
    assert out["SP 1", "wen2020:capacity-loss-gap-falls"] == V.NOT_TESTABLE
    assert out["SP 1", "wen2020:capacity-error-gap-falls-sp1"] == V.NOT_TESTABLE
    assert out["SP free", "wen2020:capacity-loss-gap-falls"] == V.DISAGREES
    assert all(ex.error_gap_claim(sp) == "wen2020:capacity-error-gap-rises" for sp in ("3", "5", "free"))


def test_capacity_rows_need_flattened_training_losses():
    m = {(3.0, 4): _net(0.9, 0.5, 99, seed=1), (3.0, 8): _net(0.9, 0.2, 80, seed=2),
         (None, 4): _net(0.9, 0.5, 99, seed=3), (None, 8): _net(0.9, 0.2, 80, seed=4)}
    hist = {k: FLAT for k in m}
    assert V.NOT_TESTABLE not in {v.outcome for v in ex.capacity_verdicts(m, 10, hist)}
    hist[None, 8] = FALLING  # the unclipped AR-8 net still descending: only its clip's rows are gated
    out = {(v.claim.split(" (paper")[0], v.claim_id): v for v in ex.capacity_verdicts(m, 10, hist)}
    assert out["SP free", "wen2020:capacity-loss-gap-falls"].outcome == V.NOT_TESTABLE
    assert "SP free AR 8 loss flattened" in out["SP free", "wen2020:capacity-loss-gap-falls"].precondition.text
    assert out["SP 3", "wen2020:capacity-loss-gap-falls"].outcome == V.AGREES


def test_capacity_cpu_recipe_is_adam_on_a_grid_that_trains():
    s = ex.capacity_settings("cpu")
    cfg = ex.recipe(s, "fixup", 8, clip=3.0).train
    assert cfg.optimizer == "adam" and cfg.objective == "adversarial" and cfg.eps == 8 / 255
    assert ex.recipe(ex.capacity_settings("gpu"), "fixup", 8, clip=1.0).train.optimizer == "sgd"  # the paper's
    assert ex.recipe(ex.regularizer_settings("cpu"), "bn", 4).train.optimizer == "sgd"


def test_gpu_tables_are_wired():
    tables = ex.gpu_tables()
    assert {s.dataset for s in tables.values()} == {"cifar10", "cifar100", "tinyimagenet"}
    assert sorted(s.depth for s in tables.values() if s.dataset != "tinyimagenet") == [56, 110, 110]
    for name, s in tables.items():
        ref = paper.PAPER_TABLES[(s.dataset, s.label)]
        assert set(ref["ar"]) - {0} <= set(s.ar_grid)
        assert all(len(v) == len(ref["ar"]) for v in ref.values())
        r = ex.recipe(s, ex.sweep_arch(s), 4)
        assert r.dataset == s.dataset and dict(r.arch_options)["depth"] == s.depth
    for ref in paper.PAPER_TABLES.values():  # the transcription is self-consistent: dAcc = Trn - Test, dLoss too
        np.testing.assert_allclose(np.subtract(ref["trn_acc"], ref["test_acc"]), ref["d_acc"], atol=0.011)
        np.testing.assert_allclose(np.subtract(ref["test_loss"], ref["trn_loss"]), ref["d_loss"], atol=0.0011)
    with pytest.raises(ValueError, match="nonzero radii"):
        ex.regularizer_verdicts({0: _net(0.9, 0.5, 99), 4: _net(0.9, 0.5, 99)}, 10, {}, np.zeros(3), (4, 4), {})


def test_capacity_claims_gated_on_the_gap_in_the_unclipped_reference():
    """Table 6's rows read "not testable here" when the unclipped network at the weakest AR shows no gap, whatever
    the clipped network's slope; a reference with the gap leaves the verdict to the slope."""
    m = {(1.0, 4): _net(0.9, 0.5, 99, seed=1), (1.0, 32): _net(0.9, 0.2, 80, seed=2),
         (None, 4): _net(0.9, 0.5, 99, seed=3), (None, 32): _net(0.9, 0.7, 80, seed=4)}
    hist = {k: FLAT for k in m}
    assert {v.precondition.met for v in ex.capacity_verdicts(m, 10, hist)} == {True}
    m[None, 4] = _net(0.9, 0.5, 90, seed=3)  # planted: training accuracy = test accuracy, no error gap to move
    m[None, 4]["row"]["trn_acc"] = m[None, 4]["row"]["test_acc"]
    out = {(v.claim.split(" (paper")[0], v.claim_id): v for v in ex.capacity_verdicts(m, 10, hist)}
    assert out["SP 1", "wen2020:capacity-error-gap-falls-sp1"].outcome == V.NOT_TESTABLE
    assert out["SP free", "wen2020:capacity-error-gap-rises"].outcome == V.NOT_TESTABLE
    assert "unclipped AR 4 network shows an error gap" in out["SP 1", "wen2020:capacity-error-gap-falls-sp1"].precondition.text
    # the loss gap is still there (test loss 0.5 vs training loss 0.1): the loss rows are judged as before
    assert out["SP 1", "wen2020:capacity-loss-gap-falls"].outcome == V.AGREES
    m[None, 4]["row"]["trn_loss"] = 0.6  # planted: no loss gap either
    out = _cap_ids(ex.capacity_verdicts(m, 10, hist))
    assert out["SP 1", "wen2020:capacity-loss-gap-falls"] == V.NOT_TESTABLE
    with pytest.raises(ValueError, match="unclipped"):
        ex.capacity_verdicts({k: v for k, v in m.items() if k[0] is not None}, 10, hist)


def test_claim_registry_capacity_rows_declare_the_reference_gate_and_sv_std_names_batch_norm():
    from robustbook.papers.registry import claim

    for cid in ("wen2020:capacity-loss-gap-falls", "wen2020:capacity-error-gap-rises",
                "wen2020:capacity-error-gap-falls-sp1"):
        assert "effect in reference" in claim(cid).preconditions
    # W4: both readings of the singular-value claim are demonstrations (batch-norm substitute; the layers are the
    # population, not a sample: no interval over them)
    for cid in ("wen2020:sv-std-shrinks", "wen2020:sv-std-sums"):
        sv = claim(cid)
        assert sv.kind == "demonstration" and "batch norm" in sv.statement and sv.threshold == V.NO_MARGIN
    # W3: every loss-gap claim of a sweep is gated on a gap in its reference network, as Table 6's are
    for cid in ("wen2020:loss-gap-shrinks", "wen2020:fgsm-loss-gap-shrinks"):
        assert "effect in reference" in claim(cid).preconditions


def test_claim_loss_gap_rows_are_not_testable_without_a_gap_in_the_weakest_network():
    m = _sweep(-1)
    for a in m:  # no gap anywhere: test loss equals training loss
        m[a]["points"]["loss"] = m[a]["row"]["trn_loss"] + 0.05 * np.random.default_rng(a).standard_normal(300)
    lv = {a: np.ones(300) for a in (4, 16, 32)}
    out = {v.claim_id: v for v in ex.regularizer_verdicts(m, 10, lv, np.ones(12), (4, 16), {a: FLAT for a in m},
                                                          fgsm=m, fgsm_histories={a: FLAT for a in m}, seed=0)}
    for cid in ("wen2020:loss-gap-shrinks", "wen2020:fgsm-loss-gap-shrinks"):
        assert out[cid].outcome == V.NOT_TESTABLE and "weakest" in out[cid].precondition.text
    assert out["wen2020:test-acc-falls"].outcome != V.NOT_TESTABLE  # the gate reads the gap, nothing else


def test_sv_rows_show_both_readings_without_an_interval():
    m = _sweep(-1)
    diff = np.array([0.05] * 8 + [-0.5, -0.5])  # most layers fell, but the sum rose: the readings point apart
    out = {v.claim_id: v for v in ex.regularizer_verdicts(m, 10, {a: np.ones(300) for a in (4, 16, 32)}, diff,
                                                          (4, 16), {a: FLAT for a in m}, seed=0)}
    most, sums = out["wen2020:sv-std-shrinks"], out["wen2020:sv-std-sums"]
    assert most.outcome == V.AGREES and most.effect == pytest.approx(0.3) and most.low == most.high
    assert sums.outcome == V.DISAGREES and sums.effect == pytest.approx(0.4 - 1.0)
    assert not most.tallied and not sums.tallied


def test_claim_theory_verdicts_come_from_the_registry_and_can_fail():
    out = {v.claim_id: v for v in ex.theory_verdicts()}
    assert set(out) == {*ex.THEORY_CHECKS, "wen2020:thm31-printed-display", "wen2020:thm31-margin-chain"}
    # a step the book corrected is a book-reading, never tallied as the paper's printed formula
    assert {c for c, v in out.items() if v.kind == "book-reading"} == {
        "wen2020:lemma-3-1", "wen2020:thm31-bound", "wen2020:thm31-one-label-cells"}
    assert out["wen2020:thm31-printed-display"].outcome == V.DISAGREES  # gamma^k, and 2^(k+1) against the proof's 2
    assert out["wen2020:thm31-margin-chain"].outcome == V.DISAGREES  # (13)-(14) with the ReLU masks
    assert {out[c].outcome for c in ex.THEORY_CHECKS} == {V.AGREES}
    # planted: a wrong variant in place of a claim fails its check, so the verdict would be "disagrees"
    from robustbook.theory import wen2020 as T

    wrong = T.MUTANTS["sum_over_cells"][0].claim
    assert V.judge("wen2020:thm31-sum-over-cells", **ex._check("sum_over_cells", wrong)).outcome == V.DISAGREES


def test_claim_theory_mutants_are_never_a_form_the_paper_states():
    """W1: the paper's display and its proof's K = C_X^k/eps^k are claims of their own, not mutants of the book's
    reading; the printed display is judged against the proof's K and fails there."""
    import sympy as sp

    from robustbook.theory import wen2020 as T

    printed = T.theorem_3_1_printed() - sp.Max(0, 2 * (1 - T.u_min / T.gamma))
    proof = sp.sqrt(2 * sp.log(2) * T.C_X ** T.k / (T.eps ** T.k * T.m) + 2 * sp.log(1 / T.eta) / T.m)
    for m in T.MUTANTS["bhc_form"] + T.MUTANTS["bhc_form_proof"]:
        for paper_form in (printed, proof):
            assert sp.simplify(m.claim ** 2 - paper_form ** 2) != 0, m.label
    assert all("paper" not in m.label and "as printed" not in m.label for m in T.MUTANTS["margin_chain"])
    T.check_bhc_form_proof(proof)  # the control: the check accepts the proof's own term
    with pytest.raises(AssertionError):
        T.check_bhc_form_proof(printed)
    with pytest.raises(AssertionError):
        T.check_margin_chain("ReLU masks")
