"""Build orchestration: a pool with fair threads and GPU pinning, submitit, progress, failure isolation."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from _tiny_notebooks import HEADER
from robustbook import cli
from robustbook.bookbuild import schedule

ENV = HEADER + """```{code-cell} ipython3
import os
env = os.environ
print("GPU=" + env.get("CUDA_VISIBLE_DEVICES", "-"), "THREADS=" + env.get("OMP_NUM_THREADS", "-"))
```
"""
BAD = HEADER + """```{code-cell} ipython3
x = 1
```

```{code-cell} ipython3
raise ZeroDivisionError("planted failure")
```
"""


def _tasks(tmp_path: Path, **sources: str) -> list[schedule.Task]:
    out = []
    for name, text in sources.items():
        src = tmp_path / f"{name}.md"
        src.write_text(text)
        out.append(schedule.Task(src, src.with_suffix(".ipynb"), {"profile": "smoke"}, tmp_path))
    return out


def test_pool_isolates_a_failure_pins_gpus_and_shares_threads(tmp_path):
    tasks = _tasks(tmp_path, a=ENV, bad=BAD, b=ENV.replace("import os", "import os  # b"))
    lines: list[str] = []
    status, outcomes = schedule.build(tasks, jobs=2, gpus=["3", "5"], out=lines.append)
    text = "\n".join(lines)
    assert status == 1
    assert [o.status for o in outcomes] == ["ran", "failed", "ran"]
    bad = outcomes[1]
    assert bad.cell == 3 and "ZeroDivisionError: planted failure" in bad.error
    assert "FAILED bad.md: code cell 3: ZeroDivisionError: planted failure" in text  # cell and error
    assert "1 failed" in text and "start   a.md" in text
    assert '| ----> 1 raise ZeroDivisionError("planted failure")' in text  # the traceback's end, uncoloured
    assert not (tmp_path / "bad.ipynb").exists()
    for name in ("a", "b"):
        out = (tmp_path / f"{name}.ipynb").read_text()
        assert f"THREADS={schedule.fair_threads(2)}" in out
        assert "GPU=3" in out or "GPU=5" in out
    recorded = json.loads(schedule.durations_file().read_text())
    assert {"a.md@smoke", "b.md@smoke"} <= set(recorded) and "bad.md@smoke" not in recorded
    # a second build finds both finished notebooks cached and estimates the failed one as never timed
    lines.clear()
    status, outcomes = schedule.build(tasks, jobs=2, out=lines.append)
    assert [o.status for o in outcomes] == ["cached", "failed", "cached"] and status == 1


def test_submitit_local_executor_reports_a_failing_task(tmp_path):
    """One submitit build: a job array of zoo recipes first (one of them fails), then one of notebooks."""
    pytest.importorskip("submitit")
    from robustbook.train import TrainConfig
    from robustbook import zoo

    good = zoo.Recipe("smallcnn", "digits32", TrainConfig(epochs=1, batch_size=32), seed=0, train_size=32)
    broken = zoo.Recipe("smallcnn", "no_such_data_set", TrainConfig(epochs=1), seed=0, train_size=32)
    tasks = _tasks(tmp_path, ok=ENV, bad=BAD)
    options = schedule.ClusterOptions(tmp_path / "submitit", timeout_min=5, gpus_per_task=0)
    lines: list[str] = []
    status, outcomes = schedule.build(tasks, executor="submitit-local", cluster=options, out=lines.append,
                                   recipes=[good, broken])
    text = "\n".join(lines)
    assert status == 1
    assert [o.status for o in outcomes] == ["ran", "failed"]  # the notebooks ran although a recipe failed
    assert "ZeroDivisionError" in outcomes[1].error and outcomes[1].cell == 3
    assert (tmp_path / "ok.ipynb").exists() and not (tmp_path / "bad.ipynb").exists()
    assert any("job" in ln for ln in lines)  # which job runs which notebook is shown
    # the sweep stage: one array job, the failing recipe named with its error, the good one in the zoo
    assert "submitted 2 zoo recipe(s) as job array" in text and "1 recipe(s) trained or found, 1 failed" in text
    assert f"FAILED zoo recipe {schedule.recipe_name(broken)}: job " in text
    assert "ValueError: invalid data set 'no_such_data_set'" in text
    first_zoo = min(i for i, ln in enumerate(lines) if ln.startswith("  zoo ["))
    assert first_zoo < min(i for i, ln in enumerate(lines) if ln.startswith("  start"))  # recipes first
    assert zoo.stored_components(good) is not None  # trained into the zoo the notebooks read


def test_cluster_options_become_submitit_parameters():
    opts = schedule.ClusterOptions(Path("x"), timeout_min=30, partition="gpu", gpus_per_task=1,
                                extra={"mem_gb": 16})
    p = opts.parameters("slurm")
    assert p["slurm_partition"] == "gpu" and p["gpus_per_node"] == 1 and p["timeout_min"] == 30
    assert p["mem_gb"] == 16
    assert "slurm_partition" not in opts.parameters("local")


def test_cluster_settings_come_from_the_file_then_the_command_line(tmp_path):
    conf = tmp_path / "slurm.yml"
    conf.write_text("partition: small\ntimeout_min: 60\ncpus_per_task: 8\nslurm_account: lab\n")
    opts = schedule.cluster_options("slurm", conf, "big", None, tmp_path)
    assert (opts.partition, opts.timeout_min, opts.cpus_per_task) == ("big", 60, 8)
    assert opts.folder == tmp_path / "_build" / "submitit" and opts.extra == {"slurm_account": "lab"}
    assert opts.parameters("slurm")["slurm_account"] == "lab"
    conf.write_text("- not a mapping\n")
    with pytest.raises(ValueError, match="mapping"):
        schedule.cluster_options("slurm", conf, None, None, tmp_path)


def test_estimates_and_fair_shares(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert schedule.fair_threads(2, cpus=2) == 1 and schedule.fair_threads(3, cpus=16) == 5
    assert schedule.fair_threads(8, 2) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # the user's setting caps each worker
    assert schedule.fair_threads(1, cpus=16) == 2
    assert schedule.lpt_makespan([5, 4, 3, 3, 3], 2) == 10  # 5+3+3 | 4+3 -> longest-first gives 10, not 9 (fine)
    assert schedule.lpt_makespan([], 2) == 0 and schedule.lpt_makespan([7], 4) == 7
    assert schedule.clock(61) == "1:01" and schedule.clock(3725) == "1:02:05"
    lines: list[str] = []
    prog = schedule.Progress(2, 1, {"a": 60.0}, lines.append)
    prog.left = {"a": 60.0, "b": 0.0}
    assert "1:00 left + 1 never timed" in prog.remaining()
    prog.finished("b", schedule.Outcome(Path("b"), "ran", 3.0))
    assert "about 1:00 left" in lines[-1] and lines[-1].startswith("[1/2] ran")


def test_gpu_list_is_checked():
    assert schedule.visible_gpus("0, 2") == ["0", "2"]
    with pytest.raises(ValueError, match="--gpus"):
        schedule.visible_gpus("first")


def test_cli_refuses_bad_jobs_and_unwritable_cache(tmp_path, monkeypatch, capsys):
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    src = tmp_path / "tiny.md"
    src.write_text(ENV)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", str(src), "--jobs", "0"]) == 2
    assert "--jobs 0" in capsys.readouterr().err
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(blocker))
    assert cli.main(["run", str(src)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot write the cache folder" in err
    assert not src.with_suffix(".ipynb").exists()


def test_jobs_auto_is_every_available_cpu(tmp_path, monkeypatch, capsys):
    import os

    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert schedule.parse_jobs("auto") == expected == schedule.available_cpus()
    assert schedule.parse_jobs("3") == 3
    for bad in ("0", "many"):
        with pytest.raises(ValueError, match="--jobs"):
            schedule.parse_jobs(bad)
    seen = {}
    monkeypatch.setattr(schedule, "available_cpus", lambda: 5)
    monkeypatch.setattr(schedule, "build", lambda tasks, jobs, **kw: (seen.setdefault("jobs", jobs), (0, []))[1])
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (tmp_path / "tiny.md").write_text(ENV)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "tiny.md", "--jobs", "auto"]) == 0 and seen["jobs"] == 5
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    assert "JOBS ?= auto" in makefile and "--jobs $(JOBS)" in makefile


def test_plan_falls_back_to_the_shipped_durations(tmp_path, monkeypatch):
    """A first build (no record in the cache) runs the longest notebooks first by the shipped durations; this
    machine's own record, once there, wins."""
    root = Path(__file__).resolve().parents[1]
    shipped = schedule.shipped_durations()
    from robustbook.bookbuild.notebooks import toc_notebooks

    toc = {f"{p.relative_to(root).as_posix()}@cpu" for p in toc_notebooks(root)}
    assert shipped and set(shipped) <= toc, set(shipped) - toc  # every entry names a notebook of the book
    raw = json.loads((root / "src/robustbook/bookbuild/durations.json").read_text())
    assert all(v["how"] for v in raw["durations"].values()), "each duration says how it was obtained"
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(tmp_path / "cache"))  # no record of this machine yet
    monkeypatch.setattr(schedule, "is_current", lambda *a: False)
    by_time = sorted(shipped, key=shipped.get)
    short, long = (root / by_time[0].split("@")[0]), (root / by_time[-1].split("@")[0])
    tasks = [schedule.Task(p, tmp_path / f"{p.stem}.ipynb", {"profile": "cpu"}, root) for p in (short, long)]
    todo, _ = schedule.plan(tasks)
    assert [t.source for t in todo] == [long, short]
    schedule.save_durations({f"{short.relative_to(root).as_posix()}@cpu": shipped[by_time[-1]] + 1})
    assert [t.source for t in schedule.plan(tasks)[0]] == [short, long]


def test_make_book_imports_the_zoo_first_when_asked():
    """`make book ZOO=...` imports the archive (path or URL) before the build; without ZOO it imports nothing."""
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("no make")
    root = Path(__file__).resolve().parents[1]

    def dry(*args):
        return subprocess.run(["make", "-n", "book", *args], cwd=root, capture_output=True, text=True,
                              check=True).stdout.splitlines()

    lines = dry("ZOO=https://example.org/zoo-cpu.tar.gz", "PROFILE=smoke")
    imp = next(i for i, ln in enumerate(lines) if "robustbook zoo import" in ln)
    build = next(i for i, ln in enumerate(lines) if "robustbook build" in ln)
    assert imp < build and '--profile smoke "https://example.org/zoo-cpu.tar.gz"' in lines[imp]
    assert "--jobs auto" in lines[build]
    assert not any("zoo import" in ln for ln in dry())
