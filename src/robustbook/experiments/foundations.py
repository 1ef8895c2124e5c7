"""The experiments of the foundations chapters (threat models; common corruptions): per-profile settings and
the zoo recipes of their standard and PGD-trained models. The base budget (data set, architecture, epochs,
batch size, lr, sizes) is the profile's (`robustbook.config.PROFILES`); what is specific to a chapter is here.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..config import Settings
from ..train import zoo
from ..train.loop import TrainConfig
from .common import pick
from .yi2021 import PAPER_TABLE1


@dataclass(frozen=True)
class ThreatModelsSettings:
    """`foundations/threat_models` at one profile (radii in [0, 1] pixel units)."""

    eps_linf: tuple[float, ...]  # evaluation radii, L_inf
    eps_l2: tuple[float, ...]  # evaluation radii, L_2
    eps_train: float  # L_inf radius of the adversarially trained model
    train_steps: int  # PGD steps of adversarial training
    eval_steps: int  # PGD steps of evaluation
    n_trace: int  # test points of the loss traces


THREAT_MODELS: dict[str, ThreatModelsSettings] = {
    "smoke": ThreatModelsSettings((0.0, 0.1, 0.2), (0.0, 1.0, 2.0), 0.1, 2, 3, 16),
    "cpu": ThreatModelsSettings((0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3),
                                (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0), 0.1, 5, 20, 128),
    "gpu": ThreatModelsSettings((0, 1 / 255, 2 / 255, 4 / 255, 8 / 255, 12 / 255, 16 / 255),
                                (0.0, 0.125, 0.25, 0.5, 0.75, 1.0, 1.5), 8 / 255, 10, 20, 512),
}


@dataclass(frozen=True)
class CorruptionsSettings:
    """`foundations/corruptions` at one profile (None: the profile's default)."""

    n_test: int | None  # test images of the corruption table (None: the whole split)
    severities: tuple[int, ...]
    grid_index: int  # the test image shown in the corruption grid
    epochs: int | None  # training epochs of the standard model (None: the profile's)
    lr: float | None  # its learning rate (None: the profile's)


# On 3-channel digits the SmallCNN diverges at lr 0.05 (10% accuracy after 12 epochs); lr 0.02 reaches about 96%
# in a few epochs.
CORRUPTIONS: dict[str, CorruptionsSettings] = {
    "smoke": CorruptionsSettings(32, (1, 5), 0, None, 0.02),
    "cpu": CorruptionsSettings(None, (1, 2, 3, 4, 5), 0, 6, 0.02),  # 360 test digits
    "gpu": CorruptionsSettings(None, (1, 2, 3, 4, 5), 0, None, None),  # CIFAR-10-C
}


def threat_models_settings(profile: str, **overrides) -> ThreatModelsSettings:
    """The threat-models chapter's settings at `profile` (overrides that are not None replace fields)."""
    return pick(THREAT_MODELS, profile, **overrides)


def corruptions_settings(profile: str, **overrides) -> CorruptionsSettings:
    """The corruptions chapter's settings at `profile`."""
    return pick(CORRUPTIONS, profile, **overrides)


def threat_model_recipes(cfg: Settings, s: ThreatModelsSettings) -> dict[str, zoo.Recipe]:
    """The standard and the PGD-trained model of the threat-models chapter, by display name."""
    standard = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr)
    adversarial = standard.replace(objective="adversarial", eps=s.eps_train, steps=s.train_steps,
                                   alpha=2.5 * s.eps_train / s.train_steps, norm="linf")
    return {"standard": zoo.Recipe(cfg.arch, cfg.dataset, standard, cfg.seed, cfg.train_size),
            f"PGD-AT (eps={s.eps_train:.3g})": zoo.Recipe(cfg.arch, cfg.dataset, adversarial, cfg.seed,
                                                          cfg.train_size)}


def corruption_recipe(cfg: Settings, s: CorruptionsSettings) -> zoo.Recipe:
    """The standard-trained 3-channel model whose corruption table the chapter shows."""
    standard = TrainConfig(objective="standard", epochs=s.epochs or cfg.epochs, batch_size=cfg.batch_size,
                           lr=s.lr or cfg.lr)
    return zoo.Recipe(cfg.arch, cfg.dataset, standard, cfg.seed, cfg.train_size, channels=3)


def paper_standard_row() -> pd.Series:
    """yi2021 Table 1's "Std" row (CIFAR10-C, accuracy %): Clean, the 15 corruptions and Avg, transcribed once
    in `experiments.yi2021.PAPER_TABLE1`."""
    return PAPER_TABLE1.loc["Std"]


def sweep_recipes(profile: str, seed: int = 0, notebooks: set[str] | None = None) -> list[zoo.Recipe]:
    """The zoo recipes the foundations notebooks (stems; None: all) request at `profile` with their default
    parameters (a cluster build trains them first): the threat-models chapter's two models, the corruptions
    chapter's one."""
    import torch

    from ..config import PROFILES
    from .common import sweep

    cfg = Settings(PROFILES[profile], seed, torch.device("cpu"))  # what `setup` resolves, minus the knobs
    return sweep({"threat_models": list(threat_model_recipes(cfg, threat_models_settings(profile)).values()),
                  "corruptions": [corruption_recipe(cfg, corruptions_settings(profile))]}, notebooks)
