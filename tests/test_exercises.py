"""Every exercise check accepts the reference answer and rejects a typical wrong one, in one sentence."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import norm

from robustbook import exercises as E


def _ok(fb: E.Feedback) -> None:
    assert fb.ok, fb.message
    assert repr(fb).startswith("correct")


def _wrong(fb: E.Feedback, *words: str) -> None:
    assert not fb.ok
    assert repr(fb).startswith("not yet")
    assert fb.message.count(". ") <= 1, f"more than one sentence: {fb.message}"
    for w in words:
        assert w in fb.message, (w, fb.message)


def test_max_certified_radius():
    _ok(E.check_max_certified_radius(norm.ppf(0.001 ** (1 / 500)), n=500, alpha=0.001))
    _wrong(E.check_max_certified_radius(norm.ppf(1 - 0.001), n=500, alpha=0.001), "does not depend on n")
    _wrong(E.check_max_certified_radius(0.001 ** (1 / 500), n=500, alpha=0.001), "not a radius")
    _wrong(E.check_max_certified_radius(..., n=500, alpha=0.001), "still `...`")


def test_uniform_vs_gaussian():
    _ok(E.check_uniform_vs_gaussian(0.98, norm.ppf(0.99)))
    _wrong(E.check_uniform_vs_gaussian(0.99, norm.ppf(0.99)), "1 - p_A")
    _wrong(E.check_uniform_vs_gaussian(0.98, 0.99), "quantile")


def test_lambda_mapping():
    _ok(E.check_lambda_mapping(lambda lam: 1 - lam))
    _wrong(E.check_lambda_mapping(lambda lam: lam), "paper lambda = 0.0")

    def unfinished(lam):
        raise NotImplementedError("hint")

    _wrong(E.check_lambda_mapping(unfinished), "NotImplementedError")


def test_brightness_scaling():
    def scaling(x, c):
        v = x.amax(1, keepdim=True)
        return x * (v + c).clamp(max=1) / v

    _ok(E.check_brightness_scaling(scaling))
    _wrong(E.check_brightness_scaling(lambda x, c: (x + c).clamp(0, 1)), "differ from the HSV brightness")


def test_speckle():
    def speckle(x, severity, generator):
        c = (0.06, 0.1, 0.12, 0.16, 0.2)[severity - 1]
        return (x + x * c * torch.randn(x.shape, generator=generator)).clamp(0, 1)

    _ok(E.check_speckle(speckle))

    def gaussian(x, severity, generator):
        c = (0.06, 0.1, 0.12, 0.16, 0.2)[severity - 1]
        return (x + c * torch.randn(x.shape, generator=generator)).clamp(0, 1)

    _wrong(E.check_speckle(gaussian), "black pixels")
    _wrong(E.check_speckle(lambda x, s, g: x + x * 0.1 * torch.randn(x.shape)), "same generator seed")
    _wrong(E.check_speckle(lambda x, s, g: x + x * 2.0 * torch.randn(x.shape, generator=g)), "leaves [0, 1]")


def test_worst_risks():
    _ok(E.check_worst_risks(0.0, 0.04))
    _wrong(E.check_worst_risks(0.0, 0.0), "W_2")
    _wrong(E.check_worst_risks(0.04, 0.04), "W_inf")
    _wrong(E.check_worst_risks(0.0, 0.1), "budget")


def test_linear_attack():
    best = lambda w, eps, norm: -eps * w.sign() if norm == "linf" else -eps * w / w.norm()  # noqa: E731
    _ok(E.check_linear_attack(best))
    _wrong(E.check_linear_attack(lambda w, eps, norm: -best(w, eps, norm)), "raises the margin")
    _wrong(E.check_linear_attack(lambda w, eps, norm: -eps * w.sign()), "leaves the l_2 ball")
    _wrong(E.check_linear_attack(lambda w, eps, norm: -eps * w / w.abs().max()), "lowers the margin by")


def test_ce_extreme_logits():
    _ok(E.check_ce_extreme_logits(np.array([[-10.0, 10.0, 0.0, 0.0, 0.0]]), np.array([0])))
    _wrong(E.check_ce_extreme_logits(np.array([[10.0, -10.0, 0.0]]), np.array([0])), "below sqrt(2)")
    _wrong(E.check_ce_extreme_logits(np.zeros((1, 3)), np.array([5])), "class index")


def test_bn_fold():
    def fold(w, bn):
        return w * (bn.weight / (bn.running_var + bn.eps).sqrt()).detach()[:, None, None, None]

    _ok(E.check_bn_fold(fold))
    _wrong(E.check_bn_fold(lambda w, bn: w * (bn.weight / bn.running_var).detach()[:, None, None, None]),
           "scale per output channel")
    _wrong(E.check_bn_fold(lambda w, bn: w[:2]), "shape")


def test_ramp_counterexample():
    _ok(E.check_ramp_counterexample(0.8, -1.0, 0.8, 1.0))
    _wrong(E.check_ramp_counterexample(0.8, 0.9, 0.8, 1.0), "non-negative")
    _wrong(E.check_ramp_counterexample(0.5, -1.0, 0.8, 1.0), "below u_min")


def test_effective_radius():
    _ok(E.check_effective_radius(0.5))
    _wrong(E.check_effective_radius(1.0), "travel")


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("ROBUSTBOOK_EXERCISES_STRICT", "1")
    with pytest.raises(AssertionError, match="not yet"):
        E.check_effective_radius(1.0)
    assert E.check_effective_radius(0.5).ok


def test_every_check_is_registered_with_a_check_call():
    for label, fn in E.CHECKS.items():
        spec = E.EXERCISES[label]
        assert spec.check and fn.__name__ in spec.check, label
        assert spec.stub is None or "NotImplementedError" in spec.stub, label


@pytest.mark.parametrize("label", sorted(E.CHECKS))
def test_reference_of_registry_passes_its_check(label):
    """The registry's reference answer, run as the notebook would, satisfies the check call under it."""
    spec = E.EXERCISES[label]
    if spec.reference is None:
        pytest.skip("reference is the solution's own code (tested by the notebook run)")
    env = {"np": np, "torch": torch, "math": math, "n": 500, "a": 0.001, "exercises": E}
    exec(spec.reference, env)
    fb = eval(spec.check.removeprefix("exercises."), {**env, **vars(E)})
    assert fb.ok, fb.message
