"""Training loop and objectives: determinism, every objective trains, config validation, schedules (the zoo:
test_zoo.py)."""
from __future__ import annotations

import pytest
import torch

from robustbook import data
from robustbook.models import build
from robustbook import zoo
from robustbook.train import TrainConfig, fit

TINY = TrainConfig(epochs=1, batch_size=32, lr=0.02)


def test_fit_is_deterministic():
    states = []
    for _ in range(2):
        torch.manual_seed(0)
        m = build("smallcnn", 10, 1)
        fit(m, data.subset(data.digits32("train"), 128), TINY.replace(objective="adversarial", eps=0.1, steps=2),
            seed=5, progress=False)
        states.append(m.state_dict())
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


@pytest.mark.parametrize("objective", ["standard", "adversarial", "augmented", "trades", "noise_augmented"])
def test_every_objective_trains_and_lowers_the_loss(objective):
    torch.manual_seed(0)
    m = build("linear", 10, 1)
    hist = fit(m, data.subset(data.digits32("train"), 256), TrainConfig(objective=objective, epochs=3, lr=0.05,
                                                                       eps=0.05, steps=2, schedule="constant"),
               progress=False)
    assert hist["loss"].iloc[-1] < hist["loss"].iloc[0]


def test_train_config_validation():
    # the objective's name is resolved where it runs: a recipe refuses an unknown one at once
    with pytest.raises(ValueError, match="objective"):
        zoo.Recipe(arch="smallcnn", train=TrainConfig(objective="mixup"))
    for bad, match in [(dict(norm="l1"), "norm"),
                       (dict(schedule="step"), "schedule"), (dict(epochs=0), "epochs"), (dict(eps=-1.0), "eps"),
                       (dict(optimizer="rmsprop"), "optimizer")]:
        with pytest.raises(ValueError, match=match):
            TrainConfig(**bad)


def test_optimizer_choice_builds_it_and_enters_the_zoo_key():
    from robustbook.train import make_optimizer
    from robustbook import zoo

    m = torch.nn.Linear(2, 2)
    assert isinstance(make_optimizer(m, TrainConfig(), 1)[0], torch.optim.SGD)
    assert isinstance(make_optimizer(m, TrainConfig(optimizer="adam"), 1)[0], torch.optim.Adam)
    sgd, adam = (zoo.Recipe("linear", "digits32", TrainConfig(optimizer=o)) for o in ("sgd", "adam"))
    assert zoo.components(sgd)["recipe"]["train"]["optimizer"] == "sgd"
    assert zoo.key(sgd) != zoo.key(adam)


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
