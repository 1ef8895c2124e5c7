"""frechet_distance with fewer points than dimensions (the span shortcut) equals the d x d formula."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg

from robustbook.evaluate.frechet import frechet_distance


def _direct(a: np.ndarray, b: np.ndarray) -> float:
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    ridge = 1e-6 * (np.trace(s_a) + np.trace(s_b)) / (2 * len(s_a)) + 1e-12
    s_a, s_b = s_a + ridge * np.eye(len(s_a)), s_b + ridge * np.eye(len(s_b))
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b)
                 - 2 * np.trace(np.real(linalg.sqrtm(s_a @ s_b))))


@pytest.mark.parametrize("na,nb,d", [(5, 7, 50), (3, 3, 40), (6, 21, 120), (40, 30, 20)])
def test_span_shortcut_matches_the_full_formula(na, nb, d):
    rng = np.random.default_rng(na * d)
    a, b = rng.normal(size=(na, d)), rng.normal(1.0, 2.0, size=(nb, d))
    b[:, :3] = 0.0  # dead units: singular covariances
    assert frechet_distance(a, b) == pytest.approx(_direct(a, b), rel=1e-7)


def test_identical_samples_are_at_distance_zero_in_high_dimension():
    a = np.random.default_rng(0).normal(size=(6, 200))
    assert abs(frechet_distance(a, a)) < 1e-6 * np.trace(np.cov(a, rowvar=False))
