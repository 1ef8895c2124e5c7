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
from ..verdicts import AGREES, DISAGREES, INCONCLUSIVE, MIN_SEEDS, OUTCOMES, outcome_of, replication, seed_note
from .notebooks import SEEDS_DIR, SUMMARY_MODULE, execution_key, reads_executed, seed_output, toc_notebooks

assert __name__ == SUMMARY_MODULE  # a notebook importing this module reads the other notebooks' outputs
RECORDS_SUFFIX = "_records"
NOT_BUILT = "not built yet"
NO_TABLE = "no verdict table published"
UNREADABLE = "executed notebook unreadable"  # a half-written or corrupt .ipynb, or malformed records
STALE = "another build"  # a seed copy at another profile or parameters than the book's, or of older code or text
BUILT = "built"
ROW_FIELDS = ("claim", "source", "kind", "rule", "threshold_source", "effect", "interval", "precondition",
              "precondition met", "control", "stability", "verdict", "id", "this run")


@dataclass
class Chapter:
    """One toc notebook: whether it was built, at which profile, and its published verdict tables."""

    notebook: str  # path from the repository root, e.g. notebooks/bai2024/finetuning.md
    status: str  # BUILT, NOT_BUILT, NO_TABLE, UNREADABLE or STALE
    profile: str = ""
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # KEY -> rows
    parameters: dict[str, Any] = field(default_factory=dict)  # what it was executed with
    key: str = ""  # the run key it was executed under (`notebooks.execution_key`)


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


def read_chapter(root: Path, source: Path, executed: Path | None = None) -> Chapter:
    """What the executed copy of `source` (a Jupytext `.md` next to its `.ipynb`, or `executed`) published."""
    import nbformat

    rel = _rel(source, root)
    executed = source.with_suffix(".ipynb") if executed is None else executed
    if not executed.exists():
        return Chapter(rel, NOT_BUILT)
    try:  # a broken chapter must not stop the build from planning: the summary lists it instead
        nb = nbformat.read(executed, as_version=4)
        meta = nb.metadata.get("robustbook", {})
        parameters = dict(meta.get("parameters", {}))
        profile = str(parameters.get("profile", "unknown"))
        tables = {k.removesuffix(RECORDS_SUFFIX): parse_records(v) for k, v in glued_values(nb).items()
                  if k.endswith(RECORDS_SUFFIX)}
    except Exception:  # noqa: BLE001 - nbformat raises several kinds on a corrupt file
        return Chapter(rel, UNREADABLE)
    return Chapter(rel, BUILT if tables else NO_TABLE, profile, tables, parameters, str(meta.get("key", "")))


def chapter_sources(root: Path) -> list[Path]:
    """The toc notebooks whose verdicts the summary reads (the summary pages themselves left out)."""
    return [s for s in toc_notebooks(root) if s.exists() and not reads_executed(s)]


def collect(root: Path | str = ".", sources: Sequence[Path] | None = None) -> list[Chapter]:
    """Every toc chapter (or `sources`) with its status, profile and verdict tables, in book order."""
    root = Path(root).resolve()
    return [read_chapter(root, Path(s)) for s in (chapter_sources(root) if sources is None else sources)]


def other_seeds(root: Path | str = ".") -> dict[int, list[Chapter]]:
    """The chapters executed at other training seeds (`robustbook build --seeds ...`), by seed. A seed copy
    counts only when it was executed with the book's own parameters but the seed, from today's source and code:
    a copy left over from another profile or an older build reads STALE and confirms nothing."""
    root = Path(root).resolve()
    sources = chapter_sources(root)
    book = {s: read_chapter(root, s) for s in sources}
    out: dict[int, list[Chapter]] = {}
    for folder in sorted((root / SEEDS_DIR).glob("seed*")):
        seed = folder.name.removeprefix("seed")
        if not seed.isdigit():
            continue
        chapters = []
        for s in sources:
            c = read_chapter(root, s, seed_output(root, s, int(seed)))
            if c.status in (BUILT, NO_TABLE) and not (
                    _but_seed(c.parameters) == _but_seed(book[s].parameters)
                    and c.key == execution_key(s, c.parameters) and book[s].key == execution_key(s, book[s].parameters)):
                c = Chapter(c.notebook, STALE, c.profile, {}, c.parameters, c.key)
            chapters.append(c)
        out[int(seed)] = chapters
    return out


def _but_seed(parameters: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in parameters.items() if k != "seed"}


def records_digest(root: Path | str) -> str:
    """A digest of every chapter's published records and profile, at every seed built: the summary page's run
    key input."""
    seeds = {n: [[c.notebook, c.status, c.profile, c.tables] for c in chs] for n, chs in other_seeds(root).items()}
    return sha256_json([[[c.notebook, c.status, c.profile, c.tables] for c in collect(root)], seeds])[:24]


def _row_key(chapter: str, table: str, row: dict[str, Any]) -> tuple[str, str, str]:
    return chapter, table, str(row.get("claim", ""))


def seed_outcomes(by_seed: dict[int, list[Chapter]]) -> dict[tuple[str, str, str], dict[int, str]]:
    """(chapter, table, claim) -> {seed: outcome} over the other seeds' executions."""
    out: dict[tuple[str, str, str], dict[int, str]] = {}
    for seed, chapters in by_seed.items():
        for c in chapters:
            for key, rows in c.tables.items():
                for r in rows:
                    this_run = str(r.get("this run") or r.get("verdict", ""))
                    out.setdefault(_row_key(c.notebook, key, r), {})[seed] = outcome_of(this_run)
    return out


def seed_stability(outcome: str, others: dict[int, str]) -> str:
    """How a verdict fares at the other seeds: '3/3 seeds', 'unstable: agrees in this run, disagrees at seed 1',
    'not replicated: agrees in this run, inconclusive at seed 2', 'varies: ...' (this run not decisive), or ''
    when none ran."""
    if not others:
        return ""
    mine = outcome_of(outcome)
    if all(o == mine for o in others.values()):
        return f"{len(others) + 1}/{len(others) + 1} seeds"
    return replication(mine, {f"at seed {s}": o for s, o in sorted(others.items())})


def claims(chapters: Sequence[Chapter], by_seed: dict[int, list[Chapter]] | None = None):
    """One row per claim of the book: chapter, table, profile, then the verdict row as published, and (when
    other seeds were built) how the verdict fares at them; a decisive verdict that another seed flips reads
    "inconclusive (unstable: ...)"."""
    import pandas as pd

    others = seed_outcomes(by_seed or {})
    rows = []
    for c in chapters:
        for key, rs in c.tables.items():
            for r in rs:
                row = {"chapter": c.notebook, "table": key, "profile": c.profile,
                       **{f: r.get(f, "") for f in ROW_FIELDS}}
                this_run = outcome_of(str(r.get("this run") or row["verdict"]))
                at_seeds = others.get(_row_key(c.notebook, key, r), {})
                seeds = seed_stability(this_run, at_seeds)
                row["seeds"] = seeds
                if this_run in (AGREES, DISAGREES) and at_seeds:
                    if not seeds.endswith(" seeds"):  # unstable, or not replicated
                        row["verdict"] = f"{INCONCLUSIVE} ({seeds})"
                    elif len(at_seeds) + 1 >= MIN_SEEDS and str(row["verdict"]).startswith(f"{INCONCLUSIVE} (one seed"):
                        row["verdict"] = this_run  # decisive: it held at every seed the rule asks for
                        row["stability"] = str(row["stability"]).replace(
                            seed_note(1), f"{seeds} agree after their own stress tests (robustbook build --seeds)")
                rows.append(row)
    return pd.DataFrame(rows, columns=["chapter", "table", "profile", *ROW_FIELDS, "seeds"])


def counts(chapters: Sequence[Chapter], by_seed: dict[int, list[Chapter]] | None = None):
    """Per chapter (and a final 'whole book' row): claims, preconditions met, each outcome, share met, and
    the decisive verdicts stable across seeds; demonstrations are left out of every count."""
    import pandas as pd

    frame = claims(chapters, by_seed)
    frame = frame[frame["kind"] != "demonstration"]
    rows = []
    for name, sub in [*((c.notebook, frame[frame["chapter"] == c.notebook]) for c in chapters
                        if c.status == BUILT), ("whole book", frame)]:
        row: dict[str, Any] = {"chapter": name, "claims": len(sub),
                               "precondition met": int((sub["precondition met"] == "yes").sum())}
        outcomes = sub["verdict"].map(outcome_of)
        for outcome in OUTCOMES:
            row[outcome] = int((outcomes == outcome).sum())
        decisive = sub[outcomes.isin([AGREES, DISAGREES])]
        row["decisive"] = len(decisive)
        row["decisive, stress-tested"] = int(decisive["stability"].astype(str).str.contains("runs agree").sum())
        row["decisive, stable over seeds"] = int(decisive["seeds"].astype(str).str.endswith(" seeds").sum())
        row["share met"] = row["precondition met"] / row["claims"] if row["claims"] else float("nan")
        rows.append(row)
    return pd.DataFrame(rows).set_index("chapter")


def by_claim(chapters: Sequence[Chapter], by_seed: dict[int, list[Chapter]] | None = None):
    """One row per registered claim (demonstrations left out): its source, how many verdict rows (settings: a
    model, a corruption, a radius) judge it, and how many of those rows reach each outcome. A claim judged in
    many settings is one claim: the tallies per row weigh it by its settings, this table does not."""
    import pandas as pd

    frame = claims(chapters, by_seed)
    frame = frame[(frame["kind"] != "demonstration") & (frame["id"].astype(str) != "")]
    rows = []
    for cid, sub in frame.groupby("id", sort=False):
        outcomes = sub["verdict"].map(outcome_of)
        rows.append({"claim": cid, "source": sub["source"].iloc[0], "kind": sub["kind"].iloc[0],
                     "rows": len(sub), **{o: int((outcomes == o).sum()) for o in OUTCOMES}})
    return pd.DataFrame(rows, columns=["claim", "source", "kind", "rows", *OUTCOMES])


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
