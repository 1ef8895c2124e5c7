"""The models of Section 5.1 that three chapters share (Table 1, the OOD bounds, App. D): per-profile settings,
the zoo recipes of Std / Adv-l2 / Adv-linf (Algorithm 1 in mini-batch form, Sec. 5.1.1 and App. C), the
difficulty-matched corruptions of the offline data and the per-image corruption evaluation."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from ... import zoo
from ...papers.yi2021 import (
    METHODS,
)
from ...runtime import fixture_mode
from ...train.algorithm1 import algorithm1_config
from ...train.config import TrainConfig
from ..common import Departure, fixture_settings, frac255


@dataclass(frozen=True)
class Yi2021Settings:
    """Everything the chapter's experiments depend on at one profile."""

    # the fields that count work: fixture mode caps exactly these (kind: robustbook.runtime.FIXTURE_CAPS)
    WORK: ClassVar[dict[str, str]] = {"epochs": "epochs", "inner_steps": "steps", "conv_steps": "iterations",
                                      "conv_seeds": "seeds", "grid_l2": "grid", "grid_linf": "grid"}

    dataset: str
    arch: str
    channels: int
    epochs: int
    batch_size: int
    lr: float
    milestones: tuple[float, ...]
    inner_steps: int
    r_l2: float
    r_linf: float
    test_size: int | None
    train_size: int | None
    grid_l2: tuple[int, ...]  # x of r = 2^x / 12
    grid_linf: tuple[int, ...]  # x of r = 2^x / 255
    fractions: tuple[float, ...]  # App. D.2 training-set fractions
    fraction_norms: tuple[str, ...]
    conv_steps: int  # Algorithm 1 on the quadratic problem
    conv_seeds: int
    # Table 1 only (issue 20): the data set its three models train on (None: `dataset`) and whether the
    # corruptions are difficulty-matched by the stored scales of `robustbook.data.calibration`
    table1_dataset: str | None = None
    calibrated: bool = False
    # App. D.2 (issue 20): train a model on a fraction of the data for as many optimizer steps as the full-data
    # model (epochs / fraction), so that every size reaches its plateau within a short schedule. Measured at
    # cpu with 8 epochs for every size: the 25% model (48 steps) stayed at chance. The paper's 200 epochs
    # need no such help (`gpu`: False).
    d2_equal_steps: bool = False


SETTINGS: dict[str, Yi2021Settings] = {
    "smoke": Yi2021Settings("digits32", "smallcnn", 3, 1, 64, 0.01, (0.3, 0.6, 0.8), 2, 2 / 12, 2 / 255, 32, 128,
                            (1, 4), (1, 4), (0.5, 1.0), ("linf",), 300, 8,
                            table1_dataset="digitsm32", calibrated=True, d2_equal_steps=True),
    # cpu: digits32 in 3 channels, 8 epochs, K = 4 (2 cores); the schedule (x0.2 at 30/60/80% of training)
    # mirrors 60/120/160 of 200; the grids keep the ends and the Table 1 radius (x = 1) of App. D.1's grids,
    # plus x = 0: four radii per norm, two of them interior, so that an interior peak can be told from a
    # monotone curve (issue 13). The ablations run on Table 1's data (digitsm32) and reuse its three models
    # (Std, and x = 1 of each norm, which is also D.2's 100% model), so they train 8 new adversarial models,
    # as many as the 3-radius grid did on digits32 when it shared nothing, and every model is evaluated on one
    # shared set of corrupted images (generated once, not once per model). A fifth radius (x = 2) per norm
    # would add two models (~60 CPU s each at cpu): not afforded.
    # lr 0.01: at 0.05 (and 0.1) the small CNN's standard training diverges to a constant predictor
    # Table 1 at cpu (issue 20) trains on digitsm32 with difficulty-matched corruptions: on digits32 and on
    # digitsm32 alike the Std model loses < 1 point to severity-5 noise at CIFAR-10-C's constants (measured:
    # 0.3 and 0.6 points on the test split), so only 6 of 12 directions met their precondition on either;
    # with the stored scales all 12 do on digitsm32. digitsm32 over digits32 (both calibrated, stored table):
    # digitsm32 meets 14 of 15 targets with k <= 12 (shot noise 47 of 54 points at k = 16), digits32 only 11
    # of 15 (Gaussian, shot, pixelate and JPEG stay short at k = 16) and needs larger k everywhere.
    # Training losses per epoch on digitsm32 (measured once, 8 epochs): Std 0.136, 0.123, 0.119 over the
    # last three; Adv-l2 0.347, 0.317, 0.305; Adv-linf 0.768, 0.713, 0.679: Std and Adv-l2 flatten, Adv-linf
    # still falls ~5% an epoch when the schedule ends (clean 82.8% vs Std 90.3%; not at its plateau). With 16
    # epochs Adv-linf flattens (0.164, 0.161, 0.160; clean 90.0%) at twice the training cost, which Table 1's
    # ~5-minute cpu budget does not cover: kept at 8, with the plateau stated as a precondition
    # (verdicts.loss_flattened).
    "cpu": Yi2021Settings("digits32", "smallcnn", 3, 8, 64, 0.01, (0.3, 0.6, 0.8), 4, 2 / 12, 2 / 255, None,
                          None, (-2, 0, 1, 4), (-2, 0, 1, 4), (0.25, 0.5, 1.0), ("linf",), 10_000, 64,
                          table1_dataset="digitsm32", calibrated=True, d2_equal_steps=True),
    # gpu: the paper's own settings (App. C, Table 4): ResNet-34 on CIFAR-10, full grids of App. D
    "gpu": Yi2021Settings("cifar10", "resnet34", 3, 200, 128, 0.1, (60, 120, 160), 8, 2 / 12, 2 / 255, None, None,
                          tuple(range(-5, 8)), tuple(range(-4, 5)), (0.2, 0.4, 0.6, 0.8, 1.0), ("l2", "linf"),
                          10_000, 200),
}


# Where the shared models differ from the paper (issue 29); the chapter modules (`table1`, `ood_bounds`,
# `ablations`) show these rows with their own. Numbers come from SETTINGS (checked by tests/test_departures.py).
def _models_departures() -> tuple[Departure, ...]:
    c, g = SETTINGS["cpu"], SETTINGS["gpu"]
    mil = ", ".join(f"{m:.0%}" for m in c.milestones)
    return (
        Departure("Std / Adv-l2 / Adv-linf models", "data",
                  "CIFAR-10, evaluated on the official CIFAR-10-C arrays at the strongest severity (Sec. 5.1.1, "
                  "Table 1)",
                  f"{c.table1_dataset} (digits blended into colour photographs) with difficulty-matched "
                  "corruptions: each corruption's displacement scaled so the standard model's drop matches the "
                  "paper's Std drop (`robustbook.data.calibration`)",
                  f"{g.dataset} and the official CIFAR-10-C arrays, corruptions unscaled",
                  "no CIFAR-10-C offline; on plain digits the unscaled noises and blurs cost the standard model "
                  "under a point, leaving nothing for adversarial training to repair (measured, see Table 1's "
                  "chapter)"),
        Departure("Std / Adv-l2 / Adv-linf models", "data",
                  "also ImageNet / ImageNet-C with ResNet-34, 100 epochs, batch 512 (Table 1 lower half, Table 5)",
                  "not run", "not run",
                  "ImageNet training does not fit 2 cores or the single-GPU runner"),
        Departure("Std / Adv-l2 / Adv-linf models", "model",
                  "ResNet-34 (Sec. 5.1.1)", f"{c.arch} (the book's small CNN)", f"{g.arch}",
                  "a ResNet-34 does not train in the cpu budget"),
        Departure("Std / Adv-l2 / Adv-linf models", "schedule",
                  "SGD, momentum 0.9, weight decay 5e-4, lr 0.1 x 0.2 at epochs 60 / 120 / 160, 200 epochs, batch "
                  "128 (Sec. 5.1.1, App. C Table 4)",
                  f"SGD as the paper, lr {c.lr:g} x 0.2 at {mil} of training, {c.epochs} epochs, batch {c.batch_size}",
                  f"lr {g.lr:g} x 0.2 at epochs {' / '.join(str(m) for m in g.milestones)}, {g.epochs} epochs, batch "
                  f"{g.batch_size} (the paper's)",
                  "2 cores; at lr 0.05 and 0.1 the small CNN's standard training diverged to a constant predictor",
                  reads=("SETTINGS[p].lr", "SETTINGS[p].milestones", "SETTINGS[p].epochs", "SETTINGS[p].batch_size",
                         "train_config(SETTINGS[p], 'Std').gamma")),
        Departure("Std / Adv-l2 / Adv-linf models", "attack",
                  "Algorithm 1 with K = 8 inner steps, r = 2/12 (l2, raw gradient) and 2/255 (l_inf, sign), step "
                  "r/4 (App. C Table 4)",
                  f"K = {c.inner_steps}, r = {c.r_l2:.4g} and {frac255(c.r_linf)}, step r/4",
                  f"K = {g.inner_steps}, r = {g.r_l2:.4g} and {frac255(g.r_linf)}, step r/4 (the paper's)",
                  "2 cores: each inner step is a forward and backward pass",
                  reads=("SETTINGS[p].inner_steps", "SETTINGS[p].r_l2", "SETTINGS[p].r_linf",
                         "SETTINGS[p].r_linf / train_config(SETTINGS[p], 'Adv-linf').alpha")),
    )


DEPARTURES: tuple[Departure, ...] = _models_departures()


def settings(profile: str) -> Yi2021Settings:
    """The chapter's settings at `profile`."""
    if profile not in SETTINGS:
        raise ValueError(f"invalid profile={profile!r}: choose one of {', '.join(SETTINGS)}")
    s = fixture_settings(SETTINGS[profile])
    if fixture_mode():  # the gpu code paths on fixture files: small batches, the two largest fractions
        s = replace(s, batch_size=min(s.batch_size, 32), fractions=s.fractions[-2:])
    return s


def radius(norm: str, x: float) -> float:
    """App. D.1's grid: 2^x / 12 for l2, 2^x / 255 for l_inf."""
    return 2.0 ** x / (12 if norm == "l2" else 255)


def train_config(s: Yi2021Settings, method: str, r: float | None = None) -> TrainConfig:
    """Table 4's hyperparameters (SGD, momentum 0.9, wd 5e-4, lr x0.2 at the milestones); step size r/4."""
    base = dict(epochs=s.epochs, batch_size=s.batch_size, lr=s.lr, momentum=0.9, weight_decay=5e-4,
                schedule="multistep", milestones=s.milestones, gamma=0.2)
    if method == "Std":
        return TrainConfig(objective="standard", **base)
    if method not in METHODS:
        raise ValueError(f"invalid method={method!r}: choose one of {', '.join(METHODS)}")
    norm = "l2" if method == "Adv-l2" else "linf"
    r = (s.r_l2 if norm == "l2" else s.r_linf) if r is None else r
    return algorithm1_config(norm, r, r / 4, s.inner_steps, **base)


def recipe(s: Yi2021Settings, method: str, seed: int = 0, r: float | None = None,
           train_size: int | None = None) -> zoo.Recipe:
    """The zoo recipe of one trained model of the chapter (on `train_size` examples: App. D.2's budget)."""
    cfg = train_config(s, method, r)
    if train_size is not None:
        cfg = cfg.replace(epochs=d2_epochs(s, train_size))
    return zoo.Recipe(s.arch, s.dataset, cfg, seed, train_size if train_size is not None else s.train_size,
                      s.channels)


def d2_epochs(s: Yi2021Settings, train_size: int) -> int:
    """Epochs of a model trained on `train_size` examples: `s.epochs`, or with `s.d2_equal_steps` as many
    steps as the full training set takes in `s.epochs` (at least `s.epochs`)."""
    if not s.d2_equal_steps:
        return s.epochs
    from ...data import images

    n_full = len(images.load(s.dataset, "train", s.channels)) if s.train_size is None else s.train_size
    return max(s.epochs, math.ceil(s.epochs * n_full / train_size))


def get_model(s: Yi2021Settings, method: str, device: torch.device | str, seed: int = 0, r: float | None = None,
              train_size: int | None = None) -> nn.Module:
    """The model of `recipe(...)`, from the zoo or trained now."""
    return zoo.get(recipe(s, method, seed, r, train_size), device, progress=False)


def table1_settings(s: Yi2021Settings) -> Yi2021Settings:
    """The settings Table 1 runs with: `table1_dataset` in place of `dataset` when set."""
    return s if s.table1_dataset is None else dataclasses.replace(s, dataset=s.table1_dataset)


def corruption_scales(s: Yi2021Settings) -> dict[str, float] | None:
    """The stored difficulty-matching scales of `s.dataset` when `s.calibrated` and `s` runs Table 1's data set
    (`table1_settings(s)`; the ablations on `dataset` keep the unscaled constants); never for CIFAR."""
    if not s.calibrated or s.dataset in ("cifar10", "cifar100") or s.dataset != (s.table1_dataset or s.dataset):
        return None
    from ...data.calibration import scales
    return scales(s.dataset, stored_severity(s.dataset))


def stored_severity(dataset: str) -> int:
    """The severity at which `dataset`'s scales were calibrated (Table 1's: 5)."""
    from ...data.calibration import stored
    return int(stored()[dataset]["severity"]) if dataset in stored() else 5


def model_with_history(s: Yi2021Settings, method: str, device: torch.device | str, seed: int = 0,
                       r: float | None = None, train_size: int | None = None
                       ) -> tuple[nn.Module, pd.DataFrame | None]:
    """The model of `recipe(...)` and its per-epoch training loss (None when the curve was not recorded).

    A zoo model like any other (so a cluster build's sweep phase can train it first); the zoo stores the loss
    curve with the checkpoint.
    """
    rec = recipe(s, method, seed, r, train_size)
    model = zoo.get_or_train(rec, device, progress=False)
    return model, zoo.history(rec, device)


def flat_columns(table: pd.DataFrame) -> pd.DataFrame:
    """Drop a (family, corruption) column MultiIndex to corruption names."""
    if isinstance(table.columns, pd.MultiIndex):
        table = table.copy()
        table.columns = [c[-1] for c in table.columns]
    return table


def severity_row(table: pd.DataFrame, severity: int = 5) -> pd.Series:
    """The row of a corruption table at one severity (tables index rows by severity and an average)."""
    table = flat_columns(table)
    for key in (severity, str(severity), f"severity {severity}"):
        if key in table.index:
            return table.loc[key]
    if len(table) == 1:
        return table.iloc[0]
    raise KeyError(f"no row for severity {severity} in {list(table.index)}")


def replace(s: Yi2021Settings, **changes) -> Yi2021Settings:
    """A copy of the settings with some fields changed (notebook knobs)."""
    return dataclasses.replace(s, **changes)


def test_set(s: Yi2021Settings, seed: int = 0):
    """The clean test split of the chapter's data set (subset at smoke)."""
    from ...data import images
    return images.subset(images.load(s.dataset, "test", s.channels), s.test_size, seed)


def corruption_row(model: nn.Module, s: Yi2021Settings, severity: int = 5, device: torch.device | str = "cpu",
                   seed: int = 0, batch_size: int = 256) -> pd.Series:
    """Accuracy (%) clean, under each of the 15 corruptions at `severity`, and their average.

    CIFAR-10 uses the official CIFAR-10-C arrays (Hendrycks & Dietterich); other data sets are corrupted
    on the fly by `robustbook.data.corruptions` with the same constants.
    """
    from ...data.corruptions import CORRUPTIONS
    from ...evaluate.accuracy import accuracy
    from ...evaluate.corruption import corruption_table
    test = test_set(s, seed)
    if s.dataset in ("cifar10", "cifar100"):
        from ...data.corruption_sets import cifar_c
        row = {"Clean": 100 * accuracy(model, test, batch_size=batch_size, device=device)}
        for c in CORRUPTIONS:
            row[c] = 100 * accuracy(model, cifar_c(s.dataset, c, severity), batch_size=batch_size, device=device)
        out = pd.Series(row)
        out["Avg"] = out[list(CORRUPTIONS)].mean()
        return out
    table = corruption_table(model, test, severities=(severity,), device=device, batch_size=batch_size, seed=seed,
                             scales=corruption_scales(s))
    return severity_row(table, severity)[["Clean", *CORRUPTIONS, "Avg"]]


def corruption_correct(model: nn.Module, s: Yi2021Settings, severity: int = 5, device: torch.device | str = "cpu",
                       seed: int = 0, batch_size: int = 256) -> pd.DataFrame:
    """Per test point, correct (1) or not (0), clean and under each corruption at `severity` (paired verdicts)."""
    from ...data.corruptions import CORRUPTIONS
    from ...evaluate.accuracy import predictions
    from ...evaluate.corruption import corruption_correct as table
    test = test_set(s, seed)
    if s.dataset in ("cifar10", "cifar100"):
        from ...data.corruption_sets import cifar_c
        cols = {}
        for name, data in [("Clean", test)] + [(c, cifar_c(s.dataset, c, severity)) for c in CORRUPTIONS]:
            pred, y = predictions(model, data, batch_size=batch_size, device=device)
            cols[name] = (pred == y).float().numpy()
        return pd.DataFrame(cols)
    return table(model, test, severity, device, batch_size, seed, corruption_scales(s))


def accuracy_row(correct: pd.DataFrame) -> pd.Series:
    """Accuracy (%) clean, per corruption and their average, from `corruption_correct`'s table."""
    from ...data.corruptions import CORRUPTIONS
    row = 100 * correct.mean()
    row["Avg"] = row[list(CORRUPTIONS)].mean()
    return row


def inner_loop_reach(model: nn.Module, cfg: TrainConfig, x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean ||delta_{K+1}|| / r of the training attack of `cfg` on a batch: how far the inner loop moves."""
    from ...attacks.base import batch_norm
    from ...train.objectives import train_attack
    x_adv = train_attack(model, cfg)(x, y)
    return float(batch_norm(x_adv - x, cfg.norm).mean()) / cfg.eps


def corruption_correctness(models: dict, test, severity: int = 5, device: torch.device | str = "cpu",
                           seed: int = 0, scales: dict[str, float] | None = None) -> dict[str, np.ndarray]:
    """Per model, a (points, 1 + 15) 0/1 array: correct on the clean image and under each corruption.

    Each corrupted test set is generated once (the CIFAR-10-C recipe, `data.corruptions`) and shared by all
    models, so their differences are paired over the same images.
    """
    from ...data.corruptions import CORRUPTIONS, CorruptedDataset
    from ...data.images import tensors

    if getattr(test, "official_c", None):  # CIFAR-10/100: the released -C arrays (Hendrycks & Dietterich)
        from ...data.corruption_sets import cifar_c

        sets = [tensors(test)] + [tensors(cifar_c(test.official_c, c, severity)) for c in CORRUPTIONS]
    else:
        sets = [tensors(test)] + [tensors(CorruptedDataset(test, c, severity, seed=seed,
                                                           scale=(scales or {}).get(c, 1.0))) for c in CORRUPTIONS]
    out = {}
    for name, model in models.items():
        model.eval()
        cols = []
        with torch.no_grad():
            for x, y in sets:
                pred = torch.cat([model(x[i:i + 512].to(device)).argmax(1).cpu() for i in range(0, len(x), 512)])
                cols.append((pred == y).numpy())
        out[name] = np.stack(cols, axis=1).astype(float)
    return out


def fraction_size(s: Yi2021Settings, fraction: float) -> int | None:
    """App. D.2's training-set size for `fraction` of the training split (None: all of it)."""
    from ...data import images

    if fraction >= 1 and s.train_size is None:
        return None
    n_full = len(images.load(s.dataset, "train", s.channels)) if s.train_size is None else s.train_size
    return max(10, int(round(fraction * n_full)))
