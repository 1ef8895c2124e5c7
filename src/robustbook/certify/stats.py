"""The statistics of randomized smoothing, from SciPy / statsmodels: Clopper-Pearson bounds, the
binomial test of `predict`, the radii of Eq. 7 and Eq. 9, certified accuracy and the ACR."""
from __future__ import annotations

import numpy as np
from scipy.stats import binomtest, norm
from statsmodels.stats.proportion import proportion_confint


def lower_confidence_bound(successes, trials, alpha: float):
    """One-sided (1 - alpha) Clopper-Pearson lower bound on a binomial proportion (vectorized)."""
    if not 0 < alpha < 1:
        raise ValueError(f"invalid alpha={alpha!r}: must lie in (0, 1)")
    lo, _ = proportion_confint(np.asarray(successes), np.asarray(trials), alpha=2 * alpha, method="beta")
    return np.nan_to_num(np.asarray(lo, dtype=float), nan=0.0)


def top_two_test(count_a: int, count_b: int, alpha: float) -> bool:
    """True when the binomial test rejects 'the top two classes are equally likely' at level alpha."""
    if count_a + count_b == 0:
        return False
    return binomtest(int(count_a), int(count_a + count_b), p=0.5).pvalue <= alpha


def radius_gaussian(p_a, p_b, sigma: float):
    """Eq. 7 / Eq. 9 (Gaussian): sigma/2 * (Phi^-1(pA) - Phi^-1(pB)); 0 where pA <= 1/2 (abstain)."""
    p_a, p_b = np.asarray(p_a, float), np.asarray(p_b, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = 0.5 * sigma * (norm.ppf(p_a) - norm.ppf(p_b))
    return np.where(p_a > 0.5, r, 0.0)


def radius_uniform(p_a, p_b, sigma: float):
    """Eq. 9 (uniform on [-sigma, sigma]): sigma * (pA - pB); 0 where pA <= 1/2 (abstain)."""
    p_a, p_b = np.asarray(p_a, float), np.asarray(p_b, float)
    return np.where(p_a > 0.5, sigma * (p_a - p_b), 0.0)


def certified_accuracy(radii, correct, grid) -> np.ndarray:
    """Fraction of points classified correctly with certified radius >= r, for each r of `grid`."""
    radii, correct = np.asarray(radii, float), np.asarray(correct, bool)
    grid = np.asarray(grid, float)
    return ((radii[None, :] >= grid[:, None]) & correct[None, :]).mean(1)


def average_certified_radius(radii, correct) -> float:
    """ACR (Zhai et al. 2020): the mean over all points of the radius, counted 0 when wrong or abstained."""
    radii, correct = np.asarray(radii, float), np.asarray(correct, bool)
    return float(np.where(correct, radii, 0.0).mean()) if len(radii) else 0.0
