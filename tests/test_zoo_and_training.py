"""Training loop and zoo: determinism, cache hits, corrupt entries, atomic writes."""
from __future__ import annotations

import pytest
import torch

from robustbook import data
from robustbook.models import build
from robustbook.train import Recipe, TrainConfig, fit, zoo

TINY = TrainConfig(epochs=1, batch_size=32, lr=0.02)


def _recipe(**kw):
    return Recipe("linear", "digits32", kw.pop("train", TINY), seed=kw.pop("seed", 0), train_size=64)


def test_fit_is_deterministic():
    states = []
    for _ in range(2):
        torch.manual_seed(0)
        m = build("smallcnn", 10, 1)
        fit(m, data.subset(data.digits32("train"), 128), TINY.replace(objective="adversarial", eps=0.1, steps=2),
            seed=5, progress=False)
        states.append(m.state_dict())
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


@pytest.mark.parametrize("objective", ["standard", "adversarial", "augmented", "trades"])
def test_every_objective_trains_and_lowers_the_loss(objective):
    torch.manual_seed(0)
    m = build("linear", 10, 1)
    hist = fit(m, data.subset(data.digits32("train"), 256), TrainConfig(objective=objective, epochs=3, lr=0.05,
                                                                       eps=0.05, steps=2, schedule="constant"),
               progress=False)
    assert hist["loss"].iloc[-1] < hist["loss"].iloc[0]


def test_train_config_validation():
    for bad, match in [(dict(objective="mixup"), "objective"), (dict(norm="l1"), "norm"),
                       (dict(schedule="step"), "schedule"), (dict(epochs=0), "epochs"), (dict(eps=-1.0), "eps")]:
        with pytest.raises(ValueError, match=match):
            TrainConfig(**bad)


def test_multistep_schedule_decays_at_milestones():
    from robustbook.train import make_optimizer

    m = torch.nn.Linear(2, 2)
    opt, sched = make_optimizer(m, TrainConfig(epochs=10, lr=0.1, schedule="multistep", milestones=(0.5, 8),
                                               gamma=0.2), steps_per_epoch=2)
    lrs = []
    for _ in range(20):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[9] == pytest.approx(0.1) and lrs[10] == pytest.approx(0.02) and lrs[16] == pytest.approx(0.004)


def test_zoo_trains_once_then_hits_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(tmp_path))
    calls = []
    real_fit = zoo.fit
    monkeypatch.setattr(zoo, "fit", lambda *a, **k: calls.append(1) or real_fit(*a, **k))
    a = zoo.get(_recipe(), progress=False)
    b = zoo.get(_recipe(), progress=False)
    assert len(calls) == 1
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    zoo.get(_recipe(seed=1), progress=False)  # a different recipe is a different entry
    assert len(calls) == 2 and len(list((tmp_path / "zoo").glob("*.pt"))) == 2
    assert not list((tmp_path / "zoo").glob("*.part"))


def test_zoo_key_covers_every_field():
    base = zoo.key_of(_recipe().spec())
    assert base != zoo.key_of(_recipe(train=TINY.replace(lr=0.03)).spec())
    assert base != zoo.key_of(_recipe(seed=2).spec())
    assert base == zoo.key_of(_recipe().spec())


def test_corrupt_entry_is_retrained_not_fatal(monkeypatch, tmp_path):
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(tmp_path))
    zoo.get(_recipe(), progress=False)
    (entry,) = (tmp_path / "zoo").glob("*.pt")
    entry.write_bytes(b"<html>not a checkpoint</html>")
    with pytest.warns(UserWarning, match="unreadable"):
        model = zoo.get(_recipe(), progress=False)
    assert isinstance(model, torch.nn.Module)
    torch.load(entry, weights_only=True)  # rewritten and readable again


def test_failed_training_leaves_no_entry(monkeypatch, tmp_path):
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(tmp_path))

    def boom(model):
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        zoo.get_or_train({"kind": "test"}, lambda: torch.nn.Linear(2, 2), boom)
    assert not (tmp_path / "zoo").exists() or not list((tmp_path / "zoo").iterdir())
