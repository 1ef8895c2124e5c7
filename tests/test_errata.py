"""The errata page pastes only numbers its chapters glue, and links only to labels its chapters define."""
from __future__ import annotations

import functools
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ERRATA = ROOT / "book" / "errata.md"
GLUE = re.compile(r"\{glue:text\}`([^`:]+)::([A-Za-z0-9_]+):[^`]*`")
REF = re.compile(r"\{ref\}`(?:[^`<]*<)?([a-z0-9-]+)>?`")
PAPER_OF = {"yi2021": "yi2021", "nern2023": "nern2023", "wen2020": "wen2020"}


@functools.lru_cache(maxsize=None)
def _evidence_keys(paper: str) -> frozenset:
    return frozenset(importlib.import_module(f"robustbook.theory.{paper}").errata_evidence())


def _refs():
    text = ERRATA.read_text()
    return GLUE.findall(text), REF.findall(text)


def test_the_page_pastes_computed_numbers():
    pasted, _ = _refs()
    assert len(pasted) >= 20  # the evidence is glued, not typed


@pytest.mark.parametrize("doc,key", sorted(set(_refs()[0])))
def test_every_pasted_key_is_glued_by_its_chapter(doc, key):
    src = (ERRATA.parent / doc).resolve().with_suffix(".md")
    assert src.exists(), f"{doc}: no such chapter"
    text = src.read_text()
    if f'"{key}"' in text:
        return
    paper = PAPER_OF[src.parent.name]
    assert "errata_evidence()" in text, f"{key} is not glued in {src.name}"
    assert key in _evidence_keys(paper), f"{key} is not among {paper}'s errata_evidence() keys"


def test_every_link_points_to_a_label_of_a_chapter():
    _, refs = _refs()
    labels = set()
    for md in (ROOT / "notebooks").rglob("*.md"):
        labels |= set(re.findall(r"^\(([a-z0-9-]+)\)=$", md.read_text(), flags=re.M))
    missing = sorted(set(refs) - labels)
    assert not missing, missing
