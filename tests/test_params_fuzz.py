"""Fuzz the command line with bad parameters: every notebook of the toc, every declared parameter.

A wrong-typed value, an out-of-range value and an unknown name must each be refused in one line naming the
parameter, before any kernel starts, in under 2 s, with nothing written.
"""
from __future__ import annotations

import dataclasses

import time
from pathlib import Path

import pytest

from robustbook import params, cli
from robustbook.bookbuild import execute, notebooks, schedule
from robustbook.session import setup

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = notebooks.toc_notebooks(ROOT)


def _cases() -> list[tuple[str, str, str, object]]:
    out = []
    for nb in NOTEBOOKS:
        rel = nb.relative_to(ROOT).as_posix()
        for name, p in (params.declared(nb, ROOT) or {}).items():
            for what, value in p.bad_values().items():
                out.append((rel, name, what, value))
        out.append((rel, "no_such_knob", "unknown name", 1))
    return out


CASES = _cases()


@pytest.fixture
def no_kernel(monkeypatch):
    """Fail loudly if anything would execute a notebook."""
    import papermill

    def refuse(*a, **k):
        raise AssertionError("a kernel was about to start")

    monkeypatch.setattr(papermill, "execute_notebook", refuse)
    monkeypatch.setattr(schedule, "build", refuse)
    monkeypatch.chdir(ROOT)


def test_every_toc_notebook_is_declared():
    assert len(CASES) > 3 * len(NOTEBOOKS)
    for nb in NOTEBOOKS:
        schema = params.declared(nb, ROOT)
        assert schema is not None, f"{nb.relative_to(ROOT)} has no entry in robustbook.params.NOTEBOOKS"
        cell = [name for name, _, _ in params.cell_parameters(nb)]
        assert cell == list(schema), f"{nb.relative_to(ROOT)}: cell {cell} != schema {list(schema)}"


def test_defaults_pass_their_own_checks_and_comments_come_from_the_schema():
    for nb in NOTEBOOKS:
        schema = params.declared(nb, ROOT)
        for name, default, comment in params.cell_parameters(nb):
            schema[name].check(name, execute.parse_value(default))
            assert comment == schema[name].meaning, f"{nb.name}:{name}: run `robustbook params --sync`"
        assert not params.sync_cell(nb, ROOT, write=False)


def test_one_type_per_name_across_notebooks():
    for name, first in params.by_name().items():
        for nb, schema in params.NOTEBOOKS.items():
            if name in schema:
                same = [dataclasses.replace(p, meaning="", table=None) for p in (schema[name], first)]
                assert same[0] == same[1], f"{name} is typed differently in {nb}"


@pytest.mark.parametrize("notebook,name,what,value", CASES, ids=[f"{c[0]}:{c[1]}:{c[2]}" for c in CASES])
def test_bad_value_is_refused_in_one_line(notebook, name, what, value, no_kernel, capsys):
    before = sorted(p.name for p in (ROOT / notebook).parent.iterdir())
    start = time.perf_counter()
    status = cli.main(["run", notebook, "--profile", "smoke", "-p", name, repr(value)])
    took = time.perf_counter() - start
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert len(err.splitlines()) == 1, err
    assert name in err and repr(value) in err
    assert ("valid names are" in err) if what == "unknown name" else ("allowed:" in err)
    assert ("out of range" in err or "unknown choice" in err) if what == "out of range" else True
    assert took < 2.0, f"refusal took {took:.2f} s"
    assert sorted(p.name for p in (ROOT / notebook).parent.iterdir()) == before  # nothing written


def test_build_refuses_a_name_no_notebook_declares(no_kernel, capsys):
    assert cli.main(["build", "--profile", "smoke", "-p", "eps_trian", "0.1"]) == 2
    err = capsys.readouterr().err
    assert "eps_trian" in err and "eps_train" in err  # the valid names are listed


def test_setup_checks_again_for_papermill_users():
    with pytest.raises(ValueError, match="eps_train='abc'"):
        setup("smoke", eps_train="abc")
    # papermill injects the value into the notebook's namespace; setup() finds it there
    namespace = {"__name__": "__main__", "get_ipython": object(), "severity": 9, "setup": setup}
    with pytest.raises(ValueError, match="severity=9.*\\[1, 5\\]"):
        exec("setup('smoke')", namespace)
    namespace["severity"] = 3
    exec("cfg = setup('smoke')", namespace)
    assert namespace["cfg"].profile.name == "smoke"


def test_sync_rewrites_a_stale_comment(tmp_path, monkeypatch):
    src = tmp_path / "notebooks" / "yi2021" / "table1.md"
    src.parent.mkdir(parents=True)
    text = (ROOT / "notebooks/yi2021/table1.md").read_text()
    src.write_text(text.replace("# corruption severity (1-5)", "# how bad"))
    assert params.sync_cell(src, tmp_path, write=False) and "# how bad" in src.read_text()
    assert params.sync_cell(src, tmp_path) and src.read_text() == text
    assert not params.sync_cell(src, tmp_path)


def test_list_shows_what_each_parameter_allows(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "severity = 5  # corruption severity (1-5); the paper reports 5 for CIFAR-10-C  [an integer in " \
           "[1, 5]]" in out


def test_kinds_say_no_to_what_they_should():
    p = params.Param("floats", "radii", low=0, high=255, optional=True)
    assert p.problem([1, 2.5]) is None and p.problem(None) is None and p.problem((0,)) is None
    assert p.problem([]) and p.problem([1, -1]) and p.problem("1,2") and p.problem([True])
    q = params.Param("int", "steps", low=1)
    assert q.problem(3) is None and q.problem(3.0) and q.problem(True) and q.problem(0) and q.problem(None)
    r = params.Param("float", "prob", low=0, high=1, low_open=True, high_open=True)
    assert r.problem(0.5) is None and r.problem(0) and r.problem(1) and r.problem(float("nan"))
    t = params.Param("text", "a folder")
    assert t.problem("") is None and t.problem("/x") is None and t.problem(3) and t.problem(None)
    assert list(t.bad_values()) == ["wrong type"]
    d = params.Param("device", "d", choices=("auto", "cpu", "cuda"))
    assert d.problem("cuda:1") is None and d.problem("cuda:x") and d.problem("tpu")


def test_the_command_refuses_in_a_fresh_process_without_importing_torch():
    import os
    import subprocess
    import sys

    code = ("import sys; from robustbook import cli; "
            "rc = cli.main(['run', 'notebooks/foundations/threat_models.md', '-p', 'eps_train', 'abc']); "
            "print(rc, 'torch' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    took = time.perf_counter() - start
    assert done.stdout.split() == ["2", "False"], done.stderr
    assert "invalid parameter eps_train='abc'" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert took < 2.0, f"a refusal took {took:.1f} s from the shell"


def test_every_profile_default_knob_names_the_one_place_its_default_lives():
    """A knob whose None means "the profile default" declares the driver table holding that default, and the
    table has it at every profile (so `robustbook list` and the reference page read it, nobody copies it)."""
    from robustbook.bookbuild.notebooks import profile_defaults
    from robustbook.profiles import PROFILE_NAMES

    optional = [(nb, name, p) for nb, ps in params.NOTEBOOKS.items() for name, p in ps.items() if p.optional]
    assert optional
    for nb, name, p in optional:
        assert p.table, f"{nb}: {name} says None means the profile default but names no table"
        assert set(profile_defaults(p.table, name)) == set(PROFILE_NAMES), (nb, name)
    with pytest.raises(ValueError, match="no field"):
        profile_defaults("robustbook.experiments.foundations:THREAT_MODELS", "no_such_knob")
