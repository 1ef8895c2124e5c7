"""Every notebook of the book executes under papermill at the smoke profile; the book then builds."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

from robustbook.bookbuild.execute import execute

from _smoke_book import NOTEBOOKS, ROOT, smoke_book as shared_smoke_book


@pytest.fixture(scope="module")
def smoke_book():
    """(book root, failures): every toc notebook executed at profile=smoke, once per test run (_smoke_book)."""
    book = shared_smoke_book()
    return book["root"], book["failures"]


@pytest.mark.parametrize("rel", NOTEBOOKS)
def test_parameters_cell_survives_jupytext_and_setup_follows(rel):
    nb = jupytext.read(ROOT / rel)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), f"{rel}: first code cell must be tagged parameters"
    assert "profile" in code[0].source
    if not rel.startswith("notebooks/reference/"):
        assert "setup(" in code[1].source, f"{rel}: the cell after the parameters must call robustbook.setup()"


@pytest.mark.notebook
@pytest.mark.parametrize("rel", NOTEBOOKS)
def test_notebook_executes_at_smoke(smoke_book, rel):
    _, failures = smoke_book
    assert rel not in failures, failures.get(rel)


@pytest.mark.notebook
def test_sweep_recipes_are_the_recipes_the_notebooks_train(smoke_book):
    """Each driver's `sweep_recipes("smoke")` (what a cluster build trains first) names exactly the zoo
    `Recipe`s the smoke book trains: nothing missing (no notebook waits on a model the array skipped)
    and nothing extra; and the drivers a notebook imports list every recipe it trains."""
    from robustbook.bookbuild import schedule
    from robustbook.session import resolve_device
    from robustbook import zoo

    dst, failures = smoke_book
    trained = json.loads((dst / ".cache" / "zoo_trained.json").read_text())
    device = resolve_device("auto")
    for rel, keys in trained.items():
        task = schedule.Task(ROOT / rel, ROOT / rel, {}, ROOT)
        listed = {zoo.key(r, device) for r in schedule.sweep_recipes("smoke", tasks=[task])}
        assert set(keys) <= listed, f"{rel} trains zoo recipes its drivers' sweep_recipes do not list for it"
    if failures:  # a notebook that stopped early did not request all its models
        pytest.skip(f"notebooks failed: {sorted(failures)}")
    listed = {zoo.key(r, device): schedule.recipe_name(r) for r in schedule.sweep_recipes("smoke")}
    extra = sorted(name for k, name in listed.items() if k not in {k for ks in trained.values() for k in ks})
    assert not extra, f"sweep_recipes lists recipes no notebook trains: {extra}"


@pytest.mark.notebook
def test_book_builds_without_warnings(smoke_book):
    dst, failures = smoke_book
    if failures:
        pytest.skip(f"notebooks failed: {sorted(failures)}")
    book = shared_smoke_book()
    assert book["book_rc"] == 0, book["book_log"]
    html = dst / "_build" / "html"
    assert (html / "notebooks" / "foundations" / "threat_models.html").exists()
    page = (html / "notebooks" / "foundations" / "threat_models.html").read_text()
    assert "Lemma 1 of" in page and "proof" in page.lower() and "solution" in page.lower()


def _text_outputs(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream" and o.get("name") == "stdout":
                out.append(o["text"])
            elif "data" in o and "text/plain" in o["data"]:
                out.append(o["data"]["text/plain"])
    return out


@pytest.mark.notebook
def test_first_chapter_is_deterministic(smoke_book, tmp_path, monkeypatch):
    """Two runs from empty model caches (so every model is retrained) print identical numbers."""
    dst, failures = smoke_book
    rel = "notebooks/foundations/threat_models.md"
    if rel in failures:
        pytest.skip("the chapter failed")
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(tmp_path / "fresh-cache"))
    again = tmp_path / "again.ipynb"
    execute(dst / rel, again, {"profile": "smoke"}, dst, force=True, quiet=True)
    first = _text_outputs((dst / rel).with_suffix(".ipynb"))
    assert first and first == _text_outputs(again)


# ---- published verdicts and cross-page glue (issue 13): read from the smoke-executed notebooks ------------
# a role `{glue:text}`path.ipynb::key:fmt`` or a directive "```{glue} key" with its ":doc: path.ipynb" option
GLUE_REF = re.compile(r"\{glue(?::\w+)?\}`([^`<>]*?\.ipynb)::([A-Za-z_]\w*)"
                      r"|```\{glue(?::\w+)?\}\s+(\w+)\s*\n(?::\w+:.*\n)*?:doc:\s*(\S+\.ipynb)")


@pytest.mark.notebook
def test_published_verdict_rows_carry_source_kind_threshold_and_stability(smoke_book):
    """Every published row has its source, kind, rule, threshold provenance, effect, interval, precondition
    ("none" for pure mathematics), control, stability and a known outcome; every bound check carries a negative
    control.

    A bound check whose control is not violated says "inconclusive" (the bound holds, but so would the control:
    this data cannot tell them apart). That is the honest outcome for a loose bound, and no table is required to
    show a violated control: a control chosen so that it bites would be a control chosen after the run."""
    from robustbook import verdicts as V
    from robustbook.bookbuild import summary as S

    dst, failures = smoke_book
    problems = []
    for chapter in S.collect(dst):
        for key, rows in chapter.tables.items():
            for row in rows:
                where = f"{chapter.notebook} [{key}] {row.get('claim', '?')!r}"
                empty = [f for f in S.ROW_FIELDS if row.get(f) in (None, "")]
                if empty:
                    problems.append(f"{where}: missing {empty}")
                if V.outcome_of(str(row.get("verdict"))) not in V.OUTCOMES:
                    problems.append(f"{where}: unknown outcome {row.get('verdict')!r}")
                if str(row.get("rule", "")).startswith("measured <= bound"):
                    if "negative control" not in row["rule"]:
                        problems.append(f"{where}: a bound check without a negative control")
    assert not problems, "\n".join(problems)


@pytest.mark.notebook
def test_every_cross_page_glue_names_a_key_its_notebook_glued(smoke_book):
    """Each `{glue}` reference of book/*.md points at a key the executed notebook actually glued."""
    from robustbook.bookbuild.summary import glued_values

    dst, failures = smoke_book
    missing, seen = [], 0
    for page in sorted((dst / "book").glob("*.md")):
        for m in GLUE_REF.finditer(page.read_text()):
            target, key = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
            executed = (page.parent / target).resolve()
            source = executed.with_suffix(".md").relative_to(dst.resolve()).as_posix()
            if source in failures:
                continue  # that notebook's failure is reported by its own test
            seen += 1
            if not executed.exists():
                missing.append(f"{page.name}: {target} was not executed (is it in _toc.yml?)")
            elif key not in glued_values(nbformat.read(executed, as_version=4)):
                missing.append(f"{page.name}: {target} glued no key {key!r}")
    assert seen, "no cross-page glue found in book/*.md"
    assert not missing, "\n".join(missing)
