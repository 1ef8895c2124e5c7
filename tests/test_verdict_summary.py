"""The book-wide verdict summary: collection from executed notebooks, its run key, and its place in the build."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from IPython.core.formatters import format_display_data

from _tiny_notebooks import HEADER
from robustbook import verdicts as V
from robustbook.bookbuild import summary as S
from robustbook.bookbuild import execute, schedule

GLUE_PREFIX = "application/papermill.record/"
SUMMARY = HEADER + """```{code-cell} ipython3
from robustbook.bookbuild import summary as S
```
"""
CHAPTER = HEADER + """```{code-cell} ipython3
x = 1
```
"""
TOC = """format: jb-book
root: book/preface
parts:
  - caption: Chapters
    chapters:
      - file: notebooks/p/a
      - file: notebooks/p/b
      - file: notebooks/p/c
  - caption: Back matter
    chapters:
      - file: notebooks/reference/verdicts
"""


def _glue_outputs(verdicts: list[V.Verdict], key: str, monkeypatch) -> list:
    """The outputs `verdicts.publish` leaves in a cell, made by the real function with myst-nb's glue format."""
    import myst_nb

    outputs = []

    def fake_glue(name, value, display=True):
        bundle, meta = format_display_data(value)
        prefix = "" if display else GLUE_PREFIX
        outputs.append(nbformat.v4.new_output("display_data", data={prefix + k: v for k, v in bundle.items()},
                                              metadata={**meta, "scrapbook": {"name": name, "mime_prefix": prefix}}))

    monkeypatch.setattr(myst_nb, "glue", fake_glue)
    V.publish(key, verdicts)
    return outputs


def _executed(path: Path, outputs: list, profile: str = "smoke", current: bool = True) -> None:
    """An executed notebook as the build writes it: its outputs, parameters and run key (a seed copy under
    _build/seeds/seed<N>/ carries seed N); `current=False` leaves a key of older code."""
    from robustbook.bookbuild.notebooks import execution_key

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("publish(...)")
    cell.outputs = outputs
    nb.cells = [cell]
    parts = path.parts
    top = parts.index("_build") if "_build" in parts else parts.index("notebooks")
    source = Path(*parts[:top], *parts[parts.index("notebooks"):]).with_suffix(".md")
    seed = next((int(q.removeprefix("seed")) for q in parts if q.startswith("seed") and q[4:].isdigit()), None)
    parameters = {"profile": profile, **({"seed": seed} if seed is not None else {})}
    key = execution_key(source, parameters) if source.exists() and current else "older-code"
    nb.metadata["robustbook"] = {"parameters": parameters, "key": key}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def _verdicts(met: bool = True) -> list[V.Verdict]:
    pre = V.at_least("clean accuracy", 0.9 if met else 0.1, 0.5)
    return [V.sign_verdict("A beats B", 0.1, 0.05, 0.15, +1, precondition=pre),
            V.bound_verdict("gap below the bound", 1.0, 2.0, control_bound=0.5, precondition=pre),
            V.sign_verdict("C beats D", -0.2, -0.3, -0.1, +1)]


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A tiny repository: a toc of three chapters and the summary page; chapter a built, b without a table."""
    (tmp_path / "_toc.yml").write_text(TOC)
    for rel, text in [("p/a", CHAPTER), ("p/b", CHAPTER), ("p/c", CHAPTER), ("reference/verdicts", SUMMARY)]:
        src = tmp_path / "notebooks" / f"{rel}.md"
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_text(text)
    _executed(tmp_path / "notebooks/p/a.ipynb", _glue_outputs(_verdicts(), "p_a", monkeypatch), "cpu")
    _executed(tmp_path / "notebooks/p/b.ipynb", [])
    return tmp_path


def test_collects_every_chapter_with_status_profile_and_rows(book):
    chapters = S.collect(book)
    assert [c.notebook for c in chapters] == ["notebooks/p/a.md", "notebooks/p/b.md", "notebooks/p/c.md"]
    assert [c.status for c in chapters] == [S.BUILT, S.NO_TABLE, S.NOT_BUILT]  # the summary page is left out
    a = chapters[0]
    assert a.profile == "cpu" and list(a.tables) == ["p_a"]
    rows = a.tables["p_a"]
    assert [r["verdict"] for r in rows] == [V.AGREES, V.AGREES, V.DISAGREES]
    assert set(S.ROW_FIELDS) <= set(rows[0])
    claims = S.claims(chapters)
    assert list(claims["chapter"]) == ["notebooks/p/a.md"] * 3 and set(claims["profile"]) == {"cpu"}
    counts = S.counts(chapters)
    assert list(counts.index) == ["notebooks/p/a.md", "whole book"]
    whole = counts.loc["whole book"]
    assert (whole["claims"], whole["precondition met"], whole[V.AGREES], whole[V.DISAGREES]) == (3, 3, 2, 1)
    assert whole["share met"] == 1.0
    assert list(S.missing(chapters)["status"]) == [S.NO_TABLE, S.NOT_BUILT]


def test_failed_preconditions_count_as_not_testable(book, monkeypatch):
    _executed(book / "notebooks/p/c.ipynb", _glue_outputs(_verdicts(met=False), "p_c", monkeypatch))
    whole = S.counts(S.collect(book)).loc["whole book"]
    assert (whole["claims"], whole["precondition met"], whole[V.NOT_TESTABLE]) == (6, 4, 2)
    assert whole["share met"] == pytest.approx(4 / 6)


def test_a_corrupt_executed_notebook_is_listed_not_fatal(book):
    (book / "notebooks/p/c.ipynb").write_text("{ half a notebook")
    chapters = S.collect(book)
    assert chapters[2].status == S.UNREADABLE and S.records_digest(book)  # the build can still plan


def test_malformed_records_are_a_clear_error():
    with pytest.raises(ValueError, match="JSON"):
        S.parse_records("'not json'")
    with pytest.raises(ValueError, match="list of objects"):
        S.parse_records(repr('{"a": 1}'))


def test_summary_run_key_follows_the_chapters_records(book, monkeypatch):
    summary, chapter = book / "notebooks/reference/verdicts.md", book / "notebooks/p/a.md"
    assert S.reads_executed(summary) and not S.reads_executed(chapter)
    before, chapter_key = execute.run_key(summary, {"profile": "smoke"}), execute.run_key(chapter, {"profile": "smoke"})
    assert execute.run_key(summary, {"profile": "smoke"}) == before  # stable
    _executed(book / "notebooks/p/c.ipynb", _glue_outputs(_verdicts(met=False), "p_c", monkeypatch))
    assert execute.run_key(summary, {"profile": "smoke"}) != before  # a chapter published new records
    assert execute.run_key(chapter, {"profile": "smoke"}) == chapter_key  # other notebooks' keys do not move


@pytest.mark.parametrize("executor", ["pool", "submitit-local"])
def test_build_runs_the_summary_after_every_other_notebook(book, monkeypatch, executor):
    stages: list[list[str]] = []

    def fake_run(tasks, *args, **kwargs):
        stages.append([t.source.name for t in tasks])
        return [schedule.Outcome(t.source, "ran", 0.1) for t in tasks]

    monkeypatch.setattr(schedule, "run_pool", fake_run)
    monkeypatch.setattr(schedule, "run_submitit", fake_run)
    srcs = [book / "notebooks/reference/verdicts.md", book / "notebooks/p/a.md", book / "notebooks/p/b.md"]
    tasks = [schedule.Task(s, s.with_suffix(".ipynb"), {"profile": "smoke"}, book, force=True) for s in srcs]
    status, outcomes = schedule.build(tasks, jobs=2, executor=executor, out=lambda line: None)
    assert status == 0
    assert stages == [["a.md", "b.md"], ["verdicts.md"]]  # the summary page in a stage of its own, last
    assert [o.source for o in outcomes] == srcs  # outcomes in the order of the tasks


def test_an_interrupted_build_leaves_the_summary_for_next_time(book, monkeypatch):
    stages: list[list[str]] = []

    def stopped(tasks, *args, **kwargs):
        stages.append([t.source.name for t in tasks])
        raise schedule.BuildInterrupted(2, [schedule.Outcome(t.source, "interrupted") for t in tasks])

    monkeypatch.setattr(schedule, "run_pool", stopped)
    srcs = [book / "notebooks/p/a.md", book / "notebooks/reference/verdicts.md"]
    tasks = [schedule.Task(s, s.with_suffix(".ipynb"), {"profile": "smoke"}, book, force=True) for s in srcs]
    status, outcomes = schedule.build(tasks, jobs=1, out=lambda line: None)
    assert status == 130 and stages == [["a.md"]]
    assert [o.status for o in outcomes] == ["interrupted", "interrupted"]


def test_a_decisive_verdict_another_seed_flips_reads_unstable_and_demonstrations_are_not_counted(book, monkeypatch):
    from robustbook.bookbuild.notebooks import seed_output

    flipped = [V.sign_verdict("A beats B", -0.1, -0.15, -0.05, +1), *_verdicts()[1:]]  # the first claim flips
    _executed(seed_output(book, book / "notebooks/p/a.md", 1), _glue_outputs(flipped, "p_a", monkeypatch), "cpu")
    _executed(seed_output(book, book / "notebooks/p/a.md", 2), _glue_outputs(_verdicts(), "p_a", monkeypatch), "cpu")
    by_seed = S.other_seeds(book)
    assert sorted(by_seed) == [1, 2]
    claims = S.claims(S.collect(book), by_seed)
    a = claims.set_index("claim")
    assert a.loc["A beats B", "verdict"].startswith("inconclusive (unstable: agrees in this run, disagrees at seed 1")
    assert a.loc["C beats D", "verdict"] == V.DISAGREES and a.loc["C beats D", "seeds"] == "3/3 seeds"
    whole = S.counts(S.collect(book), by_seed).loc["whole book"]
    assert (whole["decisive"], whole["decisive, stable over seeds"], whole[V.INCONCLUSIVE]) == (2, 2, 1)
    for stale in ({"profile": "gpu"}, {"current": False}):  # another profile, or an older build's copy
        _executed(seed_output(book, book / "notebooks/p/a.md", 2), _glue_outputs(_verdicts(), "p_a", monkeypatch),
                  **{"profile": "cpu", **stale})
        assert [c.status for c in S.other_seeds(book)[2]][0] == S.STALE
        assert S.claims(S.collect(book), S.other_seeds(book)).set_index("claim").loc["C beats D", "verdict"] \
            == V.DISAGREES and S.claims(S.collect(book), S.other_seeds(book)).set_index("claim").loc[
                "C beats D", "seeds"] == "2/2 seeds"  # seed 2 set aside: only seeds 0 and 1 confirm
    _executed(seed_output(book, book / "notebooks/p/a.md", 2), _glue_outputs(_verdicts(), "p_a", monkeypatch), "cpu")
    before = S.records_digest(book)
    _executed(seed_output(book, book / "notebooks/p/a.md", 2), _glue_outputs(flipped, "p_a", monkeypatch), "cpu")
    assert S.records_digest(book) != before  # the summary page reruns when another seed's records change
    demo = [V.Verdict("a masked model looks robust", "r", 1.0, 1.0, 1.0, V.AGREES, kind="demonstration")]
    _executed(book / "notebooks/p/c.ipynb", _glue_outputs(demo, "p_c", monkeypatch))
    chapters = S.collect(book)
    assert len(S.demonstrations(chapters)) == 1 and S.counts(chapters).loc["whole book", "claims"] == 3


def test_seed_tasks_put_other_seeds_apart_and_keep_the_summary_at_the_first(book):
    from robustbook.bookbuild.notebooks import toc_notebooks

    for name in ("a", "b"):  # two chapters with a seed parameter; c has none (nothing to vary)
        src = book / "notebooks" / "p" / f"{name}.md"
        src.write_text(src.read_text().replace('profile = "cpu"', 'profile = "cpu"\nseed = 0', 1))
    sources = toc_notebooks(book)
    plain = schedule.seed_tasks(sources, {s: {"profile": "smoke"} for s in sources}, book, [0])
    tasks = schedule.seed_tasks(sources, {s: {"profile": "smoke"} for s in sources}, book, [0, 1])
    assert len(tasks) == 4 + 2  # the summary page and the seedless chapter run once
    assert len({t.key for t in tasks}) == len(tasks)
    assert all(t.output.is_relative_to(book / "_build" / "seeds" / "seed1") for t in tasks
               if t.parameters.get("seed") == 1)
    # seed 0 is every notebook's default: --seeds 0 1 reuses the plain build's executions (same run keys)
    assert [execute.run_key(t.source, t.parameters) for t in tasks[:4]] == \
        [execute.run_key(t.source, t.parameters) for t in plain]
    shifted = schedule.seed_tasks(sources, {s: {"profile": "smoke"} for s in sources}, book, [1, 2])
    assert [t.parameters.get("seed") for t in shifted[:2]] == [1, 1]  # a first seed off the default is passed


def test_a_one_seed_verdict_becomes_decisive_when_the_other_seeds_agree(book, monkeypatch):
    from robustbook.bookbuild.notebooks import seed_output
    from robustbook.papers.registry import Claim

    c = Claim("bai2024:summary-test", "Table 2", "paper-claim", "A beats B", "sign", direction=+1, threshold=0.0,
              threshold_source="book: robustbook.verdicts.NO_MARGIN", preconditions=("above chance",))
    gate = [V.Precondition("above chance", True, "above chance")]
    one = [V.judge(c, 0.1, 0.05, 0.15, gates=gate)]
    assert one[0].outcome.startswith("inconclusive (one seed")
    _executed(book / "notebooks/p/c.ipynb", _glue_outputs(one, "p_c", monkeypatch))
    row = lambda: S.claims(S.collect(book), S.other_seeds(book)).set_index("id").loc["bai2024:summary-test"]
    _executed(seed_output(book, book / "notebooks/p/c.md", 1), _glue_outputs(one, "p_c", monkeypatch))
    assert row()["verdict"].startswith("inconclusive (one seed")  # two seeds are not enough
    _executed(seed_output(book, book / "notebooks/p/c.md", 2), _glue_outputs(one, "p_c", monkeypatch))
    assert row()["verdict"] == V.AGREES and row()["seeds"] == "3/3 seeds"
    assert V.seed_note(1) not in row()["stability"] and "3/3 seeds agree" in row()["stability"]
    per_claim = S.by_claim(S.collect(book), S.other_seeds(book)).set_index("claim")
    assert per_claim.loc["bai2024:summary-test", "rows"] == 1 and per_claim.loc["bai2024:summary-test", V.AGREES] == 1
    # a seed whose own stress test overturned the verdict does not confirm it
    flipped = [V.judge(c, 0.1, 0.05, 0.15, gates=gate, alternatives={"the paper's setting": (-0.1, -0.15, -0.05)})]
    _executed(seed_output(book, book / "notebooks/p/c.md", 2), _glue_outputs(flipped, "p_c", monkeypatch))
    assert row()["verdict"] == "inconclusive (not replicated: agrees in this run, inconclusive at seed 2)"
    flipped = [V.judge(c, -0.1, -0.15, -0.05, gates=gate)]
    _executed(seed_output(book, book / "notebooks/p/c.md", 2), _glue_outputs(flipped, "p_c", monkeypatch))
    assert row()["verdict"].startswith("inconclusive (unstable: agrees in this run, disagrees at seed 2")
    weaker = [V.judge(c, 0.1, -0.05, 0.25, gates=gate)]  # inconclusive at seed 2: not a refutation, no confirmation
    _executed(seed_output(book, book / "notebooks/p/c.md", 2), _glue_outputs(weaker, "p_c", monkeypatch))
    assert row()["verdict"] == "inconclusive (not replicated: agrees in this run, inconclusive at seed 2)"
