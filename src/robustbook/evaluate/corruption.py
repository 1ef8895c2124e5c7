"""Accuracy under the 15 common corruptions, laid out like Table 1 of yi2021 (CIFAR-10-C / ImageNet-C)."""
from __future__ import annotations

from typing import Iterable

import pandas as pd
import torch
from torch import nn
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from ..data.corruptions import CORRUPTIONS, FAMILIES, CorruptedDataset
from .accuracy import accuracy


def table_columns() -> pd.MultiIndex:
    """Column index (family, corruption): ('', 'Clean'), the 15 corruptions by family, ('', 'Avg')."""
    cols = [("", "Clean")] + [(fam, name) for fam, names in FAMILIES.items() for name in names] + [("", "Avg")]
    return pd.MultiIndex.from_tuples(cols, names=["family", "corruption"])


def corruption_table(model: nn.Module, dataset: Dataset, severities: Iterable[int] = (1, 2, 3, 4, 5),
                     device: torch.device | str = "cpu", batch_size: int = 256, seed: int = 0,
                     corruptions: Iterable[str] = CORRUPTIONS, progress: bool = False,
                     scales: dict[str, float] | None = None) -> pd.DataFrame:
    """Accuracy (%) on `dataset` clean and under each corruption, one row per severity plus 'avg'.

    Columns follow yi2021 Table 1: Clean, the corruptions grouped by family (noise, blur, weather,
    digital), Avg (mean over the corruptions of that row). The 'avg' row averages over the severities
    (the ImageNet-C convention). Corrupted images come from `CorruptedDataset(dataset, c, s, seed)`.
    A subset of `corruptions` leaves the other columns out. `scales` (corruption -> k, e.g.
    `robustbook.data.calibration.scales(name)`) applies difficulty-matched corruptions; missing names keep k = 1.
    """
    severities = [int(s) for s in severities]
    if not severities:
        raise ValueError("severities must not be empty")
    chosen = list(corruptions)
    unknown = [c for c in chosen if c not in CORRUPTIONS]
    if unknown or not chosen:
        raise ValueError(f"unknown corruptions {unknown}: choose from {', '.join(CORRUPTIONS)}")
    clean = 100 * accuracy(model, dataset, batch_size=batch_size, device=device)
    rows = {}
    jobs = [(s, c) for s in severities for c in CORRUPTIONS if c in chosen]
    for s, c in tqdm(jobs, desc="corruptions", disable=not progress, leave=False):
        data = CorruptedDataset(dataset, c, s, seed=seed, chunk_size=max(batch_size, 512),
                                scale=(scales or {}).get(c, 1.0))
        rows.setdefault(s, {})[c] = 100 * accuracy(model, data, batch_size=batch_size, device=device)
    return _layout(clean, rows, severities, chosen)


def _layout(clean: float, rows: dict[int, dict[str, float]], severities: list[int], chosen: list[str]) -> pd.DataFrame:
    cols = [col for col in table_columns() if col[1] in ("Clean", "Avg") or col[1] in chosen]
    table = pd.DataFrame(index=pd.Index(severities + ["avg"], name="severity"),
                         columns=pd.MultiIndex.from_tuples(cols, names=["family", "corruption"]), dtype=float)
    for s in severities:
        for fam, name in cols[1:-1]:
            table.loc[s, (fam, name)] = rows[s][name]
    table.loc["avg"] = table.loc[severities].mean()
    table[("", "Clean")] = clean
    table[("", "Avg")] = table[cols[1:-1]].mean(axis=1)
    return table


def official_corruption_table(model: nn.Module, clean: Dataset, name: str = "cifar10",
                              severities: Iterable[int] = (1, 2, 3, 4, 5), device: torch.device | str = "cpu",
                              batch_size: int = 256, root: str | None = None,
                              corruptions: Iterable[str] = CORRUPTIONS, progress: bool = False) -> pd.DataFrame:
    """`corruption_table` on the released CIFAR-10-C / CIFAR-100-C arrays instead of generated corruptions."""
    from ..data.corruption_sets import cifar_c

    severities = [int(s) for s in severities]
    chosen = list(corruptions)
    acc = 100 * accuracy(model, clean, batch_size=batch_size, device=device)
    rows: dict[int, dict[str, float]] = {}
    jobs = [(s, c) for s in severities for c in CORRUPTIONS if c in chosen]
    for s, c in tqdm(jobs, desc=f"{name}-C", disable=not progress, leave=False):
        rows.setdefault(s, {})[c] = 100 * accuracy(model, cifar_c(name, c, s, root), batch_size=batch_size,
                                                   device=device)
    return _layout(acc, rows, severities, chosen)


def corruption_correct(model: nn.Module, dataset: Dataset, severity: int = 5, device: torch.device | str = "cpu",
                       batch_size: int = 256, seed: int = 0, scales: dict[str, float] | None = None) -> pd.DataFrame:
    """Per test point, 1 if classified correctly clean ('Clean') and under each corruption at `severity`, else 0.

    The same corrupted images as `corruption_table` (same seeds and chunks), kept per point so that accuracy
    differences between models can be paired over test points.
    """
    from .accuracy import predictions

    cols = {}
    pred, y = predictions(model, dataset, batch_size=batch_size, device=device)
    cols["Clean"] = (pred == y).float().numpy()
    for c in CORRUPTIONS:
        data = CorruptedDataset(dataset, c, severity, seed=seed, chunk_size=max(batch_size, 512),
                                scale=(scales or {}).get(c, 1.0))
        pred, y = predictions(model, data, batch_size=batch_size, device=device)
        cols[c] = (pred == y).float().numpy()
    return pd.DataFrame(cols)


def calibrate_scales(model: nn.Module, dataset: Dataset, target_drops: dict[str, float], severity: int = 5,
                     device: torch.device | str = "cpu", seed: int = 1, high: float = 16.0, tol: float = 1.0,
                     batch_size: int = 512) -> pd.DataFrame:
    """Per corruption, the scale k whose accuracy drop (points) of `model` on `dataset` meets its target.

    Each corruption is generated once (k only rescales c(x) - x with the same draws), then
    `robustbook.data.calibration.bisect_scale` searches k in [0, high]. Returns one row per corruption:
    paper_std_drop (the target), drop_at_1, scale, drop_at_scale, reached.
    """
    from ..data.calibration import bisect_scale
    from ..data.corruptions import SCALED_CONSTANT, corrupt, corruption_seed
    from .accuracy import predictions

    device = torch.device(device)
    x, y = next(iter(torch.utils.data.DataLoader(dataset, batch_size=len(dataset))))  # type: ignore[arg-type]
    pred, _ = predictions(model, torch.utils.data.TensorDataset(x, y), batch_size=batch_size, device=device)
    clean = 100 * float((pred == y).float().mean())
    rows = {}
    for c in CORRUPTIONS:
        if c not in target_drops:
            continue
        g = torch.Generator().manual_seed(corruption_seed(seed, c, severity))
        xc = corrupt(x.float(), c, severity, g)

        def drop_of(k: float, xc: torch.Tensor = xc, c: str = c) -> float:
            if c in SCALED_CONSTANT:  # the constant, not the displacement, is scaled: regenerate, same draws
                g = torch.Generator().manual_seed(corruption_seed(seed, c, severity))
                xk = corrupt(x.float(), c, severity, g, scale=k)
            else:
                xk = (x + k * (xc - x)).clamp(0, 1)
            p, _ = predictions(model, torch.utils.data.TensorDataset(xk, y), batch_size=batch_size, device=device)
            return clean - 100 * float((p == y).float().mean())

        k, d, ok = bisect_scale(drop_of, float(target_drops[c]), high=high, tol=tol)
        rows[c] = {"paper_std_drop": round(float(target_drops[c]), 2), "drop_at_1": round(drop_of(1.0), 2),
                   "scale": round(k, 4), "drop_at_scale": round(d, 2), "reached": bool(ok)}
    out = pd.DataFrame(rows).T
    out.attrs["clean"] = clean
    return out
