"""Every driver: settings for every profile, recipes the zoo accepts, and notebooks without CHAPTER dicts."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from robustbook.experiments.common import PROFILE_NAMES, settings_tables
from robustbook import zoo

ROOT = Path(__file__).resolve().parents[1]


def test_every_driver_has_frozen_settings_at_every_profile():
    tables = settings_tables()
    papers = {name.split(".")[0] for name in tables}
    assert {"foundations", "yi2021", "nern2023", "alhamoud2023", "bai2024", "wen2020", "evaluating"} <= papers
    for driver, named in tables.items():
        for name, table in named.items():
            assert set(table) == set(PROFILE_NAMES), (driver, name)
            s = table["cpu"]
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(s, dataclasses.fields(s)[0].name, None)


def test_no_notebook_keeps_its_own_budget():
    offenders = [p for p in ROOT.glob("notebooks/**/*.md") if "CHAPTER = {" in p.read_text()]
    assert not offenders


def test_driver_recipes_have_keys():
    from robustbook.experiments import nern2023, wen2020

    s = wen2020.regularizer_settings("smoke")
    keys = {zoo.key(wen2020.recipe(s, "bn", ar)) for ar in s.ar_grid}
    keys.add(zoo.key(wen2020.recipe(s, "bn", 16, "fgsm")))
    keys.add(zoo.key(wen2020.recipe(wen2020.capacity_settings("smoke"), "fixup", 16, clip=1.0)))
    assert len(keys) == len(s.ar_grid) + 2
    t = nern2023.transfer_settings("smoke")
    enc = nern2023.encoder_recipe(t, "standard", "linf", 0.0, epochs=1, batch_size=64, lr=0.01, train_size=64)
    probes = {zoo.key(nern2023.probe_recipe(t, enc, wd, 64)) for wd in t.weight_decays}
    assert len(probes) == len(t.weight_decays) and zoo.key(enc) not in probes
