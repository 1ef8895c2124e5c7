"""The suite's one smoke build of the book, shared by the notebook, launch-URL and browser tests.

Every toc notebook is executed at `smoke` in a copy of the book sources under `_build/smoke-test/` and the
book is rendered there with `jupyter-book build -W -n --keep-going`, once per test run: the first test that
asks builds it under a file lock, the others (on any xdist worker) wait and read the recorded result. So
the suite pays for one smoke build, not one per test file. A result left by an earlier test run is never
reused (it carries the run's id).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import torch

from robustbook.bookbuild.execute import NotebookFailed, execute
from robustbook.bookbuild.notebooks import toc_notebooks

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "_build" / "smoke-test"
BOOK_PARTS = ["_config.yml", "_toc.yml", "book", "notebooks"]
NOTEBOOKS = [p.relative_to(ROOT).as_posix() for p in toc_notebooks(ROOT)]


def _run_id() -> str:
    # xdist gives every worker of one run the same id; a plain pytest run is one process
    return os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid-{os.getpid()}"


def _copy_sources(dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for part in BOOK_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dst / part, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
        else:
            shutil.copy(src, dst / part)


def smoke_book() -> dict:
    """{"root", "failures" (notebook -> error), "book_rc", "book_log"} of this test run's smoke build."""
    from filelock import FileLock

    BOOK.parent.mkdir(exist_ok=True)
    record = BOOK.parent / "smoke-test.json"
    with FileLock(str(BOOK.parent / ".smoke-test.lock")):
        if record.exists():
            done = json.loads(record.read_text())
            if done["run"] == _run_id():
                return {**done, "root": BOOK}
        shutil.rmtree(BOOK, ignore_errors=True)
        record.unlink(missing_ok=True)
        _copy_sources(BOOK)
        failures, trained = {}, {}
        zoo = BOOK / ".cache" / "zoo"
        saved = os.environ.get("ROBUSTBOOK_CACHE")
        os.environ["ROBUSTBOOK_CACHE"] = str(BOOK / ".cache")  # its own zoo: what each notebook trains is seen
        try:
            for rel in NOTEBOOKS:
                src, before = BOOK / rel, set(zoo.glob("*.pt"))
                try:
                    execute(src, src.with_suffix(".ipynb"), {"profile": "smoke"}, BOOK, force=True, quiet=True)
                except NotebookFailed as err:
                    failures[rel] = str(err)
                trained[rel] = sorted(p.stem for p in set(zoo.glob("*.pt")) - before
                                      if "recipe" in torch.load(p, map_location="cpu", weights_only=True))
        finally:
            if saved is None:
                os.environ.pop("ROBUSTBOOK_CACHE", None)
            else:
                os.environ["ROBUSTBOOK_CACHE"] = saved
        (BOOK / ".cache").mkdir(exist_ok=True)  # notebook -> the Recipe keys it trained (hidden: not in the book)
        (BOOK / ".cache" / "zoo_trained.json").write_text(json.dumps(trained, indent=1))
        rc, log = -1, "not rendered: notebooks failed"
        if not failures:
            jb = Path(sys.executable).with_name("jupyter-book")
            proc = subprocess.run([str(jb), "build", str(BOOK), "-W", "-n", "--keep-going"], capture_output=True,
                                  text=True)
            rc, log = proc.returncode, proc.stdout[-4000:] + proc.stderr[-4000:]
        done = {"run": _run_id(), "failures": failures, "book_rc": rc, "book_log": log}
        record.write_text(json.dumps(done))
        return {**done, "root": BOOK}


def smoke_html() -> Path:
    """The rendered smoke book (`ROBUSTBOOK_TEST_HTML` points at a site built elsewhere instead)."""
    if os.environ.get("ROBUSTBOOK_TEST_HTML"):
        return Path(os.environ["ROBUSTBOOK_TEST_HTML"])
    book = smoke_book()
    html = book["root"] / "_build" / "html"
    if not (html / "index.html").exists():
        raise RuntimeError(f"the smoke book did not render: failures {sorted(book['failures'])}\n{book['book_log']}")
    return html
