"""Difficulty-matched corruptions: one strength scale per corruption for offline data sets, stored here.

CIFAR-10-C's constants were tuned on CIFAR-10's photographs. On `digits32` (smooth bright strokes on a
flat black background) Gaussian noise at severity 5 costs a standard model nothing, so Table 1 of yi2021
has nothing for adversarial training to repair. A *difficulty-matched* corruption keeps the corruption's
recipe and random draws and scales its displacement:

    c_k(x) = clip(x + k (c(x) - x), 0, 1),

with one k per (data set, corruption, severity), chosen once so that the standard model's accuracy drop
on the offline set matches the paper's standard-model drop on CIFAR-10-C at the same severity (yi2021
Table 1, Std row). Why this form and not a bisection on each corruption's own constants: it applies to
all 15 corruptions with one scalar (the constants are tuples of up to 7 numbers of different meaning);
k = 1 is the corruption itself, bit for bit; for additive noise it *is* a change of the noise level (std
k sigma before clipping); it keeps the random draws fixed, so accuracy moves with k alone and one
corruption pass serves the whole bisection. What it is not: for k > 1 on a blur it removes k times the
blurred-away detail (an over-shoot, not a wider kernel), and for k < 1 it blends the corruption with the
clean image. Impulse noise is the exception (`corruptions.SCALED_CONSTANT`): its values are already 0 or 1,
so k multiplies the fraction of flipped values instead. The chapters say so.

The table (`calibration_scales.json` beside this module) is written by
`python scripts/calibrate_corruptions.py` and read here; nothing recomputes it at book time.
CIFAR data never use it: the released CIFAR-10-C arrays (or the unscaled constants) stay as they are.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Callable

from .corruptions import CORRUPTIONS

TABLE_FILE = "calibration_scales.json"
REGENERATE = "python scripts/calibrate_corruptions.py"


@lru_cache(maxsize=1)
def stored() -> dict:
    """The stored calibration table: {data set: {"severity": s, ..., "corruptions": {name: record}}}."""
    text = resources.files(__package__).joinpath(TABLE_FILE).read_text()
    return json.loads(text)


def scales(dataset: str, severity: int = 5) -> dict[str, float]:
    """The stored scale k of each corruption for `dataset` at `severity`; an error if none was calibrated."""
    table = stored()
    entry = table.get(dataset)
    if entry is None or int(entry["severity"]) != int(severity):
        have = ", ".join(f"{d} (severity {e['severity']})" for d, e in table.items()) or "none"
        raise KeyError(f"no calibrated corruption scales for {dataset!r} at severity {severity} (have: {have}); "
                       f"run `{REGENERATE} --dataset {dataset}`")
    out = {c: float(entry["corruptions"][c]["scale"]) for c in CORRUPTIONS}
    return out


def calibration_frame(dataset: str):
    """The stored calibration of `dataset` as a table: target drop, drop at k = 1, k, drop at k."""
    import pandas as pd

    entry = stored()[dataset]
    frame = pd.DataFrame(entry["corruptions"]).T.loc[list(CORRUPTIONS)]
    return frame[["paper_std_drop", "drop_at_1", "scale", "drop_at_scale", "reached"]]


GRID = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)


def bisect_scale(drop_of: Callable[[float], float], target: float, high: float = 16.0, tol: float = 1.0,
                 iters: int = 30) -> tuple[float, float, bool]:
    """(k, drop_of(k), reached): the smallest k in [0, high] where the accuracy drop meets `target` within `tol`.

    `drop_of(k)` is the standard model's accuracy drop (points) at scale k (0 at k = 0). A scan of `GRID`
    (up to `high`) finds the first k whose drop reaches the target (the drop need not grow monotonically:
    contrast extrapolated past a flat image inverts it), then bisection between it and the scan point
    before. When no scanned k reaches it, returns the scanned k of largest drop and False.
    """
    if not math.isfinite(target) or target < 0:
        raise ValueError(f"invalid target={target!r}: a drop in points >= 0")
    if high <= 0 or tol <= 0 or iters < 1:
        raise ValueError(f"need high > 0, tol > 0 and iters >= 1, got {high}, {tol}, {iters}")
    grid = [k for k in GRID if k < high] + [float(high)]
    lo, hi, best, seen = 0.0, None, None, []
    for k in grid:
        d = float(drop_of(k))
        seen.append((k, d))
        if abs(d - target) <= tol:
            return float(k), d, True
        if d > target:
            hi, best = k, (k, d)
            break
        lo = k
    if hi is None:
        k, d = max(seen, key=lambda kd: kd[1])
        return float(k), float(d), False
    for _ in range(iters):
        mid = (lo + hi) / 2
        d = float(drop_of(mid))
        if abs(d - target) < abs(best[1] - target):
            best = (mid, d)
        if abs(d - target) <= tol:
            break
        lo, hi = (mid, hi) if d < target else (lo, mid)
    return float(best[0]), float(best[1]), abs(best[1] - target) <= tol
