"""Cold build of a named subset of the book (or the whole book) with `--jobs 1` and then `--jobs N`, in one
run: prints both wall times, their ratio (goal on 2 cores: >= 1.6x), the longest single notebook (the floor
of any parallel build), and where the rest of the speed-up goes: how much faster each notebook runs on all
the cores than on a worker's share (which caps the ratio at jobs / that gain), and how busy the workers were. With `--sweeps-first` a third build, `--jobs N --sweeps-first`, trains the
chapters' sweep recipes in the pool before the notebooks; its time (the sweep phase included) and ratio are
printed too.

Each build starts from an empty zoo (its own fresh ROBUSTBOOK_CACHE) and re-executes every notebook
(`--force`), so every model is trained in each. The parallel builds get the durations the serial one
recorded, as a second build of a real user would, so they schedule the longest notebooks first. Executed
notebooks are written next to their sources, as `robustbook build` does. OMP_NUM_THREADS is removed from
the environment so each worker gets its fair share of the cores (all of them at --jobs 1).

The default subset (SUBSET) is eight notebooks of five chapters, chosen so that their serial cold `cpu` build
takes more than 10 minutes on an idle 2-core machine (six were not enough once nothing else loaded the
machine: 7.6 min); the script says so when a subset falls short. It prints the longest notebook, whose
share of the serial time bounds what two workers can reach.

    .venv/bin/python bench/build.py                          # the named subset at the cpu profile
    .venv/bin/python bench/build.py --all                    # every notebook of _toc.yml
    .venv/bin/python bench/build.py --profile smoke --sweeps-first   # proves the script (seconds per notebook)
    .venv/bin/python bench/build.py --profile smoke notebooks/wen2020/theory.md notebooks/yi2021/*.md
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Eight notebooks of five chapters (more than 10 minutes serial at cpu on an idle 2-core machine).
SUBSET = [
    "notebooks/nern2023/appendix_b.md",
    "notebooks/yi2021/algorithm1.md",
    "notebooks/foundations/corruptions.md",
    "notebooks/yi2021/pretraining.md",
    "notebooks/yi2021/table3.md",
    "notebooks/yi2021/ood_bounds.md",
    "notebooks/alhamoud2023/empirical.md",
    "notebooks/nern2023/transfer.md",
]


def timed_build(notebooks: list[str], profile: str, jobs: int, cache: Path, sweeps_first: bool = False) -> float:
    """Wall seconds of one `robustbook run --force` of `notebooks` with `jobs` workers and cache `cache`."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env["ROBUSTBOOK_CACHE"] = str(cache)
    cmd = [sys.executable, "-m", "robustbook.cli", "run", *notebooks, "--profile", profile,
           "--jobs", str(jobs), "--force"] + (["--sweeps-first"] if sweeps_first else [])
    print(f"== --jobs {jobs}: {' '.join(cmd[3:])}", flush=True)
    start = time.perf_counter()
    status = subprocess.call(cmd, cwd=ROOT, env=env)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"the --jobs {jobs} build failed (exit {status}); fix it before timing")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="*", help="notebooks to build (default: the named SUBSET)")
    ap.add_argument("--all", action="store_true", help="every notebook of _toc.yml instead of the subset")
    ap.add_argument("--profile", default="cpu")
    ap.add_argument("--jobs", type=int, default=2, help="workers of the parallel build (default 2)")
    ap.add_argument("--sweeps-first", action="store_true",
                    help="also time --jobs N --sweeps-first (the sweep recipes trained in the pool first)")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from robustbook.bookbuild.notebooks import toc_notebooks

    if args.all and args.notebooks:
        ap.error("give notebooks or --all, not both")
    notebooks = ([str(p.relative_to(ROOT)) for p in toc_notebooks(ROOT)] if args.all
                 else args.notebooks or SUBSET)
    if len(notebooks) < 6:
        print(f"note: {len(notebooks)} notebook(s); the benchmark of record uses at least six")
    work = Path(tempfile.mkdtemp(prefix="robustbook-bench-build-"))
    try:
        serial = timed_build(notebooks, args.profile, 1, work / "cache1")
        recorded = json.loads((work / "cache1" / "durations.json").read_text())
        (work / "cache2").mkdir()
        shutil.copy(work / "cache1" / "durations.json", work / "cache2" / "durations.json")
        parallel = timed_build(notebooks, args.profile, args.jobs, work / "cache2")
        # the parallel build re-records each notebook's time, now on its share of the threads
        shared = json.loads((work / "cache2" / "durations.json").read_text())
        swept = None
        if args.sweeps_first:
            (work / "cache3").mkdir()
            shutil.copy(work / "cache1" / "durations.json", work / "cache3" / "durations.json")
            swept = timed_build(notebooks, args.profile, args.jobs, work / "cache3", sweeps_first=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    longest_name, longest = max(recorded.items(), key=lambda kv: kv[1])
    total = sum(recorded.values())
    print(f"\nprofile {args.profile}, {len(notebooks)} notebooks, {os.cpu_count()} cores, cold zoo each time")
    print(f"--jobs 1:  {serial:8.1f} s   (notebooks alone: {total:.1f} s)")
    print(f"--jobs {args.jobs}:  {parallel:8.1f} s")
    print(f"speed-up:  {serial / parallel:8.2f}x   (goal on 2 cores: >= 1.6x)")
    if swept is not None:
        print(f"--jobs {args.jobs} --sweeps-first:  {swept:8.1f} s   speed-up {serial / swept:.2f}x "
              f"(sweep recipes trained in the pool first, that phase included)")
    print(f"longest notebook: {longest_name} {longest:.1f} s = floor of any parallel build without --sweeps-first "
          f"({longest / serial:.0%} of the serial time; the best --jobs {args.jobs} can do is "
          f"{max(longest, total / args.jobs):.1f} s)")
    # Where the speed-up is lost: the serial build gives every notebook all the cores, so its notebooks run
    # faster than the parallel build's (intra-op threads); the parallel build can at best pack the latter.
    same = [k for k in recorded if k in shared]
    thread_gain = sum(shared[k] for k in same) / sum(recorded[k] for k in same)
    packed = sum(shared[k] for k in same) / args.jobs
    print(f"each notebook on all {os.cpu_count()} cores vs on its share: {thread_gain:.2f}x faster "
          f"(intra-op threads); ceiling of the --jobs {args.jobs} speed-up: {args.jobs / thread_gain:.2f}x")
    print(f"packing: --jobs {args.jobs} took {parallel:.1f} s for {packed:.1f} s of work per worker "
          f"({packed / parallel:.0%} busy)")
    print("(wall times: compare them only on a machine nothing else loads between the builds)")
    if args.profile == "cpu" and serial < 600:
        print(f"note: the serial build took {serial / 60:.1f} min; the benchmark of record needs >= 10 min")


if __name__ == "__main__":
    main()
