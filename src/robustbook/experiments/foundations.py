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
# The claims are registered before any run: yi2021's statements that these chapters test in the block
# FOUNDATIONS_CLAIMS of robustbook.papers.yi2021, the book's own demonstrations (Madry et al.'s premises) in
# robustbook.papers.book (shown, never tallied). These functions compute the effects and the gates the entries
# name; `verdicts.judge` gives the verdict.
def verdict_lemma1(loss_pushed, loss_noise, clean_accuracy: float, num_classes: int,
                   seed: int = 0):
    """Lemma 1 of yi2021 in use: per-point cross-entropy of the PGD push-forward P_r (a member of the W_inf ball)
    minus that of uniform noise of the same size (another member), paired over the same test points."""
    from .. import verdicts as V

    return V.judge("yi2021:lemma1-pointwise-worst-case", *V.paired_difference(loss_pushed, loss_noise, seed=seed),
                   gates=[V.trained_above_chance({"standard": clean_accuracy}, num_classes)])


def verdict_pgd_vs_fgsm(label: str, fgsm_correct, pgd_correct, clean_accuracy: float, num_classes: int,
                        seed: int = 0):
    """The book's demonstration after Madry et al.: FGSM - PGD accuracy on the same points; gated on the model
    being above chance and FGSM leaving accuracy for a stronger attack to take (the book's near-chance margin)."""
    from .. import verdicts as V

    fgsm_acc = float(sum(fgsm_correct)) / max(1, len(fgsm_correct))
    gates = [V.trained_above_chance({label: clean_accuracy}, num_classes),
             V.at_least("FGSM accuracy (room for a stronger attack)", fgsm_acc, V.NEAR_CHANCE_MARGIN,
                        "effect in reference")]
    return V.judge("book:pgd-stronger-than-fgsm", *V.paired_difference(fgsm_correct, pgd_correct, seed=seed),
                   gates=gates, label=label)


def verdict_adversarial_training(std_robust, at_robust, clean: dict[str, float], num_classes: int,
                                 seed: int = 0):
    """The book's demonstration after Madry et al.: PGD accuracy at the training radius, PGD-AT - standard."""
    from .. import verdicts as V

    return V.judge("book:pgd-at-raises-pgd-accuracy", *V.paired_difference(at_robust, std_robust, seed=seed),
                   gates=[V.trained_above_chance(clean, num_classes)])


def verdicts_corruptions(clean_accuracy: float, corrupted: dict[str, float], paper_row: dict[str, float],
                         num_classes: int, seed: int = 0):
    """yi2021 Table 1's Std row on the book's data, accuracies in % at severity 5: the average cost of the
    corruptions (clean - corrupted, interval over the 15 corruptions) and the Spearman rho between the paper's
    row and ours (gated on at least MIN_RANK_POINTS corruptions)."""
    import numpy as np

    from .. import verdicts as V

    names = list(paper_row)
    ours = np.array([corrupted[c] for c in names], float)
    above = V.trained_above_chance({"Std": clean_accuracy / 100}, num_classes)
    d = V.bootstrap_interval(clean_accuracy - ours, seed=seed)
    r, lo, hi = V.spearman_interval([paper_row[c] for c in names], ours, seed=seed)
    return [V.judge("yi2021:table1-std-corruptions-cost", *d, gates=[above]),
            V.judge("yi2021:table1-std-corruption-ranking", r, min(lo, r), max(hi, r),
                    gates=[above, V.enough("corruptions ranked", len(names), V.MIN_RANK_POINTS)])]


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
