"""ImageNet-pretrained torchvision backbones with a new linear head (alhamoud2023's `gpu` profile)."""
from __future__ import annotations

import torch
from torch import nn


class PretrainedBackbone(nn.Module):
    """An ImageNet-pretrained torchvision network (resnet50 or vit_b_16) with a new linear head, inputs in
    [0, 1] (ImageNet normalization inside), exposing `.features` and `.head` (the `gpu` profile)."""

    def __init__(self, name: str, num_classes: int):
        super().__init__()
        import torchvision
        weights = {"resnet50": "IMAGENET1K_V2", "vit_b_16": "IMAGENET1K_V1"}
        if name not in weights:
            raise ValueError(f"invalid backbone={name!r}: choose one of {', '.join(weights)}")
        try:
            net = getattr(torchvision.models, name)(weights=weights[name])
        except Exception as err:  # offline: torchvision cannot fetch the weights
            raise RuntimeError(f"cannot load ImageNet weights of {name} ({type(err).__name__}: {err}); "
                               f"they are fetched by torchvision into $TORCH_HOME on a machine with "
                               f"internet") from err
        if name == "resnet50":
            dim = net.fc.in_features
            net.fc = nn.Identity()
        else:
            dim = net.heads.head.in_features
            net.heads = nn.Identity()
        self.body = net
        self.head = nn.Linear(dim, num_classes)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The backbone's pooled representation of [0, 1] inputs."""
        return self.body((x - self.mean) / self.std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def pretrained_resnet50(in_channels: int = 3, num_classes: int = 10) -> PretrainedBackbone:
    """ImageNet ResNet-50 with a new `num_classes` head (3-channel inputs in [0, 1])."""
    return PretrainedBackbone("resnet50", num_classes)


def pretrained_vit_b_16(in_channels: int = 3, num_classes: int = 10) -> PretrainedBackbone:
    """ImageNet ViT-B/16 with a new `num_classes` head (3-channel inputs in [0, 1])."""
    return PretrainedBackbone("vit_b_16", num_classes)
