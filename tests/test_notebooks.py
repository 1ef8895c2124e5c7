"""Every notebook of the book executes under papermill at the smoke profile; the book then builds."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
import torch

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
    failures, trained = {}, {}
    saved = os.environ.get("ROBUSTBOOK_CACHE")
    os.environ["ROBUSTBOOK_CACHE"] = str(dst / ".cache")  # its own zoo: what each notebook trains is seen
    try:
        for rel in NOTEBOOKS:
            src, before = dst / rel, set((dst / ".cache" / "zoo").glob("*.pt"))
            try:
                execute(src, src.with_suffix(".ipynb"), {"profile": "smoke"}, dst, force=True, quiet=True)
            except NotebookFailed as err:
                failures[rel] = str(err)
            trained[rel] = sorted(p.stem for p in set((dst / ".cache" / "zoo").glob("*.pt")) - before
                                  if "recipe" in torch.load(p, map_location="cpu", weights_only=True))
    finally:
        if saved is None:
            os.environ.pop("ROBUSTBOOK_CACHE", None)
        else:
            os.environ["ROBUSTBOOK_CACHE"] = saved
    (dst / ".cache").mkdir(exist_ok=True)  # notebook -> the Recipe keys it trained (hidden: not in the book)
    (dst / ".cache" / "zoo_trained.json").write_text(json.dumps(trained, indent=1))
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
def test_sweep_recipes_are_the_recipes_the_notebooks_train(smoke_book):
    """Each driver's `sweep_recipes("smoke")` (what a cluster build trains first) names exactly the zoo
    `Recipe`s the smoke book trains: nothing missing (no notebook waits on a model the array skipped)
    and nothing extra; and the drivers a notebook imports list every recipe it trains."""
    from robustbook import build
    from robustbook.config import resolve_device
    from robustbook.train import zoo

    dst, failures = smoke_book
    trained = json.loads((dst / ".cache" / "zoo_trained.json").read_text())
    device = resolve_device("auto")
    for rel, keys in trained.items():
        task = build.Task(ROOT / rel, ROOT / rel, {}, ROOT)
        listed = {zoo.key(r, device) for r in build.sweep_recipes("smoke", tasks=[task])}
        assert set(keys) <= listed, f"{rel} trains zoo recipes its drivers' sweep_recipes do not list for it"
    if failures:  # a notebook that stopped early did not request all its models
        pytest.skip(f"notebooks failed: {sorted(failures)}")
    listed = {zoo.key(r, device): build.recipe_name(r) for r in build.sweep_recipes("smoke")}
    extra = sorted(name for k, name in listed.items() if k not in {k for ks in trained.values() for k in ks})
    assert not extra, f"sweep_recipes lists recipes no notebook trains: {extra}"


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
