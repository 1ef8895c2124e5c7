"""bai2024 theory: every check passes, every mutant is rejected, the refutations find their counterexamples."""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from robustbook.theory import bai2024 as T


@pytest.mark.parametrize("name", list(T.CHECKS))
def test_check_passes(name):
    assert isinstance(T.CHECKS[name](), dict)


@pytest.mark.parametrize("name", [n for n, m in T.MUTANTS.items() if m])
def test_every_mutant_is_rejected(name):
    for label, run in T.MUTANTS[name]:
        with pytest.raises(AssertionError):
            run()


def test_every_check_has_a_mutants_entry():
    assert set(T.MUTANTS) == set(T.CHECKS)


def test_logistic_remainder_vanishes_linearly():
    r = T.check_theorem41_logistic()
    assert 0.8 < r["fitted rate"] < 1.2
    assert np.all(np.diff(np.abs(r["remainder"])) < 0)


def test_budget_with_estimated_upsilon_is_off_by_the_estimate_ratio():
    l1 = np.random.default_rng(0).gamma(0.5, size=2000)  # heavy spread: a 10% sample misjudges Upsilon
    ratios = T.budget_radius_with_estimate(l1, 0.1, draws=10)
    assert ratios.shape == (10,) and np.all(ratios > 0)
    assert np.abs(ratios - 1).max() > 1e-3  # the union is no longer exactly on the sphere of radius delta


def test_refutations_find_counterexamples():
    assert all(abs(v["W_2 (T2 - T1)"]) > 10 for v in T.refute_table2_vs_table1().values())
    bad = T.refute_eta_one_always_better()
    assert any(r["network"] == "Zhang et al. (2019)" and r["mode"] == "whole" for r in bad)
    chen = T.refute_chen_architecture()
    assert chen["text"] != chen["Table 1"]


def test_theory_module_does_not_import_torch_at_top_level():
    tree = ast.parse(Path(T.__file__).read_text())
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = [a.name for n in top for a in n.names] + [n.module or "" for n in top if isinstance(n, ast.ImportFrom)]
    assert not any(x.startswith("torch") for x in names)
