"""ResNets for 32x32 inputs: PreAct-ResNet-18 (He et al. 2016b), ResNet-34, and the CIFAR ResNets
20/56/110 of He et al. (2016a, Sec. 4.2: three stages of 16/32/64 channels, 6n+2 layers)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class _PreActBlock(nn.Module):
    expansion = 1

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(cout), nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = (nn.Conv2d(cin, cout, 1, stride, bias=False)
                         if stride != 1 or cin != cout else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(x))
        skip = self.shortcut(out) if self.shortcut is not None else x
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + skip


class _BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class _ResNet(nn.Module):
    """Stem conv, stages of blocks, global average pool; `features` then `head`."""

    def __init__(self, block: type, widths: list[int], depths: list[int], in_channels: int,
                 num_classes: int, preact: bool):
        super().__init__()
        self.stem = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.stem_bn = None if preact else nn.BatchNorm2d(widths[0])
        layers, cin = [], widths[0]
        for i, (w, d) in enumerate(zip(widths, depths)):
            for j in range(d):
                layers.append(block(cin, w, 2 if (i > 0 and j == 0) else 1))
                cin = w
        self.blocks = nn.Sequential(*layers)
        self.final_bn = nn.BatchNorm2d(cin) if preact else None
        self.head = nn.Linear(cin, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def features(self, x: torch.Tensor) -> torch.Tensor:
        out = self.stem(x)
        if self.stem_bn is not None:
            out = F.relu(self.stem_bn(out))
        out = self.blocks(out)
        if self.final_bn is not None:
            out = F.relu(self.final_bn(out))
        return F.adaptive_avg_pool2d(out, 1).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class PreActResNet18(_ResNet):
    """Pre-activation ResNet-18 with 64-128-256-512 channels."""

    def __init__(self, in_channels: int = 3, num_classes: int = 10):
        super().__init__(_PreActBlock, [64, 128, 256, 512], [2, 2, 2, 2], in_channels, num_classes, preact=True)


class ResNet34(_ResNet):
    """ResNet-34 (basic blocks 3-4-6-3, 64-512 channels) with a 3x3 stem for 32x32 inputs."""

    def __init__(self, in_channels: int = 3, num_classes: int = 10):
        super().__init__(_BasicBlock, [64, 128, 256, 512], [3, 4, 6, 3], in_channels, num_classes, preact=False)


def preact_resnet18(in_channels: int = 3, num_classes: int = 10) -> PreActResNet18:
    """PreAct-ResNet-18 for 32x32 inputs."""
    return PreActResNet18(in_channels, num_classes)


def resnet34(in_channels: int = 3, num_classes: int = 10) -> ResNet34:
    """ResNet-34 for 32x32 inputs (yi2021's CIFAR-10 model)."""
    return ResNet34(in_channels, num_classes)


def cifar_resnet(depth: int, in_channels: int = 3, num_classes: int = 10, width: int = 16) -> _ResNet:
    """The CIFAR ResNet of depth 6n+2 (20, 32, 44, 56, 110, ...) with width-2width-4width channels (16: He et al.)."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"invalid depth={depth!r}: must be 6n+2 (8, 20, 56, 110, ...)")
    if width < 1:
        raise ValueError(f"invalid width={width!r}: must be >= 1")
    n = (depth - 2) // 6
    return _ResNet(_BasicBlock, [width, 2 * width, 4 * width], [n, n, n], in_channels, num_classes, preact=False)


def resnet20(in_channels: int = 3, num_classes: int = 10) -> _ResNet:
    """CIFAR ResNet-20."""
    return cifar_resnet(20, in_channels, num_classes)


def resnet56(in_channels: int = 3, num_classes: int = 10) -> _ResNet:
    """CIFAR ResNet-56."""
    return cifar_resnet(56, in_channels, num_classes)


def resnet110(in_channels: int = 3, num_classes: int = 10) -> _ResNet:
    """CIFAR ResNet-110."""
    return cifar_resnet(110, in_channels, num_classes)


def cifar_resnet_net(in_channels: int = 3, num_classes: int = 10, depth: int = 20, width: int = 16) -> _ResNet:
    """`cifar_resnet` in the registry's argument order (options depth and width)."""
    return cifar_resnet(depth, in_channels, num_classes, width)
