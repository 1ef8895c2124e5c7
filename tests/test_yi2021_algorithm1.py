"""Algorithm 1 of yi2021: projections, the exact inner maximizer of the quadratic test problem, the O(1/T)
expectation bound of Theorem 3 on it, and the torch loop against a hand computation."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from robustbook.attacks import PGD
from robustbook.train.algorithm1 import (QuadraticMinimax, algorithm1_config, algorithm1_torch, convergence_run,
                                         loglog_slope, project_ball)


@pytest.mark.parametrize("p", ["2", "inf"])
def test_projection_lands_in_ball_and_is_idempotent(p):
    d = np.random.default_rng(0).normal(size=(50, 7)) * 3
    q = project_ball(d, 0.5, p)
    norms = np.linalg.norm(q, axis=1) if p == "2" else np.abs(q).max(1)
    assert norms.max() <= 0.5 + 1e-12
    assert np.allclose(project_ball(q, 0.5, p), q)
    with pytest.raises(ValueError):
        project_ball(d, 0.5, "1")


@pytest.mark.parametrize("p", ["2", "inf"])
def test_inner_argmax_beats_projected_ascent(p):
    prob = QuadraticMinimax.random(n=6, d_x=4, d_w=3, radius=0.3, p=p, seed=1)
    w = np.random.default_rng(2).normal(size=(3, 3))
    z = prob.inner_argmax(w)
    best = prob.f(w[:, None, :], z)
    # many projected gradient steps from random starts never exceed the exact maximum
    rng = np.random.default_rng(3)
    for _ in range(5):
        delta = project_ball(rng.normal(size=z.shape), prob.radius, p)
        for _ in range(500):
            x = prob.xs[None] + delta
            g = prob.grad_x(np.repeat(w[:, None, :], 6, 1), x)
            delta = project_ball(delta + g / prob.s.max(), prob.radius, p)
        val = prob.f(w[:, None, :], prob.xs[None] + delta)
        assert np.all(val <= best + 1e-9)
        assert np.allclose(val, best, atol=1e-6)  # strongly concave: ascent reaches the same maximum


def test_expected_excess_risk_below_theorem3_bound_and_decays():
    prob = QuadraticMinimax.random(n=20, d_x=4, d_w=3, radius=0.3, p="2", seed=0)
    k = prob.constants()
    df = convergence_run(prob, steps=1000, seeds=24, inner_steps=40, record=(10, 30, 100, 300, 1000))
    mean = df.groupby("T")["excess"].mean()
    assert (df["excess"] >= -1e-10).all()
    for t, v in mean.items():
        assert v <= k["G"] ** 2 * k["L"] / (t * k["mu_w"] ** 2)
    fit = loglog_slope(df, "mean", boot=50)
    assert -1.4 < fit["slope"] < -0.7 and fit["lo"] <= fit["slope"] <= fit["hi"]


def test_algorithm1_torch_matches_hand_computation():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2, bias=False)
    w0 = model.weight.detach().clone()
    x = torch.tensor([[0.5, 0.4, 0.6]])
    data = TensorDataset(x, torch.tensor([1]))
    radius, eta_x, K, mu_w = 0.05, 0.3, 4, 2.0
    # hand computation: K raw projected steps from 0, then one step 1/mu_w
    delta = torch.zeros_like(x)
    for _ in range(K):
        delta.requires_grad_(True)
        (g,) = torch.autograd.grad(F.cross_entropy((x + delta) @ w0.T, torch.tensor([1])), delta)
        delta = delta.detach() + eta_x * g
        delta = delta * min(1.0, radius / float(delta.norm()))
    wt = w0.clone().requires_grad_(True)
    (gw,) = torch.autograd.grad(F.cross_entropy((x + delta) @ wt.T, torch.tensor([1])), wt)
    algorithm1_torch(model, data, steps=1, inner_steps=K, radius=radius, eta_x=eta_x, mu_w=mu_w, p="2")
    assert torch.allclose(model.weight, w0 - gw / mu_w, atol=1e-6)
    # the inner loop equals PGD with raw ascent and no random start (the box is inactive here)
    x_pgd = PGD(torch.nn.Sequential(torch.nn.Linear(3, 2, bias=False)), radius, eta_x, K, "l2", ascent="raw",
                random_start=False)
    x_pgd.model[0].weight.data.copy_(w0)
    assert torch.allclose(x_pgd(x, torch.tensor([1])), x + delta, atol=1e-6)


def test_algorithm1_config():
    c2 = algorithm1_config("l2", 2 / 12, 1 / 24, 8)
    ci = algorithm1_config("linf", 2 / 255, 1 / 510, 8)
    assert (c2.ascent, ci.ascent, c2.random_start, c2.steps, c2.alpha) == ("raw", "sign", False, 8, 1 / 24)
    with pytest.raises(ValueError):
        algorithm1_config("l1", 0.1, 0.1)
