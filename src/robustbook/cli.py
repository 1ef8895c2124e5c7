"""`robustbook list | params | run | build | clean | course | zoo`: the command line. It parses arguments and hands
them to `robustbook.bookbuild`, which executes the notebooks (papermill, run keys, a pool or submitit) and
builds the book."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Sequence

from .bookbuild import course, schedule, zooarchive
from .bookbuild.execute import check_parameters, check_writable, parse_value
from .bookbuild.notebooks import profile_defaults, repo_root, toc_notebooks
from .params import ParameterError, reference_rows, sync_cell
from .profiles import PROFILES
from .runtime import cache_root


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `robustbook` command."""

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
        p.add_argument("--jobs", "-j", default="1",
                       help="notebooks executed at once, each with a fair share of CPU threads; 'auto': one per "
                            "available CPU (default 1)")
        p.add_argument("--gpus", default=None, help="GPU ids to pin workers to, e.g. 0,1 (default: all)")
        p.add_argument("--executor", default="pool", choices=schedule.EXECUTORS,
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
            p.add_argument("--seeds", type=int, nargs="+", default=None, metavar="SEED",
                           help="also execute every chapter at these training seeds (the first is the book's; "
                                "the others go to _build/seeds/) and judge each decisive verdict's stability")
        p.add_argument("--fixtures", action="store_true",
                       help="fixture mode: gpu code paths on generated files in the official formats, counts capped")
    sub.add_parser("clean", help="remove executed notebooks and the built book")
    course.add_parser(sub)
    zooarchive.add_parser(sub)
    args = ap.parse_args(argv)
    if args.cmd == "course":
        return course.main(args)
    if args.cmd == "zoo":  # works outside the repository too (a launched notebook imports the published zoo)
        return zooarchive.main(args)
    root = repo_root()

    if args.cmd == "list":
        for nb in toc_notebooks(root):
            print(nb.relative_to(root))
            for row in reference_rows(root, [nb]):
                line = f"    {row['parameter']} = {row['default']}  # {row['meaning']}  [{row['allowed']}]"
                if row["profile defaults"]:
                    per = profile_defaults(row["profile defaults"], row["parameter"])
                    line += "  (None: " + ", ".join(f"{p} {v}" for p, v in per.items()) + ")"
                print(line)
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
        args.jobs = schedule.parse_jobs(args.jobs)
        gpus = schedule.visible_gpus(args.gpus) if args.executor == "pool" else []
        check_writable(cache_root(), "cache folder")
        for folder in sorted({s.parent for s in sources}):
            check_writable(folder, "output folder")
        cluster = None if args.executor == "pool" else schedule.cluster_options(
            args.executor, args.cluster_config, args.partition, args.timeout_min, root)
    except (ParameterError, ValueError) as err:
        print(f"robustbook: {err}", file=sys.stderr)
        return 2
    seeds = getattr(args, "seeds", None) or [int(params.get("seed", 0))]
    if len(seeds) > 1 and "seed" in params:
        print("robustbook: give the seeds with --seeds or with -p seed, not both", file=sys.stderr)
        return 2
    tasks = schedule.seed_tasks(sources, {src: {"profile": args.profile, **per[src]} for src in sources}, root,
                                seeds, args.force)
    status, _ = schedule.build(tasks, jobs=args.jobs, executor=args.executor, gpus=gpus, cluster=cluster,
                               recipes=lambda todo: [r for s in seeds
                                                     for r in schedule.sweep_recipes(args.profile, s, tasks=todo)],
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
