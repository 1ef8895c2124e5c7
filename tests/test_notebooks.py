"""Every notebook of the book executes under papermill at the smoke profile; the book then builds."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from robustbook.cli import NotebookFailed, execute, toc_notebooks

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [p.relative_to(ROOT).as_posix() for p in toc_notebooks(ROOT)]
BOOK_PARTS = ["_config.yml", "_toc.yml", "book", "notebooks"]


def _copy_sources(dst: Path) -> None:
    for part in BOOK_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dst / part, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
        else:
            shutil.copy(src, dst / part)


@pytest.fixture(scope="module")
def smoke_book(tmp_path_factory):
    """A copy of the book sources with every toc notebook executed at profile=smoke; failures recorded."""
    dst = tmp_path_factory.mktemp("book")
    _copy_sources(dst)
    failures = {}
    for rel in NOTEBOOKS:
        src = dst / rel
        try:
            execute(src, src.with_suffix(".ipynb"), {"profile": "smoke"}, dst, force=True, quiet=True)
        except NotebookFailed as err:
            failures[rel] = str(err)
    return dst, failures


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
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(jb), "build", str(dst), "-W", "-n", "--keep-going"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
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
