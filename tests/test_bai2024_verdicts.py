"""bai2024's verdict functions: each gate can fail (planted wrong cases), the equal-cost comparison of Table 2, the
exact permutation test of Fig. 7.1, the decades gate of Theorem 4.1 (i), and the budget identity as a demonstration."""
from __future__ import annotations

import numpy as np
import pandas as pd

from robustbook import verdicts as V
from robustbook.experiments import bai2024 as ex
from robustbook.experiments.yi2021 import ood_bounds
from robustbook.theory import bai2024 as T

N = 400
rng = np.random.default_rng(0)


def _ev(clean=0.9, winf=0.6, w2=0.3):
    pick = lambda p: (rng.random(N) < p).astype(float)  # noqa: E731
    return {"clean": pick(clean), "winf": pick(winf), "w2": pick(w2)}


def _flat(n=8):  # a loss curve on its plateau
    return pd.DataFrame({"loss": [2.0 * 0.3 ** k + 1.0 for k in range(n)]})


def _falling():  # still descending: last epoch 1/3 of the descent
    return pd.DataFrame({"loss": [3.0, 2.0, 1.0]})


def test_claim_budget_weaker_judged_at_equal_cost_with_a_two_sided_gate():
    ev = _ev()
    budget = np.r_[np.ones(N // 2), np.zeros(N // 2)]  # 50% under the budget attack
    wpgd = np.r_[np.ones(N // 5), np.zeros(N - N // 5)]  # 20% under W-PGD at the same cost
    gate = ex.flattened({"net": _flat()}, ["net"])
    ok = ex.verdict_budget("net", ev, budget, 0.87, (wpgd, 0.87 * (1 + 1e-7)), 200, loss_gate=gate)
    assert [v.this_run for v in ok] == [V.AGREES, V.AGREES]
    # planted: W-PGD underspends (the old one-sided gate passed this) or overspends: not testable either way
    for wrong in (0.80, 0.95):
        v = ex.verdict_budget("net", ev, budget, 0.87, (wpgd, wrong), 200, loss_gate=gate)[0]
        assert v.outcome == V.NOT_TESTABLE and v.this_run == V.NOT_TESTABLE
        assert not ex.matched_cost_gate(0.87, wrong).met and ex.matched_cost_gate(0.87, 0.87).met
    # "stronger than W_inf" stays one-sided at delta: an overspending budget attack is not testable
    over = ex.verdict_budget("net", ev, budget, 1.2, (wpgd, 1.2), 200, loss_gate=gate)
    assert over[0].this_run == V.AGREES and over[1].outcome == V.NOT_TESTABLE


def test_claim_gates_on_loss_flattened_for_pretrained_and_finetuned_models():
    before, after = _ev(w2=0.2), _ev(w2=0.6)
    flat = ex.flattened({"net": _flat()}, ["net"])
    good = ex.verdict_finetune("net", before, after, loss_gate=flat, ft_history=_flat())
    assert [v.claim_id for v in good] == ["bai2024:finetune-raises-w2", "bai2024:finetune-raises-winf-original-data",
                                          "bai2024:finetune-keeps-winf"]
    assert good[0].this_run == V.AGREES and good[1].this_run != V.NOT_TESTABLE
    for gate, ft in ((flat, _falling()), (ex.flattened({"net": _falling()}, ["net"]), _flat()), (flat, None)):
        assert all(v.outcome == V.NOT_TESTABLE for v in ex.verdict_finetune("net", before, after, loss_gate=gate,
                                                                            ft_history=ft))
    assert ex.verdict_w2_stronger("net", _ev()).outcome == V.NOT_TESTABLE  # no curve given: not flattened
    published = ex.flattened({}, ["Zhang et al. (2019)"], published=True)
    assert published.met and published.kind == "loss flattened" and "RobustBench" in published.text


def test_claim_budget_feasible_gate_allows_float32_rounding_only():
    ev, flat = _ev(), ex.flattened({"net": _flat()}, ["net"])
    budget = np.r_[np.ones(N // 5), np.zeros(N - N // 5)]
    for cost, met in ((1.0, True), (1 + 5e-6, True), (1 + 2 * V.FLOAT32_SLACK, False), (1.067, False)):
        v = ex.verdict_budget("net", ev, budget, cost, (budget, cost), 200, loss_gate=flat)[1]
        assert (v.outcome != V.NOT_TESTABLE) == met, cost  # an attack spending delta up to rounding is feasible


def test_claim_sec8_winf_row_only_for_networks_trained_on_original_data():
    before, after = _ev(winf=0.5), _ev(winf=0.5)
    flat = ex.flattened({"net": _flat()}, ["net"])
    ids = [v.claim_id for v in ex.verdict_finetune("net", before, after, loss_gate=flat, ft_history=_flat(),
                                                   original_data=False)]
    assert ids == ["bai2024:finetune-raises-w2", "bai2024:finetune-keeps-winf"]


def test_claim_keeps_winf_is_a_demonstration_that_an_unchanged_winf_cannot_make_agree():
    same = {"clean": np.ones(N), "winf": np.r_[np.ones(N // 2), np.zeros(N // 2)], "w2": np.zeros(N)}
    moved = dict(same, winf=np.r_[np.ones(N // 2 - 20), np.zeros(20), np.ones(20), np.zeros(N // 2 - 20)])
    flat = ex.flattened({"net": _flat()}, ["net"])
    keeps = ex.verdict_finetune("net", same, moved, loss_gate=flat, ft_history=_flat())[-1]
    assert keeps.claim_id == "bai2024:finetune-keeps-winf" and not keeps.tallied
    assert keeps.effect == 0 and keeps.this_run == V.INCONCLUSIVE  # the zero margin: "kept" reads inconclusive


def test_claim_case_study_statements_judge_both_threats_together():
    rng2 = np.random.default_rng(1)
    before = {"clean": np.ones(N), "winf": (rng2.random(N) < 0.6).astype(float),
              "w2": (rng2.random(N) < 0.4).astype(float)}
    down = {k: v * (rng2.random(N) < 0.7) for k, v in before.items()}  # both threats lose ~30% of their points
    up_both = {k: np.maximum(v, rng2.random(N) < 0.5) for k, v in before.items()}  # both gain
    up_w2 = dict(before, w2=up_both["w2"], winf=down["winf"])  # W_2 up, W_inf down
    up_w2["clean"] = np.ones(N)
    flat, h = ex.flattened({"net": _flat()}, ["net"]), _flat()
    last, whole = ex.verdict_case_study("net", before, down, up_both, loss_gate=flat, last_history=h,
                                        whole_history=h)
    assert (last.claim_id, whole.claim_id) == ("bai2024:lastlayer-no-gain", "bai2024:whole-improves-both")
    assert last.this_run == V.AGREES and whole.this_run == V.AGREES
    # planted: the last layer alone raises W_2 (the larger change is positive), the whole network loses W_inf
    last2, whole2 = ex.verdict_case_study("net", before, up_w2, up_w2, loss_gate=flat, last_history=h,
                                          whole_history=h)
    assert last2.this_run == V.DISAGREES and whole2.this_run == V.DISAGREES
    # a fine-tuning run still falling: not testable
    falling = ex.verdict_case_study("net", before, down, up_both, loss_gate=flat, last_history=_falling(),
                                    whole_history=h)
    assert falling[0].outcome == V.NOT_TESTABLE and falling[1].outcome != V.NOT_TESTABLE


def test_claim_fig71_row_shows_the_exact_p_value_not_an_out_of_range_interval():
    names = [f"n{i}" for i in range(5)]
    flat = ex.flattened({k: _flat() for k in names}, names)
    v = ex.verdict_upsilon_estimate(dict(zip(names, [10.0, 20, 30, 40, 50])), dict(zip(names, [1, 2, 3, 4, 5.0])),
                                    loss_gate=flat)
    assert v.high > 1  # the inverted interval leaves [-1, 1] here ...
    row = V.table([v]).iloc[0]
    assert "p = 1 for rho < 0, 0.00833 for rho > 0" in row["interval"]  # ... the row shows the p-values instead
    assert "[" not in V._here(row) and v.kind == "book-reading"


def test_claim_fig71_uses_the_exact_permutation_test_at_small_n():
    names = [f"n{i}" for i in range(5)]
    acc = dict(zip(names, [10.0, 20.0, 30.0, 40.0, 50.0]))
    flat = ex.flattened({k: _flat() for k in names}, names)
    perfect = ex.verdict_upsilon_estimate(acc, dict(zip(names, [5, 4, 3, 2, 1.0])), loss_gate=flat)
    assert perfect.this_run == V.AGREES  # p = 1/120 <= ALPHA
    assert perfect.outcome.startswith("inconclusive (one seed")  # it reads trained networks: the seed rule
    one_swap = ex.verdict_upsilon_estimate(acc, dict(zip(names, [5, 4, 3, 1, 2.0])), loss_gate=flat)
    assert one_swap.this_run == V.INCONCLUSIVE  # p = 5/120 > ALPHA
    reversed_ = ex.verdict_upsilon_estimate(acc, dict(zip(names, [1, 2, 3, 4, 5.0])), loss_gate=flat)
    assert reversed_.this_run == V.DISAGREES
    few = ex.verdict_upsilon_estimate(dict(list(acc.items())[:4]), dict(zip(names[:4], [4, 3, 2, 1.0])),
                                      loss_gate=ex.flattened({k: _flat() for k in names}, names[:4]))
    assert few.outcome == V.NOT_TESTABLE  # below MIN_RANK_POINTS


def test_threshold_alpha_matches_the_permutation_p_value():
    for y in ([5, 4, 3, 2, 1], [5, 4, 3, 1, 2], [3, 5, 4, 2, 1], [1, 2, 3, 4, 5], [2, 1, 5, 3, 4]):
        rho, lo, hi = V.spearman_exact([1, 2, 3, 4, 5], y)
        p_neg, p_pos = V.spearman_p_values([1, 2, 3, 4, 5], y)
        assert (hi < 0) == (p_neg <= V.ALPHA) and (lo > 0) == (p_pos <= V.ALPHA) and lo <= rho <= hi


def test_claim_remainder_needs_two_decades_of_delta():
    assert ex.verdict_remainder(0.99, 0.02, T.DELTAS).outcome == V.AGREES
    assert np.log10(max(T.DELTAS) / min(T.DELTAS)) >= V.MIN_DECADES
    narrow = ex.verdict_remainder(0.99, 0.02, (0.2, 0.1, 0.05, 0.025, 0.0125))  # the old grid: 1.2 decades
    assert narrow.outcome == V.NOT_TESTABLE
    assert ex.verdict_remainder(0.99, 0.9, T.DELTAS).outcome == V.NOT_TESTABLE  # control not violated


def test_claim_budget_identity_is_a_demonstration_never_tallied():
    v = ex.verdict_budget_admissible()
    assert v.kind == "demonstration" and not v.tallied and v.outcome == V.AGREES and v.effect == 1.0


def test_shared_theory_runner_serves_both_drivers():
    from robustbook.experiments.common import theory_verdict
    from robustbook.theory import core

    assert core.check_power(T.CHECKS["budget_admissible"], T.MUTANTS["budget_admissible"]) == (True, 2, 2)
    assert core.check_power(lambda: T.check_budget_admissible(2.0), ()) == (False, 0, 0)  # planted: wrong power
    no_mutants = theory_verdict("bai2024:budget-admissible-frozen", T.CHECKS, T.MUTANTS, "budget_admissible",
                                use_mutants=False)
    assert no_mutants.outcome == V.INCONCLUSIVE
    assert ood_bounds.theory_verdict("yi2021:remark1", "remark1").outcome == V.AGREES
