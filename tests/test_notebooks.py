"""Every notebook of the book executes under papermill at the smoke profile; the book then builds."""
from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

from robustbook.cli import execute

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
