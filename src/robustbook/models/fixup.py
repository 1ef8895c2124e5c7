"""CIFAR ResNets without batch normalization (Fixup initialisation, Zhang, Dauphin & Ma 2019), as used by
wen2020 App. B.4.2 / D.3 to control capacity by spectral norms; and width-configurable CIFAR ResNets.

Fixup: residual branches conv-relu-conv with scalar biases, the first conv of each branch He-initialised
and scaled by L^(-1/2) (L residual branches, two layers each), the last conv of each branch and the
classifier initialised to zero. Fixup's reference uses a parameter-free shortcut; ours are 1x1 convolutions
(their spectral norms are clipped with the rest), so they and the stem are He-initialised in fan-in mode, which
keeps the forward signal's scale: with fan-out the pooled features of an 8-layer net on 1-channel digits are
about 0.03 +- 0.004 across images and SGD does not move off chance in 6 epochs. As in wen2020 we omit Fixup's
scalar multiplier (it would change the layers' spectral norms); the scalar biases are kept (they do not enter
the linear operators).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .resnets import cifar_resnet


class _FixupBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.bias1a, self.bias1b = nn.Parameter(torch.zeros(1)), nn.Parameter(torch.zeros(1))
        self.bias2a, self.bias2b = nn.Parameter(torch.zeros(1)), nn.Parameter(torch.zeros(1))
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = (nn.Conv2d(cin, cout, 1, stride, bias=False)
                         if stride != 1 or cin != cout else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.conv1(x + self.bias1a) + self.bias1b)
        out = self.conv2(out + self.bias2a) + self.bias2b
        skip = self.shortcut(x + self.bias1a) if self.shortcut is not None else x
        return F.relu(out + skip)


class FixupResNet(nn.Module):
    """ResNet of depth 6n+2 with `width`-2width-4width channels and no normalization layers."""

    def __init__(self, depth: int = 20, in_channels: int = 3, num_classes: int = 10, width: int = 16):
        super().__init__()
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"invalid depth={depth!r}: must be 6n+2 (8, 20, 56, 110, ...)")
        if width < 1:
            raise ValueError(f"invalid width={width!r}: must be >= 1")
        n = (depth - 2) // 6
        widths = [width, 2 * width, 4 * width]
        self.stem = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.stem_bias = nn.Parameter(torch.zeros(1))
        blocks, cin = [], width
        for i, w in enumerate(widths):
            for j in range(n):
                blocks.append(_FixupBlock(cin, w, 2 if (i > 0 and j == 0) else 1))
                cin = w
        self.blocks = nn.Sequential(*blocks)
        self.head_bias = nn.Parameter(torch.zeros(1))
        self.head = nn.Linear(cin, num_classes)
        n_branches = len(blocks)
        nn.init.kaiming_normal_(self.stem.weight, mode="fan_in", nonlinearity="relu")
        for b in blocks:
            nn.init.kaiming_normal_(b.conv1.weight, mode="fan_out", nonlinearity="relu")
            b.conv1.weight.data.mul_(n_branches ** -0.5)
            nn.init.zeros_(b.conv2.weight)
            if b.shortcut is not None:
                nn.init.kaiming_normal_(b.shortcut.weight, mode="fan_in", nonlinearity="relu")
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.stem(x) + self.stem_bias)
        out = self.blocks(out)
        return F.adaptive_avg_pool2d(out, 1).flatten(1) + self.head_bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def fixup_resnet(depth: int = 20, in_channels: int = 3, num_classes: int = 10, width: int = 16) -> FixupResNet:
    """A batch-norm-free CIFAR ResNet with Fixup initialisation (wen2020 App. D.3)."""
    return FixupResNet(depth, in_channels, num_classes, width)


def narrow_cifar_resnet(depth: int = 20, in_channels: int = 3, num_classes: int = 10, width: int = 16) -> nn.Module:
    """The batch-norm CIFAR ResNet of `depth` and `width` (the one builder, `resnets.cifar_resnet`)."""
    return cifar_resnet(depth, in_channels, num_classes, width)


def fixup_resnet_net(in_channels: int = 3, num_classes: int = 10, depth: int = 20, width: int = 16) -> FixupResNet:
    """`fixup_resnet` in the registry's argument order (options depth and width)."""
    return fixup_resnet(depth, in_channels, num_classes, width)
