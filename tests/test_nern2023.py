"""nern2023: Appendix B / Hoeffding / Thm 4.1 checks, the representation attack, the sound Lipschitz bound."""
import itertools
import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from robustbook.attacks import RepresentationPGD, in_threat_set, representation_shift
from robustbook.evaluate.lipschitz import circular_conv_norm, conv_power_iteration, lipschitz_bound
from robustbook.evaluate.transfer import fit_linear_head, measure_head
from robustbook.models import build
from robustbook.theory import nern2023 as t


# ------------------------------------------------------------------ theory (checks + mutants: test_falsifiable.py)

# a training history that flattened (the last epoch made 0.06% of the descent), for every encoder name the tests use
_FLAT = pd.DataFrame({"epoch": [1, 2, 3, 4], "loss": [2.3, 1.0, 0.501, 0.5]})
FLAT_H = {name: _FLAT for name in ("linear", "standard", "AT", *(f"e{i}" for i in range(8)))}

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


# ------------------------------------------------------------------ Theorems 3.2 and 4.1: measurements and verdicts
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
    row, pts = measure_head(m, x, y, 0.05, "linf", shift, bound.shift_bound(0.05, "linf"), xr, steps=5)
    assert row["gap"] <= row["rhs_sound"] and row["gap"] <= row["rhs_own"] * (1 + 1e-5)
    assert 0 <= row["tight_sound"] <= row["tight_rep"]
    assert row["cert_sound"] <= row["cert_rep"]
    # the proof's chain per point, at the classifier attack's own shift (sound: CE is sqrt(2)-Lipschitz)
    assert np.all(pts["gap"] <= math.sqrt(2) * row["W_norm"] * pts["shift_at_attack"] * (1 + 1e-4) + 1e-6)
    assert np.array_equal(pts["rep_pgd"], shift.double().numpy())  # the searched shift is kept apart


class LinearClassifier(nn.Module):
    """f(x) = <a, x> (one feature), head W = [[1], [-1]], bias (-10, 10): closed forms for both theorems."""

    def __init__(self, d=4):
        super().__init__()
        self.a = nn.Parameter(torch.ones(1, d, dtype=torch.float64))
        self.head = nn.Linear(1, 2).double()
        with torch.no_grad():
            self.head.weight.copy_(torch.tensor([[1.0], [-1.0]]))
            self.head.bias.copy_(torch.tensor([-10.0, 10.0]))

    def features(self, x):
        return x.flatten(1) @ self.a.T

    def forward(self, x):
        return self.head(self.features(x))


def _linear_measurement(n_right: int = 160, n_wrong: int = 40):
    """Points at 0.5: class 1 (confidently right) and class 0 (confidently wrong, where the loss is steepest:
    there the per-point bound of Thm 3.2 and App. C's step are attained)."""
    m = LinearClassifier()
    n = n_right + n_wrong
    x = torch.full((n, 1, 2, 2), 0.5, dtype=torch.float64)
    y = torch.tensor([1] * n_right + [0] * n_wrong)
    eps = 0.1
    exact = torch.full((n,), eps * 4.0, dtype=torch.float64)  # max |<a, d>| over the linf ball = eps ||a||_1
    row, pts = measure_head(m, x, y, eps, "linf", exact, float(exact[0]), steps=20)
    row.update(encoder="linear", threat="linf 0.1", weight_decay=0.0)
    return row, pts


def test_thm32_checks_have_power_on_a_linear_model():
    from robustbook import verdicts as V
    from robustbook.experiments import nern2023 as ex

    row, pts = _linear_measurement()
    assert pts["shift_at_attack"][160:] == pytest.approx(0.4)  # the attack moves the feature by the whole ball
    right = ex.thm32_verdicts([row], [pts], 2, histories=FLAT_H)
    per_point = right[0]
    assert per_point.claim_id == "nern2023:thm32-per-point" and per_point.kind == "demonstration"  # a Lipschitz identity: it cannot disagree but through a bug
    assert per_point.outcome == V.AGREES and per_point.effect > V.CONTROL_FACTOR  # the control is violated
    assert per_point.effect == pytest.approx(1.0, abs=1e-3)  # tight: log(1+e^16.8) - log(1+e^16) ~ 0.8 = 2 x 0.4
    wrong = ex.thm32_verdicts([row], [pts], 2, scale=0.5, histories=FLAT_H)  # the bound wrong by 2x
    assert wrong[0].outcome == V.DISAGREES
    # the sample forms average over points that barely move: their controls hold, so no claim of power
    assert {v.outcome for v in right[1:]} <= {V.AGREES, V.INCONCLUSIVE}
    assert all(v.outcome == V.DISAGREES for v in ex.thm32_verdicts([row], [pts], 2, scale=0.1, histories=FLAT_H)[1:])
    # too few points to judge: "not testable here" (the book-wide MIN_SAMPLE)
    few_row, few = _linear_measurement(8, 4)
    assert ex.thm32_verdicts([few_row], [few], 2, histories=FLAT_H)[0].outcome == V.NOT_TESTABLE


def test_thm32_sample_form_with_the_largest_shift_is_a_demonstration_implied_by_the_per_point_claim():
    """The sample form with the largest shift found per point can disagree only where the per-point chain does:
    it is registered as a demonstration (not tallied). A planted per-point violation (the gap of one point
    inflated past its bound) makes both disagree; the per-point claim is the one that counts."""
    from robustbook import verdicts as V
    from robustbook.experiments import nern2023 as ex
    from robustbook.papers.registry import claim

    assert not claim("nern2023:thm32-sample-largest-shift").tallied
    row, pts = _linear_measurement()
    per_point, largest, _ = ex.thm32_verdicts([row], [pts], 2, histories=FLAT_H)
    assert V.outcome_of(largest.outcome) != V.DISAGREES and not largest.tallied
    planted = dict(pts, gap=pts["gap"] * 100)  # a loss that moves 100x more than the Lipschitz chain allows
    planted_row = dict(row, gap=float(planted["gap"].mean()))
    per_point, largest, _ = ex.thm32_verdicts([planted_row], [planted], 2, histories=FLAT_H)
    assert per_point.outcome == V.DISAGREES and largest.outcome == V.DISAGREES


def test_thm41_checks_per_point_on_a_linear_model():
    from robustbook import verdicts as V
    from robustbook.experiments import nern2023 as ex

    row, pts = _linear_measurement()
    # margins +16 (right) and -16 (wrong); 2 ||W||_2 x 0.4 = 1.13 < 16, so the right points are certified
    assert pts["cert_sound"].sum() == 160
    certified, step = ex.thm41_verdicts([row], [pts], 2, histories=FLAT_H)
    assert certified.outcome == V.INCONCLUSIVE  # no flip, but the drops are tiny next to the margins
    assert step.outcome == V.AGREES and step.effect == pytest.approx(1.0, abs=1e-3)  # attained by a linear map
    assert ex.thm41_verdicts([row], [pts], 2, scale=0.5, histories=FLAT_H)[1].outcome == V.DISAGREES
    # nothing certified: "not testable here", never a vacuous "agrees"
    none = dict(pts, cert_sound=np.zeros(200, bool))
    assert ex.thm41_verdicts([row], [none], 2, histories=FLAT_H)[0].outcome == V.NOT_TESTABLE
    # a head at chance is left out of every check
    at_chance = dict(row, clean_acc=0.5)
    assert all(v.outcome == V.NOT_TESTABLE for v in ex.thm41_verdicts([at_chance], [pts], 2, histories=FLAT_H))


def test_appendix_b_printed_constant_reads_as_a_wrong_printed_formula():
    from robustbook import verdicts as V
    from robustbook.experiments import nern2023 as ex

    out = {v.claim_id: v for v in ex.appendix_b_verdicts(5.0)}  # a violation ratio of 5 on low logits
    printed = out["nern2023:appb-printed-C"]
    assert printed.kind == "printed-formula" and printed.outcome == V.DISAGREES
    assert out["nern2023:appb-printed-C-high-logits"].outcome == V.AGREES  # right where the largest logit >= -log c
    assert out["nern2023:appb-step1"].outcome == V.AGREES
    assert not out["nern2023:appb-corrected-C"].tallied and not out["nern2023:ce-lipschitz-sqrt2"].tallied
    assert {v.claim_id: v for v in ex.appendix_b_verdicts(0.9)}["nern2023:appb-printed-C"].outcome == V.AGREES


def test_shift_and_trend_verdicts_reach_their_outcomes():
    from robustbook import verdicts as V
    from robustbook.experiments import nern2023 as ex

    rng = np.random.default_rng(0)
    big, small = rng.uniform(1, 2, 50), rng.uniform(0, 0.5, 50)
    acc = {"standard": 0.9, "AT": 0.8}
    assert ex.shift_verdicts({("standard", "l2"): big, ("AT", "l2"): small}, acc, 5, histories=FLAT_H)[0].outcome == V.AGREES
    assert ex.shift_verdicts({("standard", "l2"): small, ("AT", "l2"): big}, acc, 5, histories=FLAT_H)[0].outcome == V.DISAGREES
    assert ex.shift_verdicts({("standard", "l2"): big, ("AT", "l2"): small}, dict(acc, AT=0.2), 5, histories=FLAT_H)[0].outcome \
        == V.NOT_TESTABLE
    rows = [dict(W_norm=float(w), rep_pgd=1.0, gap=float(w) ** 2, clean_acc=0.9) for w in range(1, 9)]
    rows = [dict(r, encoder=f"e{i}") for i, r in enumerate(rows)]
    assert ex.trend_verdict(rows, 5, histories=FLAT_H).outcome == V.AGREES
    assert ex.trend_verdict([dict(r, gap=-r["gap"]) for r in rows], 5, histories=FLAT_H).outcome == V.DISAGREES
    assert ex.trend_verdict(rows[:2], 5, histories=FLAT_H).outcome == V.NOT_TESTABLE
    # a perfect order over 4 rows (1 in 24 by chance) is below MIN_RANK_POINTS: not testable, never "agrees"
    four = ex.trend_verdict(rows[:V.MIN_RANK_POINTS - 1], 5, histories=FLAT_H)
    assert four.outcome == V.NOT_TESTABLE and four.effect == pytest.approx(1.0)


def test_claim_registry_nern_encoder_claims_are_gated_on_flattened_encoders():
    """Every claim reading a trained encoder declares "loss flattened"; an encoder still descending (planted) makes
    its rows "not testable here"."""
    from robustbook import verdicts as V
    from robustbook.experiments import nern2023 as ex
    from robustbook.papers.registry import claims

    reads = [c for k, c in claims().items() if k.startswith("nern2023:") and "above chance" in c.preconditions]
    assert reads and all("loss flattened" in c.preconditions for c in reads)
    falling = dict(FLAT_H, linear=pd.DataFrame({"epoch": [1, 2, 3, 4], "loss": [2.3, 2.0, 1.5, 1.0]}))
    row, pts = _linear_measurement()
    assert {v.outcome for v in ex.thm32_verdicts([row], [pts], 2, histories=falling)} == {V.NOT_TESTABLE}
    assert {v.outcome for v in ex.thm41_verdicts([row], [pts], 2, histories={})} == {V.NOT_TESTABLE}


def test_claim_shift_comparison_divides_by_each_encoders_scale():
    """A standard encoder whose shifts are larger only because its features are larger does not 'move more'."""
    from robustbook import verdicts as V
    from robustbook.experiments import nern2023 as ex

    rng = np.random.default_rng(0)
    small = rng.uniform(0.5, 1.0, 200)
    big = 10 * small  # the same relative shift, ten times the scale
    acc = {"standard": 0.9, "AT": 0.8}
    raw = ex.shift_verdicts({("standard", "l2"): big, ("AT", "l2"): small}, acc, 5, histories=FLAT_H)[0]
    assert V.outcome_of(raw.this_run) == V.AGREES  # unscaled, the planted case reads as the paper's premise
    scaled = ex.shift_verdicts({("standard", "l2"): big, ("AT", "l2"): small}, acc, 5, histories=FLAT_H,
                               scales={"standard": 10.0, "AT": 1.0})[0]
    assert scaled.effect == pytest.approx(0.0, abs=1e-12) and V.outcome_of(scaled.this_run) == V.INCONCLUSIVE


def test_claim_registry_at_shrinks_shift_is_a_demonstration_not_the_papers_claim():
    """N1: the paper proves its bounds irrespective of the pre-training protocol; the shift comparison is the
    book's own check of its encoders and is never tallied."""
    from robustbook.papers.registry import claim

    c = claim("nern2023:at-shrinks-shift")
    assert c.kind == "demonstration" and not c.tallied and "irrespective" in c.source
    assert "stronger representation search" in c.alternatives


def test_shift_demonstration_is_stress_tested_by_a_stronger_search():
    """N4: a weaker search on the AT encoder cannot make the direction: the stronger search is an alternative."""
    from robustbook import verdicts as V
    from robustbook.experiments import nern2023 as ex

    rng = np.random.default_rng(0)
    big, small = rng.uniform(1, 2, 50), rng.uniform(0, 0.5, 50)
    acc = {"standard": 0.9, "AT": 0.8}
    rep = {("standard", "l2"): big, ("AT", "l2"): small}
    same = ex.shift_verdicts(rep, acc, 5, histories=FLAT_H, strong={("standard", "l2"): big[:20],
                                                                     ("AT", "l2"): small[:20]})[0]
    assert same.outcome == V.AGREES and "2/2 runs agree" in same.stability
    # the stronger search finds the AT encoder moving as much: the direction was the weak search's
    gone = ex.shift_verdicts(rep, acc, 5, histories=FLAT_H, strong={("standard", "l2"): big[:20],
                                                                     ("AT", "l2"): big[:20] + 0.01})[0]
    assert gone.outcome.startswith(V.INCONCLUSIVE) and "stronger search" in gone.outcome


def test_verdict_sentences_give_the_reason_that_happened():
    """N2: a seed-dependent row that agrees in this run says so and names the seed rule, never 'straddles zero'."""
    from robustbook import verdicts as V
    from robustbook.experiments import nern2023 as ex

    rule = "95% interval > +0: agrees; on the other side of 0: disagrees"
    one_seed = V.Verdict("c", rule, 0.07, 0.06, 0.08, "inconclusive (one seed: agrees here; decisive needs 3 seeds)",
                         kind="paper-claim", stability=V.seed_note(1), this_run=V.AGREES)
    text = ex.verdict_sentences([one_seed])[0]
    assert "straddles" not in text and "agrees in this run" in text and "decisive needs 3" in text
    straddle = V.Verdict("c", rule, 0.0, -0.1, 0.1, V.INCONCLUSIVE, kind="paper-claim", this_run=V.INCONCLUSIVE)
    assert "straddles zero" in ex.verdict_sentences([straddle])[0]
    stressed = V.Verdict("c", rule, 0.07, 0.06, 0.08, "inconclusive (not replicated: agrees in this run, "
                         "inconclusive with a stronger search)", kind="demonstration",
                         this_run="inconclusive (not replicated: agrees in this run, inconclusive with a stronger "
                                  "search)")
    text = ex.verdict_sentences([stressed])[0]
    assert "straddles" not in text and "stronger search" in text
