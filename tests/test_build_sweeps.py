"""Sweeps as zoo jobs: each driver lists its recipes, a build trains them first (submitit array or pool), a
failing recipe is reported as such and the notebooks still run (the submitit case: tests/test_build.py).
That the lists equal what the notebooks request is checked on the smoke book itself: tests/test_notebooks.py."""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

from robustbook import experiments
from robustbook.bookbuild import schedule
from robustbook.train import TrainConfig
from robustbook import zoo

GOOD = zoo.Recipe("smallcnn", "digits32", TrainConfig(epochs=1, batch_size=32), seed=0, train_size=32)
BROKEN = zoo.Recipe("smallcnn", "no_such_data_set", TrainConfig(epochs=1), seed=0, train_size=32)
DRIVERS = [i.name for i in pkgutil.iter_modules(experiments.__path__)
           if hasattr(importlib.import_module(f"robustbook.experiments.{i.name}"), "sweep_recipes")]


def test_the_sweep_chapters_have_drivers_with_sweep_recipes():
    assert {"wen2020", "yi2021", "alhamoud2023", "bai2024", "nern2023", "foundations"} <= set(DRIVERS)


@pytest.mark.parametrize("name", DRIVERS)
def test_each_driver_lists_distinct_recipes_that_follow_profile_and_seed(name):
    hook = importlib.import_module(f"robustbook.experiments.{name}").sweep_recipes
    smoke, seed1 = hook("smoke"), hook("smoke", seed=1)
    assert smoke and all(isinstance(r, zoo.Recipe) for r in smoke)
    assert hook("smoke", notebooks={"no_such_notebook"}) == []
    assert len({zoo.key(r) for r in smoke}) == len(smoke)  # no recipe twice: one array task each
    assert {r.seed for r in seed1} == {1} and len(seed1) == len(smoke)


def test_the_build_lists_only_the_recipes_of_the_notebooks_to_run(tmp_path):
    root = Path(__file__).resolve().parents[1]

    def task(rel: str) -> schedule.Task:
        return schedule.Task(root / "notebooks" / rel, tmp_path / "x.ipynb", {}, root)

    assert "wen2020" in schedule.drivers_of([task("wen2020/capacity.md")])
    assert "yi2021" not in schedule.drivers_of([task("wen2020/capacity.md")])
    wen = importlib.import_module("robustbook.experiments.wen2020")
    capacity = schedule.sweep_recipes("smoke", tasks=[task("wen2020/capacity.md")])
    assert capacity == wen.sweep_recipes("smoke", notebooks={"capacity"}) and capacity
    assert set(capacity) < set(wen.sweep_recipes("smoke"))  # not the AR sweep of the regularizer page
    assert schedule.sweep_recipes("smoke", tasks=[task("wen2020/theory.md")]) == []  # trains nothing
    everything = schedule.sweep_recipes("smoke")
    assert set(capacity) < set(everything) and len(set(everything)) == len(everything)
    lines: list[str] = []  # a driver that cannot list its recipes (data not downloaded) is skipped, not fatal
    schedule.sweep_recipes("gpu", tasks=[task("wen2020/capacity.md"), task("alhamoud2023/certified.md")],
                        out=lines.append)
    assert not lines or all("skipped" in ln for ln in lines)


def test_the_pool_can_train_the_sweeps_first_and_isolates_a_failure():
    lines: list[str] = []
    outcomes = schedule.pretrain_pool([GOOD, BROKEN], 2, [], "cpu", lines.append)
    by_name = {o.source.name: o for o in outcomes}
    assert by_name[schedule.recipe_name(GOOD)].status == "ran"
    bad = by_name[schedule.recipe_name(BROKEN)]
    assert bad.status == "failed" and "no_such_data_set" in bad.error
    assert len(lines) == 2 and all(ln.startswith("  zoo [") for ln in lines)
    text = schedule.summary([], Path("."), 1.0, outcomes)
    assert "1 recipe(s) trained or found, 1 failed" in text and "FAILED zoo recipe" in text
