"""Robust accuracy by suite: threat-set membership, ordering of suites, determinism, the report, errors."""
from __future__ import annotations

import sys

import pytest
import torch

from robustbook.attacks import in_threat_set
from robustbook.evaluate import robust_accuracy, robustness_report
from robustbook.evaluate.checks import Quantized
from robustbook.evaluate.robust import SuiteConfig, as_tensors, make_attack, robust_correct

from _evaluate_toys import toy

CFG = SuiteConfig(pgd_steps=10, aa_steps=10, square_queries=300, blackbox_queries=300, strong_steps=20, strong_restarts=2)


@pytest.fixture(scope="module")
def plain():
    return toy()


@pytest.mark.parametrize("suite", ["apgd-ce", "apgd-t", "fab-t", "square"])
@pytest.mark.parametrize("norm, eps", [("linf", 0.1), ("l2", 0.8)])
def test_reference_components_stay_in_threat_set_and_leave_state(plain, suite, norm, eps):
    m, x, y = plain
    m.train()
    state, tracer = torch.random.get_rng_state(), sys.gettrace()
    x_adv = make_attack(suite, m, eps, norm, num_classes=4, cfg=CFG)(x[:12], y[:12])
    assert in_threat_set(x[:12], x_adv, eps, norm)
    assert m.training and all(p.grad is None for p in m.parameters())
    assert torch.equal(state, torch.random.get_rng_state())  # the reference reseeds; we restore
    assert sys.gettrace() is tracer  # its dynamic-defence check resets the trace function; we restore
    m.eval()


def test_autoattack_is_at_least_as_strong_as_each_component_run_first(plain):
    m, x, y = plain
    aa = robust_correct(m, (x, y), "linf", 0.12, "autoattack", cfg=CFG, num_classes=4)
    first = robust_correct(m, (x, y), "linf", 0.12, "apgd-ce", cfg=CFG, num_classes=4)
    assert not (aa.robust & ~first.robust).any()  # the chain starts with APGD-CE on the same seed
    assert list(aa.broken_by) == ["apgd-ce", "apgd-t", "fab-t", "square"]
    assert sum(aa.broken_by.values()) == int(aa.clean.sum() - aa.robust.sum())
    assert (aa.robust <= aa.clean).all()


def test_linear_closed_form_pgd_robust_accuracy(plain):
    """Two classes, linear logits: the margin after the worst L_inf attack is m - eps * ||w_y - w_j||_1."""
    m, x, y = plain
    keep = y < 2
    x2, y2 = x[keep], y[keep]
    w = m[1].weight[:2].detach()
    bin_model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 2)).eval()
    with torch.no_grad():
        bin_model[1].weight.copy_(w)
        bin_model[1].bias.zero_()
    eps = 0.1
    logits = bin_model(x2).detach()
    margin = (logits.gather(1, y2[:, None]) - logits.gather(1, (1 - y2)[:, None])).squeeze(1)
    # the box can only make the attack weaker; with pixels in [0.3, 0.7] and eps 0.1 it never binds
    assert float(x2.min()) >= eps and float(x2.max()) <= 1 - eps
    exact = float((margin > eps * (w[0] - w[1]).abs().sum()).float().mean())
    got = robust_accuracy(bin_model, (x2, y2), "linf", eps, "pgd", cfg=CFG)
    assert got == pytest.approx(exact)


def test_robust_accuracy_is_deterministic_and_monotone_in_eps(plain):
    m, x, y = plain
    a = [robust_accuracy(m, (x, y), "linf", e, "pgd", cfg=CFG) for e in (0.0, 0.05, 0.1, 0.2)]
    assert a == [robust_accuracy(m, (x, y), "linf", e, "pgd", cfg=CFG) for e in (0.0, 0.05, 0.1, 0.2)]
    assert a[0] == 1.0 and all(b <= c + 1e-9 for b, c in zip(a[1:], a))


def test_report_names_suites_and_exposes_the_masked_model(plain):
    m, x, y = plain
    cfg = SuiteConfig(pgd_steps=10, aa_steps=10, square_queries=5000, blackbox_queries=300)
    # AutoAttack's Square keeps the standard schedule of square sizes, fitted to 10,000 queries: a few hundred
    # queries are its first, coarse ones, which do not cross the quantization steps; 5,000 (standard) do
    rep = robustness_report(Quantized(m, 4), (x, y), "linf", 0.15, cfg=cfg, num_classes=4,
                            checks=("gradients", "black box"))
    assert list(rep.suites["suite"]) == ["pgd", "autoattack"]
    pgd, aa = rep.suites["robust accuracy"]
    assert pgd - aa > 0.1  # PGD is stalled by the zero gradient, Square inside AutoAttack is not
    assert rep.headline == ("autoattack", aa) and not rep.passed
    assert "FAILED" in rep.summary() and "AutoAttack" in rep.summary()
    assert "<table" in rep._repr_html_()


def test_bad_input_is_a_clear_error(plain):
    m, x, y = plain
    with pytest.raises(ValueError, match="invalid suite"):
        robust_accuracy(m, (x, y), suite="cw")
    with pytest.raises(ValueError, match="invalid norm"):
        robust_accuracy(m, (x, y), threat="l1")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        robust_accuracy(m, (x * 255, y))
    with pytest.raises(ValueError, match="eps"):
        robust_accuracy(m, (x, y), eps=-1.0)
    with pytest.raises(ValueError, match="4 classes"):
        make_attack("apgd-t", m, 0.1, num_classes=3)
    assert as_tensors((x, y), subset=5)[0].shape[0] == 5


def test_chapter_driver_settings_and_masking_verdict():
    import numpy as np

    from robustbook import verdicts
    from robustbook.experiments import evaluating as ex

    for p in ("smoke", "cpu", "gpu"):
        s = ex.settings(p)
        assert s.subset >= 1 and s.suites.pgd_steps == 20
    assert ex.settings("gpu").suites.aa_steps == 100 and ex.settings("gpu").suites.square_queries == 5000
    with pytest.raises(ValueError, match="profile"):
        ex.settings("tpu")
    pgd = np.r_[np.ones(60), np.zeros(40)]
    assert ex.masking_verdict(pgd, np.zeros(100), 0.9, 10).outcome == verdicts.AGREES
    assert ex.masking_verdict(pgd, pgd, 0.9, 10).outcome == verdicts.INCONCLUSIVE
    assert ex.masking_verdict(np.zeros(100), pgd, 0.9, 10).outcome == verdicts.DISAGREES
    assert ex.masking_verdict(pgd, np.zeros(100), 0.1, 10).outcome == verdicts.NOT_TESTABLE
    shown = ex.masking_verdict(pgd, np.zeros(100), 0.9, 10)  # the book's demonstration: shown, never tallied
    assert shown.kind == "demonstration" and not shown.tallied and shown.claim_id == "book:masked-model-exposed"


def test_chapter_report_uses_the_driver_subset_and_names_both_suites(plain):
    """The chapters' report: both suites on CHAPTER_SUBSET points of the profile; a bad profile errs."""
    from robustbook.experiments import evaluating as ex
    model, x, y = plain
    rep = ex.chapter_report(model, (x, y), "linf", 0.05, "smoke")
    assert list(rep.suites["suite"]) == ["pgd", "autoattack"]
    assert (rep.suites["n"] == ex.CHAPTER_SUBSET["smoke"]).all()
    assert rep.suites["attacks"].iloc[1].startswith("AutoAttack")
    assert len(rep.checks) and "PGD-20" in rep.summary()
    assert (ex.chapter_report(model, (x, y), "l2", 0.3, "smoke", subset=5).suites["n"] == 5).all()
    with pytest.raises(ValueError, match="profile"):
        ex.chapter_report(model, (x, y), "linf", 0.05, "laptop")
    assert ex.CHAPTER_SUBSET["cpu"] <= ex.settings("cpu").subset  # at most the evaluating chapter's
    gpu = ex.CHAPTER_SUITES["gpu"]
    assert (gpu.aa_steps, gpu.square_queries) == (100, 5000)  # the standard AutoAttack at gpu
