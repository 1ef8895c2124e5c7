"""The architecture registry and the one input-normalisation wrapper, kept apart from the networks.

`ARCHITECTURES` maps a name to "module:builder" (a builder takes `(in_channels, num_classes, **options)`),
so looking a name up imports only the module that defines that network, and the zoo's code digest of a
model covers exactly that module (and what it imports), not every network of the package.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable, Sequence

import torch
from torch import nn

# Channel statistics of the training sets, used by `Normalized`.
MEAN_STD = {
    "digits32": ((0.5,), (0.5,)),
    "digitsm32": ((0.386, 0.353, 0.349), (0.297, 0.253, 0.270)),  # training split, data.composite.statistics()
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
    "mnist": ((0.1307,), (0.3081,)),
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),  # the pretrained backbones' statistics
}

ARCHITECTURES: dict[str, str] = {
    "smallcnn": "robustbook.models.small:smallcnn",
    "mlp": "robustbook.models.small:mlp",
    "linear": "robustbook.models.small:linear",
    "preact_resnet18": "robustbook.models.resnets:preact_resnet18",
    "resnet20": "robustbook.models.resnets:resnet20",
    "resnet34": "robustbook.models.resnets:resnet34",
    "resnet56": "robustbook.models.resnets:resnet56",
    "resnet110": "robustbook.models.resnets:resnet110",
    "cifar_resnet": "robustbook.models.resnets:cifar_resnet_net",  # options: depth, width
    "fixup_resnet": "robustbook.models.fixup:fixup_resnet_net",  # options: depth, width
    "wrn28_10": "robustbook.models.wideresnet:wrn28_10",
    "wrn34_10": "robustbook.models.wideresnet:wrn34_10",
    "resnet50": "robustbook.models.pretrained:pretrained_resnet50",  # needs ImageNet weights
    "vit_b_16": "robustbook.models.pretrained:pretrained_vit_b_16",  # needs ImageNet weights
    "robust_resnet50": "robustbook.models.pretrained:robust_resnet50",  # option: checkpoint (a released file)
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


def normalized(net: nn.Module, normalize: str | None, in_channels: int) -> nn.Module:
    """`net` wrapped in `Normalized` with the named data set's statistics (grey statistics repeated per channel)."""
    if normalize is None:
        return net
    if normalize not in MEAN_STD:
        raise ValueError(f"invalid normalize={normalize!r}: choose one of {', '.join(MEAN_STD)} or None")
    mean, std = MEAN_STD[normalize]
    if len(mean) != in_channels:
        mean, std = mean[:1] * in_channels, std[:1] * in_channels
    return Normalized(net, mean, std)


def builder(arch: str) -> Callable[..., nn.Module]:
    """The function that builds architecture `arch`."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"invalid arch={arch!r}: choose one of {', '.join(ARCHITECTURES)}")
    module, name = ARCHITECTURES[arch].split(":")
    return getattr(importlib.import_module(module), name)


def arch_module(arch: str) -> str:
    """The module that defines architecture `arch` (what the zoo's code digest covers)."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"invalid arch={arch!r}: choose one of {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[arch].split(":")[0]


def build(arch: str, num_classes: int = 10, in_channels: int = 1, normalize: str | None = "digits32",
          **options: Any) -> nn.Module:
    """A fresh model by name (with builder `options`, e.g. depth/width), wrapped in `Normalized`."""
    net = builder(arch)(in_channels, num_classes, **options)
    return normalized(net, normalize, in_channels)
