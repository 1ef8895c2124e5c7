"""What every driver shares: picking a profile's settings (with notebook overrides) and listing the drivers."""
from __future__ import annotations

import dataclasses
import importlib
from typing import Any, Collection, Mapping, Sequence, TypeVar

T = TypeVar("T")

PROFILE_NAMES = ("smoke", "cpu", "gpu")
# The one file that drives each paper's chapters (and the foundations chapters).
DRIVERS = ("foundations", "yi2021", "nern2023", "alhamoud2023", "bai2024", "wen2020")


def pick(table: Mapping[str, T], profile: str, **overrides: Any) -> T:
    """The settings of `table` at `profile`, with each override that is not None replacing its field."""
    if profile not in table:
        raise ValueError(f"invalid profile={profile!r}: choose one of {', '.join(table)}")
    s = table[profile]
    fields = {f.name for f in dataclasses.fields(s)}  # type: ignore[arg-type]
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ValueError(f"invalid setting(s) {', '.join(unknown)}: choose from {', '.join(sorted(fields))}")
    changes = {k: (tuple(v) if isinstance(v, list) else v) for k, v in overrides.items() if v is not None}
    return fixture_settings(dataclasses.replace(s, **changes))  # type: ignore[type-var]


def fixture_settings(s: T) -> T:
    """In fixture mode (the gpu code paths on tiny files), a driver's settings with every count capped like
    the library's loops: epochs, steps and restarts, sample and point counts (grids stay whole: chapters
    index into them; the library caps the sweeps it runs over them)."""
    from ..runtime import fixture_cap, fixture_mode

    if not fixture_mode():
        return s
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(s):  # type: ignore[arg-type]
        name, value = f.name, getattr(s, f.name)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            if "epochs" in name:
                changes[name] = fixture_cap(value, "epochs")
            elif name.endswith(("steps", "restarts")):
                changes[name] = fixture_cap(value, "steps")
            elif (name.startswith(("n_", "num_")) or name in ("n", "n0", "points")
                  or name.endswith(("_n", "_points", "_draws", "_seeds", "_search", "_logits", "_segments"))):
                changes[name] = fixture_cap(value, "points")
    return dataclasses.replace(s, **changes)  # type: ignore[type-var]


def settings_tables() -> dict[str, dict[str, Mapping[str, Any]]]:
    """Every driver's per-profile settings: {driver: {table name: {profile: settings dataclass}}}."""
    out: dict[str, dict[str, Mapping[str, Any]]] = {}
    for name in DRIVERS:
        try:
            mod = importlib.import_module(f"robustbook.experiments.{name}")
        except ModuleNotFoundError:
            continue
        tables = {}
        for attr, value in vars(mod).items():
            if (isinstance(value, Mapping) and value and set(value) <= set(PROFILE_NAMES)
                    and all(dataclasses.is_dataclass(v) for v in value.values())):
                tables[attr] = value
        if tables:
            out[name] = tables
    return out


def sweep(by_notebook: Mapping[str, Sequence[Any]], notebooks: Collection[str] | None = None) -> list[Any]:
    """The recipes of the named notebooks (stems; None: all), each once, in order: a driver's sweep_recipes."""
    wanted = by_notebook if notebooks is None else {k: v for k, v in by_notebook.items() if k in notebooks}
    return list(dict.fromkeys(r for recipes in wanted.values() for r in recipes))
