"""The experiments of the foundations chapters (threat models; common corruptions): per-profile settings and
the zoo recipes of their standard and PGD-trained models. The base budget (data set, architecture, epochs,
batch size, lr, sizes) is the profile's (`robustbook.profiles.PROFILES`); what is specific to a chapter is here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from .. import zoo
from ..papers.yi2021 import PAPER_TABLE1
from ..session import Settings
from ..train.config import TrainConfig
from .common import pick


@dataclass(frozen=True)
class ThreatModelsSettings:
    """`foundations/threat_models` at one profile (radii in [0, 1] pixel units)."""

    # the fields that count work: fixture mode caps exactly these (kind: robustbook.runtime.FIXTURE_CAPS)
    WORK: ClassVar[dict[str, str]] = {"train_steps": "steps", "eval_steps": "steps", "n_trace": "points"}

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

    # the fields that count work: fixture mode caps exactly these (kind: robustbook.runtime.FIXTURE_CAPS)
    WORK: ClassVar[dict[str, str]] = {"n_test": "points", "epochs": "epochs"}

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
    in `papers.yi2021.PAPER_TABLE1`."""
    return PAPER_TABLE1.loc["Std"]


# ---------------------------------------------------------------------------------------------- verdicts
# Thresholds of the preconditions, stated once: a model must be above chance (the book's one rule) and an
# attack must leave at least this much accuracy for a stronger attack to take.
ROOM_TO_ATTACK = 0.1


def verdict_lemma1(loss_pushed, loss_noise, clean_accuracy: float, num_classes: int,
                   seed: int = 0):
    """Lemma 1 of yi2021 in use: the PGD push-forward P_r, a member of the W_inf ball, has a higher risk than
    uniform noise of the same size (per-point cross-entropy, paired over the same test points)."""
    from .. import verdicts as V

    eff, lo, hi = V.paired_difference(loss_pushed, loss_noise, seed=seed)
    return V.sign_verdict("Lemma 1 (yi2021): the worst case of the W_inf ball is found by a pointwise attack "
                          "(risk of P_r - risk of noise of the same size)", eff, lo, hi, +1, 0.0,
                          V.trained_above_chance({"standard": clean_accuracy}, num_classes))


def verdict_pgd_vs_fgsm(label: str, fgsm_correct, pgd_correct, clean_accuracy: float, num_classes: int,
                        seed: int = 0):
    """Madry et al.: a multi-step attack is stronger than one step (FGSM - PGD accuracy > 0, same points)."""
    from .. import verdicts as V

    eff, lo, hi = V.paired_difference(fgsm_correct, pgd_correct, seed=seed)
    pre = V.all_of(V.trained_above_chance({label: clean_accuracy}, num_classes),
                   V.at_least("FGSM accuracy (room for a stronger attack)", float(sum(fgsm_correct))
                              / max(1, len(fgsm_correct)), ROOM_TO_ATTACK))
    return V.sign_verdict(f"{label}: PGD is stronger than FGSM (FGSM - PGD accuracy)", eff, lo, hi, +1, 0.0, pre)


def verdict_adversarial_training(std_robust, at_robust, clean: dict[str, float], num_classes: int,
                                 seed: int = 0):
    """Madry et al.: PGD adversarial training raises PGD accuracy at its training radius (AT - standard)."""
    from .. import verdicts as V

    eff, lo, hi = V.paired_difference(at_robust, std_robust, seed=seed)
    return V.sign_verdict("PGD-AT raises PGD accuracy at the training radius (AT - standard)", eff, lo, hi, +1,
                          0.0, V.trained_above_chance(clean, num_classes))


def sweep_recipes(profile: str, seed: int = 0, notebooks: set[str] | None = None) -> list[zoo.Recipe]:
    """The zoo recipes the foundations notebooks (stems; None: all) request at `profile` with their default
    parameters (a cluster build trains them first): the threat-models chapter's two models, the corruptions
    chapter's one."""
    import torch

    from ..profiles import PROFILES
    from .common import sweep

    cfg = Settings(PROFILES[profile], seed, torch.device("cpu"))  # what `setup` resolves, minus the knobs
    return sweep({"threat_models": list(threat_model_recipes(cfg, threat_models_settings(profile)).values()),
                  "corruptions": [corruption_recipe(cfg, corruptions_settings(profile))]}, notebooks)
