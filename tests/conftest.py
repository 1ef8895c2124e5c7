"""Shared fixtures: a private cache and data root per test session, tiny data, a tiny trained model."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest
import torch

# Isolate every test session from the user's caches before robustbook is imported anywhere.
_SESSION_DIR = tempfile.mkdtemp(prefix="robustbook-tests-")
# removed when the process ends: a run's caches (zoo, fixture files) take several GB per test worker
atexit.register(shutil.rmtree, _SESSION_DIR, ignore_errors=True)
os.environ["ROBUSTBOOK_CACHE"] = os.path.join(_SESSION_DIR, "cache")
os.environ["ROBUSTBOOK_DATA"] = os.path.join(_SESSION_DIR, "data")
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def digits_small():
    """(train, test) subsets of digits32: 512 and 128 images."""
    from robustbook import data

    return (data.subset(data.digits32("train"), 512, seed=0), data.subset(data.digits32("test"), 128, seed=0))


@pytest.fixture(scope="session")
def trained_cnn(digits_small):
    """A SmallCNN trained for a few epochs on the digits (accurate enough for attacks to matter)."""
    from robustbook import data
    from robustbook.evaluate import accuracy
    from robustbook.models import build
    from robustbook.train import TrainConfig, fit

    torch.manual_seed(0)
    model = build("smallcnn", 10, 1)
    fit(model, data.digits32("train"), TrainConfig(epochs=4, batch_size=64, lr=0.02), seed=0, progress=False)
    assert accuracy(model, digits_small[1]) > 0.8
    return model.eval()


@pytest.fixture
def linear_binary():
    """A two-class linear model z(x) = (0, w.x + b) on 1x4x4 inputs, and a point it classifies as 1."""
    torch.manual_seed(0)
    lin = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))
    with torch.no_grad():
        lin[1].weight[0].zero_()
        lin[1].bias[0] = 0.0
        lin[1].weight[1] = torch.randn(16)
        lin[1].bias[1] = 1.0
    x = torch.full((1, 1, 4, 4), 0.5)
    return lin, x, torch.tensor([1])


# The driver tests feed each verdict rule one synthetic run and check that it reaches each of its outcomes; the
# book-wide rule that a claim on trained models is decisive only over verdicts.MIN_SEEDS training seeds is tested on
# its own (tests/test_claims_registry.py, tests/test_verdict_summary.py), so these modules judge one run as if it
# were enough.
ONE_RUN_MODULES = {"test_alhamoud2023_driver", "test_bai2024_experiments", "test_nern2023", "test_wen2020_driver",
                   "test_yi2021_verdicts", "test_yi2021_section4", "test_corruption_calibration"}


@pytest.fixture(autouse=True)
def _one_run_is_enough_in_driver_tests(request, monkeypatch):
    if request.module.__name__.rsplit(".", 1)[-1] in ONE_RUN_MODULES:
        from robustbook import verdicts

        monkeypatch.setattr(verdicts, "MIN_SEEDS", 1)
