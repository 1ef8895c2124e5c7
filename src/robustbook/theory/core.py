"""The one theory API every `theory/<paper>.py` module follows, and the proof step tables.

A paper's module exposes

- ``CHECKS``: name -> function. Called with no argument it checks the claim as the book states it and returns a
  :class:`Result`; it raises ``AssertionError`` when the claim is false. Called with one argument, a *variant*
  of the claim (an expression, a constant, a function), it checks that variant instead.
- ``MUTANTS``: check name -> list of :class:`Mutant` (wrong variants of the claim: the printed slip, a constant
  changed, a factor dropped, an inequality reversed). Each check must raise on each of its mutants: a check that
  cannot say "no" proves nothing. ``tests/test_falsifiable.py`` runs them all.
- ``run_checks()``: every check at its default claim, ``{name: Result}``.
- ``refute_*()``: a printed step shown false; returns the counterexample it computed (a dict) and asserts that it
  *is* one, so a refutation that stops refuting raises too.
- ``steps_*()``: the proof step tables (:func:`steps_table`), one row per step, the verdict computed.

No torch here: sympy, numpy, scipy, pandas only.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import numpy as np

HOLDS = "holds"
EXTRA = "holds under an extra assumption"
FALSE = "false as printed"
READING = "reading"
FAILED = "CHECK FAILED"


@dataclass(frozen=True)
class Result:
    """What a passing check established: the claim, how it was checked, and the numbers it computed."""

    name: str
    claim: str
    how: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Mutant:
    """A wrong variant of a check's claim; ``claim`` is passed to the check as its only argument."""

    label: str
    claim: Any


def run_checks(checks: Mapping[str, Callable[..., Result]]) -> dict[str, Result]:
    """Run every check at its default claim; raises the first AssertionError."""
    return {name: fn() for name, fn in checks.items()}


def rejects(check: Callable[..., Any], mutant: Any) -> bool:
    """True when `check` raises AssertionError on `mutant` (a Mutant, a zero-argument callable, a
    (label, zero-argument callable) pair, a (label, keyword arguments of the check) pair, or a claim)."""
    try:
        if isinstance(mutant, Mutant):
            check(mutant.claim)
        elif isinstance(mutant, tuple) and len(mutant) == 2 and isinstance(mutant[0], str) and callable(mutant[1]):
            mutant[1]()
        elif isinstance(mutant, tuple) and len(mutant) == 2 and isinstance(mutant[0], str) and isinstance(
                mutant[1], dict):
            check(**mutant[1])
        elif callable(mutant) and _required_params(mutant) == 0 and not isinstance(mutant, type):
            mutant()
        else:
            check(mutant)
    except AssertionError:
        return True
    return False


def check_power(check: Callable[..., Any], mutants: Iterable[Any] = (), *args: Any) -> tuple[bool, int, int]:
    """(passes, mutants, rejected): whether `check(*args)` holds, and how many of `mutants` it rejects (`rejects`).
    What a check verdict needs (`experiments.common.theory_verdict` judges it; theory does not import verdicts)."""
    try:
        check(*args)
        passes = True
    except AssertionError:
        passes = False
    ms = list(mutants)
    return passes, len(ms), int(sum(rejects(check, m) for m in ms))


def _required_params(fn: Callable[..., Any]) -> int:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return 1
    return sum(1 for p in sig.parameters.values()
               if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def falsifiability(checks: Mapping[str, Callable[..., Any]], mutants: Mapping[str, Iterable[Any]]):
    """A pandas table: per check, whether it passes at its claim, its mutants and how many it rejects (all of them)."""
    import pandas as pd

    rows = []
    for name, fn in checks.items():
        try:
            fn()
            passes = "yes"
        except AssertionError as exc:
            passes = f"no: {exc}"[:120]
        ms = list(mutants.get(name, ()))
        labels = [m[0] if isinstance(m, tuple) and len(m) == 2 and isinstance(m[0], str)
                  else getattr(m, "label", repr(m)[:60]) for m in ms]
        rejected = [rejects(fn, m) for m in ms]
        rows.append({"check": name, "passes at its claim": passes, "mutants": len(ms), "rejected": int(sum(rejected)),
                     "passed (should be none)": "; ".join(lab for lab, ok in zip(labels, rejected) if not ok)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------- step tables
@dataclass(frozen=True)
class Step:
    """One displayed step of a proof, how the book checks it, and the computed verdict."""

    proof: str
    step: str
    claim: str
    how: str
    verdict: str
    evidence: str
    survives: str = ""


def step_check(proof: str, step: str, claim: str, how: str, check: Callable[[], Any],
               evidence: Callable[[Any], str] | str = "") -> Step:
    """A step whose check must pass: verdict 'holds' (or CHECK FAILED with the message)."""
    try:
        out = check()
    except AssertionError as exc:  # shown, not hidden: the table then says the book's own check failed
        return Step(proof, step, claim, how, FAILED, str(exc)[:300])
    ev = evidence(out) if callable(evidence) else evidence
    return Step(proof, step, claim, _how(how, out), HOLDS, ev)


def _how(how: str, out: Any) -> str:
    """The step's method, followed by what the check searched and how hard (its Result.how)."""
    detail = getattr(out, "how", "")
    return f"{how}: {detail}" if detail and detail not in how else how


def step_extra(proof: str, step: str, claim: str, how: str, assumption: str, check: Callable[[], Any],
               refute: Callable[[], Mapping[str, Any]]) -> Step:
    """A step that holds only under `assumption`: the check under it passes, `refute` shows it fails without."""
    try:
        out = check()
        cex = refute()
    except AssertionError as exc:
        return Step(proof, step, claim, how, FAILED, str(exc)[:300])
    return Step(proof, step, claim, _how(how, out), f"{EXTRA}: {assumption}", describe(cex))


def step_false(proof: str, step: str, claim: str, how: str, refute: Callable[[], Mapping[str, Any]],
               survives: str) -> Step:
    """A printed step that is false: the counterexample `refute` computed, and whether the theorem survives."""
    try:
        cex = refute()
    except AssertionError as exc:  # the refutation no longer refutes
        return Step(proof, step, claim, how, FAILED, str(exc)[:300])
    return Step(proof, step, claim, how, FALSE, describe(cex), survives)


def step_cited(proof: str, step: str, claim: str, how: str, note: str) -> Step:
    """A step the book does not prove (a cited result or a reading); `how` says what was checked instead."""
    return Step(proof, step, claim, how, READING, note)


def describe(cex: Mapping[str, Any]) -> str:
    """A counterexample dict as one line: its 'counterexample' text first, then the numbers."""
    parts = [str(cex["counterexample"])] if "counterexample" in cex else []
    for k, v in cex.items():
        if k in ("counterexample",) or k.startswith("_"):
            continue
        parts.append(f"{k} = {fmt(v)}")
    return "; ".join(parts)


def fmt(v: Any) -> str:
    """Short number formatting for tables."""
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    if isinstance(v, np.ndarray):
        return np.array2string(v, precision=3, separator=", ", max_line_width=200)
    return str(v)


def steps_table(steps: Iterable[Step]):
    """The pandas table of a proof's steps: step, claim, how checked, verdict, evidence, theorem survives."""
    import pandas as pd

    return pd.DataFrame([{"step": s.step, "claim": s.claim, "how checked": s.how, "verdict": s.verdict,
                          "evidence": s.evidence, "theorem survives": s.survives or "-"} for s in steps])


# ---------------------------------------------------------------------------------------------- shared tools
def bhc_radius(cells: float, n: float, level: float, factor: float = 2.0) -> float:
    """sqrt((factor * K log 2 + 2 log(1/level)) / n): the deviation at which 2^K exp(-n l^2/2) = level (factor 2)."""
    return math.sqrt((factor * cells * math.log(2) + 2 * math.log(1 / level)) / n)


def bhc_tail(cells: int, n: int, radius: float, reps: int = 4000, seed: int = 0, probs: np.ndarray | None = None
             ) -> float:
    """Monte-Carlo P(sum_j |N_j/n - p_j| >= radius) for multinomial counts N of n draws into `cells` cells."""
    rng = np.random.default_rng(seed)
    p = np.full(cells, 1 / cells) if probs is None else np.asarray(probs, float)
    counts = rng.multinomial(n, p, size=reps)
    dev = np.abs(counts / n - p).sum(1)
    return float((dev >= radius).mean())


def check_bhc_radius_claim(radius_fn: Callable[[int, int, float], float], grid: Iterable[tuple[int, int]]
                           = ((4, 50), (10, 100), (20, 200), (40, 400)), level: float = 0.05, reps: int = 4000,
                           seed: int = 0) -> dict[str, float]:
    """Monte-Carlo test of a claimed high-probability radius: the tail at it must be <= level (+3 s.e.)."""
    worst = {}
    for cells, n in grid:
        tail = bhc_tail(cells, n, radius_fn(cells, n, level), reps, seed)
        se = math.sqrt(level * (1 - level) / reps)
        assert tail <= level + 3 * se, (f"tail {tail:.3f} > level {level} at K={cells}, n={n}: "
                                        "the claimed radius is too small")
        worst[f"tail at K={cells} n={n}"] = tail
    return worst
