"""yi2021 Section 4: robust pre-training and fine-tuning (Theorems 4-5, Remark 4, the TV term): the source
models, the released robust ImageNet checkpoints of the `gpu` profile, fine-tuning, and the TV estimate."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from ... import zoo
from ...papers.yi2021 import (
    FINETUNINGS,
    PRETRAININGS,
)
from ...runtime import fixture_cap
from ...train.algorithm1 import algorithm1_config
from ...train.config import TrainConfig
from ..common import fixture_settings


@dataclass(frozen=True)
class PretrainSettings:
    """Table 3 at one profile: pre-training on a source task, fine-tuning on a target task, corruptions."""

    # the fields that count work: fixture mode caps exactly these (kind: robustbook.runtime.FIXTURE_CAPS)
    WORK: ClassVar[dict[str, str]] = {
        "pre_epochs": "epochs", "ft_epochs": "epochs", "pre_steps": "steps", "ft_steps": "steps"}

    source: str  # pre-training data (Q0)
    target: str  # fine-tuning data (P0)
    arch: str
    channels: int
    pre_epochs: int
    ft_epochs: int
    batch_size: int
    lr: float
    ft_lr: float
    pre_steps: int  # inner steps of adversarial pre-training (Table 5: 3)
    pre_r_l2: float
    pre_r_linf: float
    ft_steps: int  # inner steps of adversarial fine-tuning (Table 4: 8)
    ft_r_l2: float
    ft_r_linf: float
    train_size: int | None
    test_size: int | None
    severity: int = 5


PRETRAIN_SETTINGS: dict[str, PretrainSettings] = {
    "smoke": PretrainSettings("digits32_source", "digits32_target", "smallcnn", 3, 1, 1, 64, 0.01, 0.01, 1, 0.5,
                              8 / 255, 1, 0.25, 4 / 255, 128, 40),
    # cpu: the book's offline transfer split (digits 0-4 -> 5-9) at 32x32 in 3 channels, small CNN. Scaled for
    # 2 cores: 6 pre-training and 3 fine-tuning epochs, K = 3 inner steps for both stages (Table 5's K for
    # pre-training). Radii: the paper's CIFAR radii (2/12, 2/255) barely move digits32's bright strokes, so
    # both stages use larger radii (pre-training 0.5 / 8/255, fine-tuning 0.25 / 4/255), step size r/2 so that
    # 3 steps can reach the sphere; pre-training uses steepest ascent (normalised l2 gradient, l_inf sign) like
    # the robust ImageNet checkpoints of Salman et al. that the paper fine-tunes, fine-tuning is Algorithm 1
    # (raw l2 gradient, l_inf sign) as in Sec. 5.1.1.
    "cpu": PretrainSettings("digits32_source", "digits32_target", "smallcnn", 3, 6, 3, 64, 0.01, 0.01, 3, 0.5,
                            8 / 255, 3, 0.25, 4 / 255, None, None),
    # gpu: the paper's setting, ImageNet-pre-trained robust ResNet-50s (Salman et al. 2020) fine-tuned on
    # CIFAR-10 at 224 px, evaluated on CIFAR-10-C; the checkpoints must be fetched (see `robust_checkpoint`).
    "gpu": PretrainSettings("imagenet", "cifar10", "resnet50", 3, 0, 150, 64, 0.01, 0.01, 3, 0.25, 2 / 255, 8,
                            2 / 12, 2 / 255, None, None),
}


# Salman et al. (2020) robust ImageNet ResNet-50s (github.com/microsoft/robust-models-transfer), the closest
# released checkpoints to the paper's adversarially pre-trained models (Table 5 radii: l2 0.25, l_inf 2/255).
ROBUST_CHECKPOINTS = {"Std": "resnet50_l2_eps0.ckpt", "Adv-l2": "resnet50_l2_eps0.25.ckpt",
                      "Adv-linf": "resnet50_linf_eps2.0.ckpt"}


def pretrain_settings(profile: str) -> PretrainSettings:
    """Table 3's settings at `profile`."""
    if profile not in PRETRAIN_SETTINGS:
        raise ValueError(f"invalid profile={profile!r}: choose one of {', '.join(PRETRAIN_SETTINGS)}")
    return fixture_settings(PRETRAIN_SETTINGS[profile])


def robust_checkpoint(method: str):
    """The path of a robust ImageNet checkpoint of the `gpu` Table 3, or a clear error naming what to fetch."""
    from ...data.download import DataUnavailableError, data_root

    if method not in ROBUST_CHECKPOINTS:
        raise ValueError(f"invalid pre-training {method!r}: choose one of {', '.join(ROBUST_CHECKPOINTS)}")
    path = data_root() / "robust_imagenet" / ROBUST_CHECKPOINTS[method]
    if not path.exists():
        raise DataUnavailableError(
            f"Table 3 at the gpu profile needs the robust ImageNet checkpoint {ROBUST_CHECKPOINTS[method]} "
            f"(Salman et al. 2020, https://github.com/microsoft/robust-models-transfer, 'ResNet-50' table) at "
            f"{path}; download it once online. The book never downloads weights at run time.")
    return path


def pretrain_config(s: PretrainSettings, method: str) -> TrainConfig:
    """The pre-training run of `method` (Std, Adv-l2, Adv-linf) on the source task."""
    from ...train.config import TrainConfig as TC

    base = dict(epochs=s.pre_epochs, batch_size=s.batch_size, lr=s.lr, momentum=0.9, weight_decay=5e-4,
                schedule="cosine")
    if method == "Std":
        return TC(objective="standard", **base)
    if method not in ("Adv-l2", "Adv-linf"):
        raise ValueError(f"invalid pre-training {method!r}: choose Std, Adv-l2 or Adv-linf")
    norm = "l2" if method == "Adv-l2" else "linf"
    r = s.pre_r_l2 if norm == "l2" else s.pre_r_linf
    return algorithm1_config(norm, r, r / 2, s.pre_steps, ascent="sign", **base)


def finetune_config(s: PretrainSettings, method: str) -> TrainConfig:
    """The fine-tuning run of `method` on the target task (Algorithm 1 as in Sec. 5.1.1 for Adv-*)."""
    from ...train.config import TrainConfig as TC

    base = dict(epochs=s.ft_epochs, batch_size=s.batch_size, lr=s.ft_lr, momentum=0.9, weight_decay=5e-4,
                schedule="cosine")
    if method == "Std":
        return TC(objective="standard", **base)
    if method not in ("Adv-l2", "Adv-linf"):
        raise ValueError(f"invalid fine-tuning {method!r}: choose one of {', '.join(FINETUNINGS)}")
    norm = "l2" if method == "Adv-l2" else "linf"
    r = s.ft_r_l2 if norm == "l2" else s.ft_r_linf
    return algorithm1_config(norm, r, r / 2, s.ft_steps, **base)


def pretrain_recipe(s: PretrainSettings, method: str, seed: int = 0) -> zoo.Recipe:
    """The zoo recipe of a pre-trained source model."""
    return zoo.Recipe(s.arch, s.source, pretrain_config(s, method), seed, s.train_size, s.channels)


IMAGENET_STATS = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


class Resized(nn.Module):
    """`model(resize(x, size))`: CIFAR images fed to an ImageNet network at 224 px (Salman et al., Sec. 5.2)."""

    def __init__(self, model: nn.Module, size: int = 224):
        super().__init__()
        self.model, self.size = model, size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(nn.functional.interpolate(x, size=self.size, mode="bilinear", align_corners=False))


def robustness_state_dict(checkpoint: dict) -> dict:
    """The torchvision weights inside a checkpoint of the `robustness` library ('module.model.*' keys)."""
    state = checkpoint.get("model", checkpoint.get("state_dict", checkpoint))
    out = {k[len("module.model."):]: v for k, v in state.items() if k.startswith("module.model.")}
    if not out:
        raise ValueError("not a robustness-library checkpoint: no 'module.model.*' weights")
    return out


def imagenet_resnet50(method: str, num_classes: int, seed: int = 0) -> nn.Module:
    """A ResNet-50 with Salman et al.'s robust ImageNet weights ('No': seeded init), a new head, 224 px input."""
    import torchvision

    from ...models import Normalized

    torch.manual_seed(seed)
    net = torchvision.models.resnet50(weights=None)
    if method != "No":
        import argparse

        with torch.serialization.safe_globals([argparse.Namespace]):  # the robustness library saves its args
            ckpt = torch.load(robust_checkpoint(method), map_location="cpu", weights_only=True)
        net.load_state_dict(robustness_state_dict(ckpt))
    net.fc = nn.Linear(net.fc.in_features, num_classes)
    return Resized(Normalized(net, *IMAGENET_STATS), fixture_cap(224, "image_size"))  # fixture mode: 32 px


def pretrained_model(s: PretrainSettings, method: str, device: torch.device | str, seed: int = 0) -> nn.Module:
    """A pre-trained source model from the zoo (trained now if missing); the gpu profile loads checkpoints."""
    if s.source == "imagenet":
        return imagenet_resnet50(method, 1000, seed).to(device)
    return zoo.get(pretrain_recipe(s, method, seed), device, progress=False)


def finetuned_model(s: PretrainSettings, pretraining: str, finetuning: str, device: torch.device | str,
                    seed: int = 0) -> nn.Module:
    """Pre-trained weights (or none) with a fresh head, fine-tuned on the target task; cached in the zoo.

    The whole network is fine-tuned (as Salman et al. and the paper do); the head is re-initialised because
    the target's classes are new. 'No' pre-training trains the same architecture from its seeded init.
    """
    from ...data import images
    from ...models import build
    from ...train.loop import fit

    if pretraining not in PRETRAININGS:
        raise ValueError(f"invalid pre-training {pretraining!r}: choose one of {', '.join(PRETRAININGS)}")
    cfg = finetune_config(s, finetuning)
    data = images.subset(images.load(s.target, "train", s.channels), s.train_size, seed)
    pre = None if pretraining == "No" or s.source == "imagenet" else pretrain_recipe(s, pretraining, seed)
    spec = {"kind": "yi2021_finetune", "pretrain": pre.spec() if pre else None, "target": s.target,
            "channels": s.channels, "train_size": s.train_size, "train": dataclasses.asdict(cfg), "seed": seed}

    if s.source == "imagenet":  # gpu: the released checkpoints (their file names key the cache)
        spec["pretrain"] = ROBUST_CHECKPOINTS.get(pretraining)
        return zoo.get_or_train_custom(spec,
                                       lambda: imagenet_resnet50(pretraining, images.NUM_CLASSES[s.target], seed),
                                       lambda m: fit(m, data, cfg, device, seed, progress=True), device)

    def build_model() -> nn.Module:
        torch.manual_seed(seed)
        model = build(s.arch, images.NUM_CLASSES[s.target], s.channels, "digits32")
        if pre is not None:
            source = zoo.get(pre, "cpu", progress=False)
            state = {k: v for k, v in source.state_dict().items() if ".head." not in k}
            missing = model.load_state_dict(state, strict=False).missing_keys
            assert all(".head." in k for k in missing), missing
        return model

    return zoo.get_or_train_custom(spec, build_model, lambda m: fit(m, data, cfg, device, seed, progress=False),
                                   device)


def target_test(s: PretrainSettings, seed: int = 0):
    """The clean test split of the fine-tuning task (a subset at smoke)."""
    from ...data import images

    test = images.subset(images.load(s.target, "test", s.channels), s.test_size, seed)
    if s.target in ("cifar10", "cifar100") and s.test_size is None:
        test.official_c = s.target  # evaluated on the released CIFAR-10-C arrays, image for image
    return test


def tv_two_sample(x_p: np.ndarray, x_q: np.ndarray, seed: int = 0, holdout: float = 0.5) -> dict[str, float]:
    """A classifier two-sample test of P vs Q: held-out balanced accuracy and the TV lower bound it implies.

    Logistic regression on the given features (pixels, TF-IDF, ...) trained on one half, scored on the other,
    with equal numbers from P and Q in each half. Any classifier's balanced accuracy acc satisfies
    TV(P, Q) >= 2 acc - 1, so (with the Wilson lower end of acc) this is a *lower bound* on TV, not its value.
    """
    from sklearn.linear_model import LogisticRegression

    from ... import verdicts as V
    from ...theory.yi2021_section4 import tv_lower_bound

    rng = np.random.default_rng(seed)
    n = min(len(x_p), len(x_q))
    ip, iq = rng.permutation(len(x_p))[:n], rng.permutation(len(x_q))[:n]
    cut = int(n * (1 - holdout))
    xtr = np.concatenate([x_p[ip[:cut]], x_q[iq[:cut]]])
    ytr = np.r_[np.ones(cut), np.zeros(cut)]
    xte = np.concatenate([x_p[ip[cut:]], x_q[iq[cut:]]])
    yte = np.r_[np.ones(n - cut), np.zeros(n - cut)]
    clf = LogisticRegression(max_iter=2000, C=1.0).fit(xtr, ytr)
    hits = int((clf.predict(xte) == yte).sum())
    acc, lo, hi = V.wilson_interval(hits, len(yte))
    return {"held-out accuracy": acc, "accuracy low": lo, "TV lower bound (point)": tv_lower_bound(acc),
            "TV lower bound (95%)": tv_lower_bound(lo), "n per distribution": n - cut}
