"""Shared by tests/test_gpu_fixtures.py and tests/test_gpu_fixtures_2.py: every toc notebook at `--profile gpu`
in fixture mode, split over two test files so that `pytest -n 2 --dist loadfile` runs the halves on both cores
(about the same kernel CPU each: see SECOND)."""
from __future__ import annotations

import json
import os
import resource
import shutil
import time
from pathlib import Path

import pytest

from robustbook.bookbuild.execute import NotebookFailed, execute
from robustbook.bookbuild.notebooks import toc_notebooks

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [p.relative_to(ROOT).as_posix() for p in toc_notebooks(ROOT)]
# the second file's share (about half the kernel CPU); every other notebook, new ones included, runs in the
# first file. Kernel CPU seconds per notebook in fixture mode, from CI's run of
# 2026-11-23 (`_build/gpu_fixture_times_<part>.json` records each run's times: move a chapter between the
# files when the two totals drift apart). Second file: empirical 155, certified 95, regularizer 77,
# threat_models 42, pretraining 32, appendix_b 17 (418 s). First file: the other 15 (453 s), ablations 88 the
# largest.
SECOND = ("alhamoud2023/empirical", "alhamoud2023/certified", "wen2020/regularizer", "foundations/threat_models",
          "yi2021/pretraining", "nern2023/appendix_b")

# Chapters whose gpu path has no fixture yet (each says what it would need); the test suite lists them so
# the gap stays visible, and a chapter leaves this table when its fixture lands.
NOT_COVERED: dict[str, str] = {}


def share(part: int) -> list[str]:
    """The toc notebooks of test file `part` (1 or 2), those without a fixture left out."""
    covered = [n for n in NOTEBOOKS if n not in NOT_COVERED]
    second = [n for n in covered if any(s in n for s in SECOND)]
    return second if part == 2 else [n for n in covered if n not in second]


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)  # reaped kernels included
    return ru.ru_utime + ru.ru_stime


def fixture_book(tmp_path_factory, part: int, times: dict):
    """A copy of the book sources, fixture mode on for the kernels started meanwhile; writes the timings."""
    dst = tmp_path_factory.mktemp(f"gpu-fixture-book-{part}")
    for name in ("_config.yml", "_toc.yml", "book", "notebooks"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
        else:
            shutil.copy(src, dst / name)
    old = os.environ.get("ROBUSTBOOK_FIXTURES")
    os.environ["ROBUSTBOOK_FIXTURES"] = "1"
    yield dst
    if old is None:
        os.environ.pop("ROBUSTBOOK_FIXTURES", None)
    else:
        os.environ["ROBUSTBOOK_FIXTURES"] = old
    if times:  # also in _build/ (the CI log shows the line with -s or on failure)
        out = ROOT / "_build" / f"gpu_fixture_times_{part}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps({k: {"wall_s": round(w, 1), "cpu_s": round(c, 1)} for k, (w, c) in times.items()},
                                  indent=1))
        print("\ngpu fixture run, wall / kernel CPU seconds per notebook: "
              + ", ".join(f"{k.removeprefix('notebooks/')} {w:.0f}/{c:.0f}" for k, (w, c) in times.items())
              + f"; total {sum(w for w, _ in times.values()):.0f} s wall, "
                f"{sum(c for _, c in times.values()):.0f} s CPU")


def run_at_gpu(book: Path, rel: str, times: dict) -> None:
    """Execute one notebook at profile gpu on the CPU; fail the test with the cell and error."""
    src = book / rel
    start, cpu = time.perf_counter(), _children_cpu()
    try:
        execute(src, src.with_suffix(".ipynb"), {"profile": "gpu", "device": "cpu"}, book, force=True, quiet=True)
    except NotebookFailed as err:
        pytest.fail(str(err))
    finally:
        times[rel] = (time.perf_counter() - start, _children_cpu() - cpu)
