"""Models for 32x32 images; every one can be wrapped in `Normalized` so attacks work in [0, 1] pixels."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .resnets import PreActResNet18, ResNet34, cifar_resnet, preact_resnet18, resnet34
from .small import MLP, Linear, SmallCNN
from .wideresnet import WideResNet

# Channel statistics of the training sets, used by `Normalized`.
MEAN_STD = {
    "digits32": ((0.5,), (0.5,)),
    "digitsm32": ((0.386, 0.353, 0.349), (0.297, 0.253, 0.270)),  # training split, data.composite.statistics()
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
    "mnist": ((0.1307,), (0.3081,)),
}


class Normalized(nn.Module):
    """`model((x - mean) / std)`: the normalization lives inside, so inputs stay in [0, 1]."""

    def __init__(self, model: nn.Module, mean: Sequence[float], std: Sequence[float]):
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model((x - self.mean) / self.std)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The wrapped model's representation of [0, 1] inputs (the input of its linear `head`)."""
        return self.model.features((x - self.mean) / self.std)

    @property
    def head(self) -> nn.Module:
        """The wrapped model's final linear layer."""
        return self.model.head


ARCHITECTURES = {
    "smallcnn": lambda c, k: SmallCNN(c, k),
    "mlp": lambda c, k: MLP(c * 32 * 32, k),
    "linear": lambda c, k: Linear(c * 32 * 32, k),
    "preact_resnet18": lambda c, k: preact_resnet18(c, k),
    "resnet20": lambda c, k: cifar_resnet(20, c, k),
    "resnet34": lambda c, k: resnet34(c, k),
    "resnet56": lambda c, k: cifar_resnet(56, c, k),
    "resnet110": lambda c, k: cifar_resnet(110, c, k),
    "wrn28_10": lambda c, k: WideResNet(28, 10, c, k),
    "wrn34_10": lambda c, k: WideResNet(34, 10, c, k),
}


def build(arch: str, num_classes: int = 10, in_channels: int = 1, normalize: str | None = "digits32") -> nn.Module:
    """A fresh model by name, wrapped in `Normalized` with the named data set's statistics."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"invalid arch={arch!r}: choose one of {', '.join(ARCHITECTURES)}")
    net = ARCHITECTURES[arch](in_channels, num_classes)
    if normalize is None:
        return net
    if normalize not in MEAN_STD:
        raise ValueError(f"invalid normalize={normalize!r}: choose one of {', '.join(MEAN_STD)} or None")
    mean, std = MEAN_STD[normalize]
    if len(mean) != in_channels:
        mean, std = mean[:1] * in_channels, std[:1] * in_channels
    return Normalized(net, mean, std)


__all__ = ["ARCHITECTURES", "MEAN_STD", "MLP", "Linear", "Normalized", "PreActResNet18", "ResNet34", "SmallCNN",
           "WideResNet", "build", "cifar_resnet", "preact_resnet18", "resnet34"]
