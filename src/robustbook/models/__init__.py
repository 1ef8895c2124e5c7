"""Models for 32x32 images; every one can be wrapped in `Normalized` so attacks work in [0, 1] pixels."""
from __future__ import annotations

from .registry import ARCHITECTURES, MEAN_STD, Normalized, arch_module, build, builder, normalized
from .resnets import PreActResNet18, ResNet34, cifar_resnet, preact_resnet18, resnet34
from .small import MLP, Linear, SmallCNN
from .wideresnet import WideResNet

__all__ = ["ARCHITECTURES", "MEAN_STD", "MLP", "Linear", "Normalized", "PreActResNet18", "ResNet34", "SmallCNN",
           "WideResNet", "arch_module", "build", "builder", "cifar_resnet", "normalized", "preact_resnet18",
           "resnet34"]
