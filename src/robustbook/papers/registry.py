"""The claims registry: what the book tests of each paper, declared from the paper before any run.

A `Claim` holds the claim as the paper states it (in the book's words, with its location in the paper), what
kind of statement it is, the rule that judges it, the threshold and where that threshold comes from (a number
the paper prints, or a book-wide constant of `robustbook.verdicts`), the preconditions about the experiment's
power (names from `robustbook.verdicts.PRECONDITIONS`) and the negative control. Chapters compute effects;
`robustbook.verdicts.judge` turns an effect into a verdict by the claim's entry, so no chapter chooses its rule,
threshold or gate after seeing its run. Each paper's claims are the `CLAIMS` of `robustbook.papers.<key>`.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

PAPERS = ("yi2021", "nern2023", "alhamoud2023", "bai2024", "wen2020")
KINDS = ("paper-claim", "printed-formula", "book-reading", "demonstration")
RULES = ("sign", "range", "bound", "check")
# a threshold's provenance: "paper: <where it is printed> (<constant of robustbook.papers.<key>>)" or
# "book: robustbook.verdicts.<CONSTANT>" (a book-wide constant with its reason beside it)
PROVENANCES = ("paper:", "book:")


@dataclass(frozen=True)
class Claim:
    """One claim of a paper as the book tests it; `id` is '<paper>:<name>' (or 'book:<name>' for the book's
    own demonstrations)."""

    id: str
    source: str  # where the paper says it: section, table, figure, equation, page
    kind: str  # paper-claim | printed-formula | book-reading | demonstration
    statement: str  # what the paper says (a book-reading says how the book reads an ambiguous statement)
    rule: str  # sign | range | bound | check
    direction: int = 0  # sign: +1 when the paper says the effect is positive, -1 when negative
    threshold: float | tuple[float, float] | None = None  # sign: the margin; range: (low, high); else None
    threshold_source: str = ""  # "paper: ..." or "book: robustbook.verdicts.NAME"; empty only without threshold
    preconditions: tuple[str, ...] = ()  # names of robustbook.verdicts.PRECONDITIONS the verdict is gated on
    control: str = ""  # the negative control (a wrong claim the same data must reject), or why there is none
    units: str = ""  # the units of the effect: "points of accuracy", "Spearman rho", "ratio", ...
    alternatives: str = ""  # the re-runs a chapter may pass to `judge(alternatives=...)`, named before any run
    seeded: bool = False  # its effect changes with the notebook's seed although no gate says it reads a trained
    #                       model (a random twin network, a simulation, a random start): the seed rule applies

    def __post_init__(self) -> None:
        where = f"claim {self.id!r}"
        owner, _, name = self.id.partition(":")
        if owner not in (*PAPERS, "book") or not name:
            raise ValueError(f"{where}: an id is '<paper>:<name>' with a paper of {', '.join(PAPERS)} (or 'book')")
        if self.kind not in KINDS:
            raise ValueError(f"{where}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if owner == "book" and self.kind != "demonstration":
            raise ValueError(f"{where}: only a demonstration can be the book's own")
        if self.rule not in RULES:
            raise ValueError(f"{where}: rule {self.rule!r} is not one of {', '.join(RULES)}")
        if not self.source.strip() or not self.statement.strip():
            raise ValueError(f"{where}: a claim needs its source in the paper and its statement")
        if self.rule == "sign" and self.direction not in (1, -1):
            raise ValueError(f"{where}: a sign claim says the effect is positive (+1) or negative (-1)")
        if self.rule == "range" and not (isinstance(self.threshold, tuple) and len(self.threshold) == 2
                                         and self.threshold[0] <= self.threshold[1]):
            raise ValueError(f"{where}: a range claim needs its (low, high)")
        if self.rule == "sign" and not isinstance(self.threshold, (int, float)):
            raise ValueError(f"{where}: a sign claim needs its margin (a book-wide 0 when the paper names none)")
        if self.threshold is not None and not self.threshold_source.startswith(PROVENANCES):
            raise ValueError(f"{where}: the threshold needs its provenance, 'paper: <where>' or "
                             "'book: robustbook.verdicts.<NAME>'")
        if self.rule in ("bound", "check") and not self.control.strip():
            raise ValueError(f"{where}: a bound or check claim needs its negative control")

    @property
    def paper(self) -> str:
        """The paper's key (or 'book')."""
        return self.id.partition(":")[0]

    @property
    def tallied(self) -> bool:
        """True unless a demonstration: demonstrations are shown, never counted for or against a paper."""
        return self.kind != "demonstration"


def claims() -> dict[str, Claim]:
    """Every registered claim of the book by id: the `CLAIMS` of each paper module, in paper order, then its
    `FOUNDATIONS_CLAIMS` (the paper's statements that the foundations chapters test)."""
    out: dict[str, Claim] = {}
    for key in (*PAPERS, "book"):
        module = importlib.import_module(f"robustbook.papers.{key}")
        for c in (*getattr(module, "CLAIMS", ()), *getattr(module, "FOUNDATIONS_CLAIMS", ())):
            if c.id in out:
                raise ValueError(f"claim {c.id!r} is registered twice")
            if c.paper != key:
                raise ValueError(f"claim {c.id!r} is registered in robustbook.papers.{key}")
            out[c.id] = c
    return out


def claim(claim_id: str) -> Claim:
    """The registered claim `claim_id`; a one-line error naming the paper's claims when there is none."""
    known = claims()
    if claim_id not in known:
        paper = claim_id.partition(":")[0]
        mine = sorted(k for k in known if k.startswith(paper + ":"))
        raise KeyError(f"no registered claim {claim_id!r}; {paper} registers: {', '.join(mine) or 'none'}")
    return known[claim_id]
