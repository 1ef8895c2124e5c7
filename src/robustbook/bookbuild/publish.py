"""Publication helpers: the Colab install cell, the profile note on every executed page, the notebooks the
launch buttons open, and the cache key of a whole book build.

The launch buttons of the rendered book (Colab, Binder) open `<branch>/<notebook>.ipynb` of the repository
named in `_config.yml` (`repository.url`, `repository.branch`). The executed notebooks are build outputs,
not in git, so the publication workflow commits them, each with a Colab install cell first, on that branch
(`robustbook.bookbuild.publish notebooks` writes them; `.github/workflows/book.yml` pushes them).

Run as a module: `python -m robustbook.bookbuild.publish key --profile cpu` prints the cache key of a build;
`python -m robustbook.bookbuild.publish notebooks [--commit SHA]` adds the Colab cell to every executed toc notebook.
"""
from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any, Sequence

from .execute import fit_cell, run_key
from .notebooks import git_head, install_requirement, repo_root, repository, site_url, toc_notebooks

COLAB_TAG = "robustbook-colab-install"
ZOO_ARCHIVE = "zoo-{profile}.tar.gz"  # the published zoo of a profile, beside the site's index.html


def zoo_url(root: Path, profile: str = "cpu") -> str:
    """Where the publication workflow puts the trained zoo of `profile`: beside the published site."""
    return f"{site_url(root)}/{ZOO_ARCHIVE.format(profile=profile)}"


def colab_cell(requirement: str, zoo: str | None = None) -> Any:
    """A hidden code cell that, in Colab only, pip-installs `requirement` and imports the published zoo `zoo`
    (a failed import prints one line and the notebook trains its models); elsewhere it does nothing."""
    import nbformat

    source = ("# Colab only: install the robustbook package this page was built with (a no-op elsewhere).\n"
              "try:\n"
              "    import google.colab  # noqa: F401\n"
              "except ImportError:\n"
              "    pass\n"
              "else:\n"
              "    import subprocess, sys\n"
              f"    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"-q\", {requirement!r}], check=True)\n")
    if zoo:
        source += ("    # the trained models of the published book, so this notebook loads them instead of training\n"
                   f"    _zoo = subprocess.run([sys.executable, \"-m\", \"robustbook.cli\", \"zoo\", \"import\", {zoo!r}],\n"
                   "                          capture_output=True, text=True)\n"
                   "    _said = (_zoo.stdout + _zoo.stderr).strip().splitlines()\n"
                   "    print(_said[-1] if _zoo.returncode == 0 and _said else\n"
                   "          f\"note: the published zoo was not imported ({_said[-1] if _said else _zoo.returncode}); \"\n"
                   "          \"this notebook trains its models\")\n")
    return nbformat.v4.new_code_cell(source, metadata={"tags": [COLAB_TAG, "remove-cell"]})


def add_colab_cell(nb: Any, requirement: str, zoo: str | None = None) -> Any:
    """Put the Colab install cell first (replacing an earlier one, so publishing twice adds one cell)."""
    nb.cells = [c for c in nb.cells if COLAB_TAG not in c.get("metadata", {}).get("tags", [])]
    nb.cells.insert(0, fit_cell(nb, colab_cell(requirement, zoo)))
    return nb


def published_notebooks(root: Path) -> list[Path]:
    """The files the publication workflow commits for the launch buttons: each toc notebook's executed copy."""
    return [p.with_suffix(".ipynb") for p in toc_notebooks(root)]


def publish_notebooks(root: Path, commit: str | None = None, profile: str = "cpu") -> list[Path]:
    """Add the Colab install cell to every executed toc notebook in place; returns the files (all must exist)."""
    import nbformat

    repo_url, _ = repository(root)
    requirement = install_requirement(repo_url, commit)
    zoo = zoo_url(root, profile)
    out = published_notebooks(root)
    missing = [p for p in out if not p.exists()]
    if missing:
        raise FileNotFoundError(f"not executed yet: {', '.join(str(p.relative_to(root)) for p in missing)}; "
                                "run `robustbook build` first")
    for path in out:
        nb = nbformat.read(path, as_version=4)
        nbformat.write(add_colab_cell(nb, requirement, zoo), path)
    return out


def book_key(root: Path, profile: str) -> str:
    """One key over the run keys of every toc notebook at `profile`: the Actions cache key of a build."""
    h = hashlib.sha256()
    for src in toc_notebooks(root):
        h.update(src.relative_to(root).as_posix().encode())
        h.update(run_key(src, {"profile": profile}).encode())
    return h.hexdigest()[:24]


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m robustbook.bookbuild.publish key|notebooks`."""
    ap = argparse.ArgumentParser(prog="python -m robustbook.bookbuild.publish", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("key", help="print the cache key of a build at a profile")
    k.add_argument("--profile", default="cpu")
    n = sub.add_parser("notebooks", help="add the Colab install cell to every executed toc notebook")
    n.add_argument("--commit", default=None, help="commit Colab installs robustbook from (default: git HEAD)")
    args = ap.parse_args(argv)
    root = repo_root()
    if args.cmd == "key":
        print(book_key(root, args.profile))
        return 0
    for p in publish_notebooks(root, args.commit or git_head(root)):
        print(p.relative_to(root))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
