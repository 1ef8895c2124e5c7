"""The book-wide verdict summary: every chapter's published verdicts, read from the executed notebooks.

Each chapter publishes its "paper vs here" table with `robustbook.verdicts.publish(KEY, ...)`, which glues
the rows as JSON under `KEY_records`. This module reads those glue outputs (myst-nb keeps them in the
executed `.ipynb`, in outputs whose metadata carries `scrapbook.name`) from every notebook of the table of
contents, so `notebooks/reference/verdicts.md` can list every claim with its precondition and verdict at
the profile that built its page. A notebook that imports this module reads the others' outputs: the build
runs it after every other notebook, and its run key includes `records_digest` (a change of any chapter's
records reruns it).
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..hashing import sha256_json
from ..verdicts import OUTCOMES, outcome_of
from .notebooks import SUMMARY_MODULE, reads_executed, toc_notebooks

assert __name__ == SUMMARY_MODULE  # a notebook importing this module reads the other notebooks' outputs
RECORDS_SUFFIX = "_records"
NOT_BUILT = "not built yet"
NO_TABLE = "no verdict table published"
UNREADABLE = "executed notebook unreadable"  # a half-written or corrupt .ipynb, or malformed records
BUILT = "built"
ROW_FIELDS = ("claim", "source", "kind", "rule", "threshold_source", "effect", "interval", "precondition",
              "precondition met", "control", "stability", "verdict", "id")


@dataclass
class Chapter:
    """One toc notebook: whether it was built, at which profile, and its published verdict tables."""

    notebook: str  # path from the repository root, e.g. notebooks/bai2024/finetuning.md
    status: str  # BUILT, NOT_BUILT or NO_TABLE
    profile: str = ""
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # KEY -> rows


def glued_values(nb: Any) -> dict[str, str]:
    """Every glue key of an executed notebook -> its text/plain value (as myst-nb stored it)."""
    found: dict[str, str] = {}
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            meta = out.get("metadata", {}).get("scrapbook")
            if not meta or "name" not in meta:
                continue
            prefix = meta.get("mime_prefix", "")
            text = out.get("data", {}).get(f"{prefix}text/plain")
            if text is not None:
                found[meta["name"]] = "".join(text) if isinstance(text, list) else text
    return found


def parse_records(text: str) -> list[dict[str, Any]]:
    """The rows of a `KEY_records` glue value (the repr of a JSON string); a clear error if malformed."""
    try:
        rows = json.loads(ast.literal_eval(text))
    except (ValueError, SyntaxError, TypeError) as err:
        raise ValueError(f"a verdict records value must be the repr of a JSON list, got {text[:80]!r}") from err
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueError(f"verdict records must be a JSON list of objects, got {text[:80]!r}")
    return rows


def read_chapter(root: Path, source: Path) -> Chapter:
    """What the executed copy of `source` (a Jupytext `.md` next to its `.ipynb`) published."""
    import nbformat

    rel = _rel(source, root)
    executed = source.with_suffix(".ipynb")
    if not executed.exists():
        return Chapter(rel, NOT_BUILT)
    try:  # a broken chapter must not stop the build from planning: the summary lists it instead
        nb = nbformat.read(executed, as_version=4)
        profile = str(nb.metadata.get("robustbook", {}).get("parameters", {}).get("profile", "unknown"))
        tables = {k.removesuffix(RECORDS_SUFFIX): parse_records(v) for k, v in glued_values(nb).items()
                  if k.endswith(RECORDS_SUFFIX)}
    except Exception:  # noqa: BLE001 - nbformat raises several kinds on a corrupt file
        return Chapter(rel, UNREADABLE)
    return Chapter(rel, BUILT if tables else NO_TABLE, profile, tables)


def chapter_sources(root: Path) -> list[Path]:
    """The toc notebooks whose verdicts the summary reads (the summary pages themselves left out)."""
    return [s for s in toc_notebooks(root) if s.exists() and not reads_executed(s)]


def collect(root: Path | str = ".", sources: Sequence[Path] | None = None) -> list[Chapter]:
    """Every toc chapter (or `sources`) with its status, profile and verdict tables, in book order."""
    root = Path(root).resolve()
    return [read_chapter(root, Path(s)) for s in (chapter_sources(root) if sources is None else sources)]


def records_digest(root: Path | str) -> str:
    """A digest of every chapter's published records and profile: the summary page's run key input."""
    return sha256_json([[c.notebook, c.status, c.profile, c.tables] for c in collect(root)])[:24]


def claims(chapters: Sequence[Chapter]):
    """One row per claim of the book: chapter, table, profile, then the verdict row as published."""
    import pandas as pd

    rows = [{"chapter": c.notebook, "table": key, "profile": c.profile, **{f: r.get(f, "") for f in ROW_FIELDS}}
            for c in chapters for key, rs in c.tables.items() for r in rs]
    return pd.DataFrame(rows, columns=["chapter", "table", "profile", *ROW_FIELDS])


def counts(chapters: Sequence[Chapter]):
    """Per chapter (and a final 'whole book' row): claims, preconditions met, each outcome, share met, and
    the decisive verdicts stable across seeds; demonstrations are left out of every count."""
    import pandas as pd

    frame = claims(chapters)
    frame = frame[frame["kind"] != "demonstration"]
    rows = []
    for name, sub in [*((c.notebook, frame[frame["chapter"] == c.notebook]) for c in chapters
                        if c.status == BUILT), ("whole book", frame)]:
        row: dict[str, Any] = {"chapter": name, "claims": len(sub),
                               "precondition met": int((sub["precondition met"] == "yes").sum())}
        outcomes = sub["verdict"].map(outcome_of)
        for outcome in OUTCOMES:
            row[outcome] = int((outcomes == outcome).sum())
        decisive = sub[outcomes.isin(["agrees", "disagrees"])]
        row["decisive, stress-tested"] = int(decisive["stability"].astype(str).str.contains("runs agree").sum())
        row["share met"] = row["precondition met"] / row["claims"] if row["claims"] else float("nan")
        rows.append(row)
    return pd.DataFrame(rows).set_index("chapter")


def demonstrations(chapters: Sequence[Chapter]):
    """The book's demonstrations (shown apart: never counted for or against a paper)."""
    frame = claims(chapters)
    return frame[frame["kind"] == "demonstration"]


def missing(chapters: Sequence[Chapter]):
    """The chapters with nothing to summarise: not built yet, or built without a verdict table."""
    import pandas as pd

    return pd.DataFrame([{"chapter": c.notebook, "status": c.status, "profile": c.profile or "-"}
                         for c in chapters if c.status != BUILT], columns=["chapter", "status", "profile"])


def _rel(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()
