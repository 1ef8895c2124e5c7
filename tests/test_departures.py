"""Departures tables (issue 29 item 3): every chapter that reproduces a paper's experiment shows its driver's
`DEPARTURES`, every Departure is complete, and every number in a `cpu` / `gpu` column is a value of the code
it claims to describe (the expressions in `reads`), so a table cannot drift from the settings.

The Foundations chapters (`foundations`, `evaluating` drivers) declare departures too (their demonstrations
stand in for papers' experiments); they have no overview page, so their display is checked on its own. Exempt:
the back-matter reference pages, which list parameters / verdicts.
"""
from __future__ import annotations

import dataclasses
import importlib
import math
import re
from pathlib import Path

import jupytext
import pytest
import yaml

from robustbook.experiments import common
from robustbook.experiments.common import ASPECTS, DEPARTURE_COLUMNS, Departure, departures_frame

ROOT = Path(__file__).resolve().parents[1]
EXEMPT_DRIVERS: set[str] = set()
EXEMPT_PARTS = ("notebooks/foundations/", "notebooks/reference/")  # foundations: no overview page (own test)
FOUNDATIONS = ("notebooks/foundations/threat_models", "notebooks/foundations/corruptions",
               "notebooks/foundations/evaluating")


def toc_chapters() -> list[str]:
    """The notebooks of `_toc.yml` (paths without suffix) that reproduce a paper's experiments."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    out = []

    def walk(entries):
        for e in entries or ():
            f = e.get("file", "")
            if f.startswith("notebooks/") and not f.startswith(EXEMPT_PARTS):
                out.append(f)
            walk(e.get("sections"))

    for part in toc["parts"]:
        walk(part["chapters"])
    return out


IMPORT_EX = re.compile(r"^from robustbook\.experiments(?P<pkg>(\.\w+)*) import (?P<names>[^\n]*)$", re.M)


def chapter_driver(source: str) -> str:
    """The driver a chapter imports as `ex` (module path relative to robustbook.experiments)."""
    for m in IMPORT_EX.finditer(source):
        for part in m["names"].split(","):
            bits = part.split()
            if len(bits) == 3 and bits[1] == "as" and bits[2] == "ex":
                return (m["pkg"].lstrip(".") + "." + bits[0]).lstrip(".")
    raise AssertionError("the chapter imports no driver as `ex`")


def code_of(path: Path) -> str:
    nb = jupytext.read(path)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


# ---- numbers in the cpu / gpu columns ---------------------------------------------------------------------
NUMBER = re.compile(r"(?<![\w.\-])(?:(?<=\s)-)?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?(?:e-?\d+)?)(%)?(?:/(\d+))?(?![\w\-])")
SKIP_AFTER = re.compile(r"^[\w.\-]")


LABEL = re.compile(r"\b(Tables?|Figs?\.?|Figures?|Secs?\.?|Sections?|Theorems?|Thms?|Lemmas?|Algorithms?|Alg\.|"
                   r"App\.|Appendix|Definitions?|Def\.|Observations?|Remarks?|Corollary|Cor\.|Proposition|Prop\.|"
                   r"Q)\s*[A-Z]?\.?\d+(\.\d+)*((\s*(-|,|/|and|&)\s*)[A-Z]?\.?\d+(\.\d+)*)*")


def numbers(text: str) -> list[float]:
    """The numbers a reader sees in `text` (8/255 as one number, 10% as 0.1, 50,000 as 50000); digits inside
    words (ResNet-50, digits32, W_2, L-BFGS, 6-layer) and labels (Table 3, Lemma 3.1) are names, not numbers."""
    text = LABEL.sub(" ", text)
    out = []
    for m in NUMBER.finditer(text):
        start = m.start()
        neg = start > 0 and text[start] == "-"
        v = float(m[1].replace(",", ""))
        if m[2]:
            v /= 100
        if m[3]:
            v /= float(m[3])
        out.append(-v if neg else v)
    return out


def flat_values(v) -> list[float]:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return []
    if isinstance(v, (int, float)):
        return [float(v)]
    if isinstance(v, dict):
        return [x for k, val in v.items() for x in flat_values(k) + flat_values(val)]
    if dataclasses.is_dataclass(v):
        return [x for f in dataclasses.fields(v) for x in flat_values(getattr(v, f.name))]
    if isinstance(v, (list, tuple, set, frozenset)):
        return [x for item in v for x in flat_values(item)]
    return []


def owner(module, d: Departure):
    """The driver module that defines `d` (a chapter module may show rows declared in a module it imports,
    e.g. yi2021.table1 shows corruption_models' rows): the first module holding `d` whose namespace evaluates
    every expression of `d.reads`."""
    holders = [module] + [m for m in (importlib.import_module(f"robustbook.experiments.{n}") for n in common.drivers())
                          if m is not module and any(x is d for x in getattr(m, "DEPARTURES", ()))]
    for m in holders:
        try:
            for expr in d.reads:
                for p in ("cpu", "gpu"):
                    eval(expr, vars(m), {"p": p})  # noqa: S307 (our own driver's expressions)
            return m
        except NameError:
            continue
    raise AssertionError(f"no driver evaluates the reads of {d.experiment} / {d.aspect}: {d.reads}")


def read_values(module, d: Departure, profile: str) -> list[float]:
    ns = vars(owner(module, d))
    out = []
    for expr in d.reads:
        out += flat_values(eval(expr, ns, {"p": profile}))  # noqa: S307 (our own driver's expressions)
    return out


def unmatched(module, d: Departure) -> dict[str, list[float]]:
    """Per profile column, the numbers shown that no `reads` expression yields at that profile."""
    bad = {}
    for profile in ("cpu", "gpu"):
        allowed = read_values(module, d, profile)
        miss = [x for x in numbers(getattr(d, profile))
                if not any(math.isclose(x, a, rel_tol=1e-3, abs_tol=1e-9) for a in allowed)]
        if miss:
            bad[profile] = miss
    return bad


def drivers_with_departures() -> list[str]:
    return [name for name in common.drivers() if hasattr(importlib.import_module(f"robustbook.experiments.{name}"),
                                                         "DEPARTURES")]


# ---- tests ------------------------------------------------------------------------------------------------
def test_every_driver_with_profile_settings_declares_departures():
    missing = sorted(set(common.settings_tables()) - EXEMPT_DRIVERS - set(drivers_with_departures()))
    assert not missing, f"drivers with per-profile settings but no DEPARTURES table: {missing}"


@pytest.mark.parametrize("chapter", toc_chapters())
def test_chapter_shows_its_drivers_departures(chapter):
    source = code_of(ROOT / f"{chapter}.md")
    driver = chapter_driver(source)
    mod = importlib.import_module(f"robustbook.experiments.{driver}")
    assert isinstance(getattr(mod, "DEPARTURES", None), tuple) and mod.DEPARTURES, f"{driver} has no DEPARTURES"
    assert re.search(r"show_departures\(\s*\"\w+\",\s*ex\.DEPARTURES\s*\)", source), \
        f"{chapter} does not render ex.DEPARTURES with show_departures"
    frame = departures_frame(mod.DEPARTURES)
    assert list(frame.columns) == list(DEPARTURE_COLUMNS) and len(frame) == len(mod.DEPARTURES)
    styled = common.show_departures("test_key", mod.DEPARTURES)
    html = styled.to_html()
    assert all(d.why.replace("'", "&#x27;")[:20] in html or d.why[:20] in html for d in mod.DEPARTURES)
    # the overview page links to the chapter (where the table is shown)
    paper = chapter.split("/")[1]
    assert f"notebooks/{paper}/" in (ROOT / "book" / f"{paper}.md").read_text()


@pytest.mark.parametrize("chapter", FOUNDATIONS)
def test_foundations_chapter_shows_its_drivers_departures(chapter):
    source = code_of(ROOT / f"{chapter}.md")
    mod = importlib.import_module(f"robustbook.experiments.{chapter_driver(source)}")
    assert isinstance(getattr(mod, "DEPARTURES", None), tuple) and mod.DEPARTURES
    assert re.search(r"show_departures\(\s*\"\w+\",\s*ex\.DEPARTURES\s*\)", source), \
        f"{chapter} does not render ex.DEPARTURES with show_departures"


def test_foundations_drivers_are_no_longer_exempt():
    assert {"foundations", "evaluating"} <= set(drivers_with_departures())


@pytest.mark.parametrize("driver", drivers_with_departures())
def test_departures_are_complete_and_match_the_code(driver):
    mod = importlib.import_module(f"robustbook.experiments.{driver}")
    assert mod.DEPARTURES
    for d in mod.DEPARTURES:
        assert isinstance(d, Departure)
        assert d.aspect in ASPECTS
        for name in DEPARTURE_COLUMNS:
            assert str(getattr(d, name)).strip(), (driver, d.experiment, name)
        bad = unmatched(mod, d)
        assert not bad, f"{driver}: {d.experiment} / {d.aspect}: numbers not read from the code: {bad}"


def test_overview_pages_link_the_departures_sections():
    for paper in ("yi2021", "nern2023", "alhamoud2023", "bai2024", "wen2020"):
        text = (ROOT / "book" / f"{paper}.md").read_text()
        assert "departures" in text.lower() and "What differs from the paper" in text, paper


# ---- the checks can fail --------------------------------------------------------------------------------
def test_a_wrong_number_in_a_column_is_caught():
    from robustbook.experiments import bai2024

    d = next(d for d in bai2024.DEPARTURES if "SETTINGS[p].ft_epochs" in d.reads)
    assert not unmatched(bai2024, d)
    planted = dataclasses.replace(d, cpu=d.cpu.replace(f"{bai2024.SETTINGS['cpu'].ft_epochs} epochs",
                                                       f"{bai2024.SETTINGS['cpu'].ft_epochs + 1} epochs"))
    assert planted.cpu != d.cpu and unmatched(bai2024, planted) == {"cpu": [bai2024.SETTINGS["cpu"].ft_epochs + 1]}
    typed = dataclasses.replace(d, reads=())
    assert unmatched(bai2024, typed)


def test_numbers_reads_names_as_names():
    assert numbers("ResNet-50 on digits32, W_2, WRN-34-10, L-BFGS") == []
    assert numbers("8/255, 10%, 50,000 images, lr 1e-05, x = -2, 0.5") == [8 / 255, 0.1, 50000, 1e-05, -2, 0.5]
    assert numbers("step delta_B/20") == [20]
    assert numbers("Table 3's models, Lemma 3.1, Algorithm 1, a 6-layer BERT, Figs. 3-5, 8-9") == []


@pytest.mark.parametrize("field,value", [("aspect", "hyperparameters"), ("why", " "), ("paper", "")])
def test_a_departure_must_be_complete(field, value):
    kw = dict(experiment="e", aspect="data", paper="p", cpu="c", gpu="g", why="w")
    kw[field] = value
    with pytest.raises(ValueError):
        Departure(**kw)
