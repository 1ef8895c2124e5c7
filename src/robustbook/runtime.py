"""Where a run happens, without torch: the device names, the cache folders and fixture mode (the gpu code paths
on tiny generated files) with its caps. Every library layer may read these; nothing here imports the rest of
the package. Picking the device and seeding are `robustbook.session`'s."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEVICES = ("auto", "cpu", "cuda", "mps")


def cache_root() -> Path:
    """The cache root (zoo, durations, fixtures): $ROBUSTBOOK_CACHE, else the platform's user cache folder
    (`$XDG_CACHE_HOME/robustbook`, by default ~/.cache/robustbook on Linux)."""
    from platformdirs import user_cache_path

    env = os.environ.get("ROBUSTBOOK_CACHE")
    return Path(env) if env else user_cache_path("robustbook", appauthor=False)


def data_root() -> Path:
    """Where online data sets live: $ROBUSTBOOK_DATA, else <user cache folder>/data (not $ROBUSTBOOK_CACHE)."""
    from platformdirs import user_cache_path

    env = os.environ.get("ROBUSTBOOK_DATA")
    return Path(env) if env else user_cache_path("robustbook", appauthor=False) / "data"


def fail(name: str, value: Any, valid: str) -> None:
    raise ValueError(f"invalid parameter {name}={value!r}: {valid}")


def fixture_mode() -> bool:
    """True when ROBUSTBOOK_FIXTURES is set (to anything but 0/false): the gpu profile reads generated fixture
    files in the official formats and its epoch, step and sample counts are capped (a code-path test)."""
    return os.environ.get("ROBUSTBOOK_FIXTURES", "").strip().lower() not in ("", "0", "false", "no")


# Fixture mode's caps, applied where the library spends: the training loop (epochs, inner attack steps),
# attacks (steps), certification (Monte Carlo samples), image readers (side), search loops (iterations),
# sweeps (grid points, seeds), and the driver settings each driver declares as work (`WORK`).
FIXTURE_CAPS = {"epochs": 1, "steps": 2, "mc_samples": 32, "image_size": 32, "iterations": 200, "grid": 2,
                "seeds": 4, "points": 8}


def fixture_cap(value: Any, kind: str) -> Any:
    """`value` capped at FIXTURE_CAPS[kind] in fixture mode (a sequence keeps its first items); else unchanged."""
    if kind not in FIXTURE_CAPS:
        raise ValueError(f"invalid cap kind={kind!r}: choose one of {', '.join(FIXTURE_CAPS)}")
    if not fixture_mode() or value is None:
        return value
    cap = FIXTURE_CAPS[kind]
    if isinstance(value, (list, tuple)):
        return type(value)(value[:cap])
    return min(value, cap)
