"""The reference AutoAttack (pyautoattack) behind suite="autoattack": parity with the torchattacks ensemble it
replaced, its budget and targets, the chain against the library's single call, and the book's protocol."""
from __future__ import annotations

import pytest
import torch

from robustbook.evaluate.robust import (STANDARD, SuiteConfig, make_attack, reference_autoattack, robust_correct,
                                        set_apgd_iterations)
from robustbook.intervals import wilson_interval

from _evaluate_toys import mlp_toy, toy

# Recorded once with the previous ensemble (torchattacks 3.3.0: APGD-CE, APGD-T, FAB-T, Square chained at the
# standard budget), robustbook at commit 5b440fd, on CPU, torch 2.14.1, one thread:
#   m, x, y = mlp_toy(); robust_correct(m, (x, y), norm, eps, "autoattack", num_classes=4, seed=0)
# linf 0.06: 75 of 200 robust, broken by {apgd-ce: 121, apgd-t: 4, fab-t: 0, square: 0}
# l2 0.3: 133 of 200 robust, broken by {apgd-ce: 66, apgd-t: 1, fab-t: 0, square: 0}
# (PGD-20 on the same points: 0.41 and 0.69.)
OLD = {("linf", 0.06): (75, "11101001100011011010010001000010110100000001010000000001100110010001110000101000000100101111000101110010"
                            "110110011000100101000001010001110000110011000100010000000010000000011101011110001110010000010100"),
       ("l2", 0.3): (133, "111011111000111111110101010001101101010110010111011111011101100111011111111111110101001011110101111100"
                          "10110111111100101111001001110101110000110011100100111101001111111111111101011110101110010011010101")}


@pytest.fixture(scope="module")
def mlp():
    return mlp_toy()


def parity(robust: torch.Tensor, norm: str, eps: float) -> tuple[bool, str]:
    """Whether a per-point robust result agrees with the recorded ensemble: its accuracy inside the 95% Wilson
    interval of the recorded one, and at least 90% of the points with the same outcome."""
    count, bits = OLD[(norm, eps)]
    old = torch.tensor([b == "1" for b in bits])
    _, lo, hi = wilson_interval(count, old.numel())
    acc, agree = float(robust.float().mean()), float((robust == old).float().mean())
    return lo <= acc <= hi and agree >= 0.9, f"{acc:.3f} vs {count / old.numel():.3f} [{lo:.3f}, {hi:.3f}], agree {agree:.2f}"


@pytest.mark.parametrize("norm, eps", [("linf", 0.06), ("l2", 0.3)])
def test_reference_autoattack_matches_the_recorded_ensemble(mlp, norm, eps):
    m, x, y = mlp
    r = robust_correct(m, (x, y), norm, eps, "autoattack", num_classes=4, seed=0)
    ok, msg = parity(r.robust, norm, eps)
    assert ok, msg
    assert r.clean.all() and list(r.broken_by) == ["apgd-ce", "apgd-t", "fab-t", "square"]


def test_parity_check_fails_a_weakened_attack(mlp):
    """The parity check can fail: AutoAttack at 5/6 of the radius, or PGD at 3 steps, is rejected."""
    m, x, y = mlp
    cheap = SuiteConfig(pgd_steps=3, aa_steps=5, square_queries=100)
    weak = robust_correct(m, (x, y), "linf", 0.05, "autoattack", num_classes=4, cfg=cheap)
    assert not parity(weak.robust, "linf", 0.06)[0]
    fgsm = robust_correct(m, (x, y), "linf", 0.06, "fgsm", num_classes=4)
    assert not parity(fgsm.robust, "linf", 0.06)[0]
    too_strong = robust_correct(m, (x, y), "linf", 0.07, "autoattack", num_classes=4, cfg=cheap)
    assert not parity(too_strong.robust, "linf", 0.06)[0]


@pytest.mark.parametrize("k, targets", [(2, 1), (4, 3), (9, 8), (10, 9), (100, 9)])
def test_targets_budget_and_chain_of_the_standard_version(k, targets):
    aa = reference_autoattack(torch.nn.Linear(4, k), 0.1, "l2", num_classes=k, cfg=STANDARD)
    assert aa.apgd_targeted.n_target_classes == aa.fab.n_target_classes == targets
    assert aa.apgd.n_iter == aa.apgd_targeted.n_iter == aa.fab.n_iter == 100 and aa.square.n_queries == 5000
    assert aa.apgd.n_restarts == aa.apgd_targeted.n_restarts == aa.fab.n_restarts == 1 and aa.norm == "L2"
    assert aa.square.rescale_schedule is False  # the standard version's Square
    assert aa.attacks_to_run == (["apgd-ce", "apgd-t", "fab-t", "square"] if k >= 4 else ["apgd-ce", "fab-t", "square"])
    low = reference_autoattack(torch.nn.Linear(4, k), 0.1, num_classes=k, cfg=SuiteConfig(aa_steps=7, square_queries=9))
    assert (low.apgd.n_iter, low.fab.n_iter, low.square.n_queries, low.norm) == (7, 7, 9, "Linf")


@pytest.mark.parametrize("steps", [1, 10, 25, 100])
def test_apgd_iterations_set_like_the_reference_constructor(steps):
    from pyautoattack.autopgd_base import APGDAttack

    fields = ("n_iter", "n_iter_orig", "n_iter_2", "n_iter_min", "size_decr")
    ours = APGDAttack(torch.nn.Linear(2, 2), n_iter=100, eps=0.1)
    set_apgd_iterations(ours, steps)
    fresh = APGDAttack(torch.nn.Linear(2, 2), n_iter=steps, eps=0.1)
    assert [getattr(ours, f) for f in fields] == [getattr(fresh, f) for f in fields]


def test_chain_link_by_link_equals_the_library_single_call(mlp):
    """robust_correct runs one attack at a time (to tell who broke what); the library's own one call agrees."""
    m, x, y = mlp
    cfg = SuiteConfig(aa_steps=20, square_queries=200)
    ours = robust_correct(m, (x, y), "linf", 0.06, "autoattack", num_classes=4, cfg=cfg)
    x_adv = make_attack("autoattack", m, 0.06, "linf", num_classes=4, cfg=cfg)(x, y)
    with torch.no_grad():
        theirs = m(x_adv).argmax(1) == y
    assert torch.equal(ours.robust, theirs)


def test_k_below_ten_runs_without_the_librarys_target_warning_and_flags_are_kept():
    m, x, y = toy(n=24, k=3)
    r = robust_correct(m, (x, y), "linf", 0.1, "autoattack", num_classes=3, cfg=SuiteConfig(aa_steps=5, square_queries=20))
    assert list(r.broken_by) == ["apgd-ce", "fab-t", "square"]
    assert not any("target classes" in f for f in r.flags)
    from robustbook.evaluate.checks import Quantized

    m4, x4, y4 = toy(n=24, k=4)
    masked = robust_correct(Quantized(m4, 4), (x4, y4), "linf", 0.1, "apgd-t", num_classes=4,
                            cfg=SuiteConfig(aa_steps=5))
    assert any("zero gradient" in f for f in masked.flags)  # the library's own check (on APGD-T), surfaced
    assert not robust_correct(m4, (x4, y4), "linf", 0.1, "apgd-t", num_classes=4, cfg=SuiteConfig(aa_steps=5)).flags


def test_model_mode_batchnorm_statistics_and_gradients_are_left_as_found():
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.Flatten(),
                            torch.nn.Linear(144, 4), torch.nn.Dropout(0.5))
    _, x, y = toy(n=16)
    m.train()
    stats = m[1].running_mean.clone(), m[1].num_batches_tracked.clone()
    m[4].weight.grad = torch.ones_like(m[4].weight)
    r = robust_correct(m, (x, y), "l2", 0.5, "autoattack", num_classes=4, cfg=SuiteConfig(aa_steps=5, square_queries=20))
    assert m.training and m[1].training and m[5].training
    assert torch.equal(m[1].running_mean, stats[0]) and torch.equal(m[1].num_batches_tracked, stats[1])
    assert torch.equal(m[4].weight.grad, torch.ones_like(m[4].weight)) and m[0].weight.grad is None
    assert (r.robust <= r.clean).all()
