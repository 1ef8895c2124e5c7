"""What every driver shares: picking a profile's settings (with notebook overrides) and listing the drivers."""
from __future__ import annotations

import dataclasses
import importlib
from typing import Any, Collection, Mapping, Sequence, TypeVar

from ..profiles import PROFILE_NAMES

T = TypeVar("T")


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
    """In fixture mode (the gpu code paths on tiny files), a driver's settings with every field its class
    declares as work (`WORK`: field -> cap kind) capped like the library's loops; else unchanged."""
    from ..runtime import fixture_cap, fixture_mode

    work = getattr(type(s), "WORK", {})
    fields = {f.name for f in dataclasses.fields(s)}  # type: ignore[arg-type]
    unknown = sorted(set(work) - fields)
    if unknown:
        raise ValueError(f"{type(s).__name__}.WORK names no field: {', '.join(unknown)}")
    if not fixture_mode():
        return s
    return dataclasses.replace(s, **{name: fixture_cap(getattr(s, name), kind)  # type: ignore[type-var]
                                     for name, kind in work.items()})


def drivers() -> list[str]:
    """The driver modules of `robustbook.experiments` (found, not listed), as names relative to it."""
    import pkgutil

    from .. import experiments

    return sorted(m.name.removeprefix(experiments.__name__ + ".")
                  for m in pkgutil.walk_packages(experiments.__path__, experiments.__name__ + ".")
                  if not m.ispkg and m.name.rsplit(".", 1)[1] != "common")


def settings_tables() -> dict[str, dict[str, Mapping[str, Any]]]:
    """Every driver's per-profile settings: {driver: {table name: {profile: settings dataclass}}}."""
    out: dict[str, dict[str, Mapping[str, Any]]] = {}
    for name in drivers():
        mod = importlib.import_module(f"robustbook.experiments.{name}")
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
