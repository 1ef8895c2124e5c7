"""Models: shapes for 1- and 3-channel 32x32 inputs, features/head, normalization inside."""
from __future__ import annotations

import pytest
import torch

from robustbook.models import ARCHITECTURES, Normalized, build, cifar_resnet

SMALL = ["smallcnn", "mlp", "linear", "resnet20", "preact_resnet18"]


@pytest.mark.parametrize("arch", SMALL)
@pytest.mark.parametrize("channels", [1, 3])
def test_logit_shapes_and_features(arch, channels):
    m = build(arch, 7, channels, normalize="digits32").eval()
    x = torch.rand(2, channels, 32, 32)
    out = m(x)
    assert out.shape == (2, 7)
    if arch != "linear":
        assert torch.allclose(m.head(m.features(x)), out, atol=1e-5)


@pytest.mark.parametrize("depth,blocks", [(20, 9), (56, 27), (110, 54)])
def test_cifar_resnet_depths(depth, blocks):
    net = cifar_resnet(depth)
    assert len(net.blocks) == blocks  # 3 stages of n = (depth - 2) / 6 blocks, 2 convs each


def test_big_models_build_with_expected_sizes():
    params = {a: sum(p.numel() for p in build(a, 10, 3, None).parameters()) for a in ("wrn28_10", "resnet34")}
    assert 36e6 < params["wrn28_10"] < 37e6  # WRN-28-10 has 36.5M parameters
    assert 21e6 < params["resnet34"] < 22e6


def test_normalized_wrapper_applies_mean_std():
    inner = torch.nn.Identity()
    m = Normalized(inner, (0.5,), (0.25,))
    assert torch.allclose(m(torch.full((1, 1, 2, 2), 0.75)), torch.ones(1, 1, 2, 2))


def test_unknown_arch_or_normalization():
    with pytest.raises(ValueError, match="arch"):
        build("vgg16")
    with pytest.raises(ValueError, match="normalize"):
        build("smallcnn", normalize="imagenet21k")
    with pytest.raises(ValueError, match="depth"):
        cifar_resnet(21)
    assert set(SMALL) <= set(ARCHITECTURES)
