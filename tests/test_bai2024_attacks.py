"""bai2024 attacks: ReDLR, the joint W_2 retraction, W-PGD (streamed), W-PGD-Budget, parity with the authors'."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from robustbook.attacks import WPGD, WPGDBudget, dlr, in_w2_ball, project_w2, redlr, sensitivity_of, w2_cost
from robustbook.attacks.wasserstein import realized_radius
from robustbook.attacks.wdro_reference import reference_wpgd


@pytest.fixture(scope="module")
def mlp_and_data():
    """An MLP trained for a few epochs on 400 digits, and 120 test digits."""
    from robustbook import data
    from robustbook.models import build

    torch.manual_seed(0)
    model = build("mlp", 10, 1)
    xt, yt = data.tensors(data.subset(data.digits32("train"), 400, 0))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for i in range(120):  # plain full-speed SGD on tensors: about 90% test accuracy in a second
        idx = torch.arange(i * 50, i * 50 + 50) % 400
        opt.zero_grad()
        F.cross_entropy(model(xt[idx]), yt[idx]).backward()
        opt.step()
    x, y = data.tensors(data.subset(data.digits32("test"), 120, 0))
    assert (model(x).argmax(1) == y).float().mean() > 0.7
    return model.eval(), x, y


# ---------------------------------------------------------------------------------------------- ReDLR
def test_redlr_is_dlr_on_correct_points_and_zero_with_zero_gradient_on_misclassified():
    logits = torch.randn(200, 10, generator=torch.Generator().manual_seed(0), requires_grad=True)
    y = torch.randint(0, 10, (200,), generator=torch.Generator().manual_seed(1))
    correct = logits.argmax(1) == y
    assert correct.any() and (~correct).any()
    r, d = redlr(logits, y), dlr(logits, y)
    assert torch.allclose(r[correct], d[correct]) and (r[correct] <= 0).all()
    assert (r[~correct] == 0).all()
    (g,) = torch.autograd.grad(r.sum(), logits)
    assert (g[~correct] == 0).all() and (g[correct].abs().sum(1) > 0).all()


def test_redlr_invariant_to_logit_shift_and_positive_scale():
    gen = torch.Generator().manual_seed(2)
    logits = torch.randn(100, 10, generator=gen) * 3
    y = torch.randint(0, 10, (100,), generator=gen)
    shift = torch.randn(100, 1, generator=gen) * 5
    for scale in (0.1, 1.0, 7.0):
        assert torch.allclose(redlr(scale * logits + shift, y), redlr(logits, y), atol=1e-5)
    assert not torch.allclose(redlr(-logits, y), redlr(logits, y))  # a negative scale is not a symmetry


# ---------------------------------------------------------------------------------------------- projection
def _cloud(n=40, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 6, 6, generator=gen)
    far = x + 0.5 * torch.randn(n, 1, 6, 6, generator=gen) * torch.rand(n, 1, 1, 1, generator=gen)
    return x, far


def test_projection_feasible_idempotent_and_identity_inside():
    x, far = _cloud()
    delta = 0.05
    assert not in_w2_ball(x, far, delta)
    p = project_w2(x, far, delta)
    assert in_w2_ball(x, p, delta, tol=1e-6)
    assert w2_cost(x, p) == pytest.approx(delta, rel=1e-3) or w2_cost(x, p) < delta  # box may shrink further
    assert torch.equal(project_w2(x, p, delta), p)  # idempotent
    inside = project_w2(x, far, 0.01)
    assert torch.equal(project_w2(x, inside, 0.5), inside)  # identity inside the ball
    assert torch.equal(project_w2(x, x, 0.0), x)


def test_projection_is_joint_not_per_point():
    x = torch.full((4, 1, 2, 2), 0.5)
    adv = x.clone()
    adv[0] += 0.4  # one point moves far, the others not at all: W_2 cost 0.2
    p = project_w2(x, adv, 0.3)
    assert torch.equal(p, adv)  # inside the W_2 ball although point 0 moved 0.4 > delta in L_inf
    p = project_w2(x, adv, 0.1)
    assert w2_cost(x, p) == pytest.approx(0.1, rel=1e-5)


# ---------------------------------------------------------------------------------------------- W-PGD
def test_wpgd_stays_in_ball_and_box_and_restores_model(mlp_and_data):
    model, x, y = mlp_and_data
    model.train()
    flags = [p.requires_grad for p in model.parameters()]
    grads = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
    att = WPGD(model, 0.1, 5, "redlr", batch_size=32)
    x_adv = att(x, y)
    assert model.training and flags == [p.requires_grad for p in model.parameters()]
    assert all((a is None and p.grad is None) or torch.equal(a, p.grad) for a, p in zip(grads, model.parameters()))
    model.eval()
    assert in_w2_ball(x, x_adv, 0.1) and x_adv.shape == x.shape
    assert max(att.trace.cost) <= 0.1 * (1 + 1e-5)
    acc = (model(x_adv).argmax(1) == y).float().mean().item()
    assert acc < (model(x).argmax(1) == y).float().mean().item()


def test_wpgd_streaming_does_not_change_the_result(mlp_and_data):
    model, x, y = mlp_and_data
    a = WPGD(model, 0.1, 4, "ce", batch_size=7)(x, y)
    b = WPGD(model, 0.1, 4, "ce", batch_size=1000)(x, y)
    assert torch.allclose(a, b, atol=1e-6)


def test_upsilon_closed_form_on_a_linear_model_and_first_step_radii():
    from robustbook.models import build

    torch.manual_seed(0)
    model = build("linear", 10, 1, normalize=None).eval()
    x = torch.rand(30, 1, 32, 32)
    y = torch.randint(0, 10, (30,))
    weight = model.fc.weight  # grad_x CE = W^T (softmax - onehot)
    with torch.no_grad():
        g = (F.softmax(model(x), 1) - F.one_hot(y, 10).float()) @ weight
    l1 = g.abs().sum(1)
    ups, l1_ours = sensitivity_of(model, x, y, "ce")
    assert torch.allclose(l1_ours, l1, rtol=1e-4)
    assert ups == pytest.approx(float(l1.pow(2).mean().sqrt()), rel=1e-5)
    alpha = 1e-3  # one small step: point i moves by alpha ||g_i||_1 / Upsilon in L_inf (no clipping at this size)
    x_in = 0.25 + 0.5 * x
    x_adv = WPGD(model, 1.0, 1, "ce", alpha=alpha)(x_in, y)
    radii = (x_adv - x_in).flatten(1).abs().amax(1)
    ups_in, l1_in = sensitivity_of(model, x_in, y, "ce")
    assert torch.allclose(radii, alpha * l1_in / ups_in, rtol=1e-3)


def test_wpgd_rejects_bad_input(mlp_and_data):
    model, x, y = mlp_and_data
    with pytest.raises(ValueError, match="delta"):
        WPGD(model, -0.1)
    with pytest.raises(ValueError, match="steps"):
        WPGD(model, 0.1, 0)
    with pytest.raises(ValueError, match="same number"):
        WPGD(model, 0.1, 1)(x, y[:-1])
    with pytest.raises(ValueError, match="invalid loss"):
        WPGD(model, 0.1, 1, "hinge")


def test_parity_with_the_authors_wpgd(mlp_and_data):
    """Same model, same points, their step (ratio 1.875) and projection, best iterate: within 1 point."""
    model, x, y = mlp_and_data
    delta, steps, ratio = 0.1, 10, 1.875
    _, acc_ref = reference_wpgd(model, x, y, delta, steps, ratio, "redlr")
    ours = WPGD(model, delta, steps, "redlr", alpha=ratio * delta / steps, batch_size=32, keep_best=True)
    x_adv = ours(x, y)
    acc = (model(x_adv).argmax(1) == y).float().mean().item()
    assert abs(acc - acc_ref) <= 0.01
    assert min(ours.trace.accuracy) == pytest.approx(acc)


# ---------------------------------------------------------------------------------------------- budget
def test_budget_attack_is_admissible_with_exact_upsilon(mlp_and_data):
    """After (5.5): theta frozen, Upsilon over the whole set, equal batches -> the union has radius delta."""
    model, x, y = mlp_and_data
    att = WPGDBudget(model, 0.1, 3, "redlr", sample_fraction=1.0, eta=1.0, batch_size=40)
    x_adv = att(x, y, batch_size=40)
    assert realized_radius(att.budgets, [40, 40, 40]) == pytest.approx(0.1, rel=1e-5)
    assert in_w2_ball(x, x_adv, 0.1)
    with pytest.raises(ValueError, match="eta"):
        WPGDBudget(model, 0.1, eta=0.0)
    with pytest.raises(RuntimeError, match="update"):
        WPGDBudget(model, 0.1).budget(x, y)


def test_budget_moving_average(mlp_and_data):
    model, x, y = mlp_and_data
    att = WPGDBudget(model, 0.1, 1, sample_fraction=0.1, eta=0.1, seed=0)
    first = att.update(x, y)
    est = att.estimate(x, y)
    att2 = WPGDBudget(model, 0.1, 1, sample_fraction=0.1, eta=0.1, seed=0)
    att2.update(x, y)
    second = att2.update(x, y)
    assert second == pytest.approx(first + 0.1 * (est - first), rel=1e-6)
