"""Progress bars for long loops: tqdm in a notebook, silent in the test suite and the rendered book.

`ROBUSTBOOK_PROGRESS=0` (set by `robustbook run/build` for the kernels it starts, so executed notebooks
hold no bars) or a running pytest turns every bar off; `ROBUSTBOOK_PROGRESS=1` forces bars on.
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Iterable


def progress_enabled() -> bool:
    """Whether bars are shown: the ROBUSTBOOK_PROGRESS setting, else on unless pytest is running."""
    setting = os.environ.get("ROBUSTBOOK_PROGRESS", "").strip().lower()
    if setting in ("0", "off", "false", "no"):
        return False
    if setting in ("1", "on", "true", "yes"):
        return True
    return "PYTEST_CURRENT_TEST" not in os.environ


def progress(iterable: Iterable[Any] | None = None, desc: str = "", total: int | None = None,
             disable: bool = False, **kwargs: Any) -> Any:
    """A tqdm bar over `iterable` (notebook-friendly), shown only when `progress_enabled()`."""
    if disable or not progress_enabled():  # the plain class: importing tqdm.auto may warn about widgets
        from tqdm import tqdm as plain

        return plain(iterable, desc=desc, total=total, disable=True, **kwargs)
    with warnings.catch_warnings():  # without ipywidgets tqdm.auto falls back to text bars: say nothing
        warnings.simplefilter("ignore")
        from tqdm.auto import tqdm as auto
    return auto(iterable, desc=desc, total=total, **kwargs)


tqdm = progress  # drop-in for `from tqdm.auto import tqdm` in library loops
