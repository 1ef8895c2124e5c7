"""The uncertainty intervals behind every verdict of the book, on SciPy and statsmodels (no torch).

Bootstrap intervals are `scipy.stats.bootstrap(method="percentile")` over the indices of the observations, so
a statistic may read whole rows (curves, pairs) and a seed fixes the resamples; the binomial interval is
statsmodels' Wilson score interval; a seed interval is Student's t. `robustbook.verdicts` re-exports them.
"""
from __future__ import annotations

import math
import warnings
from typing import Callable, Sequence

import numpy as np

LEVEL = 0.95  # two-sided coverage of every interval the book reports
ALPHA = round((1 - LEVEL) / 2, 12)  # one-sided level of a test behind a verdict: the sign rule reads a LEVEL interval, i.e.
#                          rejects at (1 - LEVEL) / 2 on each side; a p-value is held to the same bar
EXACT_MAX = 8  # up to 8 points every order is enumerated (8! = 40320); a bootstrap over 5 pairs has ~120 values


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"invalid level={level!r}: a coverage in (0, 1)")


def _percentile_bootstrap(sizes: Sequence[int], statistic: Callable[..., float], n_boot: int, level: float,
                          seed: int) -> tuple[float, float]:
    """(low, high) of a percentile bootstrap resampling each of len(sizes) index sets independently."""
    from scipy import stats

    _check_level(level)
    with warnings.catch_warnings():  # a NaN resample is handled below, not warned about
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        res = stats.bootstrap(tuple(np.arange(n) for n in sizes), statistic, n_resamples=n_boot,
                              vectorized=False, paired=False, confidence_level=level, method="percentile",
                              rng=np.random.default_rng(seed))
    low, high = res.confidence_interval
    if not (math.isfinite(low) and math.isfinite(high)):  # a statistic undefined on some resamples
        a = (1 - level) / 2
        low, high = np.nanquantile(res.bootstrap_distribution, [a, 1 - a])
    return float(low), float(high)


def bootstrap_interval(values: Sequence[float] | np.ndarray, statistic: Callable[[np.ndarray], float] = np.mean,
                       n_boot: int = 2000, level: float = LEVEL, seed: int = 0) -> tuple[float, float, float]:
    """(statistic, low, high): percentile bootstrap over the rows of `values` (test points or seeds)."""
    _check_level(level)
    v = np.asarray(values, dtype=float)
    if v.shape[0] < 2:
        raise ValueError(f"a bootstrap needs at least 2 observations, got {v.shape[0]}")
    low, high = _percentile_bootstrap([v.shape[0]], lambda i: statistic(v[i]), n_boot, level, seed)
    return float(statistic(v)), low, high


def two_sample_interval(a: np.ndarray, b: np.ndarray, statistic: Callable[[np.ndarray, np.ndarray], float],
                        n_boot: int = 1000, seed: int = 0, level: float = LEVEL) -> tuple[float, float, float]:
    """(statistic(a, b), low, high): percentile bootstrap resampling the points (last axis) of `a` and of `b`
    independently (e.g. source and target test points); the interval always contains the estimate.
    The argument order is alhamoud2023's own `two_sample_interval(a, b, statistic, n_boot, seed)`."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape[-1] < 2 or b.shape[-1] < 2:
        raise ValueError("a bootstrap needs at least 2 points on each side")
    est = float(statistic(a, b))
    low, high = _percentile_bootstrap([a.shape[-1], b.shape[-1]],
                                      lambda i, j: statistic(a[..., i], b[..., j]), n_boot, level, seed)
    return est, min(low, est), max(high, est)


def paired_difference(correct_a: Sequence[float], correct_b: Sequence[float], n_boot: int = 2000,
                      level: float = LEVEL, seed: int = 0) -> tuple[float, float, float]:
    """(mean(a - b), low, high) over the same test points: the uncertainty of an accuracy difference."""
    a, b = np.asarray(correct_a, dtype=float), np.asarray(correct_b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired samples must have one shape, got {a.shape} and {b.shape}")
    return bootstrap_interval(a - b, np.mean, n_boot, level, seed)


def seed_interval(values: Sequence[float], level: float = LEVEL) -> tuple[float, float, float]:
    """(mean, low, high): a Student-t interval over >= 3 seeds (fewer seeds give no honest interval)."""
    from scipy import stats

    _check_level(level)
    v = np.asarray(values, dtype=float)
    if v.size < 3:
        raise ValueError(f"a seed interval needs at least 3 seeds, got {v.size}")
    low, high = stats.t.interval(level, v.size - 1, loc=v.mean(), scale=stats.sem(v))
    return float(v.mean()), float(low), float(high)


def wilson_interval(successes: int, n: int, level: float = LEVEL) -> tuple[float, float, float]:
    """(p_hat, low, high): the Wilson score interval of a binomial proportion."""
    from statsmodels.stats.proportion import proportion_confint

    _check_level(level)
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n > 0, got successes={successes}, n={n}")
    low, high = proportion_confint(successes, n, alpha=1 - level, method="wilson")
    return successes / n, max(0.0, float(low)), min(1.0, float(high))


def slope_interval(x: Sequence[float], y: np.ndarray, n_boot: int = 2000, level: float = LEVEL,
                   seed: int = 0) -> tuple[float, float, float]:
    """(slope, low, high) of a least-squares line through (x, mean y); y is (points, len(x)) and is resampled
    over its rows (test points or seeds), so the interval carries the noise of every curve point."""
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    if ys.ndim != 2 or ys.shape[1] != xs.size:
        raise ValueError(f"y must be (observations, {xs.size}), got {ys.shape}")
    xc = xs - xs.mean()
    return bootstrap_interval(ys, lambda r: float(xc @ (r.mean(0) - r.mean()) / (xc @ xc)), n_boot, level, seed)


def rank_correlation(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho (average ranks for ties); 0 when either side is constant."""
    from scipy.stats import rankdata

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    return float(np.corrcoef(rankdata(x), rankdata(y))[0, 1])


def spearman_interval(x: Sequence[float], y: Sequence[float], n_boot: int = 2000, level: float = LEVEL,
                      seed: int = 0) -> tuple[float, float, float]:
    """(rho, low, high): Spearman's rank correlation with a bootstrap interval over the pairs."""
    pairs = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    if pairs.shape[0] < 3:
        raise ValueError(f"a rank correlation needs at least 3 pairs, got {pairs.shape[0]}")
    return bootstrap_interval(pairs, lambda p: rank_correlation(p[:, 0], p[:, 1]), n_boot, level, seed)


def spearman_exact(x: Sequence[float], y: Sequence[float], alpha: float = ALPHA) -> tuple[float, float, float]:
    """(rho, low, high): Spearman's rho with the exact permutation test over all n! orders of y (n <= EXACT_MAX),
    inverted into an interval of the same shape as the others, for the sign rule.

    With the null distribution R of rho (x and y exchangeable), v_lo = the smallest value with P(R <= v) > alpha and
    v_hi = the largest with P(R >= v) > alpha, the interval is [rho - v_hi, rho - v_lo]: its top is below 0 exactly
    when the one-sided p-value P(R <= rho) <= alpha, its bottom above 0 exactly when P(R >= rho) <= alpha. It is
    rho's excess over the null's critical values, so it may leave [-1, 1]; a bootstrap over so few pairs degenerates.
    """
    import itertools

    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = xs.size
    if ys.size != n or n < 3:
        raise ValueError(f"need two sequences of one length >= 3, got {xs.size} and {ys.size}")
    if n > EXACT_MAX:
        raise ValueError(f"{n} points: enumerating {n}! orders is too many (at most {EXACT_MAX})")
    if not 0 < alpha < 0.5:
        raise ValueError(f"invalid alpha={alpha!r}: in (0, 0.5)")
    rho = round(rank_correlation(xs, ys), 12)  # rounded like the null, so that rho == v compares exactly
    null = np.round([rank_correlation(xs, ys[list(p)]) for p in itertools.permutations(range(n))], 12)
    values = np.unique(null)
    below = np.array([(null <= v).mean() for v in values])
    above = np.array([(null >= v).mean() for v in values])
    v_lo = float(values[below > alpha].min())
    v_hi = float(values[above > alpha].max())
    return rho, round(rho - v_hi, 12), round(rho - v_lo, 12)


def spearman_p_values(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """(P(R <= rho), P(R >= rho)): the exact one-sided permutation p-values of Spearman's rho (n <= EXACT_MAX)."""
    import itertools

    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xs.size > EXACT_MAX:
        raise ValueError(f"{xs.size} points: at most {EXACT_MAX}")
    rho = round(rank_correlation(xs, ys), 12)
    null = np.round([rank_correlation(xs, ys[list(p)]) for p in itertools.permutations(range(xs.size))], 12)
    return float((null <= rho).mean()), float((null >= rho).mean())
