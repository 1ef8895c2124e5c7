"""Attacks: threat-set membership, strength ordering, monotonicity, closed forms, side effects."""
from __future__ import annotations

import pytest
import torch

from robustbook.data import tensors
from robustbook.attacks import FGSM, PGD, batch_norm, in_threat_set, make_attack, project, random_start
from robustbook.evaluate import accuracy, loss_trace, robust_accuracy_curve

NORM_EPS = [("linf", 0.1), ("l2", 1.0)]


@pytest.mark.parametrize("norm,eps", NORM_EPS)
@pytest.mark.parametrize("ascent", ["sign", "raw"])
def test_outputs_inside_threat_set(trained_cnn, digits_small, norm, eps, ascent):
    x, y = (t[:32] for t in tensors(digits_small[1]))
    alpha = eps / 4 if ascent == "sign" else 50.0  # a large raw step forces the projection to work
    x_adv = PGD(trained_cnn, eps, alpha, steps=5, norm=norm, ascent=ascent, seed=0)(x, y)
    assert in_threat_set(x, x_adv, eps, norm)
    assert x_adv.shape == x.shape and x_adv.dtype == x.dtype


@pytest.mark.parametrize("norm,eps", NORM_EPS)
def test_random_start_uniform_in_ball_per_example(norm, eps):
    # the L2 start must be normalised per example (MadryLab/robustness issue 32 normalised the wrong dim)
    x = torch.full((256, 3, 8, 8), 0.5)
    d = random_start(x, eps, norm, torch.Generator().manual_seed(0))
    norms = batch_norm(d, norm)
    assert (norms <= eps + 1e-6).all()
    if norm == "l2":  # uniform in a 192-dim ball: radii concentrate just below eps
        assert norms.min() > 0.9 * eps


def test_projection_is_idempotent_and_shrinks_only_outside():
    torch.manual_seed(0)
    d = torch.randn(16, 1, 4, 4)
    for norm, eps in NORM_EPS:
        p = project(d, eps, norm)
        assert torch.allclose(project(p, eps, norm), p)
        inside = d * 1e-3
        assert torch.allclose(project(inside, eps, norm), inside)


@pytest.mark.parametrize("norm,eps", NORM_EPS)
def test_pgd_at_least_as_strong_as_fgsm(trained_cnn, digits_small, norm, eps):
    test = digits_small[1]
    acc_fgsm = accuracy(trained_cnn, test, FGSM(trained_cnn, eps, norm=norm))
    acc_pgd = accuracy(trained_cnn, test, PGD(trained_cnn, eps, steps=10, norm=norm, seed=0))
    assert acc_pgd <= acc_fgsm
    assert acc_pgd < accuracy(trained_cnn, test)


def test_robust_accuracy_non_increasing_in_eps_on_linear_model(linear_binary):
    lin, _, _ = linear_binary
    torch.manual_seed(1)
    x = torch.rand(200, 1, 4, 4)
    with torch.no_grad():
        y = lin(x).argmax(1)
    data = torch.utils.data.TensorDataset(x, y)
    curve = robust_accuracy_curve(lin, data, lambda e: PGD(lin, e, e / 4, 20, "linf", random_start=False),
                                  [0.0, 0.01, 0.02, 0.05, 0.1, 0.2])
    acc = curve["accuracy"].tolist()
    assert acc[0] == 1.0
    assert all(a >= b for a, b in zip(acc, acc[1:])), acc
    assert acc[-1] < 1.0


def test_robust_accuracy_non_increasing_in_eps_on_cnn(trained_cnn, digits_small):
    curve = robust_accuracy_curve(trained_cnn, digits_small[1],
                                  lambda e: PGD(trained_cnn, e, steps=10, seed=0), [0.0, 0.05, 0.1, 0.2])
    acc = curve["accuracy"].tolist()
    assert all(a >= b - 1e-9 for a, b in zip(acc, acc[1:])), acc


@pytest.mark.parametrize("norm,eps", NORM_EPS[:1] + [("l2", 0.3)])
def test_pgd_finds_the_optimal_perturbation_of_a_linear_model(linear_binary, norm, eps):
    lin, x, y = linear_binary
    w = lin[1].weight[1].view_as(x)
    best = -eps * w.sign() if norm == "linf" else -eps * w / w.norm()
    x_adv = PGD(lin, eps, eps / 4, 60, norm, loss="margin", seed=0)(x, y)
    assert torch.allclose(x_adv - x, best, atol=1e-4)
    fgsm = FGSM(lin, eps, norm=norm)(x, y)  # one step is optimal for a linear model
    assert torch.allclose(fgsm - x, best, atol=1e-5)


def test_raw_ascent_is_the_projected_gradient_step(linear_binary):
    # Algorithm 1 of yi2021: delta <- Proj(delta + eta * grad); for margin loss grad = -w, exactly.
    lin, x, y = linear_binary
    w = lin[1].weight[1].view_as(x)
    eta = 1e-3
    x_adv = PGD(lin, 1.0, eta, 1, "l2", ascent="raw", random_start=False, loss="margin")(x, y)
    assert torch.allclose(x_adv - x, -eta * w, atol=1e-7)


def test_model_mode_and_gradients_untouched(trained_cnn, digits_small):
    x, y = (t[:8] for t in tensors(digits_small[1]))
    for training in (True, False):
        trained_cnn.train(training)
        for p in trained_cnn.parameters():
            p.grad = None
        PGD(trained_cnn, 0.1, steps=2, seed=0)(x, y)
        FGSM(trained_cnn, 0.1)(x, y)
        assert trained_cnn.training is training
        assert all(p.grad is None for p in trained_cnn.parameters())
    # existing gradients are left exactly as they were
    first = next(trained_cnn.parameters())
    first.grad = torch.ones_like(first)
    PGD(trained_cnn, 0.1, steps=2, seed=0)(x, y)
    assert torch.equal(first.grad, torch.ones_like(first))
    first.grad = None
    trained_cnn.eval()


def test_attack_is_deterministic_with_seed(trained_cnn, digits_small):
    x, y = (t[:16] for t in tensors(digits_small[1]))
    a = PGD(trained_cnn, 0.1, steps=3, seed=7)(x, y)
    b = PGD(trained_cnn, 0.1, steps=3, seed=7)(x, y)
    assert torch.equal(a, b)


def test_loss_trace_increases_for_sign_ascent(trained_cnn, digits_small):
    x, y = (t[:32] for t in tensors(digits_small[1]))
    trace = loss_trace(PGD(trained_cnn, 0.1, 0.025, 8, random_start=False), x, y)
    assert len(trace) == 9 and trace["loss"].iloc[-1] > trace["loss"].iloc[0]


@pytest.mark.parametrize("kwargs,match", [
    (dict(eps=-0.1), "eps"), (dict(eps=0.1, steps=0), "steps"), (dict(eps=0.1, norm="l1"), "norm"),
    (dict(eps=0.1, ascent="adam"), "ascent"), (dict(eps=0.1, alpha=0.0), "alpha"),
    (dict(eps=0.1, loss="hinge"), "loss"),
])
def test_bad_arguments_raise_clear_errors(linear_binary, kwargs, match):
    with pytest.raises(ValueError, match=match):
        PGD(linear_binary[0], **kwargs)


def test_make_attack_and_zero_eps(linear_binary):
    lin, x, y = linear_binary
    assert torch.equal(make_attack("pgd", lin, 0.0)(x, y), x)
    with pytest.raises(ValueError, match="attack"):
        make_attack("cw", lin, 0.1)
