"""Each gradient-masking check flags the model built to fail it and passes a plain model."""
from __future__ import annotations

import pytest
import torch

from robustbook.evaluate.checks import (CHECKS, NoisyInput, Quantized, SingleStepTrap, SoftmaxOutput,
                                        check_deterministic, check_eps_to_chance, check_gradients, check_logits,
                                        checks_table, grey_radius)
from robustbook.evaluate.robust import SuiteConfig, robust_correct

from _evaluate_toys import grey_images, toy

CFG = SuiteConfig(pgd_steps=10, aa_steps=10, square_queries=300, blackbox_queries=300, strong_steps=20, strong_restarts=3)
EPS = 0.12


def results(model, x, y, **kw):
    torch.manual_seed(0)
    table = checks_table(model, (x, y), "linf", EPS, cfg=CFG, num_classes=4, **kw)
    return dict(zip(table["check"], table["result"]))


@pytest.fixture(scope="module")
def plain():
    return toy()


def test_plain_model_passes_every_check(plain):
    got = results(*plain)
    assert set(got) == set(CHECKS)
    assert all(r == "pass" for r in got.values()), got


@pytest.mark.parametrize("build, fails", [
    (lambda m: Quantized(m, 4), {"gradients", "black box", "eps to chance"}),
    (lambda m: NoisyInput(m, 0.3), {"deterministic", "iterations"}),
    (lambda m: SoftmaxOutput(m), {"logits"}),
])
def test_built_to_fail_models_fail_their_checks(plain, build, fails):
    m, x, y = plain
    got = results(build(m), x, y, which=tuple(sorted(fails)))
    assert all(got[c] == "FAIL" for c in fails), got


def test_single_step_trap_fgsm_beats_pgd():
    x, y = grey_images()
    trap = SingleStepTrap()
    table = checks_table(trap, (x, y), "linf", 0.08, which=("single step", "gradients", "deterministic"),
                         num_classes=2, cfg=CFG)
    got = dict(zip(table["check"], table["result"]))
    assert got == {"single step": "FAIL", "gradients": "pass", "deterministic": "pass"}
    # the trap itself: PGD's small steps stall at the local loss maximum, one step of eps jumps past it
    pgd = robust_correct(trap, (x, y), "linf", 0.08, "pgd", cfg=CFG, num_classes=2)
    fgsm = robust_correct(trap, (x, y), "linf", 0.08, "fgsm", cfg=CFG, num_classes=2)
    assert pgd.accuracy == 1.0 and fgsm.accuracy == 0.0


def test_direct_checks_measure_what_they_say(plain):
    m, x, y = plain
    assert check_logits(SoftmaxOutput(m), x).value == 1.0 and check_logits(m, x).value == 0.0
    q = check_gradients(Quantized(m, 4), x, y)
    assert q.value == 1.0 and not q.passed
    assert check_deterministic(NoisyInput(m, 0.3), x).value > 0
    assert grey_radius("linf", x) == 0.5 and grey_radius("l2", x) == pytest.approx(4.0)
    # the rule itself: accuracy 0.9 at a reachable-grey radius is not chance for 4 classes, 0.26 is
    from robustbook.evaluate.robust import RobustResult
    fake = lambda acc: RobustResult("pgd", torch.ones(100, dtype=torch.bool), torch.arange(100) < acc * 100, {}, 0.0)
    assert not check_eps_to_chance(fake(0.9), 4, 0.5).passed
    assert check_eps_to_chance(fake(0.26), 4, 0.5).passed


def test_checks_leave_the_model_as_found(plain):
    m, x, y = plain
    m.train()
    results(m, x, y, which=("gradients", "black box"))
    assert m.training and all(p.grad is None for p in m.parameters())
    m.eval()


def test_unknown_check_is_an_error(plain):
    m, x, y = plain
    with pytest.raises(ValueError, match="unknown checks"):
        checks_table(m, (x, y), which=("bogus",))
