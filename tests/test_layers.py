"""The house in layers: import-linter's contracts in pyproject.toml hold for the package, and a planted import
that runs back up a layer (or brings torch into the theory) breaks them."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(src: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT), "--no-cache", "--config", str(ROOT / "pyproject.toml")], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_package_keeps_every_layer_contract(tmp_path):
    done = _lint(ROOT / "src", tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 kept, 0 broken" in done.stdout


@pytest.mark.parametrize("module,planted,broken", [
    ("data/images.py", "from .. import zoo  # planted: the loader reaches up to the zoo", "layers"),
    ("theory/core.py", "import torch  # planted: torch in the theory", "no torch"),
    ("params.py", "from . import session  # planted: the schema reaches up to the session", "layers"),
], ids=["data-imports-zoo", "torch-in-theory", "params-imports-session"])
def test_a_planted_import_breaks_a_contract(tmp_path, module, planted, broken):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "robustbook", src / "robustbook", ignore=shutil.ignore_patterns("__pycache__"))
    path = src / "robustbook" / module
    text = path.read_text()
    anchor = "from __future__ import annotations\n"
    assert anchor in text
    path.write_text(text.replace(anchor, anchor + planted + "\n", 1))
    done = _lint(src, tmp_path)
    assert done.returncode != 0 and "0 broken" not in done.stdout, done.stdout[-3000:]
    assert broken in done.stdout.split("Broken contracts")[1]
