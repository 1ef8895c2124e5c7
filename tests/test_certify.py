"""Randomized smoothing and DeformRS: soundness against closed-form distances, abstention, the
Clopper-Pearson closed form, batched-vs-reference agreement, warps, determinism and errors."""
import math

import pytest
import torch
from scipy.stats import binom, norm
from torch import nn

from robustbook.certify import (ABSTAIN, Perturbation, Smooth, certified_accuracy, average_certified_radius,
                                lower_confidence_bound, reference_certify, smoothing_objective_name, warp)
from robustbook.models import build
from robustbook.train import TrainConfig

ALPHA = 0.05


class Linear2(nn.Module):
    """Two-class linear classifier: class 1 iff <w, x> + b > 0 (distance |<w,x>+b| / ||w||)."""

    def __init__(self, w: torch.Tensor, b: float):
        super().__init__()
        self.w = nn.Parameter(w.flatten().clone(), requires_grad=False)
        self.b = b

    def forward(self, x):
        s = x.flatten(1) @ self.w + self.b
        return torch.stack([torch.zeros_like(s), s], 1)


class Constant(nn.Module):
    def __init__(self, cls: int, k: int = 10):
        super().__init__()
        self.cls, self.k = cls, k
        self.dummy = nn.Parameter(torch.zeros(1), requires_grad=False)

    def forward(self, x):
        out = torch.zeros(x.shape[0], self.k)
        out[:, self.cls] = 1.0
        return out


class RampTranslation(nn.Module):
    """On the ramp image I(u, v) = u, translating by (tx, ty) makes the central mean equal tx exactly,
    so this classifier is 1[tx > c]: its parameter-space distance to the boundary is |c|."""

    def __init__(self, c: float):
        super().__init__()
        self.c = c
        self.dummy = nn.Parameter(torch.zeros(1), requires_grad=False)

    def forward(self, x):
        w = x.shape[-1]
        central = x[..., w // 4: w - w // 4, w // 4: w - w // 4].mean((1, 2, 3))
        s = central - self.c
        return torch.stack([torch.zeros_like(s), s], 1)


def ramp(width: int = 16) -> torch.Tensor:
    u = (2 * torch.arange(width, dtype=torch.float32) + 1) / width - 1
    return u.expand(1, width, width).clone()


def _violations(smooth_of_seed, x, distance, seeds, n0=50, n=1000, radius_fn=None):
    bad = 0
    for s in seeds:
        sm = smooth_of_seed(s)
        if radius_fn is None:
            pred, r = sm.certify(x, n0, n, ALPHA, batch_size=2000)
        else:
            pred, r = radius_fn(sm, x, n0, n)
        bad += int(pred != ABSTAIN and r > distance + 1e-9)
    return bad


def _allowed(runs: int) -> int:
    return int(binom.ppf(0.999, runs, ALPHA))  # violations allowed at failure probability ALPHA per run


def _point_estimate_radius(sm, x, n0, n):
    """A deliberately unsound certificate: the radius from the point estimate of pA, not its lower bound."""
    c = sm.counts(x[None], n, 1)[0]
    cls = int(c.argmax())
    p = c[cls].item() / n
    return (cls, sm.sigma * norm.ppf(p)) if p > 0.5 else (ABSTAIN, 0.0)


def test_pixel_soundness_linear_over_seeds():
    torch.manual_seed(0)
    w = torch.randn(1, 4, 4)
    x0 = torch.rand(1, 4, 4)
    sigma, runs = 0.5, 150
    for target in (0.1, 0.4):
        # move x0 so that its distance to the boundary <w,x>+b=0 is exactly `target`
        b = float(target * w.norm() - (w.flatten() @ x0.flatten()))
        model = Linear2(w, b)
        distance = abs(float(w.flatten() @ x0.flatten()) + b) / float(w.norm())
        assert distance == pytest.approx(target, rel=1e-5)
        def of(s, model=model):
            return Smooth(model, 2, sigma, seed=s)
        bad = _violations(of, x0, distance, range(runs))
        assert bad <= _allowed(runs), (target, bad)
        # the certificate is not vacuous: a typical radius is a good fraction of the true distance
        _, r = of(123).certify(x0, 50, 5000, ALPHA)
        assert r > 0.5 * distance  # (r <= distance is the soundness count above)
        # a deliberately wrong certificate is caught by the same test
        bad_wrong = _violations(of, x0, distance, range(runs), radius_fn=_point_estimate_radius)
        assert bad_wrong > _allowed(runs)


@pytest.mark.parametrize("distribution", ["gaussian", "uniform"])
def test_deformrs_translation_soundness(distribution):
    x = ramp()
    c, sigma, runs = 0.06, 0.1, 100
    model = RampTranslation(c)
    # exactness of the construction: translating by t makes the central mean t
    for t in (-0.2, 0.0, 0.13):
        y = warp(x[None], torch.tensor([[t, 0.0]]), "translation")
        assert float(model(y)[0, 1]) == pytest.approx(t - c, abs=1e-5)
    def of(s):
        return Smooth(model, 2, sigma, perturbation="translation", distribution=distribution, seed=s)
    assert _violations(of, x, c, range(runs)) <= _allowed(runs)
    _, r = of(7).certify(x, 50, 5000, ALPHA)
    assert r > 0.5 * c
    # doubling the radius is unsound and is caught
    def doubled(sm, x, n0, n):
        p, r = sm.certify(x, n0, n, ALPHA)
        return p, 2 * r
    assert _violations(of, x, c, range(runs), radius_fn=doubled) > _allowed(runs)


def test_constant_classifier_closed_form_radius():
    n = 500
    for dist, radius in [("gaussian", 0.3 * norm.ppf(ALPHA ** (1 / n))),
                         ("uniform", 0.3 * (2 * ALPHA ** (1 / n) - 1))]:
        sm = Smooth(Constant(3), 10, 0.3, perturbation="rotation", distribution=dist)
        pred, r = sm.certify(torch.rand(1, 8, 8), 20, n, ALPHA)
        assert pred == 3 and r == pytest.approx(radius, rel=1e-6)
        assert sm.predict(torch.rand(1, 8, 8), 100, ALPHA) == 3
    # Clopper-Pearson with all successes: the lower bound is alpha ** (1 / n)
    assert lower_confidence_bound(n, n, ALPHA) == pytest.approx(ALPHA ** (1 / n), rel=1e-9)


def test_abstains_on_the_boundary_and_not_far_from_it():
    torch.manual_seed(1)
    w = torch.randn(1, 4, 4)
    x0 = torch.rand(1, 4, 4)
    on = Linear2(w, -float(w.flatten() @ x0.flatten()))  # x0 lies on the boundary: pA = 1/2 exactly
    runs = 60
    cert = [Smooth(on, 2, 0.5, seed=s).certify(x0, 50, 1000, ALPHA)[0] for s in range(runs)]
    pred = [Smooth(on, 2, 0.5, seed=s).predict(x0, 1000, ALPHA) for s in range(runs)]
    assert sum(p == ABSTAIN for p in cert) >= runs - _allowed(runs)
    assert sum(p == ABSTAIN for p in pred) >= runs - _allowed(runs)
    far = Linear2(w, -float(w.flatten() @ x0.flatten()) + 3 * float(w.norm()))
    assert Smooth(far, 2, 0.5).predict(x0, 1000, ALPHA) == 1
    assert Smooth(far, 2, 0.5).certify(x0, 50, 1000, ALPHA)[0] == 1


@pytest.mark.parametrize("kind", ["pixel", "rotation", "dct"])
def test_batched_agrees_with_reference_loop(kind):
    torch.manual_seed(0)
    xs = torch.rand(5, 1, 8, 8)
    lin = nn.Sequential(nn.Flatten(), nn.Linear(64, 4, dtype=torch.float64))
    lin.double()
    sm = Smooth(lin, 4, 0.3, perturbation=kind, seed=11, chunk=64)
    pred, radius, _ = sm.certify_batch(xs.double(), 30, 300, ALPHA, batch_size=1000)
    for i in range(5):
        p_ref, r_ref = reference_certify(sm, xs[i].double(), 30, 300, ALPHA, index=i)
        assert p_ref == pred[i] and r_ref == pytest.approx(radius[i], abs=1e-12)
    # a CNN, batches packing several images: counts agree up to float ties
    cnn = build("smallcnn", 10, 1, "digits32").eval()
    sc = Smooth(cnn, 10, 0.25, perturbation=kind, seed=3, chunk=50)
    xs32 = torch.rand(3, 1, 32, 32)
    batched = sc.counts(xs32, 150, 1, batch_size=300)
    one_by_one = torch.stack([sc.counts(xs32[i:i + 1], 150, 1, batch_size=50, indices=[i])[0]
                              for i in range(3)])
    assert (batched - one_by_one).abs().sum() <= 6  # a few float32 near-ties may flip


def test_determinism_and_seed_dependence():
    torch.manual_seed(0)
    lin = nn.Sequential(nn.Flatten(), nn.Linear(64, 10)).double().eval()  # float64: no batch-size ties
    x = torch.rand(2, 1, 8, 8, dtype=torch.float64)
    a = Smooth(lin, 10, 0.5, seed=0).counts(x, 100, 1, 64)
    b = Smooth(lin, 10, 0.5, seed=0).counts(x, 100, 1, 1000)
    c = Smooth(lin, 10, 0.5, seed=1).counts(x, 100, 1, 64)
    assert torch.equal(a, b) and a.sum() == 200
    assert not torch.equal(a, c)


def test_warps_closed_forms():
    torch.manual_seed(0)
    x = torch.rand(2, 1, 8, 8)
    zero = {"rotation": 1, "translation": 2, "scaling": 1, "affine": 6, "dct": 8}
    for kind, d in zero.items():
        assert torch.allclose(warp(x, torch.zeros(2, d), kind), x, atol=1e-6), kind
    r = warp(x, torch.full((2, 1), math.pi / 2), "rotation")
    assert torch.allclose(r, torch.rot90(x, 1, (2, 3)), atol=1e-5) or torch.allclose(
        r, torch.rot90(x, -1, (2, 3)), atol=1e-5)
    t = warp(x, torch.tensor([[2 * 2 / 8, 0.0]] * 2), "translation")  # shift by two pixels
    assert torch.allclose(t[..., :6], x[..., 2:], atol=1e-6) and t[..., 6:].abs().max() < 1e-6
    # the constant DCT mode is a translation
    phi = torch.zeros(2, 8)
    phi[:, 0] = 0.25
    shifted = warp(x, torch.tensor([[0.25, 0.0]] * 2), "translation")
    assert torch.allclose(warp(x, phi, "dct"), shifted, atol=1e-5)
    # uniform parameters stay inside [-sigma, sigma]
    p = Perturbation("affine", 0.2, "uniform").draw(1000, 6)
    assert p.abs().max() <= 0.2 and p.std() > 0.1


def test_metrics_and_errors():
    radii, correct = [0.0, 0.5, 1.0, 2.0], [False, True, True, False]
    assert average_certified_radius(radii, correct) == pytest.approx(1.5 / 4)
    assert list(certified_accuracy(radii, correct, [0.0, 0.5, 0.75, 1.5])) == [0.5, 0.5, 0.25, 0.0]
    with pytest.raises(ValueError, match="perturbation"):
        Smooth(Constant(0), 10, 0.1, perturbation="shear")
    with pytest.raises(ValueError, match="distribution"):
        Perturbation("pixel", 0.1, "laplace")
    with pytest.raises(ValueError, match="sigma"):
        Perturbation("pixel", 0.0)
    with pytest.raises(ValueError, match="alpha"):
        lower_confidence_bound(3, 10, 0.0)
    assert smoothing_objective_name("rotation") == "smooth_rotation_gaussian"
    TrainConfig(objective=smoothing_objective_name("dct", "uniform"), noise_sigma=0.1)
    with pytest.raises(ValueError):
        smoothing_objective_name("shear")
