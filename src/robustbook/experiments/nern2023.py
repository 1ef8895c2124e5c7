"""The experiments of nern2023's chapter (robustness transfers through representations): per-profile
settings, the encoder recipes (standard and adversarially trained on the source task), the linear probes on
their frozen representations (a zoo recipe with a `base`), and the Appendix B search budgets.

Paper: Nern & Sharma, "On transfer of adversarial robustness from pretraining to downstream tasks" (2023);
Theorem 3.2 (p. 4) bounds the head's robustness gap by ||W||_2 C_1 times the representation's shift, and
Theorem 4.1 (p. 5) the linear probe's; Appendix B derives the cross-entropy Lipschitz constant.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..train import zoo
from ..train.loop import TrainConfig
from .common import pick


@dataclass(frozen=True)
class TransferSettings:
    """Everything `nern2023/transfer` depends on at one profile (radii in [0, 1] pixel units)."""

    source: str  # data set the encoders are trained on
    target: str  # data set the linear heads are fit on
    channels: int
    encoders: tuple[tuple[str, str, str, float], ...]  # (name, objective, norm, eps)
    threats: tuple[tuple[str, float], ...]  # (norm, eps) every classifier is evaluated at
    weight_decays: tuple[float, ...]  # the heads' L2 penalties
    train_steps: int  # PGD steps of adversarial training
    rep_steps: int  # PGD steps of the representation attack
    rep_restarts: int
    eval_steps: int  # PGD steps of the attack on the whole classifier
    head_steps: int  # L-BFGS iterations of a head
    arch: str = "smallcnn"  # the sound bound needs a sequential encoder, so no ResNet at any profile


TRANSFER: dict[str, TransferSettings] = {
    "smoke": TransferSettings("digits32_source", "digits32_target", 1,
                              (("standard", "standard", "linf", 0.0), ("AT linf 0.1", "adversarial", "linf", 0.1)),
                              (("linf", 0.05), ("l2", 0.5)), (1e-3, 1e-1), 2, 3, 1, 3, 30),
    "cpu": TransferSettings("digits32_source", "digits32_target", 1,
                            (("standard", "standard", "linf", 0.0), ("AT linf 0.1", "adversarial", "linf", 0.1),
                             ("AT l2 1.0", "adversarial", "l2", 1.0)),
                            (("linf", 0.05), ("l2", 0.5)), (1e-4, 1e-3, 1e-2, 1e-1), 5, 20, 1, 10, 200),
    # The representation is pre-trained on CIFAR-10 and probed on CIFAR-100. The sound bound needs a sequential
    # encoder, so the gpu profile keeps the SmallCNN (3 channels) rather than a ResNet.
    "gpu": TransferSettings("cifar10", "cifar100", 3,
                            (("standard", "standard", "linf", 0.0), ("AT linf 4/255", "adversarial", "linf", 4 / 255),
                             ("AT linf 8/255", "adversarial", "linf", 8 / 255), ("AT l2 0.25", "adversarial", "l2", 0.25),
                             ("AT l2 0.5", "adversarial", "l2", 0.5)),
                            (("linf", 8 / 255), ("l2", 0.5)), (1e-5, 1e-4, 1e-3, 1e-2, 1e-1), 10, 50, 2, 50, 300),
}


@dataclass(frozen=True)
class AppendixBSettings:
    """The search budgets of `nern2023/appendix_b` at one profile."""

    n_search: int  # Nelder-Mead restarts per violation search
    n_logits: int  # random logit vectors for the Lipschitz-constant check


APPENDIX_B: dict[str, AppendixBSettings] = {
    "smoke": AppendixBSettings(5, 2000),
    "cpu": AppendixBSettings(200, 200_000),
    "gpu": AppendixBSettings(200, 200_000),
}


def transfer_settings(profile: str, **overrides) -> TransferSettings:
    """The transfer chapter's settings at `profile` (overrides that are not None replace fields)."""
    return pick(TRANSFER, profile, **overrides)


def appendix_b_settings(profile: str, **overrides) -> AppendixBSettings:
    """The Appendix B page's settings at `profile`."""
    return pick(APPENDIX_B, profile, **overrides)


def encoder_recipe(s: TransferSettings, objective: str, norm: str, eps: float, *, epochs: int, batch_size: int,
                   lr: float, train_size: int | None, seed: int = 0) -> zoo.Recipe:
    """The zoo recipe of one encoder, trained on the source task (the profile gives epochs / batch / lr)."""
    train = TrainConfig(objective=objective, epochs=epochs, batch_size=batch_size, lr=lr, eps=eps, norm=norm,
                        steps=s.train_steps)
    return zoo.Recipe(s.arch, s.source, train=train, seed=seed, train_size=train_size, channels=s.channels)


def probe_recipe(s: TransferSettings, encoder: zoo.Recipe, weight_decay: float, train_size: int | None,
                 seed: int = 0) -> zoo.Recipe:
    """The zoo recipe of a linear head fit on the target task on top of `encoder`'s frozen features."""
    if weight_decay < 0:
        raise ValueError(f"invalid weight_decay={weight_decay!r}: must be >= 0")
    return zoo.Recipe(encoder.arch, s.target, seed=seed, train_size=train_size, channels=s.channels, base=encoder,
                      head_weight_decay=float(weight_decay), head_steps=s.head_steps)


def probe(s: TransferSettings, encoder: zoo.Recipe, weight_decay: float, train_size: int | None, seed: int = 0,
          device: torch.device | str = "cpu") -> nn.Module:
    """The frozen encoder with its linear head, from the zoo or fit now."""
    return zoo.get_or_train(probe_recipe(s, encoder, weight_decay, train_size, seed), device, progress=False)


def sweep_recipes(profile: str, seed: int = 0, notebooks: set[str] | None = None) -> list[zoo.Recipe]:
    """The zoo recipes of the transfer chapter at `profile` with its default parameters: the encoders and a
    linear probe per encoder and weight decay (a cluster build trains them first)."""
    from ..config import PROFILES
    from .common import sweep

    s, p = transfer_settings(profile), PROFILES[profile]
    enc = [encoder_recipe(s, objective, norm, eps, epochs=p.epochs, batch_size=p.batch_size, lr=p.lr,
                          train_size=p.train_size, seed=seed) for _, objective, norm, eps in s.encoders]
    probes = [probe_recipe(s, r, wd, p.train_size, seed) for r in enc for wd in s.weight_decays]
    return sweep({"transfer": enc + probes}, notebooks)
