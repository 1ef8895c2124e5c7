"""No typed results: verdict tables of `book/*.md` carry numbers only by glue, and no verdict outcome is
computed outside `robustbook.verdicts` (issue 13, "overview pages glued, not typed" and "one verdict module").

Two allowlists name the files still to convert by other branches; the lead empties them when merging (a test
fails once a listed file passes, so the lists can only shrink).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
import pytest

from robustbook import verdicts as V

ROOT = Path(__file__).resolve().parents[1]

# ---- (a) digits inside verdict tables ----------------------------------------------------------------------
# A table is a verdict table when its header row names a result, or it follows a "paper vs here" heading.
RESULT_HEADER = re.compile(r"verdict|\bhere\b|results?\b|agree|this build|reproduced", re.I)
RESULT_HEADING = re.compile(r"^#+ .*(paper vs\.? here|verdict|results?\b)", re.I)
# What a digit may legitimately belong to in such a table:
GLUE = re.compile(r"\{glue(:\w+)?\}`[^`]*`")  # a glue role (the number comes from an executed notebook)
ROLE = re.compile(r"\{(doc|ref|numref|eq|cite|cite:\w+|prf:ref|term)\}`[^`]*`")  # cross-references
LINK = re.compile(r"\]\([^)]*\)")  # a link target
MATH_INDEX = re.compile(r"[_^]\{?\\?\w*\d+\w*\}?")  # W_2, \ell_2, x^2, W_{2}: notation, not a result
LABEL = re.compile(r"\b(Tables?|Figs?\.?|Figures?|Eqs?\.?|Equations?|Secs?\.?|Sections?|Theorems?|Thms?\.?|"
                   r"Lemmas?|Corollary|Cor\.|Propositions?|Prop\.|Definitions?|Def\.|Assumptions?|Algorithms?|"
                   r"Alg\.|App\.|Appendix|Remarks?|Examples?|Observations?|Part)\s*[A-Z]?\.?\d+(\.\d+)*[a-z]?"
                   r"((\s*(-|,|/|and|&)\s*)[A-Z]?\.?\d+(\.\d+)*[a-z]?)*")
EQ_NUMBER = re.compile(r"\(\d+(\.\d+)*\)")  # an equation number, (5.4)
WORD_DIGIT = re.compile(r"[A-Za-z]+[\w-]*\d+[\w-]*|\d+[\w-]*[A-Za-z]+[\w-]*")  # CIFAR-10, ResNet-110, 3x3, Q1


def verdict_tables(text: str) -> list[tuple[int, list[str]]]:
    """(first line number, rows) of each verdict table in a MyST page."""
    lines = text.splitlines()
    out, i, heading, fenced = [], 0, "", False
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(("```", ":::")):
            fenced = not fenced if line.strip() in ("```", ":::") or not fenced else fenced
        if line.startswith("#"):
            heading = line
        if not fenced and line.lstrip().startswith("|") and i + 1 < len(lines) and re.match(r"^\s*\|[\s:|-]+\|\s*$",
                                                                                             lines[i + 1]):
            start, rows = i, []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(lines[i])
                i += 1
            if RESULT_HEADER.search(rows[0]) or RESULT_HEADING.match(heading):
                out.append((start + 1, rows))
            continue
        i += 1
    return out


def typed_digits(cell: str) -> list[str]:
    """The digits of a table cell that are not inside a glue, a reference, notation or a paper label."""
    for pattern in (GLUE, ROLE, LINK, LABEL, EQ_NUMBER):
        cell = pattern.sub(" ", cell)
    cell = re.sub(r"\$[^$]*\$", lambda m: MATH_INDEX.sub(" ", m.group(0)), cell)
    cell = WORD_DIGIT.sub(" ", cell)
    return re.findall(r"\d+(?:[.,/]\d+)*%?", cell)


def page_problems(text: str) -> list[str]:
    """'line N: typed 96.94 in "cell"' for each typed digit of each verdict table of a page."""
    found = []
    for start, rows in verdict_tables(text):
        for k, row in enumerate(rows):
            if k == 1:
                continue  # the |---| separator
            for cell in re.split(r"(?<!\\)\|", row.strip().strip("|")):  # a cell may hold an escaped \|
                for digits in typed_digits(cell):
                    found.append(f"line {start + k}: typed {digits} in {cell.strip()[:80]!r}")
    return found


BOOK_PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "book").glob("*.md"))


TYPED_PAGE = """# Overview

## Paper vs here

| claim | paper | here | verdict |
|---|---|---|---|
| AT helps under noise (Table 1) | 80.75 | {glue:text}`../notebooks/yi2021/table1.ipynb::yi_t1_noise:.2f` | agrees |
"""
GLUED_PAGE = """## Paper vs here

| claim (Table 1, Thm 4.1, (5.4)-(5.5)) | paper | here | verdict |
|---|---|---|---|
| $W_2$ beats $W_\\infty$ on CIFAR-10 with ResNet-18 | {glue:text}`a.ipynb::p:.2f` | {glue:text}`a.ipynb::h:.2f` | {glue:text}`a.ipynb::v` |
"""


def test_the_scanner_fails_on_a_typed_table_and_passes_a_glued_one():
    problems = page_problems(TYPED_PAGE)
    assert len(problems) == 1 and "typed 80.75" in problems[0] and "line 7" in problems[0]
    assert page_problems(GLUED_PAGE) == []
    assert page_problems(GLUED_PAGE.replace("{glue:text}`a.ipynb::h:.2f`", "0.5")) != []
    untitled = "| claim | result |\n|---|---|\n| x | 12 s |\n"  # a header naming a result is enough
    assert page_problems(untitled) and not page_problems(untitled.replace("result", "meaning"))


@pytest.mark.parametrize("page", BOOK_PAGES)
def test_no_typed_number_in_a_verdict_table(page):
    problems = page_problems((ROOT / page).read_text())
    assert not problems, f"{page}: results must be glued from the executed notebook:\n" + "\n".join(problems)


# ---- (b) no verdict outcome outside robustbook.verdicts ----------------------------------------------------
OUTCOME_WORDS = {o.lower() for o in V.OUTCOMES}


def outcome_literals(code: str) -> list[int]:
    """Line numbers of string constants equal to a verdict outcome ("agrees", "disagrees", ...) in `code`."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and node.value.strip().lower() in OUTCOME_WORDS]


def _notebook_code(path: Path) -> str:
    cells = [c.source for c in jupytext.read(path).cells if c.cell_type == "code"]
    return "\n".join("\n".join(ln for ln in s.splitlines() if not ln.lstrip().startswith(("%", "!"))) for s in cells)


CODE_FILES = sorted([p.relative_to(ROOT).as_posix() for p in (ROOT / "src" / "robustbook").rglob("*.py")
                     if p.name != "verdicts.py" or p.parent.name != "robustbook"]
                    + [p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").rglob("*.md")])


def test_the_outcome_scan_finds_a_hand_made_verdict():
    assert outcome_literals('v = "agrees" if gap > 0 else "disagrees"') == [1, 1]
    assert outcome_literals('if row.verdict == "Not testable here":\n    pass') == [1]
    assert outcome_literals("v = verdicts.sign_verdict('A beats B', 0.1, 0.0, 0.2, +1)") == []
    assert outcome_literals('print("the paper agrees with us")') == []  # prose is not an outcome value


@pytest.mark.parametrize("rel", CODE_FILES)
def test_no_verdict_outcome_outside_the_verdicts_module(rel):
    path = ROOT / rel
    lines = outcome_literals(_notebook_code(path) if path.suffix == ".md" else path.read_text())
    assert not lines, (f"{rel}: a verdict outcome written as a literal (lines {lines} of its code): compute it with "
                       "a rule of robustbook.verdicts and compare with verdicts.AGREES etc.")
