"""A build stopped by SIGINT or SIGTERM leaves no partial notebook, zoo entry or kernel; a rerun resumes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _tiny_notebooks import HEADER
from robustbook.bookbuild import schedule

SRC = Path(__file__).resolve().parents[1] / "src"
QUICK = HEADER + """```{code-cell} ipython3
print("done")
```
"""
SLEEPS = HEADER + """```{code-cell} ipython3
import pathlib, time
pathlib.Path("busy.marker").write_text("executing")
time.sleep(120)
```
"""
TRAINS = HEADER + """```{code-cell} ipython3
import pathlib
from robustbook import zoo
from robustbook.train import TrainConfig

endless = zoo.Recipe("linear", "digits32", TrainConfig(epochs=10**6, batch_size=8), train_size=64)
pathlib.Path("busy.marker").write_text("training")
zoo.get_or_train(endless, progress=False)
```
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


@pytest.mark.parametrize("signum,busy", [(signal.SIGTERM, SLEEPS), (signal.SIGINT, TRAINS)],
                         ids=["sigterm-while-executing", "sigint-while-training"])
def test_interrupted_build_leaves_nothing_partial_and_resumes(tmp_path, signum, busy):
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (tmp_path / "quick.md").write_text(QUICK)
    (tmp_path / "busy.md").write_text(busy)
    cache = tmp_path / "cache"
    tmp = tmp_path / "t"  # the build's temporary folders (the kernels' sockets): none may outlive it
    tmp.mkdir()
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "ROBUSTBOOK_CACHE": str(cache), "PYTHONUNBUFFERED": "1", "TMPDIR": str(tmp)}
    env.pop("PYTEST_CURRENT_TEST", None)
    cmd = [sys.executable, "-m", "robustbook.cli", "run", "quick.md", "busy.md", "--profile", "smoke",
           "--jobs", "2"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not ((tmp_path / "busy.marker").exists() and (tmp_path / "quick.ipynb").exists()):
            assert proc.poll() is None, proc.communicate()[0]
            assert time.monotonic() < deadline, "the build never got busy"
            time.sleep(0.2)
        time.sleep(0.5)
        tree = schedule.descendants(proc.pid)
        assert len(tree) >= 3  # workers and at least one kernel
        if signum == signal.SIGINT:
            os.killpg(proc.pid, signum)  # what Ctrl-C in a terminal does: the whole foreground group
        else:
            proc.send_signal(signum)  # what `kill` or a scheduler does
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            schedule.kill_tree(proc.pid)
            proc.kill()
    assert proc.returncode == 128 + signum, out
    assert "interrupted" in out
    time.sleep(0.5)
    assert [p for p in tree if _alive(p)] == []  # no orphan worker or kernel
    assert not list(tmp.glob("rbk-*")), "a stopped worker removes its kernel's socket folder"
    assert not (tmp_path / "busy.ipynb").exists()
    assert not list(tmp_path.rglob("*.part")) and not list(tmp_path.rglob(".*.part"))
    assert not list(cache.rglob("*.pt"))  # no zoo entry from the interrupted training
    tasks = [schedule.Task(tmp_path / f"{n}.md", tmp_path / f"{n}.ipynb", {"profile": "smoke"}, tmp_path)
             for n in ("quick", "busy")]
    todo, cached = schedule.plan(tasks)
    assert [t.source.name for t in todo] == ["busy.md"] and [t.source.name for t in cached] == ["quick.md"]
