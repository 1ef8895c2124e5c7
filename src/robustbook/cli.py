"""`robustbook list | run | build | clean`: execute Jupytext notebooks with papermill, then build the book.

An executed notebook is written next to its source (`chapter.md` -> `chapter.ipynb`, gitignored) and
remembers the hash of its source, parameters and package; an unchanged notebook is not run again.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from . import __version__
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


def package_fingerprint() -> str:
    """sha256 of the package source, so a library change reruns the notebooks that use it."""
    pkg = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(pkg.rglob("*.py")):
        h.update(p.relative_to(pkg).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def run_key(source: Path, parameters: dict[str, Any]) -> str:
    """The cache key of one execution: source text, parameters, package version and source."""
    blob = json.dumps({"src": source.read_text(), "params": parameters, "version": __version__,
                       "pkg": package_fingerprint(), "fixtures": fixture_mode()}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def notebook_parameters(source: Path) -> list[tuple[str, str, str]]:
    """(name, default, comment) of each assignment in the `parameters` cell of a Jupytext notebook."""
    import jupytext

    nb = jupytext.read(source)
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            out = []
            for line in cell.source.splitlines():
                code, _, comment = line.partition("#")
                if "=" in code and not code.startswith((" ", "\t")):
                    name, _, value = code.partition("=")
                    out.append((name.strip(), value.strip(), comment.strip()))
            return out
    return []


class NotebookFailed(RuntimeError):
    """A notebook raised; the message names the notebook, the cell and the error."""


def execute(source: Path, output: Path, parameters: dict[str, Any], cwd: Path, force: bool = False,
            quiet: bool = False) -> bool:
    """Execute `source` into `output` with papermill unless an up-to-date copy is there; True if it ran."""
    import jupytext
    import nbformat
    import papermill as pm

    from .publish import mark_profile

    key = run_key(source, parameters)
    if not force and output.exists():
        try:
            meta = nbformat.read(output, as_version=4).metadata.get("robustbook", {})
            if meta.get("key") == key:
                if not quiet:
                    print(f"  cached  {_shown(source, cwd)}")
                return False
        except Exception:
            pass
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    start = time.perf_counter()
    try:  # papermill executes the notebook in memory; only the finished notebook is written
        done = pm.execute_notebook(nb, None, parameters=parameters, kernel_name="python3", cwd=str(cwd),
                                   progress_bar=False, log_output=False)
    except pm.PapermillExecutionError as err:
        raise NotebookFailed(f"{source}: cell {err.exec_count} raised {err.ename}: {err.evalue}\n"
                             + "\n".join(err.traceback[-6:])) from None
    mark_profile(done, parameters)  # each page says which profile produced it
    done.metadata["robustbook"] = {"key": key, "parameters": parameters,
                                   "seconds": round(time.perf_counter() - start, 1)}
    _write_atomic(done, output)
    if not quiet:
        print(f"  ran     {_shown(source, cwd)} in {time.perf_counter() - start:.0f} s")
    return True


def _write_atomic(nb: Any, output: Path) -> None:
    """Write through a private temp file and rename: a reader never sees half a notebook."""
    import nbformat

    output.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{output.stem}.", suffix=".ipynb.part", dir=output.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.replace(name, output)
    finally:
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
                  force: bool = False) -> int:
    """Execute each source next to itself; returns the number of failures (each one reported)."""
    failures = 0
    parameters = {"profile": profile, **params}
    for src in sources:
        if not src.exists():
            print(f"  missing {src}", file=sys.stderr)
            failures += 1
            continue
        try:
            execute(src, src.with_suffix(".ipynb"), parameters, root, force)
        except NotebookFailed as err:
            print(f"FAILED {err}", file=sys.stderr)
            failures += 1
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `robustbook` command."""
    ap = argparse.ArgumentParser(prog="robustbook", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="notebooks of the book and their parameters")
    for name in ("run", "build"):
        p = sub.add_parser(name, help="execute notebooks" if name == "run" else "execute all, build the book")
        if name == "run":
            p.add_argument("notebooks", nargs="+", type=Path)
        p.add_argument("--profile", default="cpu", choices=sorted(PROFILES))
        p.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
        p.add_argument("--force", action="store_true", help="execute even when a cached run is up to date")
        p.add_argument("--fixtures", action="store_true",
                       help="fixture mode: gpu code paths on generated files in the official formats, counts capped")
    sub.add_parser("clean", help="remove executed notebooks and the built book")
    args = ap.parse_args(argv)
    root = repo_root()

    if args.cmd == "list":
        for nb in toc_notebooks(root):
            print(nb.relative_to(root))
            for name, value, comment in notebook_parameters(nb):
                print(f"    {name} = {value}" + (f"  # {comment}" if comment else ""))
        return 0
    if args.cmd == "clean":
        for nb in toc_notebooks(root):
            nb.with_suffix(".ipynb").unlink(missing_ok=True)
        shutil.rmtree(root / "_build", ignore_errors=True)
        print("removed executed notebooks and _build/")
        return 0

    if getattr(args, "fixtures", False):
        os.environ["ROBUSTBOOK_FIXTURES"] = "1"  # the kernels inherit it; setup() then enters fixture mode
    params = {k: parse_value(v) for k, v in args.param}
    sources = ([Path(n).resolve() for n in args.notebooks] if args.cmd == "run" else toc_notebooks(root))
    print(f"executing {len(sources)} notebook(s) at profile {args.profile!r}")
    failures = run_notebooks(sources, args.profile, params, root, args.force)
    if failures:
        print(f"{failures} notebook(s) failed", file=sys.stderr)
        return 1
    if args.cmd == "build":
        cmd = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(root), "-W", "-n", "--keep-going"]
        if subprocess.call(cmd, cwd=root) != 0:
            return 1
        print(f"\nThe book is at {root / '_build' / 'html' / 'index.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
