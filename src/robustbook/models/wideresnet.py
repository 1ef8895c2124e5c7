"""WideResNet-d-k (Zagoruyko & Komodakis 2016) for 32x32 inputs: WRN-28-10 and WRN-34-10."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class _WideBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, drop: float):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(cout), nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.drop = drop
        self.shortcut = None if cin == cout and stride == 1 else nn.Conv2d(cin, cout, 1, stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(x))
        skip = x if self.shortcut is None else self.shortcut(out)
        out = self.conv1(out)
        out = F.relu(self.bn2(out))
        if self.drop > 0:
            out = F.dropout(out, self.drop, self.training)
        return self.conv2(out) + skip


class WideResNet(nn.Module):
    """WRN-depth-widen: three stages of (depth-4)/6 pre-activation blocks, 16k-32k-64k channels."""

    def __init__(self, depth: int = 28, widen: int = 10, in_channels: int = 3, num_classes: int = 10,
                 drop: float = 0.0):
        super().__init__()
        if (depth - 4) % 6:
            raise ValueError(f"invalid depth={depth!r}: must be 6n+4 (16, 28, 34, 40, ...)")
        n = (depth - 4) // 6
        widths = [16, 16 * widen, 32 * widen, 64 * widen]
        self.stem = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        layers, cin = [], widths[0]
        for stage, w in enumerate(widths[1:]):
            for j in range(n):
                layers.append(_WideBlock(cin, w, 2 if (stage > 0 and j == 0) else 1, drop))
                cin = w
        self.blocks = nn.Sequential(*layers)
        self.bn = nn.BatchNorm2d(cin)
        self.head = nn.Linear(cin, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def features(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn(self.blocks(self.stem(x))))
        return F.adaptive_avg_pool2d(out, 1).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def wrn28_10(in_channels: int = 3, num_classes: int = 10) -> WideResNet:
    """WideResNet-28-10."""
    return WideResNet(28, 10, in_channels, num_classes)


def wrn34_10(in_channels: int = 3, num_classes: int = 10) -> WideResNet:
    """WideResNet-34-10."""
    return WideResNet(34, 10, in_channels, num_classes)
