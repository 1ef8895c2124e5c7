"""Property tests (hypothesis): the threat-set projections, the W_2 retraction and the verdict rules hold
their invariants on every input hypothesis tries, not only on the hand-picked ones of the unit tests."""
from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from robustbook import verdicts as V
from robustbook.attacks.base import batch_norm, clip_to_box, in_threat_set, project
from robustbook.attacks.wasserstein import in_w2_ball, project_w2, w2_cost

FAST = settings(max_examples=50, deadline=None)
SHAPES = st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 5), st.integers(1, 5))


@st.composite
def image_and_step(draw):
    """A batch x in [0, 1] and a perturbation of the same shape, far outside any small ball."""
    shape = draw(SHAPES)
    x = draw(arrays(np.float32, shape, elements=st.floats(0, 1, width=32)))
    d = draw(arrays(np.float32, shape, elements=st.floats(-2, 2, width=32)))
    return torch.from_numpy(x), torch.from_numpy(d)


@FAST
@given(image_and_step(), st.floats(1e-3, 1.0), st.sampled_from(["linf", "l2"]))
def test_projection_lands_in_the_ball_and_the_box(xd, eps, norm):
    x, d = xd
    delta = clip_to_box(x, project(d, eps, norm))
    assert in_threat_set(x, x + delta, eps, norm)
    assert bool(((x + delta) >= 0).all() and ((x + delta) <= 1).all())


@FAST
@given(image_and_step(), st.floats(1e-3, 1.0), st.sampled_from(["linf", "l2"]))
def test_projection_is_idempotent_and_never_grows_a_norm(xd, eps, norm):
    x, d = xd
    once = project(d, eps, norm)
    assert torch.allclose(project(once, eps, norm), once, atol=1e-6)
    assert bool((batch_norm(clip_to_box(x, once), norm) <= batch_norm(once, norm) + 1e-6).all())
    inside = once * 0.5  # a point already inside the ball is not moved
    assert torch.equal(project(inside, eps, norm), inside)


@FAST
@given(image_and_step(), st.floats(0.0, 1.0))
def test_the_w2_retraction_meets_the_budget_and_is_idempotent(xd, delta):
    x, d = xd
    adv = project_w2(x, x + d, delta)
    assert in_w2_ball(x, adv, delta), (w2_cost(x, adv), delta)
    assert torch.allclose(project_w2(x, adv, delta), adv, atol=1e-6)


ORDER = {V.DISAGREES: 0, V.INCONCLUSIVE: 1, V.AGREES: 2}


@st.composite
def interval(draw):
    """(effect, low, high) with low <= effect <= high."""
    a, b, c = sorted(draw(st.lists(st.floats(-5, 5), min_size=3, max_size=3)))
    return b, a, c


@FAST
@given(interval(), st.floats(0, 2), st.sampled_from([1, -1]))
def test_an_interval_beyond_the_threshold_agrees_and_one_on_the_other_side_disagrees(iv, margin, expected):
    effect, low, high = iv
    v = V.sign_verdict("claim", effect, low, high, expected=expected, margin=margin)
    lo, hi = (low, high) if expected == 1 else (-high, -low)
    if lo > margin:
        assert v.outcome == V.AGREES
    if v.outcome == V.DISAGREES:
        assert hi < 0, "an interval that reaches the paper's side never disagrees"
    if lo > 0:
        assert v.outcome != V.DISAGREES


@FAST
@given(interval(), st.floats(0, 3), st.floats(0, 2), st.sampled_from([1, -1]))
def test_the_sign_rule_is_monotone_in_the_effect(iv, shift, margin, expected):
    effect, low, high = iv
    s = shift * expected  # move the whole interval toward the paper's side
    before = V.sign_verdict("c", effect, low, high, expected=expected, margin=margin).outcome
    after = V.sign_verdict("c", effect + s, low + s, high + s, expected=expected, margin=margin).outcome
    assert ORDER[after] >= ORDER[before]


@FAST
@given(interval(), interval())
def test_the_range_rule_agrees_inside_and_disagrees_when_disjoint(iv, target):
    effect, low, high = iv
    _, t_low, t_high = target
    outcome = V.range_verdict("c", effect, low, high, t_low, t_high).outcome
    assert (outcome == V.AGREES) == (t_low <= low and high <= t_high)
    assert (outcome == V.DISAGREES) == (high < t_low or low > t_high)


@FAST
@given(st.lists(st.floats(0, 1), min_size=2, max_size=40), st.integers(0, 2**16))
def test_a_bootstrap_interval_holds_its_estimate_and_is_seeded(values, seed):
    est, low, high = V.bootstrap_interval(values, n_boot=200, seed=seed)
    assert low - 1e-12 <= high and min(values) - 1e-12 <= low and high <= max(values) + 1e-12
    assert V.bootstrap_interval(values, n_boot=200, seed=seed) == (est, low, high)
