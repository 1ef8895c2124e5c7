"""The architecture registry and the one normalisation wrapper: registry names build, the pretrained backbones
(offline: a stand-in for torchvision's network) sit inside `Normalized`, and a missing download says where."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from robustbook.models import ARCHITECTURES, MEAN_STD, Normalized, arch_module, build


class _FakeResNet(nn.Module):
    def __init__(self, weights=None):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.fc = nn.Linear(8, 1000)

    def forward(self, x):
        return self.fc(self.conv(x).mean((2, 3)))


def test_registry_names_build_and_name_their_module():
    for arch in ("smallcnn", "mlp", "linear"):
        assert build(arch, 10, 1)(torch.rand(2, 1, 32, 32)).shape == (2, 10)
        assert arch_module(arch) == "robustbook.models.small"
    net = build("cifar_resnet", 10, 1, depth=8, width=4)
    assert isinstance(net, Normalized) and net(torch.rand(2, 1, 32, 32)).shape == (2, 10)
    assert set(ARCHITECTURES) >= {"fixup_resnet", "resnet50", "vit_b_16"}
    with pytest.raises(ValueError, match="invalid arch"):
        build("no_such_net")


def test_pretrained_backbone_uses_the_one_normalisation_wrapper(monkeypatch):
    import torchvision

    monkeypatch.setattr(torchvision.models, "resnet50", _FakeResNet)
    model = build("resnet50", 7, 3, normalize=None)
    x = torch.rand(2, 3, 16, 16)
    assert isinstance(model, Normalized) and model(x).shape == (2, 7) and model.features(x).shape == (2, 8)
    mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in MEAN_STD["imagenet"])
    assert torch.allclose(model.features(x), model.model.body((x - mean) / std))
    assert model.head is model.model.head


def test_pretrained_backbone_offline_error_says_where_the_weights_go(monkeypatch):
    import torchvision

    def offline(weights=None):
        raise OSError("no network")
    monkeypatch.setattr(torchvision.models, "resnet50", offline)
    with pytest.raises(RuntimeError, match="TORCH_HOME"):
        build("resnet50", 7, 3, normalize=None)
