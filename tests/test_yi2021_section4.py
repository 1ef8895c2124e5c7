"""yi2021 Section 4 (Theorems 4-5): every check holds, every mutant is rejected; the chapter's verdict helpers."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from robustbook.theory import yi2021_section4 as th


def test_every_check_holds_and_every_mutant_is_rejected():
    records = th.run_checks()
    assert {r["check"] for r in records} == set(th.CHECKS) and all(r["verdict"] == "holds" for r in records)
    rows = th.run_mutants()
    assert rows and all(r["rejected"] for r in rows), [r for r in rows if not r["rejected"]]
    assert set(th.MUTANTS) == set(th.CHECKS)  # every check has at least one wrong claim it must reject


def test_structured_instance_reaches_the_tight_constants():
    ys, f, p, q = th.structured_instance(0.4)
    assert th.tv(p, q) == pytest.approx(0.4)
    assert th.worst_mean_gap(p, q, 1.0) == pytest.approx(0.4)  # M TV, half the printed 2 M TV
    lhs, eps_pre = th.sup_winf(p, ys, ys, f, 0.1), th.sup_winf(q, ys, ys, f, 0.1)
    assert lhs - eps_pre == pytest.approx(0.4)  # (13)'s TV term is needed for W_inf, with constant 1


def test_bound_helpers():
    assert th.tv_lower_bound(0.5) == 0 and th.tv_lower_bound(0.3) == 0 and th.tv_lower_bound(0.9) == pytest.approx(0.8)
    assert th.theorem4_bound(0.1, 1.0, 0.2) == pytest.approx(0.5)
    assert th.theorem4_bound(0.1, 1.0, 0.2, n=100, theta=0.05) == pytest.approx(0.5 + math.sqrt(math.log(20) / 200))
    assert th.theorem5_radius(2.0, 0.5, 0.3) == pytest.approx(math.sqrt(4 + 0.09))


def test_two_sample_tv_estimate_separates_and_does_not_invent_a_shift():
    from robustbook.experiments.yi2021 import pretraining

    rng = np.random.default_rng(0)
    same = pretraining.tv_two_sample(rng.normal(size=(400, 5)), rng.normal(size=(400, 5)))
    apart = pretraining.tv_two_sample(rng.normal(size=(400, 5)) + 4, rng.normal(size=(400, 5)))
    assert same["TV lower bound (95%)"] < 0.1 and apart["TV lower bound (95%)"] > 0.8


def test_table3_and_table2_verdicts_follow_the_data():
    from robustbook import verdicts as V
    from robustbook.experiments.yi2021 import nlu, table3
    from robustbook.papers import yi2021 as paper

    rng = np.random.default_rng(0)
    n = 300
    correct = {}
    for ft in paper.FINETUNINGS:
        for pre in paper.PRETRAININGS:
            p_clean = 0.95
            p_corr = 0.5 + (0.25 if pre.startswith("Adv") else 0) + {"Std": 0.0, "Adv-l2": 0.05, "Adv-linf": 0.15}[ft]
            clean = rng.random((n, 1)) < p_clean
            corr = rng.random((n, 15)) < p_corr
            correct[(ft, pre)] = np.hstack([clean, corr]).astype(float)
    curve = pd.DataFrame({"epoch": [1, 2, 3], "loss": [2.0, 0.501, 0.5]})  # flattened: the plateau gate is met
    hist = {**{f"{ft}/{pre}": curve for ft in paper.FINETUNINGS for pre in paper.PRETRAININGS},
            **{f"pre-training {m}": curve for m in paper.PRETRAININGS[1:]}}
    out = V.table(table3.table3_verdicts(correct, 5, 0, hist))
    assert (out[out["id"] == "yi2021:t3-adv-pretraining"]["verdict"] == V.AGREES).all()
    assert (out[out["id"] == "yi2021:t3-linf-beats-l2-finetuning"]["verdict"] == V.AGREES).all()
    flat = {k: np.hstack([v[:, :1], np.repeat(v[:, :1], 15, 1)]) for k, v in correct.items()}  # corruptions cost 0
    assert (V.table(table3.table3_verdicts(flat, 5, 0, hist))["verdict"] == V.NOT_TESTABLE).all()
    ones = np.ones(200)
    share = lambda p: (np.arange(200) < p * 200).astype(float)
    t2 = {"Std": {"airline": ones, "cars": share(0.75)}, "Adv-l2": {"airline": ones, "cars": ones},
          "Adv-linf": {"airline": ones, "cars": share(0.6)}}
    hist_t2 = {m: curve for m in paper.FINETUNINGS}
    verdicts = {v.claim.split(" vs")[0]: v.outcome for v in nlu.table2_verdicts(t2, "airline", 0, hist_t2)}
    assert verdicts == {"Adv-l2": V.AGREES, "Adv-linf": V.DISAGREES}
    t2["Std"]["cars"] = share(0.5)  # Std at chance out of domain: the claim reads that split, not testable
    assert {v.outcome for v in nlu.table2_verdicts(t2, "airline", 0, hist_t2)} == {V.NOT_TESTABLE}


def test_gpu_profile_fails_clearly_offline(tmp_path, monkeypatch):
    from robustbook.data.download import DataUnavailableError
    from robustbook.experiments.yi2021 import pretraining

    monkeypatch.setenv("ROBUSTBOOK_DATA", str(tmp_path))
    with pytest.raises(DataUnavailableError, match="robust-models-transfer"):
        pretraining.pretrained_model(pretraining.pretrain_settings("gpu"), "Adv-l2", "cpu")
    with pytest.raises(ValueError):
        pretraining.pretrain_settings("tpu")
    with pytest.raises(ValueError):
        pretraining.finetuned_model(pretraining.pretrain_settings("smoke"), "Imagenet", "Std", "cpu")


def test_robustness_checkpoint_keys_map_to_torchvision():
    import torch

    from robustbook.models.pretrained import Resized, robustness_state_dict

    ckpt = {"model": {"module.normalizer.new_mean": torch.zeros(3), "module.model.fc.weight": torch.ones(2, 2),
                      "module.attacker.model.fc.weight": torch.zeros(2, 2)}, "epoch": 90}
    assert list(robustness_state_dict(ckpt)) == ["fc.weight"]
    with pytest.raises(ValueError):
        robustness_state_dict({"model": {"fc.weight": torch.ones(1)}})
    x = torch.rand(2, 3, 32, 32)
    assert Resized(torch.nn.Identity(), 56)(x).shape == (2, 3, 56, 56)
