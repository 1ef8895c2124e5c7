"""yi2021 App. D: the perturbation-size (D.1) and training-set-size (D.2) ablations and their verdicts."""
from __future__ import annotations

import numpy as np

from .table1 import MIN_DROP_FRACTION, paper_std_drops
from ..common import Departure
from .corruption_models import DEPARTURES as MODEL_DEPARTURES, SETTINGS


def _ablation_departures() -> tuple[Departure, ...]:
    c, g = SETTINGS["cpu"], SETTINGS["gpu"]
    return MODEL_DEPARTURES + (
        Departure("App. D.1 (Figs. 3-4)", "budget",
                  "r = 2^x/12 for x = -5..7 (l2) and 2^x/255 for x = -4..4 (l_inf), step r/4 (App. D.1)",
                  f"x in {list(c.grid_l2)} (l2) and {list(c.grid_linf)} (l_inf)",
                  f"x in {list(g.grid_l2)} (l2) and {list(g.grid_linf)} (l_inf): the paper's grids",
                  "2 cores: four radii per norm keep both ends, Table 1's radius and two interior points, enough to "
                  "tell an interior peak from a monotone curve",
                  reads=("SETTINGS[p].grid_l2", "SETTINGS[p].grid_linf")),
        Departure("App. D.2 (Figs. 5-6)", "data",
                  "training sets of 20% to 100% of CIFAR-10 in steps of 20%, both norms, 200 epochs each (App. D.2)",
                  f"fractions {list(c.fractions)} for {', '.join(c.fraction_norms)} only; a smaller set trains for as "
                  "many optimizer steps as the full one (proportionally more epochs)",
                  f"fractions {list(g.fractions)} for {' and '.join(g.fraction_norms)}, the same epochs for every size",
                  "2 cores; with equal epochs the 25% model stayed at chance in the short cpu schedule (measured)",
                  reads=("SETTINGS[p].fractions",)),
    )


DEPARTURES: tuple[Departure, ...] = _ablation_departures()


def column_groups() -> dict[str, tuple[str, ...]]:
    """The groups App. D's verdicts judge: each corruption family of CIFAR-10-C and the average of all 15."""
    from ...data.corruptions import CORRUPTIONS, FAMILIES
    return {**FAMILIES, "Avg": tuple(CORRUPTIONS)}


def _group_matrix(correct: dict, keys: list, cols: tuple[str, ...]) -> np.ndarray:
    """(points, len(keys)) matrix: each model's per-point accuracy averaged over the corruptions `cols`."""
    from ...data.corruptions import CORRUPTIONS
    idx = [1 + list(CORRUPTIONS).index(c) for c in cols]
    return np.stack([correct[k][:, idx].mean(1) for k in keys], axis=1)


def interior_peak(m: np.ndarray) -> float:
    """max over interior grid points k of min(acc_k - acc_first, acc_k - acc_last) (points): > 0 is an
    inverted U whose peak beats both ends; nan when the grid has no interior point."""
    acc = 100 * m.mean(0)
    if acc.size < 3:
        return float("nan")
    return float(max(min(acc[k] - acc[0], acc[k] - acc[-1]) for k in range(1, acc.size - 1)))


def _std_drop(std_correct: np.ndarray, cols: tuple[str, ...]) -> float:
    from ...data.corruptions import CORRUPTIONS
    idx = [1 + list(CORRUPTIONS).index(c) for c in cols]
    return float(100 * (std_correct[:, 0].mean() - std_correct[:, idx].mean()))


def _d_precondition(std_correct: np.ndarray, cols: tuple[str, ...], name: str, clean: dict[str, float],
                    num_classes: int, grid: int):
    from ... import verdicts as V
    need = MIN_DROP_FRACTION * float(paper_std_drops()[list(cols)].mean())
    return V.all_of(V.at_least("grid points", grid, 3), V.trained_above_chance(clean, num_classes),
                    V.at_least(f"Std's drop on {name}, points ({MIN_DROP_FRACTION:g} x paper's)",
                               _std_drop(std_correct, cols), need))


def inverted_u_verdicts(correct: dict[tuple[str, float], np.ndarray], std_correct: np.ndarray, num_classes: int,
                        seed: int = 0) -> list:
    """App. D.1 per norm and column group: the interior peak beats both ends of the radius grid.

    `correct[(norm, x)]` is a (points, 1 + 15) 0/1 array (`corruption_correctness`). The effect is
    `interior_peak` of the group's per-point accuracy over the grid; its 95% interval a bootstrap over test
    points that re-selects the peak in every resample. Sign rule: agrees when the whole interval is above 0,
    disagrees when it is below (an end beats every interior radius). A model whose training collapsed to
    chance (the book's near-chance rule) leaves the grid: a peak "beating" a collapsed end would only say that
    too large a radius breaks training. Preconditions: >= 3 radii left, and Std losing >= MIN_DROP_FRACTION x
    the paper's drop on the group.
    """
    from ... import verdicts as V
    out = []
    for norm in sorted({k[0] for k in correct}):
        every = sorted((k for k in correct if k[0] == norm), key=lambda k: k[1])
        keys = [k for k in every if not V.near_chance(float(correct[k][:, 0].mean()), num_classes)]
        gone = [f"x={k[1]:g}" for k in every if k not in keys]
        clean = {f"Adv-{norm} x={k[1]:g}": float(correct[k][:, 0].mean()) for k in keys}
        for name, cols in column_groups().items():
            pre = _d_precondition(std_correct, cols, name, clean, num_classes, len(keys))
            if gone:
                pre = V.Precondition(f"collapsed to chance, left out: {', '.join(gone)}; {pre.text}", pre.met)
            if len(keys) < 3:  # no interior radius: the precondition fails and the rule says "not testable"
                eff = lo = hi = float("nan")
            else:
                eff, lo, hi = V.bootstrap_interval(_group_matrix(correct, keys, cols), interior_peak, seed=seed)
            out.append(V.sign_verdict(f"D.1 Adv-{norm}, {name}: inverted U in r (peak - worse end)", eff,
                                      min(lo, eff), max(hi, eff), +1, precondition=pre))
    return out


def size_trend_verdicts(correct: dict[tuple[str, int], np.ndarray], std_correct: np.ndarray, num_classes: int,
                        seed: int = 0) -> list:
    """App. D.2 per norm and column group: accuracy rises with the training-set size n.

    `correct[(norm, n)]` as in `inverted_u_verdicts`. The effect is Spearman's rho between n and the group's
    accuracy, with a 95% bootstrap interval over test points; sign rule (agrees when the interval is above 0).
    Preconditions as D.1's (>= 3 sizes).
    """
    from ... import verdicts as V
    out = []
    for norm in sorted({k[0] for k in correct}):
        keys = sorted((k for k in correct if k[0] == norm), key=lambda k: k[1])
        ns = tuple(float(k[1]) for k in keys)
        clean = {f"Adv-{norm} n={k[1]}": float(correct[k][:, 0].mean()) for k in keys}
        for name, cols in column_groups().items():
            pre = _d_precondition(std_correct, cols, name, clean, num_classes, len(keys))
            eff, lo, hi = V.bootstrap_interval(_group_matrix(correct, keys, cols), lambda mm: V.rank_correlation(ns, mm.mean(0)),
                                               seed=seed)
            out.append(V.sign_verdict(f"D.2 Adv-{norm}, {name}: accuracy rises with n (Spearman rho)", eff,
                                      min(lo, eff), max(hi, eff), +1, precondition=pre))
    return out
