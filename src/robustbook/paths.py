"""Where robustbook keeps its caches and data sets: one answer for every module (platformdirs, no torch)."""
from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The cache root (zoo, durations, downloads): $ROBUSTBOOK_CACHE, else the platform's user cache folder
    (`$XDG_CACHE_HOME/robustbook`, by default ~/.cache/robustbook on Linux)."""
    from platformdirs import user_cache_path

    env = os.environ.get("ROBUSTBOOK_CACHE")
    return Path(env) if env else user_cache_path("robustbook", appauthor=False)


def data_root() -> Path:
    """Where online data sets live: $ROBUSTBOOK_DATA, else <user cache folder>/data (not $ROBUSTBOOK_CACHE)."""
    from platformdirs import user_cache_path

    env = os.environ.get("ROBUSTBOOK_DATA")
    return Path(env) if env else user_cache_path("robustbook", appauthor=False) / "data"
