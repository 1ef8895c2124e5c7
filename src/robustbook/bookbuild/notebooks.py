"""The notebooks of the book: which ones the table of contents lists, which robustbook modules each imports,
and which of them read the other notebooks' executed outputs (the verdict summary)."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from ..hashing import code_digest, package_dir, sha256_json
from ..runtime import fixture_mode

# A notebook that imports this module reads the other notebooks' executed outputs (the verdict summary).
SUMMARY_MODULE = "robustbook.bookbuild.summary"
# `robustbook build --seeds 0 1 2`: the executions at other training seeds, kept out of the book's sources
SEEDS_DIR = Path("_build") / "seeds"


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

    from ..hashing import imports_of_source

    code = []
    for cell in jupytext.read(source).cells:
        if cell.cell_type == "code":  # IPython magics and shell escapes are not Python: drop those lines
            code.extend(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
    return sorted(imports_of_source("\n".join(code)))


def reads_executed(source: Path) -> bool:
    """True for a notebook that reads the other notebooks' outputs (it imports the summary module)."""
    if SUMMARY_MODULE.rsplit(".", 1)[1] not in source.read_text():  # fast path: most notebooks never name it
        return False
    return SUMMARY_MODULE in notebook_imports(source)


def shown(path: Path, root: Path) -> str:
    """`path` relative to `root` when it lies inside it, else as given."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def seed_output(root: Path, source: Path, seed: int) -> Path:
    """Where the execution of `source` at another training seed is written: _build/seeds/seed<N>/<path>.ipynb."""
    return root / SEEDS_DIR / f"seed{seed}" / source.resolve().relative_to(root.resolve()).with_suffix(".ipynb")


def profile_defaults(table: str, name: str) -> dict[str, Any]:
    """The per-profile default of a knob whose None means "the profile default", read from where it lives:
    `table` is "<module>:<per-profile table>[.<field>]" (a parameter's `robustbook.params.Param.table`)."""
    import dataclasses
    import importlib

    module, _, rest = table.partition(":")
    attr, _, field = rest.partition(".")
    per_profile = getattr(importlib.import_module(module), attr)
    field = field or name
    out = {}
    for profile, settings in per_profile.items():
        if not (dataclasses.is_dataclass(settings) and hasattr(settings, field)):
            raise ValueError(f"{table}: {profile} settings have no field {field!r} (the default of {name!r})")
        out[profile] = getattr(settings, field)
    return out


def repository(root: Path) -> tuple[str, str]:
    """(repository url, branch) that the book's launch buttons point at, from `_config.yml`."""
    import yaml

    repo = yaml.safe_load((root / "_config.yml").read_text()).get("repository", {})
    return str(repo.get("url", "")).rstrip("/"), str(repo.get("branch", "main"))


def site_url(root: Path) -> str:
    """The published book's address: `html.baseurl` of `_config.yml`, else GitHub Pages of its repository."""
    import yaml

    base = str((yaml.safe_load((root / "_config.yml").read_text()).get("html") or {}).get("baseurl") or "")
    if base:
        return base.rstrip("/")
    url, _ = repository(root)
    parts = url.removeprefix("https://github.com/").split("/")
    if not url.startswith("https://github.com/") or len(parts) != 2:
        raise ValueError(f"no html.baseurl in _config.yml and {url!r} is not a GitHub repository")
    return f"https://{parts[0].lower()}.github.io/{parts[1]}"


def git_head(root: Path) -> str | None:
    """The commit checked out at `root` (None outside a git checkout, or without git)."""
    try:
        out = subprocess.run(["git", "rev-parse", "--verify", "HEAD^{commit}"], cwd=root, capture_output=True,
                             text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return out if len(out) == 40 and all(c in "0123456789abcdef" for c in out) else None


def install_requirement(repo_url: str, commit: str | None) -> str:
    """The pip requirement a launched notebook installs: the lean `run` extra at `commit`, else this version."""
    from .. import __version__

    if commit and repo_url:
        return f"robustbook[run] @ git+{repo_url}@{commit}"
    return f"robustbook[run]=={__version__}"


def package_fingerprint(source: Path | None = None) -> str:
    """Digest of the robustbook code a notebook runs: the modules it imports, transitively, from their
    syntax trees (docstrings and comments do not count); without a notebook, of the whole package."""
    if source is not None:
        return code_digest(notebook_imports(source))[:16]
    pkg = package_dir()
    names = ["robustbook." + ".".join(p.relative_to(pkg).with_suffix("").parts).removesuffix(".__init__")
             for p in sorted(pkg.rglob("*.py"))]
    return code_digest([n.removesuffix(".") for n in names])[:16]


def execution_key(source: Path, parameters: dict[str, Any], records: str | None = None) -> str:
    """The cache key of one execution: the notebook's text, its parameters and the code it imports, and for a
    page that reads the executed chapters the digest of their `records` (see `execute.run_key`)."""
    key: dict[str, Any] = {"src": source.read_text(), "params": parameters, "code": package_fingerprint(source),
                           "fixtures": fixture_mode()}
    if records is not None:
        key["records"] = records
    return sha256_json(key)[:24]
