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
from ..profiles import PROFILES
from .common import Departure, frac255, pick


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


def severity_correct(model, test, dataset: str, severity: int = 5, device="cpu", seed: int = 0,
                     batch_size: int = 256) -> pd.DataFrame:
    """Per test point, correct (1) or not (0), clean ('Clean') and under each corruption at `severity`: the
    released CIFAR-10-C arrays for CIFAR-10, else the same generated images as `corruption_table`."""
    from ..data.corruptions import CORRUPTIONS as NAMES
    from ..evaluate.accuracy import predictions
    from ..evaluate.corruption import corruption_correct

    if dataset not in ("cifar10", "cifar100"):
        return corruption_correct(model, test, severity, device, batch_size, seed)
    from ..data.corruption_sets import cifar_c

    cols = {}
    for name, data in [("Clean", test)] + [(c, cifar_c(dataset, c, severity)) for c in NAMES]:
        pred, y = predictions(model, data, batch_size=batch_size, device=device)
        cols[name] = (pred == y).float().numpy()
    return pd.DataFrame(cols)


def paper_standard_row() -> pd.Series:
    """yi2021 Table 1's "Std" row (CIFAR10-C, accuracy %): Clean, the 15 corruptions and Avg, transcribed once
    in `papers.yi2021.PAPER_TABLE1`."""
    return PAPER_TABLE1.loc["Std"]


# ---------------------------------------------------------------------------------------------- verdicts
# The claims are registered before any run: yi2021's Lemma 1 (an identity the threat-models chapter solves
# exactly on a grid, where the check cannot fail: a demonstration) in FOUNDATIONS_CLAIMS of robustbook.papers.yi2021; the book's own demonstrations (Madry et al.'s
# premises, the proof's construction on a trained network, Table 1's Std row read on the book's data) in
# robustbook.papers.book (shown, never tallied). These functions compute the effects and the gates the entries
# name; `verdicts.judge` gives the verdict.
LP_COLUMNS = ("LP over W_inf ball", "E sup pointwise (Lemma 1)", "LP over W_2 ball")


def lemma1_check(lemma_lp: pd.DataFrame) -> dict:
    """Lemma 1 as a check on the chapter's LP table (columns `LP_COLUMNS` and "r"): it passes when the W_inf
    LP equals the pointwise worst case at every radius (within BOUND_SLACK); its one mutant, the same identity
    over the W_2 ball, is rejected when the W_2 LP differs from the pointwise worst case at some radius."""
    import numpy as np

    from .. import verdicts as V

    w_inf, pointwise, w_2 = (lemma_lp[c].to_numpy(float) for c in LP_COLUMNS)
    passes = bool(np.all(np.abs(w_inf - pointwise) <= V.BOUND_SLACK))
    rejected = int(bool(np.any(np.abs(w_2 - pointwise) > V.BOUND_SLACK)))
    return dict(passes=passes, mutants=1, rejected=rejected)


def verdict_lemma1(lemma_lp: pd.DataFrame):
    """yi2021's Lemma 1, shown as a check on the LP table (no trained model): a demonstration, never tallied, since
    on a grid the W_inf LP decomposes per atom into the pointwise maximisation it is compared with."""
    from .. import verdicts as V

    return V.judge("yi2021:lemma1-pointwise-worst-case", **lemma1_check(lemma_lp))


def verdict_push_forward(loss_pushed, loss_noise, clean_accuracy: float, num_classes: int, seed: int = 0):
    """The book's demonstration of the proof's construction on a trained network: per-point cross-entropy of
    the PGD push-forward P_r (a member of the W_inf ball) minus that of uniform noise of the same size (another
    member), paired over the same test points."""
    from .. import verdicts as V

    return V.judge("book:pgd-push-forward-above-noise",
                   *V.paired_difference(loss_pushed, loss_noise, seed=seed),
                   gates=[V.trained_above_chance({"standard": clean_accuracy}, num_classes)])


def fgsm_room(fgsm_acc: float, num_classes: int):
    """The "effect in reference" gate of the FGSM-vs-PGD demonstration: FGSM leaves the model above chance
    (the book's one near-chance rule), so a stronger attack has accuracy to take."""
    from .. import verdicts as V

    near = V.near_chance(fgsm_acc, num_classes)
    return V.Precondition(f"FGSM accuracy above chance (1/{num_classes} + {V.NEAR_CHANCE_MARGIN:g}; measured "
                          f"{fgsm_acc:.3g})", not near, "effect in reference")


def verdict_pgd_vs_fgsm(label: str, fgsm_correct, pgd_correct, clean_accuracy: float, num_classes: int,
                        seed: int = 0):
    """The book's demonstration after Madry et al.: FGSM - PGD accuracy on the same points; gated on the model
    being above chance and FGSM leaving it above chance (else a stronger attack has nothing to take)."""
    from .. import verdicts as V

    fgsm_acc = float(sum(fgsm_correct)) / max(1, len(fgsm_correct))
    gates = [V.trained_above_chance({label: clean_accuracy}, num_classes), fgsm_room(fgsm_acc, num_classes)]
    return V.judge("book:pgd-stronger-than-fgsm", *V.paired_difference(fgsm_correct, pgd_correct, seed=seed),
                   gates=gates, label=label)


def verdict_adversarial_training(std_robust, at_robust, clean: dict[str, float], num_classes: int,
                                 seed: int = 0):
    """The book's demonstration after Madry et al.: PGD accuracy at the training radius, PGD-AT - standard,
    over the chapter's whole test set."""
    from .. import verdicts as V

    return V.judge("book:pgd-at-raises-pgd-accuracy", *V.paired_difference(at_robust, std_robust, seed=seed),
                   gates=[V.trained_above_chance(clean, num_classes)])


def min_drop(correct) -> float:
    """The smallest drop (points) over the corruptions of a (points, 1 + corruptions) 0/1 array whose first
    column is clean: "every corruption costs accuracy" read literally."""
    import numpy as np

    c = np.asarray(correct, float)
    return float(100 * np.min(c[:, 0].mean() - c[:, 1:].mean(0)))


def rank_interval(paper: list[float], correct, seed: int = 0) -> tuple[float, float, float]:
    """(rho, low, high): Spearman rho between the paper's row and our per-corruption accuracies, resampling
    the corruptions and, independently, the test points inside each (the same points for every corruption,
    as they are the same images); `correct` is (points, corruptions)."""
    import numpy as np

    from .. import verdicts as V

    c = np.asarray(correct, float)
    paper_idx = np.vstack([np.asarray(paper, float), np.arange(len(paper))])  # values, and their corruption
    return V.two_sample_interval(paper_idx, c.T, lambda a, b: V.rank_correlation(
        a[0], b.mean(-1)[a[1].astype(int)]), n_boot=2000, seed=seed)


def verdicts_corruptions(correct: pd.DataFrame, paper_row: dict[str, float], num_classes: int, seed: int = 0):
    """yi2021 Table 1's Std row read on the book's data at severity 5, as the book's demonstrations.
    `correct` is `evaluate.corruption.corruption_correct`'s frame (column 'Clean', then one per corruption).
    The smallest drop over the corruptions (interval over test points) and the Spearman rho between the
    paper's row and ours (interval over corruptions and test points)."""
    from .. import verdicts as V

    names = list(paper_row)
    arr = correct[["Clean", *names]].to_numpy(float)
    above = V.trained_above_chance({"Std": float(arr[:, 0].mean())}, num_classes)
    n = V.enough("test points", arr.shape[0], V.MIN_SAMPLE)
    d = V.bootstrap_interval(arr, min_drop, seed=seed)
    r, lo, hi = rank_interval([paper_row[c] for c in names], arr[:, 1:], seed=seed)
    return [V.judge("book:every-corruption-costs-accuracy", *d, gates=[above, n]),
            V.judge("book:corruption-ranking-transfers", r, lo, hi,
                    gates=[above, V.all_of(n, V.enough("corruptions ranked", len(names), V.MIN_RANK_POINTS))])]


# ---------------------------------------------------------------------------------------------- departures
CIFAR10_TEST_POINTS = 10_000  # the CIFAR-10 test split (and each CIFAR-10-C severity)


def test_points(p: str) -> int:
    """Test images the corruptions chapter evaluates at profile `p` (its n_test, else the whole split)."""
    s, prof = CORRUPTIONS[p], PROFILES[p]
    if s.n_test is not None:
        return s.n_test
    if prof.dataset == "digits32":
        from ..data.digits import digits_arrays
        return len(digits_arrays()[3])
    return CIFAR10_TEST_POINTS


def _foundations_departures() -> tuple[Departure, ...]:
    tc, tg = THREAT_MODELS["cpu"], THREAT_MODELS["gpu"]
    cc, cg, pc, pg = CORRUPTIONS["cpu"], CORRUPTIONS["gpu"], PROFILES["cpu"], PROFILES["gpu"]
    return (
        Departure("Lemma 1 on a trained network (threat models)", "attack",
                  "the exact pointwise sup over the l_inf ball (yi2021, Lemma 1: a proof, no experiment)",
                  f"exact on the toy LP; on the {pc.arch}, PGD with {tc.eval_steps} steps, a lower estimate of the sup",
                  f"PGD with {tg.eval_steps} steps on the {pg.arch}",
                  "no solver gives the exact sup over an image ball; the identity itself is judged on the LP",
                  reads=("THREAT_MODELS[p].eval_steps",)),
        Departure("Madry et al.'s premises (threat models)", "data",
                  "MNIST and CIFAR-10 with their networks (Madry et al. 2018)",
                  f"{pc.dataset}, the {pc.arch} trained {pc.epochs} epochs, PGD-AT at eps {tc.eps_train:g} "
                  f"({tc.train_steps} steps)",
                  f"{pg.dataset}, the {pg.arch} trained {pg.epochs} epochs, PGD-AT at eps {frac255(tg.eps_train)} "
                  f"({tg.train_steps} steps)",
                  "2 cores; these are the book's demonstrations, shown and never tallied",
                  reads=("PROFILES[p].epochs", "THREAT_MODELS[p].eps_train", "THREAT_MODELS[p].train_steps")),
        Departure("Table 1 Std row (corruptions)", "data",
                  "CIFAR-10-C: the released corrupted arrays of CIFAR-10's test split (yi2021 Sec. 5.1)",
                  f"{pc.dataset} (grey digits repeated to RGB), {test_points('cpu')} test images, the corruptions "
                  "regenerated by `robustbook.data.corruptions` with CIFAR-10-C's constants, not calibrated",
                  f"{pg.dataset}, the released CIFAR-10-C arrays, {test_points('gpu'):,} test images",
                  "no CIFAR-10-C offline; the digits shrug off noise, pixelation and JPEG (shown in the chapter), "
                  "so these rows are the book's demonstrations, never counted for yi2021",
                  reads=("test_points(p)",)),
        Departure("Table 1 Std row (corruptions)", "model",
                  "ResNet-34, 200 epochs, lr 0.1 (yi2021 Sec. 5.1)",
                  f"the {pc.arch}, {cc.epochs} epochs, lr {cc.lr:g}",
                  f"the {pg.arch}, {cg.epochs or pg.epochs} epochs, lr {cg.lr or pg.lr:g}",
                  "2 cores; at lr 0.05 the small CNN diverged on 3-channel digits",
                  reads=("CORRUPTIONS[p].epochs or PROFILES[p].epochs", "CORRUPTIONS[p].lr or PROFILES[p].lr")),
    )


DEPARTURES: tuple[Departure, ...] = _foundations_departures()


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
