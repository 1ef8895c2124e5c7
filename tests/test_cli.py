"""The robustbook command: listing, caching of executed notebooks, failing notebooks."""
from __future__ import annotations

from pathlib import Path

import pytest

from robustbook import cli
from robustbook import params
from robustbook.bookbuild import execute, notebooks

from _tiny_notebooks import FRONT_MATTER

ROOT = Path(__file__).resolve().parents[1]
TINY = FRONT_MATTER + """# Tiny

```{code-cell} ipython3
:tags: [parameters]

profile = "cpu"  # the budget
value = 1  # what to print
```

```{code-cell} ipython3
assert value != 13, "unlucky value"
print(profile, value * 2)
```
"""


def test_toc_lists_the_first_chapter():
    names = [p.relative_to(ROOT).as_posix() for p in notebooks.toc_notebooks(ROOT)]
    assert "notebooks/foundations/threat_models.md" in names


def test_parameters_are_listed_with_comments(tmp_path):
    src = tmp_path / "tiny.md"
    src.write_text(TINY)
    assert params.cell_parameters(src) == [("profile", '"cpu"', "the budget"), ("value", "1", "what to print")]


def test_execute_caches_and_reruns_on_change(tmp_path, capsys):
    src = tmp_path / "tiny.md"
    src.write_text(TINY)
    out = tmp_path / "tiny.ipynb"
    assert execute.execute(src, out, {"profile": "smoke", "value": 21}, tmp_path, quiet=True)
    assert "smoke 42" in out.read_text()
    assert not execute.execute(src, out, {"profile": "smoke", "value": 21}, tmp_path, quiet=True)  # cached
    assert execute.execute(src, out, {"profile": "smoke", "value": 22}, tmp_path, quiet=True)  # new parameters


def test_failing_notebook_reports_cell_and_error_and_keeps_no_output(tmp_path):
    src = tmp_path / "tiny.md"
    src.write_text(TINY)
    out = tmp_path / "tiny.ipynb"
    with pytest.raises(execute.NotebookFailed, match="AssertionError: unlucky value"):
        execute.execute(src, out, {"profile": "smoke", "value": 13}, tmp_path, quiet=True)
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_run_exits_nonzero_on_failure(tmp_path, monkeypatch):
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    src = tmp_path / "tiny.md"
    src.write_text(TINY)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", str(src), "--profile", "smoke", "-p", "value", "13"]) == 1
    assert cli.main(["run", str(src), "--profile", "smoke", "-p", "value", "2"]) == 0


def test_execute_reports_a_notebook_outside_the_working_directory(tmp_path, capsys):
    src = tmp_path / "elsewhere" / "tiny.md"
    src.parent.mkdir()
    src.write_text(TINY)
    work = tmp_path / "work"
    work.mkdir()
    assert execute.execute(src, src.with_suffix(".ipynb"), {"profile": "smoke"}, work)
    assert str(src) in capsys.readouterr().out
    assert not list(src.parent.glob("*.part"))


def test_parse_value():
    assert execute.parse_value("0.5") == 0.5 and execute.parse_value("[1, 2]") == [1, 2]
    assert execute.parse_value("None") is None and execute.parse_value("cifar10") == "cifar10"
