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


def _verdicts(direction: int, **kw):
    m = _sweep(direction, **kw)
    lv = {a: np.random.default_rng(a).normal(1 + direction * 0.2 * a / 4, 0.05, 300) for a in (4, 16, 32)}
    sv = np.random.default_rng(1).normal(-direction * 0.1, 0.01, 12)
    return {v.claim.split(" (paper")[0]: v for v in ex.regularizer_verdicts(m, 10, lv, sv, (4, 16), seed=0)}


def test_regularizer_rules_reach_agree_disagree_and_inconclusive():
    shrinking, growing, flat = _verdicts(-1), _verdicts(+1), _verdicts(0)
    loss = "loss gap shrinks as AR grows, PGD"
    assert shrinking[loss].outcome == V.AGREES and growing[loss].outcome == V.DISAGREES
    assert flat[loss].outcome == V.INCONCLUSIVE
    pgd = "PGD accuracy on correct points rises with AR"
    assert growing[pgd].outcome == V.AGREES and shrinking[pgd].outcome == V.DISAGREES
    margins = "test margins concentrate near zero: their std falls as AR grows"
    assert shrinking[margins].outcome == V.AGREES and growing[margins].outcome == V.DISAGREES
    sv = next(k for k in shrinking if k.startswith("singular-value"))
    assert shrinking[sv].outcome == V.AGREES and growing[sv].outcome == V.DISAGREES
    lv = next(k for k in shrinking if k.startswith("loss variation"))
    assert shrinking[lv].outcome == V.AGREES and growing[lv].outcome == V.DISAGREES
    for v in shrinking.values():  # every row carries its rule, interval and precondition
        assert v.low <= v.effect <= v.high and v.precondition is not None and "interval" in v.rule


def test_preconditions_make_rows_not_testable():
    underfit = _verdicts(+1, trn=(100, 99, 98, 70))  # the strongest radius underfits by 30 points
    pgd = underfit["PGD accuracy on correct points rises with AR"]
    assert pgd.outcome == V.NOT_TESTABLE and "shortfall" in pgd.precondition.text
    assert underfit["loss gap shrinks as AR grows, PGD"].outcome == V.DISAGREES  # only the PGD row is gated
    chance = _verdicts(-1, acc=(0.95, 0.9, 0.1, 0.1))
    assert {v.outcome for v in chance.values()} == {V.NOT_TESTABLE}


def test_capacity_rules_follow_table6_directions_and_chance():
    m = {(1.0, 4): _net(0.9, 0.5, 99, seed=1), (1.0, 32): _net(0.9, 0.2, 80, seed=2),  # error gap falls
         (None, 4): _net(0.9, 0.5, 99, seed=3), (None, 32): _net(0.9, 0.7, 80, seed=4)}  # loss gap rises, error gap falls
    out = {v.claim.split(" (paper")[0]: v.outcome for v in ex.capacity_verdicts(m, 10)}
    assert out == {"SP 1: loss gap falls with AR": V.AGREES, "SP 1: error gap falls with AR": V.AGREES,
                   "SP free: loss gap falls with AR": V.DISAGREES, "SP free: error gap rises with AR": V.DISAGREES}
    m[1.0, 4] = _net(0.1, 0.5, 10, seed=5)  # at chance: that clip is not testable, the other one still is
    out = {v.claim.split(" (paper")[0]: v.outcome for v in ex.capacity_verdicts(m, 10)}
    assert out["SP 1: loss gap falls with AR"] == V.NOT_TESTABLE == out["SP 1: error gap falls with AR"]
    assert out["SP free: loss gap falls with AR"] == V.DISAGREES


def test_capacity_rows_need_flattened_training_losses():
    m = {(3.0, 4): _net(0.9, 0.5, 99, seed=1), (3.0, 8): _net(0.9, 0.2, 80, seed=2),
         (None, 4): _net(0.9, 0.5, 99, seed=3), (None, 8): _net(0.9, 0.2, 80, seed=4)}
    flat = pd.DataFrame({"epoch": [1, 2, 3, 4], "loss": [2.3, 1.0, 0.501, 0.5]})
    falling = pd.DataFrame({"epoch": [1, 2, 3, 4], "loss": [2.3, 2.0, 1.5, 1.0]})
    hist = {k: flat for k in m}
    assert V.NOT_TESTABLE not in {v.outcome for v in ex.capacity_verdicts(m, 10, histories=hist)}
    hist[None, 8] = falling  # the unclipped AR-8 net still descending: only its clip's rows are gated
    out = {v.claim.split(" (paper")[0]: v for v in ex.capacity_verdicts(m, 10, histories=hist)}
    assert out["SP free: loss gap falls with AR"].outcome == V.NOT_TESTABLE
    assert "SP free AR 8 loss flattened" in out["SP free: loss gap falls with AR"].precondition.text
    assert out["SP 3: loss gap falls with AR"].outcome == V.AGREES


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
        ex.regularizer_verdicts({0: _net(0.9, 0.5, 99), 4: _net(0.9, 0.5, 99)}, 10, {}, np.zeros(3), (4, 4))
