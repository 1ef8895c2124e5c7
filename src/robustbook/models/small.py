"""Small models for the offline profiles: a linear classifier, an MLP and a small CNN."""
from __future__ import annotations

import torch
from torch import nn


class Linear(nn.Module):
    """A linear classifier on flattened pixels (closed-form attacks exist for it)."""

    def __init__(self, in_features: int, num_classes: int):
        super().__init__()
        self.fc = nn.Linear(in_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.flatten(1))


class MLP(nn.Module):
    """Two hidden ReLU layers on flattened pixels."""

    def __init__(self, in_features: int, num_classes: int, width: int = 256):
        super().__init__()
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(in_features, width), nn.ReLU(),
                                      nn.Linear(width, width), nn.ReLU())
        self.head = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class SmallCNN(nn.Module):
    """Four 3x3 convolutions (16-16-32-32 channels by default, two max-pools) and a 256-unit layer.

    `features(x)` is the representation (256-d), `head` the linear classifier on top of it.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, width: int = 16):
        super().__init__()
        w = width

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU()]

        self.features = nn.Sequential(
            *block(in_channels, w), *block(w, w), nn.MaxPool2d(2),
            *block(w, 2 * w), *block(2 * w, 2 * w), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(2 * w * 8 * 8, 256), nn.ReLU(),
        )
        self.head = nn.Linear(256, num_classes)
        for m in self.features:  # He initialisation: without it this plain ReLU stack trains slowly
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def smallcnn(in_channels: int = 1, num_classes: int = 10) -> SmallCNN:
    """The small CNN for 32x32 inputs."""
    return SmallCNN(in_channels, num_classes)


def mlp(in_channels: int = 1, num_classes: int = 10) -> MLP:
    """The MLP on flattened 32x32 inputs."""
    return MLP(in_channels * 32 * 32, num_classes)


def linear(in_channels: int = 1, num_classes: int = 10) -> Linear:
    """The linear classifier on flattened 32x32 inputs."""
    return Linear(in_channels * 32 * 32, num_classes)
