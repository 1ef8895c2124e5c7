"""Student and instructor editions of every chapter, generated from the same Jupytext source.

A chapter's exercises use sphinx-exercise's gated form: an ``{exercise-start}`` ... ``{exercise-end}`` block,
then a ``{solution-start} LABEL`` ... ``{solution-end}`` block that holds the solution text and its code cells.

* **Student edition**: every solution block is removed. Where the solution has code, or where
  `robustbook.exercises` knows how to check the answer, the student gets a *stub* cell (the names to fill, ``...``
  and a ``raise NotImplementedError`` with a one-line hint) and a *check* cell below it; exercises that are
  proofs get a self-check list. A Colab badge and a hidden first cell that installs the package in Colab
  open the notebook; after the setup cell, `use_course_zoo()` loads trained models from the course's zoo when
  the machine has no GPU.
* **Instructor edition**: the solutions in place, executed (copied from the book's executed notebook when it
  is up to date, or run with papermill by ``robustbook course build --execute``).

This module imports neither torch nor the notebooks' libraries: building the editions is text processing.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

COLAB_REPO = "robustbook/robustbook"  # where `--publish-branch` of the student edition lives on GitHub
COLAB_BRANCH = "course-edition"
STUB_TAG, CHECK_TAG, INSTALL_TAG = "stub", "check", "colab-install"

_DIRECTIVE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<kind>exercise|solution)-(?P<edge>start|end)\}\s*(?P<arg>\S*)\s*$")


@dataclass
class Block:
    """One gated exercise or solution block: its label, line span [start, end) and contents."""

    kind: str  # "exercise" | "solution"
    label: str
    start: int
    end: int
    lines: list[str]

    def code_cells(self) -> list[str]:
        """The sources of the ``{code-cell}`` cells inside the block, options stripped."""
        return _code_cells(self.lines)

    def text(self) -> str:
        """The block as it stands in the source."""
        return "\n".join(self.lines)


@dataclass
class Chapter:
    """A Jupytext source split into its exercise and solution blocks."""

    path: Path
    lines: list[str]
    blocks: list[Block] = field(default_factory=list)

    @property
    def exercises(self) -> list[Block]:
        """The exercise blocks, in order."""
        return [b for b in self.blocks if b.kind == "exercise"]

    @property
    def solutions(self) -> dict[str, Block]:
        """The solution blocks by the label of their exercise."""
        return {b.label: b for b in self.blocks if b.kind == "solution"}

    def outside_solutions(self) -> str:
        """The source with every solution block cut out (what a student may see)."""
        keep = [True] * len(self.lines)
        for b in self.blocks:
            if b.kind == "solution":
                keep[b.start:b.end] = [False] * (b.end - b.start)
        return "\n".join(line for line, k in zip(self.lines, keep) if k)


def _directive_end(lines: list[str], i: int, fence: str) -> int:
    """Index just past the closing fence of the directive opened at line `i`."""
    j = i + 1
    while j < len(lines) and lines[j].strip() != fence:
        j += 1
    if j == len(lines):
        raise ValueError(f"line {i + 1}: directive {lines[i].strip()!r} is never closed by {fence!r}")
    return j + 1


def parse(path: Path | str, text: str | None = None) -> Chapter:
    """Split a Jupytext MyST source into exercise and solution blocks (gated sphinx-exercise form)."""
    path = Path(path)
    lines = (path.read_text() if text is None else text).splitlines()
    chapter = Chapter(path, lines)
    i, open_block = 0, None
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i])
        if not m:
            i += 1
            continue
        kind, edge, fence = m["kind"], m["edge"], m["fence"]
        stop = _directive_end(lines, i, fence)
        if edge == "start":
            if open_block is not None:
                raise ValueError(f"{path}:{i + 1}: {kind}-start inside an open {open_block[0]} block")
            label = m["arg"]
            if kind == "exercise":
                label = next((ln.split(":label:", 1)[1].strip() for ln in lines[i + 1:stop]
                              if ln.strip().startswith(":label:")), "")
            if not label:
                raise ValueError(f"{path}:{i + 1}: {kind}-start without a label")
            open_block = (kind, label, i)
        else:
            if open_block is None or open_block[0] != kind:
                raise ValueError(f"{path}:{i + 1}: {kind}-end without a matching {kind}-start")
            _, label, start = open_block
            chapter.blocks.append(Block(kind, label, start, stop, lines[start:stop]))
            open_block = None
        i = stop
    if open_block is not None:
        raise ValueError(f"{path}: {open_block[0]} block {open_block[1]!r} is never ended")
    return chapter


def _code_cells(lines: Sequence[str]) -> list[str]:
    """Sources of the ``{code-cell}`` fences in `lines`, their ``:option:`` lines removed."""
    cells, i = [], 0
    while i < len(lines):
        m = re.match(r"^(`{3,})\{code-cell\}", lines[i])
        if not m:
            i += 1
            continue
        j = i + 1
        body = []
        while j < len(lines) and lines[j].strip() != m[1]:
            body.append(lines[j])
            j += 1
        while body and (body[0].startswith(":") or not body[0].strip()):
            body.pop(0)
        cells.append("\n".join(body).rstrip())
        i = j + 1
    return cells


# ---------------------------------------------------------------------------------------------------------
# What a notebook (Jupyter, Colab) can show of MyST: directives become plain markdown.

def _notebook_markdown(text: str) -> str:
    """Roles and colon-fence boxes that Jupyter cannot render, rewritten as plain markdown."""
    text = re.sub(r"\{cite(?::\w+)?\}`([^`]+)`", lambda m: "[" + m[1].replace(",", "; ") + "]", text)
    text = re.sub(r"\{(?:doc|ref|numref|prf:ref)\}`([^`<]*?)\s*<[^`]+>`", r"*\1*", text)
    text = re.sub(r"\{(?:doc|ref|numref|prf:ref)\}`([^`]+)`", r"*\1*", text)
    out, inside = [], False
    for line in text.split("\n"):
        m = re.match(r"^:{3,}\{(?:prf:)?(\w+)\}\s*(.*)$", line)
        if m and not inside:
            kind, title = m[1], m[2]
            out.append(f"> **{title or kind.title()}**" if title else f"> **{kind.title()}**")
            inside = True
        elif inside and re.match(r"^:{3,}\s*$", line):
            inside = False
        elif inside:
            if not re.match(r"^:(label|nonumber|class):", line):
                out.append("> " + line if line else ">")
        else:
            out.append(line)
    return "\n".join(out)


def _md_cell(source: str) -> str:
    """A markdown stretch between code cells (jupytext keeps it as one markdown cell)."""
    return f"\n{source.strip()}\n"


def _code_cell(source: str, tags: Iterable[str] = ()) -> str:
    """A MyST ``{code-cell}`` with the given tags."""
    tags = list(tags)
    opts = f":tags: [{', '.join(tags)}]\n\n" if tags else ""
    return f"\n```{{code-cell}} ipython3\n{opts}{source.rstrip()}\n```\n"


# ---------------------------------------------------------------------------------------------------------
# The two editions as MyST text, then as notebooks.

def _exercise_heading(block: Block, number: int) -> list[str]:
    """The exercise's statement, its directive lines replaced by a heading."""
    lines = block.lines
    body_start = _directive_end(lines, 0, _DIRECTIVE.match(lines[0])["fence"])
    body = lines[body_start:]
    m_end = next(k for k in range(len(body) - 1, -1, -1) if _DIRECTIVE.match(body[k]))
    return [f"### Exercise {number} (`{block.label}`)", "", *body[:m_end]]


def _solution_body(block: Block) -> list[str]:
    """A solution's contents without its directive lines."""
    lines = block.lines
    body_start = _directive_end(lines, 0, _DIRECTIVE.match(lines[0])["fence"])
    body = lines[body_start:]
    m_end = next(k for k in range(len(body) - 1, -1, -1) if _DIRECTIVE.match(body[k]))
    return body[:m_end]


def student_stub(label: str, solution: Block | None) -> list[str]:
    """The stub, check and self-check cells that replace a solution in the student edition (MyST lines)."""
    from .. import exercises

    spec = exercises.EXERCISES.get(label)
    pieces: list[str] = []
    code = solution.code_cells() if solution is not None else []
    if spec is not None and spec.self_check:
        items = "\n".join(f"- [ ] {item}" for item in spec.self_check)
        pieces.append(_md_cell(f"**Self-check** before you compare with a classmate or the instructor edition:\n\n{items}"))
    if spec is not None and spec.stub is not None:
        stub = spec.stub
    elif code:
        hint = (spec.hint if spec else "") or ("write your solution, then run the check below"
                                               if spec is not None and spec.check else "write your solution here")
        stub = auto_stub("\n\n".join(code), hint)
    else:
        stub = None
    if stub is not None:
        pieces.append(_code_cell(stub, [STUB_TAG, f"exercise-{label}"]))
    if spec is not None and spec.check is not None:
        pieces.append(_code_cell(f"from robustbook import exercises\n{spec.check}", [CHECK_TAG, f"exercise-{label}"]))
    return "".join(pieces).split("\n") if pieces else []


def auto_stub(code: str, hint: str = "") -> str:
    """A stub derived from solution code: its functions' signatures (and docstrings) with bodies to write."""
    import ast

    hint = hint or "write your solution here"
    stubs = []
    try:
        tree = ast.parse(code)
    except SyntaxError:  # IPython magics and the like: no signatures to offer
        tree = ast.Module(body=[], type_ignores=[])
    lines = code.split("\n")
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            head = "\n".join(lines[first - 1:node.body[0].lineno - 1]).rstrip()  # decorators and signature
            if node.body[0].lineno == node.lineno:  # a one-line function: rebuild its signature
                head = f"def {node.name}({ast.unparse(node.args)}):"
            doc = ast.get_docstring(node)
            body = (f'    """{doc}"""\n' if doc else "") + f"    ...\n    raise NotImplementedError({hint!r})"
            stubs.append(f"{head}\n{body}")
    if stubs:
        return "\n\n\n".join(stubs)
    return f"# Your code here.\n...\nraise NotImplementedError({hint!r})"


def student_text(chapter: Chapter) -> str:
    """The student edition of a chapter as MyST text: solutions out, stubs and checks in."""
    out: list[str] = []
    pos, number = 0, 0
    sols = chapter.solutions
    for block in chapter.blocks:
        out.extend(chapter.lines[pos:block.start])
        if block.kind == "exercise":
            number += 1
            out.extend(_exercise_heading(block, number))
            if block.label not in sols:  # exercise with no gated solution: its checks still apply
                out.extend(student_stub(block.label, None))
        else:
            out.extend(student_stub(block.label, block))
        pos = block.end
    out.extend(chapter.lines[pos:])
    return "\n".join(out) + "\n"


def instructor_text(chapter: Chapter) -> str:
    """The instructor edition as MyST text: each solution in place under a heading."""
    out: list[str] = []
    pos, number = 0, 0
    for block in chapter.blocks:
        out.extend(chapter.lines[pos:block.start])
        if block.kind == "exercise":
            number += 1
            out.extend(_exercise_heading(block, number))
        else:
            out.extend(["", f"#### Solution (`{block.label}`)", "", *_solution_body(block)])
        pos = block.end
    out.extend(chapter.lines[pos:])
    return "\n".join(out) + "\n"


def _to_notebook(text: str) -> Any:
    """MyST text -> nbformat notebook, with markdown made readable outside the book."""
    import jupytext

    nb = jupytext.reads(text, fmt="md:myst")
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _notebook_markdown(cell.source)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.pop("jupytext", None)
    return nb


def _setup_index(nb: Any) -> int | None:
    """Index of the cell that calls `robustbook.setup(`."""
    return next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "robustbook.setup(" in c.source), None)


def colab_link(rel: Path, repo: str = COLAB_REPO, branch: str = COLAB_BRANCH) -> str:
    """The Colab address of a student notebook at `rel` inside the published course edition."""
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/student/{rel.as_posix()}"


def install_spec(root: Path) -> str:
    """What the student edition installs: the lean `run` extra at the commit being built, pinned (never a branch)."""
    from .notebooks import git_head, install_requirement, repository

    return install_requirement(repository(root)[0], git_head(root))


def install_cell_source(spec: str) -> str:
    """A first cell that installs `spec` (a pip requirement) in Colab and does nothing elsewhere."""
    return ("#@title Colab only: install robustbook (hidden; does nothing outside Colab)\n"
            "import sys\n"
            "if \"google.colab\" in sys.modules:\n"
            f"    get_ipython().run_line_magic(\"pip\", \"install -q '{spec}'\")")


ZOO_NOTE = ("**No GPU?** The next cell points the model zoo at the checkpoints handed out with the course "
            "(the `zoo/` folder of the course edition). The cells that train models then load them instead of "
            "training; with a GPU, or without that folder, they train as in the book (the `cpu` profile's "
            "training times are on the syllabus page).")


def student_notebook(chapter: Chapter, rel: Path, repo: str = COLAB_REPO, branch: str = COLAB_BRANCH,
                     spec: str | None = None) -> Any:
    """The student edition of a chapter as a notebook: Colab badge, hidden install cell (pip requirement `spec`,
    default: this version of the `run` extra), zoo cell, stubs."""
    import nbformat

    nb = _to_notebook(student_text(chapter))
    url = colab_link(rel, repo, branch)
    badge = nbformat.v4.new_markdown_cell(
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})\n\n"
        "*Student edition*: the solutions are not in this notebook. Where an exercise has a computable answer, "
        "fill in the stub cell (replace `...` and delete the `raise`) and run the check cell below it: it says "
        "`correct`, or what is wrong in one sentence.")
    badge.metadata["tags"] = ["course-badge"]
    if spec is None:
        from .notebooks import install_requirement

        spec = install_requirement("", None)
    install = nbformat.v4.new_code_cell(install_cell_source(spec))
    install.metadata.update({"cellView": "form", "tags": ["remove-cell", INSTALL_TAG],
                             "jupyter": {"source_hidden": True}})
    k = _setup_index(nb)
    if k is not None:
        note = nbformat.v4.new_markdown_cell(ZOO_NOTE)
        zoo_cell = nbformat.v4.new_code_cell("from robustbook.bookbuild.course import use_course_zoo\n\nuse_course_zoo()")
        zoo_cell.metadata["tags"] = ["course-zoo"]
        nb.cells[k + 1:k + 1] = [note, zoo_cell]
    title = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.lstrip().startswith("# ")), -1)
    nb.cells[title + 1:title + 1] = [badge]
    nb.cells.insert(0, install)
    nb.metadata["robustbook_course"] = {"edition": "student", "source": str(chapter.path.name)}
    return nb


def with_reference_solutions(nb: Any, chapter: Chapter) -> Any:
    """A copy of a student notebook whose stub cells hold the reference solutions (what the tests execute)."""
    import copy

    from .. import exercises

    out = copy.deepcopy(nb)
    sols = chapter.solutions
    for cell in out.cells:
        tags = cell.metadata.get("tags", [])
        if STUB_TAG not in tags:
            continue
        label = next(t.removeprefix("exercise-") for t in tags if t.startswith("exercise-"))
        spec = exercises.EXERCISES.get(label)
        parts = [spec.reference] if spec is not None and spec.reference else []
        parts += sols[label].code_cells() if label in sols else []
        if not parts:
            raise ValueError(f"exercise {label!r}: a stub with no reference solution to replace it")
        cell.source = "\n\n".join(parts)
    return out


def instructor_notebook(chapter: Chapter, executed: Path | None = None) -> Any:
    """The instructor edition; code outputs copied from `executed` (the book's executed run) when given."""
    import nbformat

    nb = _to_notebook(instructor_text(chapter))
    nb.metadata["robustbook_course"] = {"edition": "instructor", "source": str(chapter.path.name)}
    if executed is None or not executed.exists():
        return nb
    done = nbformat.read(executed, as_version=4)
    ran = [c for c in done.cells if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]
    j = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        while j < len(ran) and ran[j].source.strip() != cell.source.strip():
            j += 1
        if j == len(ran):
            break
        cell.outputs, cell.execution_count = ran[j].outputs, ran[j].execution_count
        j += 1
    nb.metadata["robustbook"] = done.metadata.get("robustbook", {})
    return nb


def use_course_zoo(folder: str | os.PathLike | None = None) -> Path | None:
    """Without a GPU, read trained models from the course's zoo folder; returns the cache root used, if any."""
    import torch

    if torch.cuda.is_available():
        print("GPU found: models not in the zoo yet are trained here, as in the book.")
        return None
    here = Path.cwd()
    candidates = [Path(folder)] if folder else [here / "zoo", here.parent / "zoo", here.parent.parent / "zoo",
                                                 Path("/content/zoo")]
    for root in candidates:  # a course zoo is a cache root: <root>/zoo/<key>.pt
        if (root / "zoo").is_dir():
            os.environ["ROBUSTBOOK_CACHE"] = str(root.resolve())
            n = len(list((root / "zoo").glob("*.pt")))
            print(f"No GPU: models are loaded from the course zoo at {root / 'zoo'} ({n} checkpoints); "
                  "a model missing there is trained at this notebook's profile.")
            return root
    print("No GPU and no course zoo folder found: training cells train here at this notebook's profile "
          "(see the syllabus for how long; ask your instructor for the zoo folder to skip it).")
    return None


# ---------------------------------------------------------------------------------------------------------
# The whole course.

def toc_chapters(root: Path) -> list[Path]:
    """The Jupytext sources of the toc's notebook chapters that hold gated exercises, in book order."""
    from .notebooks import toc_notebooks

    return [p for p in toc_notebooks(root) if p.exists() and parse(p).exercises]


def _executed(source: Path) -> tuple[Path | None, bool]:
    """The book's executed copy of `source`, if any, and whether it was run from the current source and package.

    A stale copy still serves: outputs are copied only onto cells whose source is unchanged.
    """
    import nbformat

    executed = source.with_suffix(".ipynb")
    if not executed.exists():
        return None, False
    try:
        from .execute import run_key

        meta = nbformat.read(executed, as_version=4).metadata.get("robustbook", {})
        return executed, meta.get("key") == run_key(source, meta.get("parameters", {}))
    except Exception:
        return executed, False


def _write(nb: Any, path: Path) -> None:
    import nbformat

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".ipynb.part")
    nbformat.write(nb, tmp)
    os.replace(tmp, path)


def build(root: Path, out: Path, execute: bool = False, profile: str = "cpu", zoo: bool = False,
          repo: str = COLAB_REPO, branch: str = COLAB_BRANCH, sources: Sequence[Path] | None = None) -> list[dict]:
    """Write `out/student/...` and `out/instructor/...` for every chapter; returns one record per chapter."""
    records = []
    spec = install_spec(root)
    for src in sources or toc_chapters(root):
        rel = src.relative_to(root / "notebooks").with_suffix(".ipynb")
        chapter = parse(src)
        _write(student_notebook(chapter, rel, repo, branch, spec), out / "student" / rel)
        executed, fresh = _executed(src)
        teacher = instructor_notebook(chapter, executed)
        if execute and not fresh:
            import time

            from .execute import run_papermill

            start = time.perf_counter()
            teacher = run_papermill(teacher, {"profile": profile}, root)
            teacher.metadata["robustbook"] = {"parameters": {"profile": profile},
                                              "seconds": round(time.perf_counter() - start, 1)}
        _write(teacher, out / "instructor" / rel)
        seconds = teacher.metadata.get("robustbook", {}).get("seconds")
        records.append({"chapter": rel.with_suffix("").as_posix(), "exercises": len(chapter.exercises),
                        "student": f"student/{rel.as_posix()}", "instructor": f"instructor/{rel.as_posix()}",
                        "executed": "fresh" if fresh or execute else ("stale" if executed else "no"),
                        "recorded_seconds": seconds,
                        "profile": teacher.metadata.get("robustbook", {}).get("parameters", {}).get("profile"),
                        "colab": colab_link(rel, repo, branch)})
    if zoo:
        from ..zoo import zoo_dir

        if zoo_dir().is_dir():
            shutil.copytree(zoo_dir(), out / "zoo" / "zoo", dirs_exist_ok=True)
    (out / "course.json").write_text(json.dumps(records, indent=1))
    (out / "README.md").write_text(_readme(records))
    return records


def _readme(records: list[dict]) -> str:
    def run_time(r: dict) -> str:
        if not r.get("recorded_seconds"):
            return "not run"
        return f"{r['recorded_seconds'] / 60:.1f} min at `{r.get('profile')}`" + (" (older run)" if r["executed"] == "stale" else "")

    rows = "\n".join(f"| {r['chapter']} | {r['exercises']} | [{r['student']}]({r['student']}) | "
                     f"[{r['instructor']}]({r['instructor']}) | [Colab]({r['colab']}) | {run_time(r)} |" for r in records)
    return ("# robustbook course edition\n\nGenerated by `robustbook course build`; see the syllabus page of the book "
            "for the term plan and how to hand this folder out. Publish `student/` (and `zoo/`, if built with "
            "`--zoo`) to students; keep `instructor/` to yourself. The last column is the run time recorded in the "
            "book's executed notebook (the time a lab takes when its models are not in the zoo yet).\n\n"
            "| chapter | exercises | student | instructor | open | recorded run |\n|---|---|---|---|---|---|\n"
            + rows + "\n")


def main(args: Any) -> int:
    """`robustbook course build`: entry point called by the CLI."""
    from .notebooks import repo_root

    root = repo_root()
    out = Path(args.out).resolve() if args.out else root / "_build" / "course"
    sources = [Path(n).resolve() for n in args.notebooks] if getattr(args, "notebooks", None) else None
    records = build(root, out, execute=args.execute, profile=args.profile, zoo=args.zoo, repo=args.repo,
                    branch=args.branch, sources=sources)
    for r in records:
        print(f"  {r['chapter']:32s} {r['exercises']} exercises  -> {r['student']}, {r['instructor']}"
              + {"fresh": "", "stale": "  (instructor outputs from an older run: rerun `robustbook run` or --execute)",
                 "no": "  (instructor edition not executed: run `robustbook run` first, or --execute)"}[r["executed"]])
    print(f"course edition of {len(records)} chapter(s) in {out}")
    return 0


def add_parser(sub: Any) -> None:
    """The `course` subcommand's arguments (used by `robustbook.cli`)."""
    p = sub.add_parser("course", help="student and instructor editions of every chapter")
    p.add_argument("action", choices=["build"])
    p.add_argument("notebooks", nargs="*", type=Path, help="only these chapters (default: every toc chapter)")
    p.add_argument("--out", default=None, help="output folder (default: _build/course)")
    p.add_argument("--execute", action="store_true", help="execute instructor notebooks not already run by the book")
    p.add_argument("--profile", default="cpu", help="profile of --execute runs")
    p.add_argument("--zoo", action="store_true", help="copy the trained models of this machine's zoo into the edition")
    p.add_argument("--repo", default=COLAB_REPO, help="GitHub owner/name the student edition is published to")
    p.add_argument("--branch", default=COLAB_BRANCH, help="branch of that repository (Colab links)")

