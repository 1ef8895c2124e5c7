"""What every driver shares: picking a profile's settings (with notebook overrides) and listing the drivers."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
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


# ------------------------------------------------------------------------------------- departures (issue 29)
ASPECTS = ("data", "model", "optimiser", "schedule", "attack", "loss", "budget", "selection", "evaluation")
DEPARTURE_COLUMNS = ("experiment", "aspect", "paper", "cpu", "gpu", "why")


@dataclass(frozen=True)
class Departure:
    """One way a chapter's experiment differs from the paper's, at `cpu` and at `gpu`.

    `paper` is the paper's setting with its location; `cpu` / `gpu` say what each profile runs (the same
    text as `paper` where a profile follows it); `why` says why they differ. `reads` names the code the
    numbers of the `cpu` / `gpu` columns come from: Python expressions evaluated in the driver module with `p`
    bound to the profile ('cpu' or 'gpu'), e.g. "SETTINGS[p].epochs". `tests/test_departures.py` checks that
    every number shown in those columns is the value of one of them, so the table cannot drift from the code.
    """

    experiment: str
    aspect: str
    paper: str
    cpu: str
    gpu: str
    why: str
    reads: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in DEPARTURE_COLUMNS:
            if not str(getattr(self, name)).strip():
                raise ValueError(f"invalid Departure: {name} is empty ({self.experiment!r})")
        if self.aspect not in ASPECTS:
            raise ValueError(f"invalid aspect={self.aspect!r}: choose one of {', '.join(ASPECTS)}")


def departures_frame(departures: Sequence[Departure]):
    """The departures as a table, one row each, columns `DEPARTURE_COLUMNS` (a plain RangeIndex)."""
    import pandas as pd

    if not departures:
        raise ValueError("no departures to show")
    return pd.DataFrame([{c: getattr(d, c) for c in DEPARTURE_COLUMNS} for d in departures],
                        columns=list(DEPARTURE_COLUMNS))


def show_departures(key: str, departures: Sequence[Departure]):
    """Glue a chapter's departures table under `key` (for `{glue:figure}` elsewhere) and return it for display:
    a styled table without the pandas index, text left-aligned and wrapped."""
    from myst_nb import glue

    if not key.isidentifier():
        raise ValueError(f"invalid glue key {key!r}: letters, digits and underscores")
    styled = (departures_frame(departures).style.hide(axis="index")
              .set_properties(**{"text-align": "left", "white-space": "normal", "vertical-align": "top"}))
    glue(key, styled, display=False)
    return _Shown(styled, len(departures))


class _Shown:
    """A styled table for display whose plain-text form is stable (a Styler's repr carries its memory address,
    which would make two runs of a chapter print differently)."""

    def __init__(self, styled, rows: int):
        self.styled, self.rows = styled, rows

    def to_html(self) -> str:
        return self.styled.to_html()

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"<departures from the paper: {self.rows} rows>"


def frac255(x: float) -> str:
    """A radius in [0, 1] pixel units as k/255 when it is one (8/255), else as a short decimal."""
    k = x * 255
    return f"{round(k):g}/255" if abs(k - round(k)) < 1e-9 and x != 0 else f"{x:g}"


def theory_verdict(claim_id: str, checks: Mapping[str, Any], mutants: Mapping[str, Sequence[Any]], check: str,
                   *args: Any, use_mutants: bool = True):
    """`judge` of the registered check claim `claim_id` from `checks[check]` run at `args` (a paper's printed
    claim, or the default), counting the mutants `mutants[check]` it rejects (`use_mutants=False`: none counted,
    so a passing check reads inconclusive). The runner is `theory.core.check_power`."""
    from .. import verdicts as V
    from ..theory import core

    passes, n, rejected = core.check_power(checks[check], mutants.get(check, ()) if use_mutants else (), *args)
    return V.judge(claim_id, passes=passes, mutants=n, rejected=rejected)
