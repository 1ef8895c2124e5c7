"""Every driver: settings for every profile, recipes the zoo accepts, and notebooks without CHAPTER dicts."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from robustbook.experiments.common import PROFILE_NAMES, settings_tables
from robustbook import zoo

ROOT = Path(__file__).resolve().parents[1]


def test_every_driver_has_frozen_settings_at_every_profile():
    tables = settings_tables()
    papers = {name.split(".")[0] for name in tables}
    assert {"foundations", "yi2021", "nern2023", "alhamoud2023", "bai2024", "wen2020", "evaluating"} <= papers
    for driver, named in tables.items():
        for name, table in named.items():
            assert set(table) == set(PROFILE_NAMES), (driver, name)
            s = table["cpu"]
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(s, dataclasses.fields(s)[0].name, None)


def test_no_notebook_keeps_its_own_budget():
    offenders = [p for p in ROOT.glob("notebooks/**/*.md") if "CHAPTER = {" in p.read_text()]
    assert not offenders


def test_driver_recipes_have_keys():
    from robustbook.experiments import nern2023, wen2020

    s = wen2020.regularizer_settings("smoke")
    keys = {zoo.key(wen2020.recipe(s, "bn", ar)) for ar in s.ar_grid}
    keys.add(zoo.key(wen2020.recipe(s, "bn", 16, "fgsm")))
    keys.add(zoo.key(wen2020.recipe(wen2020.capacity_settings("smoke"), "fixup", 16, clip=1.0)))
    assert len(keys) == len(s.ar_grid) + 2
    t = nern2023.transfer_settings("smoke")
    enc = nern2023.encoder_recipe(t, "standard", "linf", 0.0, epochs=1, batch_size=64, lr=0.01, train_size=64)
    probes = {zoo.key(nern2023.probe_recipe(t, enc, wd, 64)) for wd in t.weight_decays}
    assert len(probes) == len(t.weight_decays) and zoo.key(enc) not in probes


# ---- foundations / evaluating: the registered claims and demonstrations, each able to fail ----------------
def _lemma_table(w_inf_shift=0.0, w2_equal=False):
    import pandas as pd

    from robustbook.experiments.foundations import LP_COLUMNS
    r = [0.0, 0.1, 0.5]
    point = [1.0, 1.2, 1.9]
    w_2 = point if w2_equal else [1.0, 1.3, 2.4]
    return pd.DataFrame({"r": r, LP_COLUMNS[0]: [p + w_inf_shift for p in point], LP_COLUMNS[1]: point,
                         LP_COLUMNS[2]: w_2})


def test_found_claim_lemma1_is_a_demonstration_whose_check_can_fail():
    from robustbook import verdicts as V
    from robustbook.experiments import foundations as ex
    from robustbook.papers.registry import claim

    c = claim("yi2021:lemma1-pointwise-worst-case")
    # an identity on a grid (the W_inf LP separates per atom): shown, never tallied (referee 3, F1)
    assert c.kind == "demonstration" and c.rule == "check" and not c.tallied and not c.preconditions
    assert ex.verdict_lemma1(_lemma_table()).outcome == V.AGREES
    assert ex.verdict_lemma1(_lemma_table(w_inf_shift=1e-3)).outcome == V.DISAGREES  # planted: identity broken
    assert ex.verdict_lemma1(_lemma_table(w2_equal=True)).outcome == V.INCONCLUSIVE  # mutant let through


def test_found_claim_lemma1_on_the_real_lp():
    import numpy as np
    import pandas as pd

    from robustbook import verdicts as V
    from robustbook.experiments import foundations as ex
    from robustbook.theory import wasserstein as W

    atoms, probs, grid = np.array([-1.0, 0.3, 0.8]), np.array([0.2, 0.5, 0.3]), np.linspace(-3, 3, 241)
    f = lambda z: np.sin(3 * z) + 0.5 * z ** 2  # noqa: E731
    rows = [{"r": r, ex.LP_COLUMNS[0]: W.worst_case_over_ball(atoms, probs, f, r, grid, p=np.inf),
             ex.LP_COLUMNS[1]: W.pointwise_worst_case(atoms, probs, f, r, grid),
             ex.LP_COLUMNS[2]: W.worst_case_over_ball(atoms, probs, f, r, grid, p=2)} for r in (0.0, 0.25, 0.5)]
    assert ex.verdict_lemma1(pd.DataFrame(rows)).outcome == V.AGREES


def test_found_claim_table1_readings_are_demonstrations_not_yi2021():
    from robustbook.papers.registry import claims

    known = claims()
    assert not any(k.startswith("yi2021:table1-std-") for k in known)
    for k in ("book:every-corruption-costs-accuracy", "book:corruption-ranking-transfers",
              "book:pgd-push-forward-above-noise"):
        assert not known[k].tallied


def test_found_fgsm_gate_is_the_near_chance_rule():
    import numpy as np

    from robustbook import verdicts as V
    from robustbook.experiments import foundations as ex

    pgd = np.zeros(200)
    low = np.r_[np.ones(24), np.zeros(176)]  # FGSM accuracy 0.12: above 0.05, but near chance for k = 10
    assert ex.verdict_pgd_vs_fgsm("m", low, pgd, 0.9, 10).outcome == V.NOT_TESTABLE
    high = np.r_[np.ones(100), np.zeros(100)]
    assert ex.verdict_pgd_vs_fgsm("m", high, pgd, 0.9, 10).this_run == V.AGREES


def _correct_frame(clean, accs, n=400, seed=0):
    import numpy as np
    import pandas as pd

    from robustbook.data.corruptions import CORRUPTIONS
    rng = np.random.default_rng(seed)
    cols = {"Clean": (rng.random(n) < clean).astype(float)}
    cols.update({c: (rng.random(n) < a).astype(float) for c, a in zip(CORRUPTIONS, accs)})
    return pd.DataFrame(cols)


def test_found_claim_corruption_demonstrations_read_every_corruption_and_point_noise():
    import numpy as np

    from robustbook import verdicts as V
    from robustbook.data.corruptions import CORRUPTIONS
    from robustbook.experiments import foundations as ex

    paper = dict(zip(CORRUPTIONS, np.linspace(20, 90, 15)))
    costly = _correct_frame(0.97, np.linspace(0.2, 0.8, 15))
    cost, rank = ex.verdicts_corruptions(costly, paper, 10)
    assert cost.this_run == V.AGREES and rank.this_run == V.AGREES
    # planted: one corruption costs nothing, so "every corruption costs" must not agree although the mean drop is large
    one_free = _correct_frame(0.97, [*np.linspace(0.2, 0.8, 14), 0.97])
    assert ex.verdicts_corruptions(one_free, paper, 10)[0].this_run != V.AGREES
    # planted: all corruptions equally hard, so ranks are ties within sampling noise: the interval must reach 0
    ties = _correct_frame(0.97, np.full(15, 0.9))
    r = ex.verdicts_corruptions(ties, paper, 10)[1]
    assert r.low < 0 < r.high and r.this_run == V.INCONCLUSIVE
    # too few test points: not testable
    assert ex.verdicts_corruptions(costly.iloc[:50], paper, 10)[0].outcome == V.NOT_TESTABLE


class _FakeReport:
    def __init__(self, pgd, aa, passed=True):
        import torch
        from types import SimpleNamespace
        self.results = {"pgd": SimpleNamespace(robust=torch.tensor(pgd, dtype=torch.bool)),
                        "autoattack": SimpleNamespace(robust=torch.tensor(aa, dtype=torch.bool))}
        self.passed = passed


def test_evaluating_trust_sentence_states_n_and_what_it_could_miss():
    from robustbook.experiments import evaluating as ev

    same = [True] * 20 + [False] * 20
    s = ev.trust_sentence(_FakeReport(same, same))
    g = ev.pgd_gap(_FakeReport(same, same))
    assert g["high"] == 0 and g["miss"] > 0.05  # the bootstrap degenerates; the Wilson end does not
    assert "n = 40" in s and f"{100 * g['miss']:+.1f} points" in s and "absence of evidence" in s
    broken = [False] * 15 + [True] * 5 + [False] * 20  # planted: AutoAttack breaks 15 more points
    assert "significantly more" in ev.trust_sentence(_FakeReport(same, broken))
    assert "masking check fails" in ev.trust_sentence(_FakeReport(same, same, passed=False))
