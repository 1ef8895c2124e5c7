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
    assert good[0].this_run == V.AGREES and good[1].this_run != V.NOT_TESTABLE
    for gate, ft in ((flat, _falling()), (ex.flattened({"net": _falling()}, ["net"]), _flat()), (flat, None)):
        assert all(v.outcome == V.NOT_TESTABLE for v in ex.verdict_finetune("net", before, after, loss_gate=gate,
                                                                            ft_history=ft))
    assert ex.verdict_w2_stronger("net", _ev()).outcome == V.NOT_TESTABLE  # no curve given: not flattened
    published = ex.flattened({}, ["Zhang et al. (2019)"], published=True)
    assert published.met and published.kind == "loss flattened" and "RobustBench" in published.text


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
