"""nern2023: Appendix B / Hoeffding / Thm 4.1 checks, the representation attack, the sound Lipschitz bound."""
import itertools
import math

import numpy as np
import pytest
import torch
from torch import nn

from robustbook.attacks import RepresentationPGD, in_threat_set, representation_shift
from robustbook.evaluate.lipschitz import circular_conv_norm, conv_power_iteration, lipschitz_bound
from robustbook.evaluate.transfer import fit_linear_head, measure_head
from robustbook.models import build
from robustbook.theory import nern2023 as t


# ------------------------------------------------------------------ theory (checks + mutants: test_falsifiable.py)
def test_refutations_return_their_counterexamples():
    ce = t.refute_final_constant()
    assert ce["loss gap"] > ce["C_paper |r - r'|"] and ce["loss gap"] <= ce["C_corrected |r - r'|"]
    ex = t.refute_exact_on_finite_set()
    assert ex["least constant on the set"] < ex["max gradient norm"]
    lc = t.refute_lipschitz_on_clean_set()
    assert lc["loss gap"] > lc["C1 |r' - r|"]
    assert t.refute_exp_step()["exp(t)"] > t.refute_exp_step()["t - 1"]


def test_pairwise_lipschitz_is_the_least_constant_on_a_finite_set():
    rng = np.random.default_rng(0)
    r, y = rng.normal(0, 3, (30, 4)), rng.integers(0, 4, 30)
    exact = t.pairwise_lipschitz(r, y)
    assert 0 < exact <= t.ce_lipschitz_on(r, y) <= math.sqrt(2)
    ce = t.cross_entropy(r, y)
    for i in range(30):
        for j in range(30):
            if y[i] == y[j] and i != j:
                assert abs(ce[i] - ce[j]) <= exact * np.linalg.norm(r[i] - r[j]) * (1 + 1e-9)


def test_appendix_c_table_is_computed():
    df = t.steps_appendix_c()
    assert (df["verdict"] == "holds").sum() >= 4 and "CHECK FAILED" not in set(df["verdict"])


def test_corrected_constant_dominates_true_constant():
    rng = np.random.default_rng(1)
    r = rng.normal(0, 4, (500, 5))
    y = rng.integers(0, 5, 500)
    k = t.constants_from_logits(r, y)
    assert k["C_corrected"] >= t.ce_lipschitz_on(r, y)
    assert t.ce_lipschitz_on(r, y) <= math.sqrt(2)


def test_hoeffding_term_values_and_errors():
    assert t.hoeffding_term(1.0, 50, 0.05) == pytest.approx(math.sqrt(math.log(40) / 100))
    with pytest.raises(ValueError):
        t.hoeffding_term(1.0, 50, 1.5)
    assert t.thm32_rhs(2.0, 1.5, 0.1) == pytest.approx(0.3)


# ------------------------------------------------------------------ representation attack
class LinearRep(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = nn.Parameter(a)

    def features(self, x):
        return x.flatten(1) @ self.a.T

    def forward(self, x):
        return self.features(x)


def _linear_rep(seed=0, d=6, r=4):
    g = torch.Generator().manual_seed(seed)
    return LinearRep(torch.randn(r, d, generator=g, dtype=torch.float64))


def test_closed_form_l2_linear_representation():
    m = _linear_rep()
    x = torch.full((3, 1, 2, 3), 0.5, dtype=torch.float64)
    eps = 0.05  # small enough that the box [0, 1] never binds
    shift = RepresentationPGD(m, eps, alpha=eps, steps=60, norm="l2", seed=0).shift(x)  # big steps: power iteration
    exact = eps * torch.linalg.matrix_norm(m.a.detach(), ord=2)
    assert torch.all(shift <= exact * (1 + 1e-9))
    assert torch.all(shift >= 0.999 * exact)


def test_closed_form_linf_linear_representation():
    m = _linear_rep(1)
    x = torch.full((2, 1, 2, 3), 0.5, dtype=torch.float64)
    eps = 0.05
    a = m.a.detach()
    # a convex function on a box is maximised at a vertex: enumerate the 2^6 sign patterns
    exact = max(float((a @ (eps * torch.tensor(s, dtype=torch.float64))).norm())
                for s in itertools.product((-1.0, 1.0), repeat=6))
    shift = RepresentationPGD(m, eps, steps=40, norm="linf", restarts=5, seed=0).shift(x)
    assert torch.all(shift <= exact * (1 + 1e-9))
    assert torch.all(shift >= 0.999 * exact)


@pytest.mark.parametrize("norm,eps", [("linf", 0.1), ("l2", 1.0)])
def test_threat_set_membership_and_mode(norm, eps):
    torch.manual_seed(0)
    m = build("smallcnn", 5, 1).train()
    x = torch.rand(8, 1, 32, 32)
    x[:2] = 0.0  # points on the box boundary
    grads = [p.grad for p in m.parameters()]
    x_adv = RepresentationPGD(m, eps, steps=5, norm=norm, restarts=2, seed=0)(x)
    assert in_threat_set(x, x_adv, eps, norm)
    assert m.training and [p.grad for p in m.parameters()] == grads


def test_deterministic_and_validates():
    torch.manual_seed(0)
    m = build("mlp", 5, 1).eval()
    x = torch.rand(4, 1, 32, 32)
    a = RepresentationPGD(m, 0.05, steps=3, seed=3)(x)
    b = RepresentationPGD(m, 0.05, steps=3, seed=3)(x)
    assert torch.equal(a, b)
    assert torch.equal(RepresentationPGD(m, 0.0)(x), x)
    for bad in (dict(eps=-1.0), dict(eps=0.1, steps=0), dict(eps=0.1, restarts=0), dict(eps=0.1, norm="l1")):
        with pytest.raises(ValueError):
            RepresentationPGD(m, **bad)


# ------------------------------------------------------------------ sound upper bound
def test_circular_conv_norm_matches_materialised_operator():
    g = torch.Generator().manual_seed(0)
    w = torch.randn(3, 2, 3, 3, generator=g, dtype=torch.float64)
    n = 6
    eye = torch.eye(2 * n * n, dtype=torch.float64).view(-1, 2, n, n)
    out = torch.nn.functional.conv2d(torch.nn.functional.pad(eye, (1, 1, 1, 1), mode="circular"), w)
    exact = torch.linalg.matrix_norm(out.flatten(1), ord=2)
    assert circular_conv_norm(w, (n, n)) == pytest.approx(float(exact), rel=1e-9)


def test_zero_padded_conv_below_circular_bound():
    torch.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3, padding=1, bias=False).double()
    n = 7
    eye = torch.eye(2 * n * n, dtype=torch.float64).view(-1, 2, n, n)
    exact = float(torch.linalg.matrix_norm(conv(eye).detach().flatten(1), ord=2))
    upper = circular_conv_norm(conv.weight, (n + 2, n + 2))
    lower = conv_power_iteration(conv, (2, n, n), iters=300)
    assert lower <= exact * (1 + 1e-6) and exact <= upper * (1 + 1e-9)
    assert lower == pytest.approx(exact, rel=1e-3)


@pytest.mark.parametrize("arch", ["smallcnn", "mlp"])
@pytest.mark.parametrize("norm,eps", [("l2", 0.5), ("linf", 0.05)])
def test_pgd_lower_estimate_below_sound_upper_bound(arch, norm, eps):
    torch.manual_seed(0)
    m = build(arch, 5, 1).eval()
    bound = lipschitz_bound(m, (1, 32, 32))
    x = torch.rand(8, 1, 32, 32)
    shift = RepresentationPGD(m, eps, steps=10, norm=norm, seed=0).shift(x)
    assert torch.all(shift <= bound.shift_bound(eps, norm))
    assert bound.linf_to_l2 <= math.sqrt(32 * 32) * bound.l2 * (1 + 1e-9)


def test_lipschitz_bound_is_sound_on_random_pairs():
    torch.manual_seed(0)
    m = build("smallcnn", 5, 1).eval()
    bound = lipschitz_bound(m, (1, 32, 32))
    x, xp = torch.rand(16, 1, 32, 32), torch.rand(16, 1, 32, 32)
    with torch.no_grad():
        ratio = (m.features(x) - m.features(xp)).norm(dim=1) / (x - xp).flatten(1).norm(dim=1)
    assert torch.all(ratio <= bound.l2)


def test_unsupported_encoder_raises():
    m = build("preact_resnet18", 10, 3, normalize="cifar10").eval()
    with pytest.raises(ValueError, match="sequential|no sound"):
        lipschitz_bound(m, (3, 32, 32))


# ------------------------------------------------------------------ Theorem 3.2 on a tiny model
def test_thm32_holds_with_sound_rhs_on_a_tiny_probe():
    torch.manual_seed(0)
    m = build("mlp", 3, 1).eval()
    x = torch.rand(24, 1, 32, 32)
    y = torch.randint(0, 3, (24,))
    z = m.features(x).detach()
    head = fit_linear_head(z, y, 3, weight_decay=1e-2, steps=50)
    m.model.head = head
    bound = lipschitz_bound(m, (1, 32, 32))
    att = RepresentationPGD(m, 0.05, steps=5, norm="linf", seed=0)
    xr = att(x)
    shift = representation_shift(m.features, x, xr)
    row = measure_head(m, x, y, 0.05, "linf", shift, bound.shift_bound(0.05, "linf"), xr, steps=5)
    assert row["held_sound"] and row["held_per_example"] and row["held_pgd"]
    assert 0 <= row["ratio_sound"] <= row["ratio_pgd"] <= 1
    assert row["cert_sound"] <= row["cert_pgd"]
