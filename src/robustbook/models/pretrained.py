"""ImageNet-pretrained torchvision backbones with a new linear head (alhamoud2023's `gpu` profile), inputs in
[0, 1]: the ImageNet statistics sit in the library's one normalisation wrapper, `Normalized`."""
from __future__ import annotations

import torch
from torch import nn

from .registry import Normalized, normalized

WEIGHTS = {"resnet50": "IMAGENET1K_V2", "vit_b_16": "IMAGENET1K_V1"}


class Backbone(nn.Module):
    """A torchvision network without its classifier (`body`) and a new linear `head` on its pooled features."""

    def __init__(self, body: nn.Module, dim: int, num_classes: int):
        super().__init__()
        self.body = body
        self.head = nn.Linear(dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The backbone's pooled representation of (normalised) inputs."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def pretrained_backbone(name: str, num_classes: int) -> Normalized:
    """An ImageNet-pretrained resnet50 or vit_b_16 with a new `num_classes` head, inside `Normalized`
    with the ImageNet statistics; exposes `.features` and `.head`. Needs the weights in $TORCH_HOME."""
    import torchvision
    if name not in WEIGHTS:
        raise ValueError(f"invalid backbone={name!r}: choose one of {', '.join(WEIGHTS)}")
    from ..runtime import FIXTURE_CAPS, fixture_mode

    try:
        if fixture_mode():  # no weights offline: the same network, randomly initialised, sized for fixtures
            extra = {"image_size": FIXTURE_CAPS["image_size"]} if name == "vit_b_16" else {}
            net = getattr(torchvision.models, name)(weights=None, **extra)
        else:
            net = getattr(torchvision.models, name)(weights=WEIGHTS[name])
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
    return normalized(Backbone(net, dim, num_classes), "imagenet", 3)


PretrainedBackbone = pretrained_backbone  # the name the alhamoud2023 chapter used


def pretrained_resnet50(in_channels: int = 3, num_classes: int = 10) -> Normalized:
    """ImageNet ResNet-50 with a new `num_classes` head (3-channel inputs in [0, 1])."""
    return pretrained_backbone("resnet50", num_classes)


def pretrained_vit_b_16(in_channels: int = 3, num_classes: int = 10) -> Normalized:
    """ImageNet ViT-B/16 with a new `num_classes` head (3-channel inputs in [0, 1])."""
    return pretrained_backbone("vit_b_16", num_classes)


# Fixture mode (the gpu profile on tiny files): the RobustBench checkpoints the bai2024 chapter loads by name are
# written, in RobustBench's layout `<model_dir>/cifar10/Linf/<name>.pt`, with the state dict of this network,
# randomly initialised: a documented fixture-size stand-in for the real classes (the `robustbench` package's
# WideResNet-34-10 / DM WideResNet-28-10, which normalise inside as this one does), small enough for the CPU.
ROBUSTBENCH_FIXTURE_ARCH = "WideResNet-10-1 inside Normalized (CIFAR-10 statistics)"


def robustbench_fixture_net(num_classes: int = 10) -> Normalized:
    """The fixture-size stand-in of a RobustBench CIFAR-10 network: WRN-10-1 with CIFAR-10 normalisation inside."""
    from .wideresnet import WideResNet

    return normalized(WideResNet(10, 1, 3, num_classes), "cifar10", 3)


# ------------------------------------------------------------------ Salman et al.'s robust ImageNet ResNet-50s
# yi2021 Table 3 (`gpu`) fine-tunes these released checkpoints (Salman et al. 2020,
# https://github.com/microsoft/robust-models-transfer, the 'ResNet-50' table): pre-training -> file name.
ROBUST_CHECKPOINTS = {"Std": "resnet50_l2_eps0.ckpt", "Adv-l2": "resnet50_l2_eps0.25.ckpt",
                      "Adv-linf": "resnet50_linf_eps2.0.ckpt"}
IMAGENET_STATS = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


class Resized(nn.Module):
    """`model(resize(x, size))`: CIFAR images fed to an ImageNet network at 224 px (Salman et al., Sec. 5.2)."""

    def __init__(self, model: nn.Module, size: int = 224):
        super().__init__()
        self.model, self.size = model, size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(nn.functional.interpolate(x, size=self.size, mode="bilinear", align_corners=False))


def robust_checkpoint(file: str):
    """The path of a released robust ImageNet checkpoint, or a clear error naming what to fetch and where."""
    from ..data.download import DataUnavailableError, data_root

    if file not in ROBUST_CHECKPOINTS.values():
        raise ValueError(f"invalid checkpoint {file!r}: choose one of {', '.join(ROBUST_CHECKPOINTS.values())}")
    path = data_root() / "robust_imagenet" / file
    if not path.exists():
        raise DataUnavailableError(
            f"this model needs the robust ImageNet checkpoint {file} (Salman et al. 2020, "
            f"https://github.com/microsoft/robust-models-transfer, 'ResNet-50' table) at {path}; download it once "
            "online. The book never downloads weights at run time.")
    return path


def robustness_state_dict(checkpoint: dict) -> dict:
    """The torchvision weights inside a checkpoint of the `robustness` library ('module.model.*' keys)."""
    state = checkpoint.get("model", checkpoint.get("state_dict", checkpoint))
    out = {k[len("module.model."):]: v for k, v in state.items() if k.startswith("module.model.")}
    if not out:
        raise ValueError("not a robustness-library checkpoint: no 'module.model.*' weights")
    return out


def robust_resnet50(in_channels: int, num_classes: int, checkpoint: str = "none") -> nn.Module:
    """A ResNet-50 with a released robust ImageNet checkpoint's weights ('none': its seeded init), a new head
    (`fc`), 224 px input (32 px in fixture mode) and the ImageNet statistics inside."""
    import torchvision

    from ..runtime import fixture_cap

    if in_channels != 3:
        raise ValueError(f"invalid in_channels={in_channels}: an ImageNet ResNet-50 reads RGB images")
    net = torchvision.models.resnet50(weights=None)
    if checkpoint != "none":
        import argparse

        with torch.serialization.safe_globals([argparse.Namespace]):  # the robustness library saves its args
            ckpt = torch.load(robust_checkpoint(checkpoint), map_location="cpu", weights_only=True)
        net.load_state_dict(robustness_state_dict(ckpt))
    net.fc = nn.Linear(net.fc.in_features, num_classes)
    return Resized(Normalized(net, *IMAGENET_STATS), fixture_cap(224, "image_size"))
