"""Every theory check can say "no": each registered check passes on its claim and rejects every one of its mutants.

Discovers every module of `robustbook.theory` that defines `CHECKS` (so a new paper's module is picked up without
editing this file), runs each check at its default claim, then on each of its `MUTANTS` (the printed slip, a
constant changed, a factor dropped, an inequality reversed), and fails if a mutant passes or a check has none.
Run `python -m pytest tests/test_falsifiable.py -q -s` (or `python tests/test_falsifiable.py`) to see, per paper,
the checks and the mutants rejected.
"""
from __future__ import annotations

import importlib
import pkgutil

import pytest

import robustbook.theory as theory_pkg
from robustbook.theory.core import rejects


def _modules() -> list[str]:
    names = []
    for info in pkgutil.iter_modules(theory_pkg.__path__):
        mod = importlib.import_module(f"robustbook.theory.{info.name}")
        if hasattr(mod, "CHECKS"):
            names.append(info.name)
    return sorted(names)


def _as_dict(checks) -> dict:
    return dict(checks) if hasattr(checks, "items") else {fn.__name__: fn for fn in checks}


def falsifiability_rows(name: str) -> list[dict]:
    """One row per check of module `name`: passes at its claim?, mutants, mutants rejected."""
    mod = importlib.import_module(f"robustbook.theory.{name}")
    checks, mutants = _as_dict(mod.CHECKS), dict(getattr(mod, "MUTANTS", {}))
    rows = []
    for check_name, fn in checks.items():
        try:
            fn()
            passes = "yes"
        except AssertionError as exc:
            passes = f"NO: {exc}"[:200]
        ms = list(mutants.get(check_name, ()))
        survived = [m[0] if isinstance(m, tuple) and m and isinstance(m[0], str) else getattr(m, "label", repr(m)[:60])
                    for m in ms if not rejects(fn, m)]
        rows.append({"check": check_name, "passes": passes, "mutants": len(ms), "rejected": len(ms) - len(survived),
                     "survived": survived})
    unknown = sorted(set(mutants) - set(checks))
    for u in unknown:
        rows.append({"check": u, "passes": "NO: mutants for a check that is not registered", "mutants": 0,
                     "rejected": 0, "survived": []})
    return rows


def report(name: str, rows: list[dict]) -> str:
    """A per-paper block: checks, mutants, rejected."""
    lines = [f"{name}: {len(rows)} checks, {sum(r['mutants'] for r in rows)} mutants, "
             f"{sum(r['rejected'] for r in rows)} rejected, {sum(r['mutants'] == 0 for r in rows)} checks without a mutant"]
    for r in rows:
        flag = "" if r["passes"] == "yes" and r["mutants"] and not r["survived"] else "   <-- FAILS"
        lines.append(f"  {r['check']:32s} passes={r['passes'][:40]:5s} mutants rejected {r['rejected']}/{r['mutants']}"
                     f"{flag}")
    return "\n".join(lines)


MODULES = _modules()


def test_every_paper_module_is_discovered():
    assert {"yi2021", "nern2023", "wen2020", "alhamoud2023"} <= set(MODULES), MODULES


@pytest.mark.parametrize("name", MODULES)
def test_checks_pass_and_reject_every_mutant(name):
    rows = falsifiability_rows(name)
    text = report(name, rows)
    print("\n" + text)
    assert rows, f"{name} registers no checks"
    bad = [r for r in rows if r["passes"] != "yes" or r["mutants"] == 0 or r["survived"]]
    assert not bad, "\n" + text + "\n" + "\n".join(
        f"{r['check']}: passes={r['passes']}, mutants={r['mutants']}, survived={r['survived']}" for r in bad)


def test_rejects_distinguishes_a_vacuous_check():
    """The harness itself can fail: a check that ignores its claim lets every mutant through."""
    def vacuous(claim=None):
        return True

    def honest(claim=1):
        assert claim == 1, "wrong claim"

    assert not rejects(vacuous, 2)
    assert rejects(honest, 2) and not rejects(honest, 1)


if __name__ == "__main__":
    for mod_name in MODULES:
        print(report(mod_name, falsifiability_rows(mod_name)))
