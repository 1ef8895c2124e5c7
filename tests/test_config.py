"""setup(): profiles, overrides, seeding, and one clear error per bad parameter."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

import robustbook
from robustbook.profiles import PROFILES


def test_default_profile_is_cpu_and_overrides_apply():
    cfg = robustbook.setup()
    assert cfg.profile.name == "cpu" and cfg.device == torch.device("cpu")
    cfg = robustbook.setup("smoke", seed=3, epochs=2, eps_grid=[0.0, 0.1])
    assert cfg.epochs == 2 and cfg.eps_grid == [0.0, 0.1] and cfg.seed == 3 and cfg.smoke
    assert PROFILES["smoke"].epochs == 1  # profiles are frozen data, never mutated
    with pytest.raises(AttributeError):
        cfg.not_a_parameter


def test_setup_seeds_python_numpy_and_torch():
    robustbook.setup("smoke", seed=11)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    robustbook.setup("smoke", seed=11)
    assert a == (random.random(), np.random.rand(), torch.rand(1).item())


@pytest.mark.parametrize("kwargs,names", [
    (dict(profile="laptop"), ["profile", "'laptop'", "smoke", "cpu", "gpu"]),
    (dict(seed=-1), ["seed", "-1"]),
    (dict(eps=-0.1), ["eps", "-0.1", ">= 0"]),
    (dict(eps_grid=[0.1, -0.2]), ["eps_grid", ">= 0"]),
    (dict(sigma=-1.0), ["sigma"]),
    (dict(lr=-0.1), ["lr"]),
    (dict(epochs=0), ["epochs", "positive"]),
    (dict(train_size=0), ["train_size", "positive"]),
    (dict(attack_steps=-3), ["attack_steps"]),
    (dict(dataset="imagenet"), ["dataset", "'imagenet'", "digits32", "cifar10"]),
    (dict(arch="vgg"), ["arch", "'vgg'", "smallcnn"]),
    (dict(device="tpu"), ["device", "'tpu'", "auto", "cpu", "cuda"]),
])
def test_bad_parameter_gives_one_clear_error(kwargs, names):
    with pytest.raises(ValueError) as err:
        robustbook.setup(**kwargs)
    for n in names:
        assert n in str(err.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_refused():
    with pytest.raises(ValueError, match="CUDA is not available"):
        robustbook.setup(device="cuda")


def test_train_size_none_is_allowed_and_as_dict_is_flat():
    cfg = robustbook.setup("cpu", train_size=None, eps=0.1)
    d = cfg.as_dict()
    assert d["train_size"] is None and d["eps"] == 0.1 and d["name"] == "cpu"
