"""Build orchestration: run many notebooks in a local process pool or as a submitit job array.

One notebook is one `Task`; `run_task` executes it (in a pool worker, a Slurm job or submitit's local
executor) and always returns an `Outcome`, never raises, so one failing notebook cannot stop the others.
The parent prints a line when a notebook starts and when it ends (with elapsed time and an estimate of
what is left, from the durations recorded by earlier builds), then a summary listing every failure with its
cell and error. SIGINT or SIGTERM stops the build: running kernels are killed, no executed notebook is
half written (outputs are replaced atomically), and the next build reruns only what did not finish.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ..params import cell_parameters
from ..runtime import cache_root
from ..session import resolve_device
from .execute import NotebookFailed, discard_partial_writes, execute, is_current
from .notebooks import notebook_imports, reads_executed, seed_output, shown

EXECUTORS = ("pool", "slurm", "submitit-local")


@dataclass(frozen=True)
class Task:
    """One notebook to execute: its Jupytext source, output, parameters and working directory."""

    source: Path
    output: Path
    parameters: dict[str, Any]
    root: Path
    force: bool = False

    @property
    def key(self) -> str:
        """What tells tasks apart: the output (one source runs at several seeds)."""
        return str(self.output)

    @property
    def name(self) -> str:
        """The task as the progress lines show it: the notebook, and its seed when not the book's."""
        shown_source = shown(self.source, self.root)
        return shown_source if self.output == self.source.with_suffix(".ipynb") else \
            f"{shown_source} (seed {self.parameters.get('seed')})"


@dataclass
class Outcome:
    """What became of one task: 'ran', 'cached', 'failed' or 'interrupted', with time and error."""

    source: Path
    status: str
    seconds: float = 0.0
    cell: int | None = None
    error: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when the notebook is up to date (ran or cached)."""
        return self.status in ("ran", "cached")


# ---- one task ----------------------------------------------------------------------------------------
def run_task(task: Task) -> Outcome:
    """Execute one notebook here and now; a failure is returned as an Outcome, never raised."""
    os.environ.setdefault("ROBUSTBOOK_PROGRESS", "0")  # the kernel inherits it: no tqdm bars in the book
    if os.environ.get("SLURM_CPUS_PER_TASK", "").isdigit():  # a Slurm task: use the cores it was given
        os.environ.setdefault("OMP_NUM_THREADS", os.environ["SLURM_CPUS_PER_TASK"])
    start = time.perf_counter()
    try:
        ran = execute(task.source, task.output, task.parameters, task.root, task.force, quiet=True)
    except NotebookFailed as err:
        return Outcome(task.source, "failed", time.perf_counter() - start, err.cell, err.error, str(err))
    except Exception as err:  # noqa: BLE001 - isolate every failure; the summary names it
        return Outcome(task.source, "failed", time.perf_counter() - start, None,
                       f"{type(err).__name__}: {err}".splitlines()[0])
    return Outcome(task.source, "ran" if ran else "cached", time.perf_counter() - start)


def train_recipe(recipe: Any, device: str = "auto") -> str:
    """Train (or find) one zoo recipe on `device` ('auto' as a notebook resolves it): a sweep task."""
    from .. import zoo  # torch: imported where it is used, so the CLI checks parameters in a blink

    os.environ.setdefault("ROBUSTBOOK_PROGRESS", "0")
    zoo.get_or_train(recipe, resolve_device(device), progress=False)
    return repr(recipe)


def recipe_name(recipe: Any) -> str:
    """A short display name of a zoo recipe: architecture, how it trains, data set and the start of its key."""
    from .. import zoo

    return f"{recipe.label} on {recipe.dataset} [{zoo.key(recipe)[:8]}]".replace("/", "-")


def sweep_recipes(profile: str, seed: int = 0, out: Callable[[str], None] = print,
                  tasks: Sequence[Task] | None = None) -> list[Any]:
    """The zoo recipes of the chapters' sweeps: `experiments.<paper>.sweep_recipes(profile, seed, notebooks)`
    of each driver that has one; with `tasks`, only those of the notebooks to run (by the drivers they import).

    A cluster build trains them as one array job before the notebooks that read them start. A driver whose
    list cannot be made here (its data set is not downloaded yet, say) is reported and skipped: its
    notebooks then train their models themselves, or say what is missing.
    """
    import importlib
    import pkgutil

    from .. import experiments


    found: dict[Any, None] = {}
    for info in pkgutil.iter_modules(experiments.__path__):
        stems = None if tasks is None else {t.source.stem for t in tasks if info.name in drivers_of([t])}
        if stems is not None and not stems:
            continue
        hook = getattr(importlib.import_module(f"{experiments.__name__}.{info.name}"), "sweep_recipes", None)
        if not callable(hook):
            continue
        try:
            found.update(dict.fromkeys(hook(profile, seed=seed, notebooks=stems)))
        except Exception as err:  # noqa: BLE001 - a sweep that cannot be listed is trained by its notebook
            out(f"  sweeps of {info.name} skipped: {_first_line(err)}")
    return list(found)


def drivers_of(tasks: Sequence[Task]) -> set[str]:
    """The `robustbook.experiments` drivers the tasks' notebooks import (whose sweeps they read)."""
    prefix = "robustbook.experiments."
    return {m[len(prefix):].split(".")[0] for t in tasks for m in notebook_imports(t.source) if m.startswith(prefix)}


def _recipe_outcome(recipe: Any, device: str) -> Outcome:
    """train_recipe as an Outcome (its source: the recipe's name), never raising: the pool's sweep task."""
    name, start = recipe_name(recipe), time.perf_counter()
    try:
        train_recipe(recipe, device)
    except Exception as err:  # noqa: BLE001 - isolate every failure; the summary names it
        return Outcome(Path(name), "failed", time.perf_counter() - start, error=_first_line(err))
    return Outcome(Path(name), "ran", time.perf_counter() - start)


def pretrain_pool(recipes: Sequence[Any], jobs: int, gpus: Sequence[str], device: str,
                  out: Callable[[str], None] = print) -> list[Outcome]:
    """Train `recipes` in `jobs` worker processes (fair threads, one GPU each) before the notebooks start."""
    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    slots, events = ctx.Queue(), ctx.Queue()
    for i in range(jobs):
        slots.put(i)
    pool = ctx.Pool(jobs, initializer=_init_worker, initargs=(slots, events, fair_threads(jobs), list(gpus)))
    outcomes: list[Outcome] = []
    try:
        with _Signals():
            for o in pool.imap_unordered(_pool_recipe, [(r, device) for r in recipes]):
                outcomes.append(o)
                _report_recipe(o, len(outcomes), len(recipes), out)
    except Interrupted as sig:
        pool.terminate()
        pool.join()
        raise BuildInterrupted(sig.signum, []) from None
    pool.close()
    pool.join()
    return outcomes


def _pool_recipe(args: tuple[Any, str]) -> Outcome:
    return _recipe_outcome(*args)


def _report_recipe(o: Outcome, done: int, total: int, out: Callable[[str], None]) -> None:
    why = f": {o.error}" if o.error else ""
    out(f"  zoo [{done:>{len(str(total))}}/{total}] {o.status:<7} {o.source.name} in {clock(o.seconds)}{why}")


def pretrain_submitit(recipes: Sequence[Any], executor: Any, device: str, out: Callable[[str], None] = print,
                      poll: float = 0.5) -> list[Outcome]:
    """Train `recipes` as one submitit job array (`map_array`), wait for all; a failed job is an Outcome."""
    jobs = executor.map_array(train_recipe, list(recipes), [device] * len(recipes))
    out(f"  submitted {len(recipes)} zoo recipe(s) as job array {jobs[0].job_id.split('_')[0] if jobs else '-'}")
    pending = {i: (r, job, time.monotonic()) for i, (r, job) in enumerate(zip(recipes, jobs))}
    outcomes: list[Outcome] = []
    try:
        with _Signals():
            while pending:
                for i, (r, job, t0) in list(pending.items()):
                    if not job.done():
                        continue
                    name = Path(recipe_name(r))
                    try:
                        job.result()
                        o = Outcome(name, "ran", time.monotonic() - t0)
                    except Exception as err:  # noqa: BLE001 - the notebook that needs it retrains or fails
                        o = Outcome(name, "failed", time.monotonic() - t0, error=f"job {job.job_id}: "
                                    + _first_line(err))
                    del pending[i]
                    outcomes.append(o)
                    _report_recipe(o, len(outcomes), len(recipes), out)
                if pending:
                    time.sleep(poll)
    except Interrupted as sig:
        for _, job, _ in pending.values():
            job.cancel(check=False)
        raise BuildInterrupted(sig.signum, []) from None
    return outcomes


# ---- processes: kill a worker's kernels --------------------------------------------------------------
def descendants(pid: int) -> list[int]:
    """Every process below `pid`."""
    import psutil

    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def kill_tree(pid: int, grace: float = 3.0) -> None:
    """SIGTERM every descendant of `pid`, then SIGKILL those still alive after `grace` seconds."""
    import psutil

    try:
        procs = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return
    for p in procs:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie child of ours counts as gone)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _worker_exit(signum: int, frame: Any) -> None:
    """A pool worker asked to stop: kill its kernels, drop its half-written files, leave at once."""
    kill_tree(os.getpid())
    discard_partial_writes()
    os._exit(128 + signum)


_EVENTS: Any = None


def _init_worker(slots: Any, events: Any, threads: int, gpus: Sequence[str]) -> None:
    """Pool initializer: ignore SIGINT (the parent decides), die cleanly on SIGTERM, take a CPU/GPU share."""
    global _EVENTS
    _EVENTS = events
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_exit)
    slot = slots.get()
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TORCH_NUM_THREADS"):
        os.environ[var] = str(threads)  # kernels inherit the environment of the worker that starts them
    if gpus:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpus[slot % len(gpus)])


def _pool_task(task: Task) -> Outcome:
    """run_task inside a pool worker, telling the parent when it starts."""
    if _EVENTS is not None:
        _EVENTS.put(("start", task.key, os.getpid(), os.environ.get("CUDA_VISIBLE_DEVICES", "")))
    return run_task(task)


def available_cpus() -> int:
    """The CPUs this process may run on: its affinity mask where the system has one, else os.cpu_count()."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def parse_jobs(value: str) -> int:
    """`--jobs`: a positive number, or 'auto' for every available CPU (`available_cpus`)."""
    if str(value).strip().lower() == "auto":
        return available_cpus()
    try:
        jobs = int(value)
    except ValueError:
        raise ValueError(f"invalid --jobs {value!r}: give a number of notebooks at once, or 'auto'") from None
    if jobs < 1:
        raise ValueError(f"invalid --jobs {jobs}: must be at least 1")
    return jobs


def fair_threads(jobs: int, cpus: int | None = None) -> int:
    """CPU threads per worker: the cores shared evenly, at least one, at most $OMP_NUM_THREADS if set."""
    share = max(1, (cpus or available_cpus()) // max(1, jobs))
    cap = os.environ.get("OMP_NUM_THREADS", "")
    return min(share, int(cap)) if cap.isdigit() and int(cap) > 0 else share


def visible_gpus(spec: str | None = None) -> list[str]:
    """GPU ids to pin workers to: '--gpus 0,1' as given, else CUDA_VISIBLE_DEVICES, else nvidia-smi's list."""
    if spec is not None:
        ids = [s.strip() for s in spec.split(",") if s.strip()]
        if not ids or not all(s.isdigit() for s in ids):
            raise ValueError(f"invalid --gpus {spec!r}: give GPU indices separated by commas, e.g. 0,1")
        return ids
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [s for s in env.split(",") if s.strip()]
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return []
    return [s.strip() for s in out.stdout.splitlines() if s.strip().isdigit()] if out.returncode == 0 else []


# ---- durations and progress -------------------------------------------------------------------------
def durations_file() -> Path:
    """Where builds record how long each notebook took: <cache>/durations.json."""
    return cache_root() / "durations.json"


def load_durations() -> dict[str, float]:
    """Recorded seconds per 'notebook@profile' (empty when there is no readable record)."""
    try:
        data = json.loads(durations_file().read_text())
        return {str(k): float(v) for k, v in data.items()}
    except (OSError, ValueError, AttributeError):
        return {}


SHIPPED_DURATIONS = "durations.json"  # beside this module: measured (or estimated) cpu durations, each with how


def shipped_durations() -> dict[str, float]:
    """The durations shipped with the package (`robustbook/bookbuild/durations.json`), seconds per
    'notebook@profile': what a first build schedules by before it has recorded its own."""
    from importlib.resources import files

    try:
        data = json.loads(files(__package__).joinpath(SHIPPED_DURATIONS).read_text())
        return {str(k): float(v["seconds"]) for k, v in data["durations"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def known_durations() -> dict[str, float]:
    """Seconds per 'notebook@profile': this machine's record, and the shipped durations where it has none."""
    return {**shipped_durations(), **load_durations()}


def save_durations(new: dict[str, float]) -> None:
    """Merge `new` into the record, written atomically; a cache that cannot be written is skipped."""
    path = durations_file()
    data = {**load_durations(), **new}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".durations.", suffix=".part")
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        pass


def duration_key(task: Task) -> str:
    """The key of a notebook in the durations record."""
    return f"{shown(task.source, task.root)}@{task.parameters.get('profile', 'cpu')}"


def clock(seconds: float) -> str:
    """Seconds as m:ss or h:mm:ss."""
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def lpt_makespan(seconds: Sequence[float], workers: int) -> float:
    """Finish time of longest-first scheduling of `seconds` on `workers` equal machines."""
    loads = [0.0] * max(1, workers)
    for s in sorted(seconds, reverse=True):
        loads[loads.index(min(loads))] += s
    return max(loads)


@dataclass
class Progress:
    """Prints which notebooks start, finish or are cached, with elapsed time and an estimate of the rest."""

    total: int
    workers: int
    estimates: dict[str, float]
    out: Callable[[str], None] = print
    start: float = field(default_factory=time.monotonic)
    done: int = 0
    running: dict[str, float] = field(default_factory=dict)
    left: dict[str, float] = field(default_factory=dict)

    def started(self, name: str, where: str = "") -> None:
        """A notebook began executing."""
        self.running[name] = time.monotonic()
        self.out(f"  start   {name}" + (f" [{where}]" if where else ""))

    def finished(self, name: str, outcome: Outcome) -> None:
        """A notebook ended (ran, cached, failed or interrupted)."""
        self.done += 1
        self.running.pop(name, None)
        self.left.pop(name, None)
        took = f" in {clock(outcome.seconds)}" if outcome.status != "cached" else ""
        if outcome.status == "failed" and outcome.cell:
            why = f": code cell {outcome.cell} raised {outcome.error}"
        else:
            why = f": {outcome.error}" if outcome.error else ""
        self.out(f"[{self.done:>{len(str(self.total))}}/{self.total}] {outcome.status:<7} {name}{took}{why}"
                 f"   (elapsed {clock(time.monotonic() - self.start)}{self.remaining()})")
        if outcome.detail:  # the end of the traceback, so a failure can be fixed without rerunning it
            tail = re.sub(r"\x1b\[[0-9;]*m", "", outcome.detail).splitlines()[1:]
            self.out("\n".join(f"          | {ln}" for ln in tail if ln.strip()))

    def remaining(self) -> str:
        """', about m:ss left' from recorded durations of what has not finished, if any are known."""
        if not self.left:
            return ""
        now = time.monotonic()
        rest = [max(self.left[n] - (now - self.running[n]), 0.0) if n in self.running else self.left[n]
                for n in self.left]
        unknown = sum(1 for n in self.left if n not in self.estimates)
        if unknown == len(self.left):
            return f"; {unknown} left, never timed"
        tail = f" + {unknown} never timed" if unknown else ""
        return f", about {clock(lpt_makespan(rest, self.workers))} left{tail}"


# ---- executors ---------------------------------------------------------------------------------------
class Interrupted(BaseException):
    """The build received SIGINT or SIGTERM (a BaseException, so no `except Exception` swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_interrupted(signum: int, frame: Any) -> None:
    raise Interrupted(signum)


class _Signals:
    """Turn SIGINT/SIGTERM into `Interrupted` in the main thread for the duration of a block."""

    def __enter__(self) -> _Signals:
        import threading

        self.saved = {}
        if threading.current_thread() is threading.main_thread():  # only the main thread may set handlers
            self.saved = {s: signal.signal(s, _raise_interrupted) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc: Any) -> None:
        for s, h in self.saved.items():
            signal.signal(s, h)


def run_pool(tasks: Sequence[Task], jobs: int, gpus: Sequence[str], progress: Progress) -> list[Outcome]:
    """Run tasks in `jobs` worker processes, each with a fair CPU share and its own GPU; isolate failures."""
    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    slots, events = ctx.Queue(), ctx.Queue()
    for i in range(jobs):
        slots.put(i)
    outcomes: dict[str, Outcome] = {}
    pool = ctx.Pool(jobs, initializer=_init_worker, initargs=(slots, events, fair_threads(jobs), list(gpus)))
    pids: dict[str, int] = {}
    try:
        with _Signals():
            pending = {t.key: pool.apply_async(_pool_task, (t,)) for t in tasks}
            names = {t.key: t.name for t in tasks}
            sources = {t.key: t.source for t in tasks}
            while pending:
                started = []
                try:  # wait a little for news, then take all there is
                    started.append(events.get(timeout=0.2))
                    while True:
                        started.append(events.get_nowait())
                except queue.Empty:
                    pass
                for src, res in list(pending.items()):
                    if res.ready():
                        outcomes[src] = res.get()
                    elif src in pids and not _alive(pids[src]):  # killed from outside (e.g. out of memory)
                        outcomes[src] = Outcome(sources[src], "failed", error="its worker process died")
                    else:
                        continue
                    del pending[src]
                    progress.finished(names[src], outcomes[src])
                for _, src, pid, gpu in started:  # after the results, so a line never shows 3 of 2 running
                    pids[src] = pid
                    if src in pending:
                        progress.started(names[src], f"GPU {gpu}" if gpu else "")
    except Interrupted as sig:
        pool.terminate()  # SIGTERM to every worker: each kills its kernels and drops half-written files
        pool.join()
        _mark_interrupted(tasks, outcomes, progress)
        raise BuildInterrupted(sig.signum, [outcomes[t.key] for t in tasks]) from None
    pool.close()
    pool.join()
    return [outcomes[t.key] for t in tasks]


class BuildInterrupted(Exception):
    """The build stopped on a signal; `outcomes` says what finished."""

    def __init__(self, signum: int, outcomes: list[Outcome]) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum, self.outcomes = signum, outcomes


def _mark_interrupted(tasks: Sequence[Task], outcomes: dict[str, Outcome], progress: Progress) -> None:
    for t in tasks:
        if t.key not in outcomes:
            outcomes[t.key] = Outcome(t.source, "interrupted",
                                              error="not finished; the next build reruns it")


@dataclass(frozen=True)
class ClusterOptions:
    """Submitit settings: folder for logs, time limit, partition, GPUs and CPUs per task, extra parameters."""

    folder: Path
    timeout_min: int = 120
    partition: str | None = None
    gpus_per_task: int = 1
    cpus_per_task: int = 4
    array_parallelism: int = 64
    extra: dict[str, Any] = field(default_factory=dict)

    def parameters(self, cluster: str) -> dict[str, Any]:
        """The keyword arguments of `AutoExecutor.update_parameters` for `cluster`."""
        p: dict[str, Any] = {"timeout_min": self.timeout_min, "name": "robustbook"}
        if cluster == "slurm":
            p.update(gpus_per_node=self.gpus_per_task, cpus_per_task=self.cpus_per_task, tasks_per_node=1,
                     slurm_array_parallelism=self.array_parallelism)
            if self.partition:
                p["slurm_partition"] = self.partition
        p.update(self.extra)
        return p


def load_cluster_config(path: Path | None) -> dict[str, Any]:
    """A YAML mapping of ClusterOptions fields (timeout_min, partition, ...) and submitit parameters."""
    if path is None:
        return {}
    import yaml

    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of submitit parameters, got {type(data).__name__}")
    return data


def make_executor(cluster: str, options: ClusterOptions) -> Any:
    """A submitit AutoExecutor for 'slurm' or 'local' (the tests' stand-in for a cluster)."""
    import submitit

    ex = submitit.AutoExecutor(folder=options.folder, cluster=cluster)
    ex.update_parameters(**options.parameters(cluster))
    return ex


def run_submitit(tasks: Sequence[Task], cluster: str, options: ClusterOptions, progress: Progress,
                 poll: float = 0.5, executor: Any = None) -> list[Outcome]:
    """Submit the notebooks as one job array with `map_array`; wait and report each as it ends."""
    ex = executor or make_executor(cluster, options)
    outcomes: dict[str, Outcome] = {}
    jobs: list[Any] = []
    try:
        with _Signals():
            jobs = ex.map_array(run_task, list(tasks))
            for t, job in zip(tasks, jobs):
                progress.started(t.name, f"job {job.job_id}")
            pending = dict(zip((t.key for t in tasks), zip(tasks, jobs)))
            while pending:
                for src, (t, job) in list(pending.items()):
                    if not job.done():
                        continue
                    try:
                        outcomes[src] = job.result()
                    except Exception as err:  # noqa: BLE001 - a job that died (timeout, node failure)
                        why = f"job {job.job_id}: {_first_line(err)}"
                        outcomes[src] = Outcome(t.source, "failed", error=why)
                    del pending[src]
                    progress.finished(t.name, outcomes[src])
                if pending:
                    time.sleep(poll)
    except Interrupted as sig:
        for job in jobs:
            if not job.done():
                job.cancel(check=False)
        _mark_interrupted(tasks, outcomes, progress)
        raise BuildInterrupted(sig.signum, [outcomes[t.key] for t in tasks]) from None
    return [outcomes[t.key] for t in tasks]


def _first_line(err: BaseException) -> str:
    """The error in one line: the last 'SomeError: ...' line of its message (a job's traceback), else the last."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    raised = [ln for ln in lines if re.match(r"[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)(:|$)", ln)]
    return f"{type(err).__name__}: {(raised or lines or [''])[-1]}"


# ---- the whole build -------------------------------------------------------------------------------
def runs_last(task: Task) -> bool:
    """True for a notebook that reads the other notebooks' executed outputs: it runs after all of them."""
    try:
        return task.source.suffix == ".md" and reads_executed(task.source)
    except Exception:  # noqa: BLE001 - an unreadable source fails in its own task, with its own message
        return False


def plan(tasks: Sequence[Task]) -> tuple[list[Task], list[Task]]:
    """Split tasks into (to run, cached); the ones to run ordered longest-first by duration (this machine's
    record, else the shipped durations; a notebook known to neither goes first)."""
    cached = [t for t in tasks if not t.force and is_current(t.source, t.output, t.parameters)]
    todo = [t for t in tasks if t not in cached]
    known = known_durations()
    todo.sort(key=lambda t: -known.get(duration_key(t), float("inf")))
    return todo, cached


def summary(outcomes: Sequence[Outcome], root: Path, seconds: float, sweeps: Sequence[Outcome] = ()) -> str:
    """The closing report: counts, then each failure with its cell and error (failed sweep recipes first)."""
    count = {s: sum(o.status == s for o in outcomes) for s in ("ran", "cached", "failed", "interrupted")}
    lines = [f"{count['ran']} ran, {count['cached']} cached, {count['failed']} failed"
             + (f", {count['interrupted']} interrupted" if count["interrupted"] else "")
             + f" in {clock(seconds)}"]
    if sweeps:
        bad = [o for o in sweeps if o.status == "failed"]
        lines.append(f"zoo sweeps: {len(sweeps) - len(bad)} recipe(s) trained or found, {len(bad)} failed")
        lines += [f"  FAILED zoo recipe {o.source.name}: {o.error}" for o in bad]
    for o in outcomes:
        if o.status == "failed":
            where = f"code cell {o.cell}: " if o.cell else ""
            lines.append(f"  FAILED {shown(o.source, root)}: {where}{o.error}")
    if count["interrupted"]:
        lines.append("  interrupted: the next build reruns only the notebooks that did not finish")
    return "\n".join(lines)


def build(tasks: Sequence[Task], jobs: int = 1, executor: str = "pool", gpus: Sequence[str] = (),
          cluster: ClusterOptions | None = None, recipes: Sequence[Any] | Callable[[Sequence[Task]], Any] = (),
          out: Callable[[str], None] = print, sweeps_first: bool | None = None) -> tuple[int, list[Outcome]]:
    """Run every task; returns (exit status, outcomes): 0 all good, 1 some failed, 128+signal if stopped.

    `recipes` (or a function of the tasks to run that returns them) are zoo recipes trained first, as one
    job array with submitit or in the pool when `sweeps_first` (default: with submitit only).
    """
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}: choose one of {', '.join(EXECUTORS)}")
    if jobs < 1:
        raise ValueError(f"invalid --jobs {jobs}: must be at least 1")
    late = [t for t in tasks if runs_last(t)]
    if late and len(late) < len(tasks):  # pages that read the others' outputs (the verdict summary) run last
        status, first = build([t for t in tasks if t not in late], jobs, executor, gpus, cluster, recipes, out)
        if status >= 128:  # stopped: the summary waits for the next build
            rest = [Outcome(t.source, "interrupted", error="not started; the next build runs it") for t in late]
        else:
            status2, rest = build(late, jobs, executor, gpus, cluster, (), out)
            status = status2 or status
        early = [t for t in tasks if t not in late]
        by_key = {t.key: o for t, o in [*zip(early, first), *zip(late, rest)]}
        return status, [by_key[t.key] for t in tasks]
    begin = time.monotonic()
    todo, cached = plan(tasks)
    known = known_durations()
    workers = min(jobs, max(1, len(todo))) if executor == "pool" else max(1, len(todo))
    est = {t.name: known[duration_key(t)] for t in todo if duration_key(t) in known}
    progress = Progress(len(tasks), workers, est, out)
    progress.left = {t.name: est.get(t.name, 0.0) for t in todo}
    where = {"pool": f"{workers} worker(s), {fair_threads(workers)} CPU thread(s) each"
             + (f", GPUs {','.join(gpus)}" if gpus else ""),
             "slurm": "Slurm (submitit)", "submitit-local": "submitit's local executor"}[executor]
    makespan = lpt_makespan(list(est.values()), workers)
    guess = f"; about {clock(makespan)} from recorded or shipped durations" if est else ""
    out(f"{len(tasks)} notebook(s): {len(cached)} cached, {len(todo)} to run on {where}{guess}")
    for t in cached:
        progress.finished(t.name, Outcome(t.source, "cached"))
    status, swept, ex = 0, [], None
    kind = "slurm" if executor == "slurm" else "local"
    options = cluster or ClusterOptions(Path(tasks[0].root if tasks else ".") / "_build" / "submitit")
    if executor != "pool":
        ex = make_executor(kind, options)
    try:
        first = executor != "pool" if sweeps_first is None else sweeps_first
        wanted = list(recipes(todo) if callable(recipes) else recipes) if todo and first else []
        if wanted:
            device = str(todo[0].parameters.get("device", "auto"))
            out(f"sweeps first: {len(wanted)} zoo recipe(s) the notebooks to run request")
            swept = (pretrain_submitit(wanted, ex, device, out) if ex is not None
                     else pretrain_pool(wanted, min(jobs, len(wanted)), gpus, device, out))
        if not todo:
            ran: list[Outcome] = []
        elif executor == "pool":
            ran = run_pool(todo, workers, gpus, progress)
        else:
            ran = run_submitit(todo, kind, options, progress, executor=ex)
    except BuildInterrupted as stop:  # stopped in the sweep phase: no notebook has started
        ran = stop.outcomes or [Outcome(t.source, "interrupted", error="not started; the next build runs it")
                                for t in todo]
        status = 128 + stop.signum
    save_durations({duration_key(t): round(o.seconds, 1) for t, o in zip(todo, ran) if o.status == "ran"})
    by_key = {t.key: o for t, o in zip(todo, ran)}
    outcomes = [by_key.get(t.key) or Outcome(t.source, "cached") for t in tasks]
    out(summary(outcomes, tasks[0].root if tasks else Path.cwd(), time.monotonic() - begin, swept))
    if status == 0 and any(o.status == "failed" for o in [*outcomes, *swept]):
        status = 1
    return status, outcomes


def run_notebooks(sources: Sequence[Path], profile: str, params: dict[str, Any], root: Path,
                  force: bool = False, jobs: int = 1) -> int:
    """Execute each source next to itself; returns the number of failures (each one reported)."""
    status, outcomes = build(make_tasks(sources, profile, params, root, force), jobs=jobs)
    return sum(not o.ok for o in outcomes)


def seed_tasks(sources: Sequence[Path], parameters: dict[Path, dict[str, Any]], root: Path,
               seeds: Sequence[int], force: bool = False) -> list[Task]:
    """One task per notebook and seed: the first seed's output next to the source (the book), the others' under
    _build/seeds/seed<N>/ (the stability runs the verdict summary reads), for the notebooks with a `seed`
    parameter; summary pages run at the first only.

    The first seed is passed only where it differs from the notebook's own default, so `--seeds 0 1 2` after a
    plain build reuses the book's executions (an explicit `seed=0` would change every run key).
    """
    first, *rest = seeds
    defaults = {src: dict((n, v) for n, v, _ in cell_parameters(src)).get("seed") for src in sources}
    tasks = [Task(src, src.with_suffix(".ipynb"),
                  {**parameters[src], **({"seed": first} if rest and defaults[src] not in (None, str(first))
                                         else {})}, root, force)
             for src in sources]
    for seed in rest:
        tasks += [Task(src, seed_output(root, src, seed), {**parameters[src], "seed": seed}, root, force)
                  for src in sources if not reads_executed(src) and defaults[src] is not None]
    return tasks


def make_tasks(sources: Sequence[Path], profile: str, params: dict[str, Any], root: Path,
               force: bool = False) -> list[Task]:
    """One build task per notebook, each given the `-p` values its schema declares (build) or all (run)."""
    return [Task(src, src.with_suffix(".ipynb"), {"profile": profile, **params}, root, force)
            for src in sources]


def cluster_options(executor: str, config: Path | None, partition: str | None, timeout_min: int | None,
                    root: Path) -> ClusterOptions:
    """Submitit settings: the YAML file's, then the command line's; logs under _build/submitit by default."""
    conf = load_cluster_config(config)
    fields = {k: conf.pop(k) for k in list(conf) if k in ClusterOptions.__dataclass_fields__}
    if partition:
        fields["partition"] = partition
    if timeout_min:
        fields["timeout_min"] = timeout_min
    if executor == "submitit-local":
        fields["gpus_per_task"] = 0  # the local stand-in runs on whatever this machine has
    folder = Path(fields.pop("folder", root / "_build" / "submitit"))
    return ClusterOptions(folder, **{**fields, "extra": {**fields.get("extra", {}), **conf}})
