"""Readings against errata: no "as we read it" box restates a reading that an erratum refutes.

Every statement box of the chapters that carries a reading ("as we read it", in its title or body) names the
statement it reads with an HTML comment inside the box, ``<!-- statement: wen2020:thm3.1 -->``; a box that restates
the paper *as printed* where an erratum corrects it says so, ``<!-- statement: yi2021:thm1-2 (as printed) -->``, and
must point to the errata page. Every entry of ``book/errata.md`` carries
``<!-- erratum: wen2020:thm3.1 refutes: "phrase" | "phrase" -->``: the statement it is about and the phrasings of
the reading it refutes. The test fails when

- a reading box restates a refuted phrasing of an erratum on its statement (whitespace ignored, case-insensitive),
- a reading box or an erratum entry has no id (or an erratum lists no refuted phrasing), or an id's paper is not the
  section's or not one of the five,
- a printed box whose statement has errata does not link the errata page.

The planted tests copy the texts to a temporary folder, plant a bad box (or strip an id) and check that the same
function reports it, so the test can fail.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAPERS = ("yi2021", "nern2023", "alhamoud2023", "bai2024", "wen2020")
ID = r"(?P<id>(?P<paper>[a-z]+\d{4}):[A-Za-z0-9.\-]+)"
STATEMENT = re.compile(r"<!--\s*statement:\s*" + ID + r"(?P<printed>\s*\(as printed\))?\s*-->")
ERRATUM = re.compile(r"<!--\s*erratum:\s*" + ID + r"(?:\s+refutes:\s*(?P<refutes>.*?))?\s*-->", re.DOTALL)
PHRASE = re.compile(r'"([^"]+)"')
FENCE_OPEN = re.compile(r"^(?P<fence>:{3,})\{prf:[a-z]+\}(?P<title>.*)$")
ENTRY = re.compile(r"^(\d+\.|-) \*\*")
READING = re.compile(r"as we read it", re.IGNORECASE)


@dataclass
class Box:
    """A statement box of a chapter: where it is, its text, and its id (None when it has none)."""

    where: str
    text: str
    id: str | None
    printed: bool


@dataclass
class Erratum:
    """An entry of the errata page: its section, first line, id and the phrasings it refutes."""

    section: str
    head: str
    id: str | None
    refutes: list[str]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def boxes(root: Path) -> list[Box]:
    """Every `{prf:...}` colon-fenced box of the chapters and pages under root/notebooks and root/book."""
    out = []
    for md in sorted([*(root / "notebooks").rglob("*.md"), *(root / "book").glob("*.md")]):
        lines = md.read_text().split("\n")
        i = 0
        while i < len(lines):
            m = FENCE_OPEN.match(lines[i])
            if not m:
                i += 1
                continue
            j = i + 1
            while j < len(lines) and lines[j].strip() != m.group("fence"):
                j += 1
            text = "\n".join(lines[i:j + 1])
            sm = STATEMENT.search(text)
            out.append(Box(f"{md.relative_to(root)}:{i + 1}", text, sm.group("id") if sm else None,
                           bool(sm and sm.group("printed"))))
            i = j + 1
    return out


def errata(root: Path) -> list[Erratum]:
    """Every entry (numbered or bulleted, starting with a bold title) of root/book/errata.md, by paper section."""
    out, section = [], ""
    for line in (root / "book" / "errata.md").read_text().split("\n"):
        if line.startswith("## "):
            section = line[3:].strip()
        elif ENTRY.match(line):
            m = ERRATUM.search(line)
            out.append(Erratum(section, line[:70], m.group("id") if m else None,
                               PHRASE.findall(m.group("refutes") or "") if m else []))
    return out


def violations(root: Path) -> list[str]:
    """All the ways the boxes and the errata of the tree at `root` disagree (empty when they agree)."""
    bad: list[str] = []
    ents = errata(root)
    if not ents:
        bad.append("book/errata.md: no entries found")
    refuted: dict[str, list[str]] = {}
    for e in ents:
        if e.id is None:
            bad.append(f"erratum without an id ({e.section}): {e.head}")
            continue
        if e.id.split(":")[0] != e.section:
            bad.append(f"erratum {e.id} sits in the section of {e.section}")
        if not e.refutes:
            bad.append(f"erratum {e.id} lists no refuted phrasing: {e.head}")
        refuted.setdefault(e.id, []).extend(e.refutes)
    for b in boxes(root):
        if b.id is not None and b.id.split(":")[0] not in PAPERS:
            bad.append(f"{b.where}: statement id {b.id} names no paper of the book")
        if READING.search(b.text):
            if b.id is None:
                bad.append(f"{b.where}: an 'as we read it' box without a statement id")
                continue
            text = _squash(STATEMENT.sub("", b.text))
            for phrase in refuted.get(b.id, []):
                if _squash(phrase) in text:
                    bad.append(f"{b.where}: the reading box of {b.id} restates the refuted phrasing {phrase!r}")
        elif b.printed and b.id in refuted and "errata" not in b.text:
            bad.append(f"{b.where}: the printed statement {b.id} has errata but the box does not link them")
    for md in [*(root / "notebooks").rglob("*.md"), *(root / "book").glob("*.md")]:
        n_text = len(READING.findall(md.read_text()))
        n_box = sum(len(READING.findall(b.text)) for b in boxes(root) if b.where.startswith(f"{md.relative_to(root)}:"))
        if n_text != n_box:
            bad.append(f"{md.relative_to(root)}: 'as we read it' outside a statement box")
    return bad


def _copy(tmp: Path) -> Path:
    shutil.copytree(ROOT / "notebooks", tmp / "notebooks", ignore=shutil.ignore_patterns("*.ipynb", "_build"))
    (tmp / "book").mkdir()
    for md in (ROOT / "book").glob("*.md"):
        shutil.copy(md, tmp / "book" / md.name)
    return tmp


def test_boxes_and_errata_agree():
    bad = violations(ROOT)
    assert not bad, "\n".join(bad)


def test_the_ids_are_there():
    """The reading boxes and every erratum are found and tagged (a parser that finds nothing would pass above)."""
    readings = [b for b in boxes(ROOT) if READING.search(b.text)]
    assert {b.id for b in readings} >= {"wen2020:thm3.1", "yi2021:lemma2"}
    ents = errata(ROOT)
    assert len(ents) >= 30 and all(e.id for e in ents)
    assert {e.section for e in ents} >= {"yi2021", "nern2023", "alhamoud2023", "wen2020"}


def test_a_planted_refuted_reading_fails(tmp_path):
    root = _copy(tmp_path)
    md = root / "notebooks" / "wen2020" / "theory.md"
    text = md.read_text()
    planted = (":::{prf:theorem} Theorem 3.1 (Wen et al.), as we read it, planted\n:nonumber:\n\n"
               "<!-- statement: wen2020:thm3.1 -->\nwith $\\sigma_{\\min}(W_i)$ the smallest singular value restricted to the\n"
               "directions the network does not annihilate.\n:::\n")
    md.write_text(text + "\n" + planted)
    bad = violations(root)
    assert any("restates the refuted phrasing" in b and "wen2020:thm3.1" in b for b in bad), bad


def test_the_old_wen_box_fails(tmp_path):
    """The box as it stood before this fix (sigma_min restricted, one label per cell unstated) is caught."""
    root = _copy(tmp_path)
    md = root / "notebooks" / "wen2020" / "theory.md"
    text = md.read_text()
    new = re.search(r"u_\{\\min\}\\ge\\min_\{q\}[^\n]*", text).group(0)
    md.write_text(text.replace(new, r"u_{\min}\ge\min_{y\ne\hat y}\|w_y-w_{\hat y}\|_2\prod_{i=1}^{L-1}\sigma_{\min}(W_i)\;v_{\min},"))
    assert any("wen2020:thm3.1" in b for b in violations(root))


def test_a_box_or_erratum_without_id_fails(tmp_path):
    root = _copy(tmp_path)
    md = root / "notebooks" / "yi2021" / "ood_bounds.md"
    md.write_text(md.read_text().replace("<!-- statement: yi2021:lemma2 -->\n", ""))
    er = root / "book" / "errata.md"
    er.write_text(er.read_text().replace(' <!-- erratum: alhamoud2023:appA.2 refutes: "results are in Table 7" -->', ""))
    bad = violations(root)
    assert any("without a statement id" in b for b in bad), bad
    assert any("erratum without an id (alhamoud2023)" in b for b in bad), bad


def test_a_printed_box_without_errata_link_fails(tmp_path):
    root = _copy(tmp_path)
    md = root / "notebooks" / "yi2021" / "algorithm1.md"
    md.write_text(md.read_text().replace("As printed (the {doc}`errata <../../book/errata>`, entries 4-6,",
                                         "As printed (entries 4-6,"))
    assert any("yi2021:thm3 has errata but the box does not link" in b for b in violations(root))
