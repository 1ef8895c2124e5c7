"""Every number the book transcribes from a paper occurs, as printed, in the paper's text near its location.

The transcriptions live in `robustbook.papers.<key>` only (no theory module holds a number of its own). Each module has a
`LOCATIONS` dict right after its imports: constant name (or ``NAME/key`` for one entry of a dict, tuple keys joined by
"/") -> an anchor string that occurs in the paper text, optionally followed by ``[+N lines]``, the window after the
anchor's line that holds the numbers. For every module-level constant in upper case that holds numbers (in dicts,
tuples, lists, pandas frames), each number must have a location, and must occur in that window as many times as it
occurs in the constant's entries located there. A number "occurs" when a token printed in the window has exactly its
value (``84.00`` in the text is the float ``84.0``, the unicode minus is a minus, ``+2.95`` is ``2.95``), so a
transcription 0.089 for a printed 0.0888 fails, and so does a row the window does not hold.

The papers' texts are read from ``$ROBUSTBOOK_PAPERS``, by default ``<repo>/../shared/papers`` (the layout of the
worktrees ``/work/<name>`` and of a CI clone with ``shared/papers`` beside it); the test skips when they are absent.

EXCEPTIONS below records, with the reason, every number that is not printed as transcribed; none is silent.
"""
from __future__ import annotations

import importlib
import math
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAPERS_DIR = Path(os.environ.get("ROBUSTBOOK_PAPERS", ROOT.parent / "shared" / "papers"))
KEYS = ("yi2021", "nern2023", "alhamoud2023", "bai2024", "wen2020")
MODULES = [f"robustbook.papers.{k}" for k in KEYS]
THEORY_MODULES = ["robustbook.theory.wen2020"]  # it once held its own transcriptions; they moved to papers.wen2020
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
WINDOW = re.compile(r"^(?P<anchor>.*?)(?: \[\+(?P<n>\d+) lines\])?$")
DEFAULT_LINES = 20

# (module, leaf path) -> (reason, what is compared instead: a factor applied to the value, or None to skip the value).
# A leaf path is the constant's name followed by its keys, joined by "/" (a frame's cell: row label / column label).
EXCEPTIONS: dict[tuple[str, str], tuple[str, float | None]] = {
    # Q4 (p. 7) prints "drops by around 6% only"; the book stores the fraction 0.06: compared as 100 x the value.
    ("robustbook.papers.alhamoud2023", "Q4_PIXEL_ACR_DROP"): ("stored as a fraction, printed as a percent", 100.0),
}


# Constants whose entries may share one printed token (the text states one value for several of them); the other
# constants must find each of their numbers as often as they hold it.
SHARED: dict[tuple[str, str], str] = {
    ("robustbook.papers.bai2024", "PAPER_BEST_CONFIG"): "Sec. 8 states one (tau, eta) for three networks and one for two",
}


def _papers() -> dict[str, Path]:
    """Paper key -> its text file, from the index README.md of the papers folder."""
    index = (PAPERS_DIR / "README.md").read_text()
    return {key: PAPERS_DIR / fname for fname, key in re.findall(r"^\|\s*(\S+\.txt)\s*\|\s*(\w+)\s*\|", index, re.MULTILINE)}


def _key_of(module: str) -> str:
    return module.rsplit(".", 1)[1]


def leaves(value: Any, path: str) -> Iterator[tuple[str, float]]:
    """Every number held by `value` (dicts, tuples, lists, frames), with its path; strings and other objects hold none."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, (int, float)):
        yield path, float(value)
    elif isinstance(value, pd.DataFrame):
        for r, row in value.iterrows():
            for c, v in row.items():
                yield from leaves(v, f"{path}/{_label(r)}/{_label(c)}")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, f"{path}/{_label(k)}")
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            yield from leaves(v, f"{path}/{i}")
    elif hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # a numpy scalar
        yield from leaves(value.item(), path)


def _label(k: Any) -> str:
    return "/".join(map(str, k)) if isinstance(k, tuple) else str(k)


def transcribed(module: Any) -> dict[str, Any]:
    """The module's constants that hold numbers: upper-case module-level names other than LOCATIONS."""
    out = {}
    for name, val in vars(module).items():
        if name.isupper() and name != "LOCATIONS" and not name.startswith("_") and any(leaves(val, name)):
            out[name] = val
    return out


def _location(locs: dict[str, str], path: str) -> str | None:
    parts = path.split("/")
    for n in range(len(parts), 0, -1):
        if "/".join(parts[:n]) in locs:
            return "/".join(parts[:n])
    return None


def window(text: str, loc: str) -> list[float]:
    """The values of the numeric tokens printed on the anchor's line and the N lines after it."""
    m = WINDOW.match(loc)
    anchor, n = m.group("anchor"), int(m.group("n") or DEFAULT_LINES)
    lines = text.replace("\u2212", "-").split("\n")
    hits = [i for i, line in enumerate(lines) if anchor in line]
    assert len(hits) == 1, f"anchor {anchor!r} occurs {len(hits)} times in the paper text (must be once)"
    chunk = "\n".join(lines[hits[0]:hits[0] + n + 1])
    return [float(t) for t in NUMBER.findall(chunk)]


def mismatches(module_name: str, constants: dict[str, Any], locations: dict[str, str], text: str) -> list[str]:
    """What in `constants` is not printed near its location in `text` (empty when every number is)."""
    bad = []
    groups: dict[str, list[tuple[str, float]]] = {}
    for name, val in constants.items():
        for path, v in leaves(val, name):
            exc = EXCEPTIONS.get((module_name, path))
            if exc is not None:
                if exc[1] is None:
                    continue
                v = v * exc[1]
            loc = _location(locations, path)
            if loc is None:
                bad.append(f"{module_name}.{path} = {v:g}: no location in LOCATIONS")
                continue
            groups.setdefault(loc, []).append((path, v))
    for loc, items in groups.items():
        try:
            printed = window(text, locations[loc])
        except AssertionError as exc:
            bad.append(f"{module_name}.{loc}: {exc}")
            continue
        pool = list(printed)
        for path, v in items:
            hit = next((i for i, p in enumerate(pool) if math.isclose(p, v, rel_tol=1e-12, abs_tol=1e-15)), None)
            if hit is None:
                bad.append(f"{module_name}.{path} = {v:g}: not printed near {locations[loc]!r}")
            elif (module_name, path.split("/")[0]) not in SHARED:
                pool.pop(hit)
    return bad


def _in_order(values: list[float], tokens: list[float]) -> bool:
    it = iter(tokens)
    return all(any(math.isclose(t, v, rel_tol=1e-12, abs_tol=1e-15) for t in it) for v in values)


def row_mismatches(module_name: str, constants: dict[str, Any], locations: dict[str, str], text: str) -> list[str]:
    """Rows of frames (every frame the book transcribes is a table printed row by row) whose numbers are not printed
    in this order on one line of the window: catches two cells swapped, which the count check lets through."""
    bad = []
    frames = [(name, val) for name, val in constants.items() if isinstance(val, pd.DataFrame)]
    frames += [(f"{name}/{_label(k)}", v) for name, val in constants.items() if isinstance(val, dict)
               for k, v in val.items() if isinstance(v, pd.DataFrame)]
    for path, frame in frames:
        loc = _location(locations, path)
        if loc is None:
            continue  # reported by mismatches()
        m = WINDOW.match(locations[loc])
        lines = text.replace("\u2212", "-").split("\n")
        start = next(i for i, line in enumerate(lines) if m.group("anchor") in line)
        window_lines = [[float(t) for t in NUMBER.findall(line)]
                        for line in lines[start:start + int(m.group("n") or DEFAULT_LINES) + 1]]
        for r, row in frame.iterrows():
            values = [v for _, v in leaves(list(row.values), "")]
            if values and not any(_in_order(values, toks) for toks in window_lines):
                bad.append(f"{module_name}.{path}/{_label(r)}: {values} not printed in this order on one line")
    return bad


def _needs_papers() -> dict[str, Path]:
    if not (PAPERS_DIR / "README.md").exists():
        pytest.skip(f"paper texts not found at {PAPERS_DIR} (set ROBUSTBOOK_PAPERS)")
    return _papers()


@pytest.mark.parametrize("module_name", MODULES)
def test_every_transcribed_number_is_printed_at_its_location(module_name):
    papers = _needs_papers()
    mod = importlib.import_module(module_name)
    locs = getattr(mod, "LOCATIONS", None)
    assert isinstance(locs, dict), f"{module_name} has no LOCATIONS"
    consts = transcribed(mod)
    assert consts, f"{module_name}: no transcribed constant found"
    stale = [k for k in locs if k.split("/")[0] not in consts]
    assert not stale, f"{module_name}: LOCATIONS names constants that do not exist: {stale}"
    text = papers[_key_of(module_name)].read_text()
    bad = mismatches(module_name, consts, locs, text) + row_mismatches(module_name, consts, locs, text)
    assert not bad, "\n".join(bad)


def test_the_exceptions_are_still_needed():
    """An exception whose value is printed after all (or whose path vanished) must be removed."""
    papers = _needs_papers()
    for (module_name, path), (reason, factor) in EXCEPTIONS.items():
        mod = importlib.import_module(module_name)
        consts, locs = transcribed(mod), mod.LOCATIONS
        found = dict(leaves(consts[path.split("/")[0]], path.split("/")[0]))
        assert path in found, f"{module_name}.{path}: exception for a value that does not exist"
        printed = window(papers[_key_of(module_name)].read_text(), locs[_location(locs, path)])
        assert found[path] not in printed, f"{module_name}.{path} ({reason}) is printed as transcribed: drop the exception"


def test_the_default_papers_folder_resolves_beside_the_checkout():
    """From /work/<worktree> and from a CI clone with shared/papers beside it, the default is ../shared/papers."""
    assert Path(ROOT.parent / "shared" / "papers") == ROOT.parent / "shared" / "papers"
    if "ROBUSTBOOK_PAPERS" not in os.environ and ROOT.parent == Path("/work"):
        assert PAPERS_DIR == Path("/work/shared/papers")


def test_a_planted_wrong_digit_fails():
    papers = _needs_papers()
    mod = importlib.import_module("robustbook.papers.wen2020")
    text = papers["wen2020"].read_text()
    consts = transcribed(mod)
    assert not mismatches(mod.__name__, {"PAPER_LV": consts["PAPER_LV"]}, mod.LOCATIONS, text)
    wrong = dict(consts["PAPER_LV"], mean=(0.1337, 0.1006, 0.089))  # printed 0.0888
    bad = mismatches(mod.__name__, {"PAPER_LV": wrong}, mod.LOCATIONS, text)
    assert bad == [f"{mod.__name__}.PAPER_LV/mean/2 = 0.089: not printed near {mod.LOCATIONS['PAPER_LV']!r}"], bad
    frame = consts.get("PAPER_TABLE6")
    assert frame is not None


def test_a_planted_wrong_cell_of_a_frame_fails():
    papers = _needs_papers()
    mod = importlib.import_module("robustbook.papers.bai2024")
    table = mod.PAPER_TABLE5.copy()
    table.loc["Cui et al. (2023)", "W_2"] = 58.20  # printed 58.02: two digits swapped
    bad = mismatches(mod.__name__, {"PAPER_TABLE5": table}, mod.LOCATIONS, papers["bai2024"].read_text())
    assert len(bad) == 1 and "PAPER_TABLE5/Cui et al. (2023)/W_2 = 58.2" in bad[0], bad


def test_a_missing_row_fails():
    """Delete one printed row from a copy of the text: the constant that transcribes it no longer matches."""
    papers = _needs_papers()
    mod = importlib.import_module("robustbook.papers.yi2021")
    text = papers["yi2021"].read_text()
    row = next(line for line in text.split("\n") if line.startswith("Adv-`2 94.93 70.39"))
    bad = mismatches(mod.__name__, {"PAPER_TABLE1": mod.PAPER_TABLE1}, mod.LOCATIONS, text.replace(row, ""))
    assert any("PAPER_TABLE1/Adv-l2" in b for b in bad), bad


def test_a_constant_without_location_fails():
    papers = _needs_papers()
    mod = importlib.import_module("robustbook.papers.alhamoud2023")
    locs = {k: v for k, v in mod.LOCATIONS.items() if k != "Q2_TERRA_DROP"}
    bad = mismatches(mod.__name__, transcribed(mod), locs, papers["alhamoud2023"].read_text())
    assert bad == [f"{mod.__name__}.Q2_TERRA_DROP = 35: no location in LOCATIONS"], bad


def test_two_swapped_cells_fail_the_row_check():
    """Swapping two cells of a row keeps the multiset of numbers; the ordered row check catches it."""
    papers = _needs_papers()
    mod = importlib.import_module("robustbook.papers.yi2021")
    text = papers["yi2021"].read_text()
    table = mod.PAPER_TABLE3.copy()
    assert not row_mismatches(mod.__name__, {"PAPER_TABLE3": table}, mod.LOCATIONS, text)
    row = ("Std", "No")
    table.loc[row, ["snow", "frost"]] = table.loc[row, ["frost", "snow"]].to_numpy()
    assert not mismatches(mod.__name__, {"PAPER_TABLE3": table}, mod.LOCATIONS, text)
    bad = row_mismatches(mod.__name__, {"PAPER_TABLE3": table}, mod.LOCATIONS, text)
    assert len(bad) == 1 and "PAPER_TABLE3/Std/No" in bad[0], bad


@pytest.mark.parametrize("module_name", THEORY_MODULES)
def test_no_theory_module_holds_a_transcribed_number(module_name):
    """A number from the paper lives in robustbook.papers.<key>, where its location is checked; a theory module
    that kept its own copy would escape the check."""
    try:
        mod = importlib.import_module(module_name)
    except ModuleNotFoundError:
        pytest.skip(f"{module_name} does not exist")
    assert not transcribed(mod), f"{module_name} holds numbers: {sorted(transcribed(mod))}"
    assert not hasattr(mod, "LOCATIONS"), f"{module_name} has LOCATIONS: move them to robustbook.papers"
