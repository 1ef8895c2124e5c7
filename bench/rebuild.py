"""Warm rebuild after a library edit: what `make book` reruns and retrains after (a) a docstring edit in
`models/`, (b) a code edit in `certify/smoothing.py` and (c) an edit of a parameter's help text in `params.py`.

The edits are made in a private copy of `src/` (the working tree is never touched); the notebooks execute
next to their sources as `make book` runs them, with the shared zoo, so the first pass is a warm-up (it runs
whatever is not cached yet) and the two timed passes measure the warm cache. Goal: (a) reruns no notebook and
retrains nothing (under 60 s on 2 cores with the book build); (b) reruns only the notebooks that import
`robustbook.certify` (directly or through another robustbook module) and retrains nothing; (c) retrains nothing:
the zoo key reads only the code that builds, trains and feeds a model, so (c) is measured on the keys of every
zoo recipe the profile's notebooks train (none may move); the notebooks themselves, which import the parameter
schema through `robustbook.setup`, would rerun without training.

    .venv/bin/python bench/rebuild.py [--profile cpu] [--no-book]

`--no-book` times the notebook stage only (`robustbook run` over the table of contents) and skips the
`jupyter-book build` step, whose cost does not depend on the edit.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EDITS = {
    "a: docstring edit in models/small.py": ("models/small.py", '"""The small CNN for 32x32 inputs."""',
                                            '"""The small CNN for 32x32 inputs (docstring edited by bench)."""'),
    "b: code edit in certify/smoothing.py": ("certify/smoothing.py", "\nABSTAIN = ",
                                             "\n_BENCH_EDIT = 1  # a change of substance that alters no result\n"
                                             "ABSTAIN = "),
    "c: help-text edit in params.py (zoo keys)": ("params.py", 'PROFILE = Param("str", \'smoke | cpu | gpu: the budget',
                                       'PROFILE = Param("str", \'smoke | cpu | gpu (edited by bench): the budget'),
}


def build(src: Path, profile: str, book: bool) -> tuple[float, list[str], int]:
    """Run the book's build against the sources in `src`; (seconds, notebooks that ran, models trained)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    zoo = Path(env.get("ROBUSTBOOK_CACHE") or Path.home() / ".cache" / "robustbook") / "zoo"
    before = set(zoo.glob("*.pt")) if zoo.exists() else set()
    if book:
        cmd = [sys.executable, "-m", "robustbook.cli", "build", "--profile", profile]
    else:
        code = ("import sys; from robustbook import cli; from robustbook.bookbuild import notebooks; "
                "root = notebooks.repo_root(); "
                "sys.exit(cli.main(['run', *map(str, notebooks.toc_notebooks(root)), '--profile', sys.argv[1]]))")
        cmd = [sys.executable, "-c", code, profile]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    ran = re.findall(r"^\s+ran\s+(\S+)", proc.stdout, flags=re.M)
    trained = len((set(zoo.glob("*.pt")) if zoo.exists() else set()) - before)
    return seconds, ran, trained


def zoo_keys(src: Path, profile: str) -> dict[str, str]:
    """The zoo key of every recipe the profile's notebooks train, computed from the sources in `src`."""
    code = ("import json, sys; from robustbook.bookbuild import schedule; from robustbook import zoo; "
            "print(json.dumps({f\"{i}: {schedule.recipe_name(r)}\": zoo.key(r) for i, r in enumerate(schedule.sweep_recipes(sys.argv[1], "
            "out=lambda line: None))}))")
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = subprocess.run([sys.executable, "-c", code, profile], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"zoo keys failed:\n{proc.stderr[-3000:]}")
    import json

    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="cpu", choices=("smoke", "cpu", "gpu"))
    ap.add_argument("--no-book", action="store_true", help="time the notebook stage only (no jupyter-book build)")
    ap.add_argument("--edits", nargs="+", default=None, metavar="LETTER",
                    help="only these edits, by letter (default: all)")
    args = ap.parse_args()
    book = not args.no_book
    with tempfile.TemporaryDirectory(prefix="robustbook-bench-") as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        seconds, ran, trained = build(src, args.profile, book)
        print(f"warm-up (fills the cache): {seconds:.0f} s, {len(ran)} notebook(s) ran, {trained} model(s) trained",
              flush=True)
        results, keys = {}, {}
        for name, (rel, old, new) in EDITS.items():
            if args.edits and name.split(":")[0] not in args.edits:
                continue
            path = src / "robustbook" / rel
            original = path.read_text()
            if old not in original:
                sys.exit(f"cannot apply edit {name}: {old!r} is not in {rel}")
            if "zoo keys" in name:
                before = zoo_keys(src, args.profile)
                path.write_text(original.replace(old, new, 1))
                after = zoo_keys(src, args.profile)
                path.write_text(original)
                moved = sorted(k for k in before if before[k] != after.get(k))
                keys[name] = (len(before), moved)
                print(f"  ({name}) {len(moved)} of {len(before)} zoo keys moved", flush=True)
                continue
            executed = {p: p.read_bytes() for p in ROOT.glob("notebooks/**/*.ipynb")}
            path.write_text(original.replace(old, new, 1))
            try:
                results[name] = build(src, args.profile, book)
                seconds, ran, trained = results[name]
                print(f"  ({name}) {seconds:.1f} s; reran {len(ran)}; retrained {trained}", flush=True)
            finally:  # the sources and the executed notebooks as they were before the edit
                path.write_text(original)
                for p, data in executed.items():
                    p.write_bytes(data)
    stage = "make book" if book else "notebook stage of make book"
    print(f"\n{stage}, profile {args.profile}, warm cache, after one edit:")
    for name, (seconds, ran, trained) in results.items():
        print(f"  ({name}) {seconds:.1f} s; reran {len(ran)} notebook(s): {', '.join(ran) or 'none'}; "
              f"retrained {trained} model(s)")
    for name, (total, moved) in keys.items():
        print(f"  ({name}) {len(moved)} of {total} zoo keys moved{': ' + ', '.join(moved) if moved else ''}")


if __name__ == "__main__":
    main()
