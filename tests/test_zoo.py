"""The zoo: one way in (`get_or_train(recipe)`), a key that is exactly what decides the weights, a per-key
lock shared by concurrent processes, atomic writes, and corrupt entries retrained with a warning."""
from __future__ import annotations

import dataclasses
import multiprocessing as mp
import time
from pathlib import Path

import pytest
import torch

from robustbook import hashing
from robustbook.train import TrainConfig
from robustbook import zoo
from robustbook.zoo import Recipe
from robustbook.train.registry import REGISTRY, objective_names

from test_hashing import edit, pkg  # noqa: F401  (the fixture)

TINY = TrainConfig(epochs=1, batch_size=32, lr=0.02)
LOOP = {"objective", "epochs", "batch_size", "lr", "optimizer", "momentum", "weight_decay", "schedule"}
# A value different from the default for every TrainConfig field (valid for every objective).
CHANGED = {"epochs": 2, "batch_size": 16, "lr": 0.03, "momentum": 0.5, "weight_decay": 1e-3, "schedule": "constant",
           "milestones": (0.5,), "gamma": 0.5, "eps": 0.2, "alpha": 0.01, "steps": 3, "norm": "l2", "ascent": "raw",
           "random_start": False, "beta": 2.0, "lam": 0.3, "noise_sigma": 0.2, "optimizer": "adam"}


def _recipe(**kw) -> Recipe:
    return Recipe("linear", "digits32", kw.pop("train", TINY), seed=kw.pop("seed", 0), train_size=64, **kw)


def test_every_field_an_objective_reads_changes_the_key_and_no_other():
    assert set(CHANGED) | {"objective"} == {f.name for f in dataclasses.fields(TrainConfig)}
    for name in objective_names():
        base_cfg = TINY.replace(objective=name, eps=0.1)
        base = zoo.key(_recipe(train=base_cfg))
        reads = set(REGISTRY[name].reads) | LOOP
        for field, value in CHANGED.items():
            if field == "eps":
                value = 0.3
            changed = zoo.key(_recipe(train=base_cfg.replace(**{field: value}))) != base
            assert changed == (field in reads), (name, field)
    # the multistep schedule reads its milestones and decay
    ms = TINY.replace(schedule="multistep", milestones=(0.5,))
    assert zoo.key(_recipe(train=ms)) != zoo.key(_recipe(train=ms.replace(gamma=0.5)))


def test_recipe_fields_data_and_device_change_the_key():
    base = zoo.key(_recipe())
    for other in (_recipe(seed=1), _recipe(arch_options=()).replace(arch="mlp"), _recipe(channels=3),
                  _recipe(clip=1.0), _recipe(normalize=None), _recipe().replace(train_size=32),
                  _recipe().replace(dataset="digits32_source")):
        assert zoo.key(other) != base, other
    assert zoo.key(_recipe(), "cpu") == base
    parts = zoo.components(_recipe(), "cuda")
    assert parts["device"] == "cuda" and parts["precision"] != zoo.components(_recipe())["precision"]


def test_docstring_and_comment_edits_leave_every_key_unchanged(pkg):  # noqa: F811
    recipes = [_recipe(), _recipe(train=TINY.replace(objective="trades")),
               _recipe(train=TINY.replace(objective="smooth_pixel_gaussian", noise_sigma=0.1)),
               Recipe("fixup_resnet", "digits32", TINY, arch_options=(("depth", 8), ("width", 4)), clip=1.0)]
    before = [zoo.key(r) for r in recipes]
    edit(pkg / "models" / "small.py", '"""The small CNN for 32x32 inputs."""', '"""A small CNN (docs edited)."""')
    edit(pkg / "train" / "loop.py", "def make_optimizer(", "# a new comment\ndef make_optimizer(")
    edit(pkg / "train" / "objectives.py", '"""TRADES (Zhang et al. 2019)', '"""TRADES (Zhang, Yu et al. 2019)')
    edit(pkg / "evaluate" / "spectral.py", '"""', '"""Edited. ')
    assert [zoo.key(r) for r in recipes] == before


def test_editing_an_objective_changes_only_the_keys_of_recipes_that_use_it(pkg):  # noqa: F811
    names = ["standard", "adversarial", "augmented", "trades", "smooth_pixel_gaussian", "smooth_rotation_uniform"]
    recipes = {n: _recipe(train=TINY.replace(objective=n, eps=0.1, noise_sigma=0.1)) for n in names}
    before = {n: zoo.key(r) for n, r in recipes.items()}
    edit(pkg / "train" / "objectives.py", "0.001 * torch.randn_like(x)", "0.002 * torch.randn_like(x)")  # trades
    after = {n: zoo.key(r) for n, r in recipes.items()}
    assert [n for n in names if after[n] != before[n]] == ["trades"]
    edit(pkg / "certify" / "deform.py", "def warp(", "_UNUSED = 1\n\n\ndef warp(")  # smoothing noise code
    later = {n: zoo.key(r) for n, r in recipes.items()}
    assert [n for n in names if later[n] != after[n]] == ["smooth_pixel_gaussian", "smooth_rotation_uniform"]


def test_get_or_train_trains_once_then_loads_and_says_why_it_retrains(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(tmp_path))
    calls = []
    real_fit = zoo.fit
    monkeypatch.setattr(zoo, "fit", lambda *a, **k: calls.append(1) or real_fit(*a, **k))
    a = zoo.get_or_train(_recipe(), progress=False)
    b = zoo.get(_recipe(), progress=False)  # the alias
    assert len(calls) == 1 and not a.training
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert zoo.stored_components(_recipe()) == zoo.components(_recipe())
    real = zoo.components

    def new_torch(recipe, device="cpu"):
        return {**real(recipe, device), "torch": "9.9"}
    monkeypatch.setattr(zoo, "components", new_torch)
    zoo.get_or_train(_recipe(), progress=False)
    assert len(calls) == 2 and "new torch" in capsys.readouterr().out
    assert not list((tmp_path / "zoo").glob("*.part"))


def test_a_failure_during_save_leaves_no_entry(monkeypatch, tmp_path):
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(tmp_path))

    def broken_save(obj, f, *a, **k):
        Path(f).write_bytes(b"half a checkpoint")
        raise OSError("disk full")
    monkeypatch.setattr(zoo.torch, "save", broken_save)
    with pytest.raises(OSError):
        zoo.get_or_train(_recipe(), progress=False)
    assert not list((tmp_path / "zoo").glob("*.pt")) and not list((tmp_path / "zoo").glob("*.part"))


def test_a_corrupt_checkpoint_is_retrained_with_a_warning_naming_it(monkeypatch, tmp_path):
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(tmp_path))
    zoo.get_or_train(_recipe(), progress=False)
    (entry,) = (tmp_path / "zoo").glob("*.pt")
    entry.write_bytes(b"<html>not a checkpoint</html>")
    with pytest.warns(RuntimeWarning, match=entry.name):
        model = zoo.get_or_train(_recipe(), progress=False)
    assert isinstance(model, torch.nn.Module)
    torch.load(entry, weights_only=True)  # rewritten and readable again


RACE = Recipe("linear", "digits32", TINY.replace(objective="smooth_pixel_gaussian", noise_sigma=0.1), train_size=64)


def _race_worker(cache: str, out: str) -> None:
    """Run in a spawned process: fetch the tiny recipe, recording whether this process trained it. The recipe's
    objective lives in `robustbook.certify`, which no code here imports: the registry must find it."""
    import os
    os.environ["ROBUSTBOOK_CACHE"] = cache
    from robustbook import zoo as z
    real_fit = z.fit

    def slow_fit(*a, **k):
        Path(out + ".trained").write_text("1")
        time.sleep(1.0)  # hold the lock long enough for the other process to arrive
        return real_fit(*a, **k)
    z.fit = slow_fit
    model = z.get_or_train(RACE, progress=False)
    torch.save(model.state_dict(), out)


def test_two_fresh_processes_asking_for_one_missing_key_train_it_once(tmp_path):
    ctx = mp.get_context("spawn")
    outs = [str(tmp_path / f"p{i}.pt") for i in range(2)]
    procs = [ctx.Process(target=_race_worker, args=(str(tmp_path / "cache"), o)) for o in outs]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
        assert p.exitcode == 0
    trained = [Path(o + ".trained").exists() for o in outs]
    assert sum(trained) == 1, trained
    a, b = (torch.load(o, weights_only=True) for o in outs)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert len(list((tmp_path / "cache" / "zoo").glob("*.pt"))) == 1


def test_bad_recipes_are_refused():
    with pytest.raises(ValueError, match="arch"):
        Recipe("no_such_net")
    with pytest.raises(ValueError, match="selection"):
        Recipe("mlp", selection="best")
    with pytest.raises(ValueError, match="holdout_domain"):
        Recipe("mlp", "rotated_digits", selection="source_val")


def test_code_digests_name_the_modules_a_recipe_runs():
    mods = zoo.code_modules(_recipe(clip=1.0))
    assert mods["architecture"][0] == "robustbook.models.small"
    assert "robustbook.evaluate.spectral" in mods["spectral clip"]
    assert "robustbook.certify.smoothing" not in hashing.import_closure(
        zoo.code_modules(_recipe(train=TINY.replace(objective="smooth_pixel_gaussian")))["objective"])


def test_finetuning_starts_every_layer_but_the_head_from_the_init_model(monkeypatch, tmp_path):
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(tmp_path))
    init = Recipe("smallcnn", "digits32", TINY, train_size=64)
    tuned = Recipe("smallcnn", "digits32", TINY.replace(lr=0.01), train_size=64, init=init)
    assert zoo.key(tuned) != zoo.key(tuned.replace(init=None))  # the init model is part of the key ...
    assert zoo.key(tuned) != zoo.key(tuned.replace(init=init.replace(seed=1)))  # ... by its own key
    source = zoo.get_or_train(init, progress=False).state_dict()
    start = zoo._build(tuned, "cpu").state_dict()
    body = [k for k in source if zoo.HEAD not in k]
    assert body and all(torch.equal(start[k], source[k]) for k in body)
    assert any(not torch.equal(start[k], source[k]) for k in source if zoo.HEAD in k)  # a fresh head
    with pytest.raises(ValueError, match="does not fit"):  # an init of another architecture is refused
        zoo._build(tuned.replace(init=Recipe("linear", "digits32", TINY, train_size=64)), "cpu")


def test_text_recipes_are_checked_and_keyed_on_their_text_fields():
    from robustbook.train.text import TextTrainConfig

    cfg = TextTrainConfig(epochs=1, batch_size=8, max_length=16)
    r = Recipe("minilm", "text:airline", cfg, train_size=32, num_classes=2)
    assert r.is_text and r.label == "minilm/Std"
    assert zoo.code_modules(r) == {"architecture": ["robustbook.models.text"], "loop": ["robustbook.train.text"],
                                   "data loader": ["robustbook.data.text"]}
    keys = {zoo.key(r), zoo.key(r.replace(train=cfg.__class__(method="Adv-l2", epochs=1, batch_size=8,
                                                               max_length=16))),
            zoo.key(r.replace(dataset="text:cars")), zoo.key(r.replace(train_size=16)), zoo.key(r.replace(seed=1))}
    assert len(keys) == 5
    with pytest.raises(ValueError, match="text:"):
        Recipe("minilm", "airline", cfg, num_classes=2)
    with pytest.raises(ValueError, match="num_classes"):
        Recipe("minilm", "text:airline", cfg)
    with pytest.raises(ValueError, match="minilm"):
        Recipe("no-such-encoder", "text:airline", cfg, num_classes=2)


def test_the_training_history_is_stored_with_the_model(monkeypatch, tmp_path):
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(tmp_path))
    two = _recipe(train=TINY.replace(epochs=2))
    assert zoo.history(two) is None  # not trained yet
    zoo.get_or_train(two, progress=False)
    hist = zoo.history(two)
    assert len(hist) == 2 and (hist["loss"] > 0).all()
    assert zoo.history(_recipe()) is None  # another key


def _append_code(path: Path) -> None:
    """A change of substance at the end of a module: a new top-level function (what a digest must notice)."""
    path.write_text(path.read_text() + "\n\ndef _edited_by_the_test():\n    return 1\n")


def test_the_zoo_key_moves_only_with_the_code_that_builds_trains_and_feeds_the_model(pkg):  # noqa: F811
    """`robustbook.zoo.key`: editing the book tooling, the parameter schema, the session or the profiles moves
    no key; editing the architecture, the objective, the loop or the loader moves it."""
    recipe = _recipe(train=TINY.replace(objective="adversarial", eps=0.1, steps=2))
    before = zoo.key(recipe)
    untouched = [pkg / "params.py", pkg / "session.py", pkg / "profiles.py", pkg / "cli.py", pkg / "fixtures.py",
                 *sorted((pkg / "bookbuild").glob("*.py")), *sorted((pkg / "papers").glob("*.py")),
                 *sorted((pkg / "experiments").rglob("*.py")), *sorted((pkg / "theory").glob("*.py"))]
    for path in untouched:
        _append_code(path)
        assert zoo.key(recipe) == before, f"an edit of {path.relative_to(pkg)} moved the zoo key"
    assert len(untouched) > 20
    for part in ("models/small.py", "train/objectives.py", "train/loop.py", "data/images.py"):
        _append_code(pkg / part)
        after = zoo.key(recipe)
        assert after != before, f"an edit of {part} left the zoo key unchanged"
        before = after
