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


def _cli_output(tmp_path: Path, code: str) -> str:
    """stdout and stderr of a `robustbook run` of the tiny notebook in a fresh process (the kernel's stderr too)."""
    import os
    import subprocess
    import sys

    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (tmp_path / "tiny.md").write_text(TINY)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
           "ROBUSTBOOK_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


RUN_TINY = "from robustbook import cli; raise SystemExit(cli.main(['run', 'tiny.md', '--profile', 'smoke', '--force']))"
TCP_WARNING = "running over TCP without encryption"


def test_build_log_has_no_unencrypted_tcp_kernel_warning(tmp_path):
    """The kernels talk over IPC sockets, so ipykernel's warning about a plain-text TCP kernel never reaches the
    build's output; the control (the same run with a TCP kernel manager) shows the capture would catch it."""
    import importlib.metadata

    log = _cli_output(tmp_path, RUN_TINY)
    assert "1 ran, 0 cached, 0 failed" in log, log
    assert TCP_WARNING not in log and "WARNING" not in log, log
    if int(importlib.metadata.version("ipykernel").split(".")[0]) < 7:
        pytest.skip("ipykernel < 7 does not warn about TCP kernels: no control possible")
    control = ("from robustbook.bookbuild import execute\n"
               "execute.kernel_config = lambda folder: None\n" + RUN_TINY)
    assert TCP_WARNING in _cli_output(tmp_path, control)


def test_kernel_config_uses_ipc_sockets_in_its_folder(tmp_path):
    from jupyter_client.manager import AsyncKernelManager

    km = AsyncKernelManager(kernel_name="python3", config=execute.kernel_config(tmp_path))  # as nbclient makes it
    assert km.transport == "ipc" and km.ip == str(tmp_path / "kernel")
    assert execute.kernel_config(tmp_path / ("x" * 100)) is None  # too long for a socket path: TCP
