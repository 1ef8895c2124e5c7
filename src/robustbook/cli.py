"""`robustbook list | params | run | build | clean`: execute Jupytext notebooks with papermill, build a book.

An executed notebook is written next to its source (`chapter.md` -> `chapter.ipynb`, gitignored) and
remembers the hash of its source, parameters and package; an unchanged notebook is not run again.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from . import build
from .config import PROFILES, fixture_mode



def repo_root(start: Path | None = None) -> Path:
    """The folder holding `_toc.yml`, searched upwards from `start` (default: the working directory)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").exists():
            return folder
    raise SystemExit(f"no _toc.yml found in {here} or its parents: run robustbook from the repository")


def toc_notebooks(root: Path) -> list[Path]:
    """The Jupytext sources of every notebook chapter listed in `_toc.yml`, in book order."""
    import yaml

    found: list[Path] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            f = node.get("file")
            if isinstance(f, str) and f.startswith("notebooks/"):
                found.append(root / f"{f.removesuffix('.md')}.md")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(yaml.safe_load((root / "_toc.yml").read_text()))
    return found


def notebook_imports(source: Path) -> list[str]:
    """The robustbook modules a Jupytext notebook's code cells import (before following their imports)."""
    import jupytext

    from .hashing import imports_of_source

    code = []
    for cell in jupytext.read(source).cells:
        if cell.cell_type == "code":  # IPython magics and shell escapes are not Python: drop those lines
            code.extend(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
    return sorted(imports_of_source("\n".join(code)))


def package_fingerprint(source: Path | None = None) -> str:
    """Digest of the robustbook code a notebook runs: the modules it imports, transitively, from their
    syntax trees (docstrings and comments do not count); without a notebook, of the whole package."""
    from .hashing import code_digest, package_dir

    if source is not None:
        return code_digest(notebook_imports(source))[:16]
    pkg = package_dir()
    names = ["robustbook." + ".".join(p.relative_to(pkg).with_suffix("").parts).removesuffix(".__init__")
             for p in sorted(pkg.rglob("*.py"))]
    return code_digest([n.removesuffix(".") for n in names])[:16]


def run_key(source: Path, parameters: dict[str, Any]) -> str:
    """The cache key of one execution: the notebook's text, its parameters and the code it imports (and, for
    a page that reads the executed chapters, their published verdict records)."""
    from .hashing import sha256_json

    from .verdict_summary import reads_executed, records_digest

    key = {"src": source.read_text(), "params": parameters, "code": package_fingerprint(source),
           "fixtures": fixture_mode()}
    if reads_executed(source):  # the verdict summary: it reruns when any chapter's published records change
        key["records"] = records_digest(repo_root(source.parent))
    return sha256_json(key)[:24]


def notebook_parameters(source: Path) -> list[tuple[str, str, str]]:
    """(name, default, comment) of each assignment in the `parameters` cell of a Jupytext notebook."""
    from .params import cell_parameters

    return cell_parameters(source)


class NotebookFailed(RuntimeError):
    """A notebook raised; the message names the notebook, the cell and the error."""

    def __init__(self, message: str, cell: int | None = None, error: str = "") -> None:
        super().__init__(message)
        self.cell, self.error = cell, error or message.splitlines()[0]


def is_current(source: Path, output: Path, parameters: dict[str, Any]) -> bool:
    """True when `output` is a finished execution of `source` with these parameters and this package."""
    import nbformat

    if not output.exists():
        return False
    try:
        meta = nbformat.read(output, as_version=4).metadata.get("robustbook", {})
    except Exception:
        return False
    return meta.get("key") == run_key(source, parameters)


def execute(source: Path, output: Path, parameters: dict[str, Any], cwd: Path, force: bool = False,
            quiet: bool = False) -> bool:
    """Execute `source` into `output` with papermill unless an up-to-date copy is there; True if it ran."""
    import jupytext
    import papermill as pm

    from .publish import mark_profile

    key = run_key(source, parameters)
    if not force and is_current(source, output, parameters):
        if not quiet:
            print(f"  cached  {_shown(source, cwd)}")
        return False
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    start = time.perf_counter()
    try:  # papermill executes the notebook in memory; only the finished notebook is written
        done = pm.execute_notebook(nb, None, parameters=parameters, kernel_name="python3", cwd=str(cwd),
                                   progress_bar=False, log_output=False)
    except pm.PapermillExecutionError as err:
        cell = err.exec_count - 1 if err.exec_count else None  # papermill's injected cell is not in `source`
        raise NotebookFailed(f"{source}: code cell {cell} raised {err.ename}: {err.evalue}\n"
                             + "\n".join(err.traceback[-6:]), cell,
                             f"{err.ename}: {err.evalue}".splitlines()[0]) from None
    for cell in done.cells:  # the executed notebook keeps papermill's cell; the rendered page hides it
        if "injected-parameters" in cell.metadata.get("tags", []) and "remove-cell" not in cell.metadata["tags"]:
            cell.metadata["tags"].append("remove-cell")
    mark_profile(done, parameters)  # each page says which profile produced it
    done.metadata["robustbook"] = {"key": key, "parameters": parameters,
                                   "seconds": round(time.perf_counter() - start, 1)}
    _write_atomic(done, output)
    if not quiet:
        print(f"  ran     {_shown(source, cwd)} in {time.perf_counter() - start:.0f} s")
    return True


_PARTIAL: set[str] = set()  # staging files being written by this process


def _write_atomic(nb: Any, output: Path) -> None:
    """Write through a private temp file and rename: a reader never sees half a notebook."""
    import nbformat

    output.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{output.stem}.", suffix=".ipynb.part", dir=output.parent)
    _PARTIAL.add(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.replace(name, output)
    finally:
        Path(name).unlink(missing_ok=True)
        _PARTIAL.discard(name)


def discard_partial_writes() -> None:
    """Remove the staging files this process has not finished (called when it is stopped by a signal)."""
    for name in list(_PARTIAL):
        Path(name).unlink(missing_ok=True)


def _shown(path: Path, root: Path) -> str:
    """`path` relative to `root` when it lies inside it, else as given."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def parse_value(text: str) -> Any:
    """A command-line parameter value: a Python literal when it parses as one, else the string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def run_notebooks(sources: Sequence[Path], profile: str, params: dict[str, Any], root: Path,
                  force: bool = False, jobs: int = 1) -> int:
    """Execute each source next to itself; returns the number of failures (each one reported)."""
    status, outcomes = build.build(make_tasks(sources, profile, params, root, force), jobs=jobs)
    return sum(not o.ok for o in outcomes)


def make_tasks(sources: Sequence[Path], profile: str, params: dict[str, Any], root: Path,
               force: bool = False) -> list[build.Task]:
    """One build task per notebook, each given the `-p` values its schema declares (build) or all (run)."""
    return [build.Task(src, src.with_suffix(".ipynb"), {"profile": profile, **params}, root, force)
            for src in sources]


def check_parameters(sources: Sequence[Path], params: dict[str, Any], root: Path,
                     every: bool = True) -> dict[Path, dict[str, Any]]:
    """Validate `-p` values before any kernel starts; returns the values meant for each notebook.

    With `every` (run), each notebook must accept every value; otherwise (build) a value goes to the
    notebooks that declare its name, and a name no notebook knows is refused.
    """
    from .params import cell_parameters, declared, validate

    per: dict[Path, dict[str, Any]] = {}
    for src in sources:
        if not src.exists():
            raise params_error(f"no such notebook: {src}")
        names = set(declared(src, root) or {}) | {n for n, _, _ in cell_parameters(src)}
        mine = params if every else {k: v for k, v in params.items() if k in names}
        validate(src, mine, root)
        per[src] = mine
    if not every:
        known = set().union(*(set(declared(s, root) or {}) | {n for n, _, _ in cell_parameters(s)}
                              for s in sources)) if sources else set()
        for name, value in params.items():
            if name not in known:
                raise params_error(f"unknown parameter {name}={value!r}: no notebook of the book declares "
                                   f"it; valid names are {', '.join(sorted(known))}")
    return per


def params_error(message: str) -> Exception:
    """A one-line refusal of the command line (the schema's error type)."""
    from .params import ParameterError

    return ParameterError(message)


def check_writable(folder: Path, what: str) -> None:
    """Refuse at once, in one line, a cache or output folder that is read-only, full or not a folder."""
    from .params import ParameterError

    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix=".robustbook-write-test.")
        try:
            os.write(fd, b"x" * 4096)
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as err:
        reasons = {13: "it is not writable", 30: "it is on a read-only file system", 28: "the disk is full",
                   122: "the disk quota is exceeded", 20: "a file stands where a folder should be",
                   17: "a file stands where the folder should be"}
        reason = reasons.get(err.errno or 0, err.strerror or str(err))
        raise ParameterError(f"cannot write the {what} at {folder}: {reason}") from None


def cluster_options(executor: str, config: Path | None, partition: str | None, timeout_min: int | None,
                    root: Path) -> build.ClusterOptions:
    """Submitit settings: the YAML file's, then the command line's; logs under _build/submitit by default."""
    conf = build.load_cluster_config(config)
    fields = {k: conf.pop(k) for k in list(conf) if k in build.ClusterOptions.__dataclass_fields__}
    if partition:
        fields["partition"] = partition
    if timeout_min:
        fields["timeout_min"] = timeout_min
    if executor == "submitit-local":
        fields["gpus_per_task"] = 0  # the local stand-in runs on whatever this machine has
    folder = Path(fields.pop("folder", root / "_build" / "submitit"))
    return build.ClusterOptions(folder, **{**fields, "extra": {**fields.get("extra", {}), **conf}})


def cache_folder() -> Path:
    """The cache root (zoo, durations): $ROBUSTBOOK_CACHE, else ~/.cache/robustbook."""
    return Path(os.environ.get("ROBUSTBOOK_CACHE") or Path.home() / ".cache" / "robustbook")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `robustbook` command."""
    from .params import ParameterError, reference_rows, sync_cell

    ap = argparse.ArgumentParser(prog="robustbook", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="notebooks of the book and their parameters")
    pp = sub.add_parser("params", help="check (or --sync) the parameters cells against the schema")
    pp.add_argument("--sync", action="store_true", help="rewrite the cells' comments from robustbook.params")
    for name in ("run", "build"):
        p = sub.add_parser(name, help="execute notebooks" if name == "run" else "execute all, build the book")
        if name == "run":
            p.add_argument("notebooks", nargs="+", type=Path)
        p.add_argument("--profile", default="cpu", choices=sorted(PROFILES))
        p.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
        p.add_argument("--force", action="store_true", help="execute even when a cached run is up to date")
        p.add_argument("--jobs", "-j", type=int, default=1,
                       help="notebooks executed at once, each with a fair share of CPU threads (default 1)")
        p.add_argument("--gpus", default=None, help="GPU ids to pin workers to, e.g. 0,1 (default: all)")
        p.add_argument("--executor", default="pool", choices=build.EXECUTORS,
                       help="pool: local processes; slurm: one array job per notebook via submitit; "
                            "submitit-local: the same path on this machine")
        p.add_argument("--cluster-config", type=Path, default=None,
                       help="YAML file of submitit settings (timeout_min, partition, gpus_per_task, ...)")
        p.add_argument("--partition", default=None, help="Slurm partition")
        p.add_argument("--timeout-min", type=int, default=None, help="time limit of each Slurm task")
        p.add_argument("--sweeps-first", action=argparse.BooleanOptionalAction, default=None,
                       help="train the chapters' sweep recipes (one task each) before the notebooks "
                            "(default: yes with submitit, no with the pool)")
        if name == "build":
            p.add_argument("--no-book", action="store_true", help="execute the notebooks, skip jupyter-book")
        p.add_argument("--fixtures", action="store_true",
                       help="fixture mode: gpu code paths on generated files in the official formats, counts capped")
    sub.add_parser("clean", help="remove executed notebooks and the built book")
    from . import course

    course.add_parser(sub)
    args = ap.parse_args(argv)
    if args.cmd == "course":
        return course.main(args)
    root = repo_root()

    if args.cmd == "list":
        for nb in toc_notebooks(root):
            print(nb.relative_to(root))
            for row in reference_rows(root, [nb]):
                print(f"    {row['parameter']} = {row['default']}  # {row['meaning']}  [{row['allowed']}]")
        return 0
    if args.cmd == "params":
        stale = [nb for nb in toc_notebooks(root) if sync_cell(nb, root, write=args.sync)]
        for nb in stale:
            print(f"{'rewrote' if args.sync else 'differs from the schema:'} {nb.relative_to(root)}")
        return 0 if args.sync or not stale else 1
    if args.cmd == "clean":
        for nb in toc_notebooks(root):
            nb.with_suffix(".ipynb").unlink(missing_ok=True)
        shutil.rmtree(root / "_build", ignore_errors=True)
        print("removed executed notebooks and _build/")
        return 0

    if getattr(args, "fixtures", False):
        os.environ["ROBUSTBOOK_FIXTURES"] = "1"  # the kernels inherit it; setup() then enters fixture mode
    sources = ([Path(n).resolve() for n in args.notebooks] if args.cmd == "run" else toc_notebooks(root))
    try:  # everything a user typed is checked here, before any kernel starts
        params = {k: parse_value(v) for k, v in args.param}
        per = check_parameters(sources, params, root, every=args.cmd == "run")
        if args.jobs < 1:
            raise ParameterError(f"invalid --jobs {args.jobs}: must be at least 1")
        gpus = build.visible_gpus(args.gpus) if args.executor == "pool" else []
        check_writable(cache_folder(), "cache folder")
        for folder in sorted({s.parent for s in sources}):
            check_writable(folder, "output folder")
        cluster = None if args.executor == "pool" else cluster_options(
            args.executor, args.cluster_config, args.partition, args.timeout_min, root)
    except (ParameterError, ValueError) as err:
        print(f"robustbook: {err}", file=sys.stderr)
        return 2
    tasks = [build.Task(src, src.with_suffix(".ipynb"), {"profile": args.profile, **per[src]}, root,
                        args.force) for src in sources]
    seed = int(params.get("seed", 0))  # the recipes of the notebooks to run, at their default knobs
    status, _ = build.build(tasks, jobs=args.jobs, executor=args.executor, gpus=gpus, cluster=cluster,
                            recipes=lambda todo: build.sweep_recipes(args.profile, seed, tasks=todo),
                            sweeps_first=args.sweeps_first)
    if status:
        return status
    if args.cmd == "build" and not args.no_book:
        cmd = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(root), "-W", "-n", "--keep-going"]
        if subprocess.call(cmd, cwd=root) != 0:
            return 1
        print(f"\nThe book is at {root / '_build' / 'html' / 'index.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
