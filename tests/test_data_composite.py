"""digitsm32: the MNIST-M construction on packaged photographs — shape, range, determinism, no leakage."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from robustbook.data import composite, images
from robustbook.models import MEAN_STD


def test_blend_is_the_absolute_difference_and_keeps_the_range():
    d = torch.tensor([0.0, 1.0, 0.25]).view(3, 1, 1, 1).expand(3, 1, 2, 2)
    b = torch.full((3, 3, 2, 2), 0.75)
    out = composite.blend(d, b)
    assert torch.allclose(out[:, 0, 0, 0], torch.tensor([0.75, 0.25, 0.5]))
    with pytest.raises(ValueError, match="digits"):
        composite.blend(b, d)


def test_digitsm32_matches_digits32_labels_and_is_deterministic():
    a, b = composite.digitsm32("test"), composite.digitsm32("test")
    x, y = a.tensors
    assert x.shape == (len(y), 3, 32, 32) and float(x.min()) >= 0 and float(x.max()) <= 1
    assert torch.equal(y, images.digits32("test").tensors[1])
    assert torch.equal(x, b.tensors[0])
    assert images.load("digitsm32", "test").tensors[0].shape == x.shape
    assert images.NUM_CLASSES["digitsm32"] == 10


def test_the_digit_survives_the_blend():
    # where the stroke is fully on (digit 1) the blend inverts the photograph: background + output = 1
    x = images.digits32("train").tensors[0]
    gen = torch.Generator().manual_seed(composite.SEEDS["train"])
    bg = composite.photo_patches(len(x), "train", gen)
    out = composite.digitsm32("train").tensors[0]
    on = (x == 1.0).expand_as(out)
    assert on.any() and torch.allclose(out[on] + bg[on], torch.ones(int(on.sum())), atol=1e-6)


def test_train_and_test_backgrounds_come_from_disjoint_bands():
    for split in ("train", "test"):
        lo, hi = composite.BANDS[split]
        which, top, left = composite.crop_positions(5000, split, torch.Generator().manual_seed(0))
        assert int(left.min()) >= lo and int(left.max()) + 32 <= hi and int(top.min()) >= 0
        assert int(top.max()) + 32 <= 427 and set(which.tolist()) == {0, 1}
    assert composite.BANDS["train"][1] <= composite.BANDS["test"][0]
    with pytest.raises(ValueError, match="split"):
        composite.photo_patches(1, "val", torch.Generator())


def test_normalisation_constants_match_the_training_split():
    x = composite.digitsm32("train").tensors[0]
    mean, std = MEAN_STD["digitsm32"]
    assert np.allclose(x.mean((0, 2, 3)).numpy(), mean, atol=2e-3)
    assert np.allclose(x.transpose(0, 1).reshape(3, -1).std(1).numpy(), std, atol=2e-3)
