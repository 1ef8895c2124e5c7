"""The experiments of yi2021's chapter: per-profile settings, the zoo recipes of Std / Adv-l2 / Adv-linf
(Algorithm 1 in mini-batch form, Sec. 5.1.1 and App. C), the Table 1 corruption table, the App. D ablations
(perturbation size, training-set size) and the paper's numbers to compare with.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from .. import zoo
from ..papers.yi2021 import (
    FINETUNINGS,
    METHODS,
    PAPER_DIRECTIONS,
    PAPER_TABLE1,
    PAPER_TABLE6,
    PRETRAININGS,
)
from ..runtime import fixture_cap, fixture_mode
from ..train.algorithm1 import algorithm1_config
from ..train.config import TrainConfig


@dataclass(frozen=True)
class Yi2021Settings:
    """Everything the chapter's experiments depend on at one profile."""

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


def settings(profile: str) -> Yi2021Settings:
    """The chapter's settings at `profile`."""
    if profile not in SETTINGS:
        raise ValueError(f"invalid profile={profile!r}: choose one of {', '.join(SETTINGS)}")
    s = SETTINGS[profile]
    if fixture_mode():  # the gpu code paths on fixture files: every count capped
        s = replace(s, epochs=fixture_cap(s.epochs, "epochs"), inner_steps=fixture_cap(s.inner_steps, "steps"),
                    batch_size=min(s.batch_size, 32), grid_l2=fixture_cap(s.grid_l2, "grid"),
                    grid_linf=fixture_cap(s.grid_linf, "grid"), fractions=s.fractions[-2:],
                    conv_steps=fixture_cap(s.conv_steps, "iterations"), conv_seeds=fixture_cap(s.conv_seeds, "seeds"))
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
    from ..data import images

    n_full = len(images.load(s.dataset, "train", s.channels)) if s.train_size is None else s.train_size
    return max(s.epochs, math.ceil(s.epochs * n_full / train_size))


def get_model(s: Yi2021Settings, method: str, device: torch.device | str, seed: int = 0, r: float | None = None,
              train_size: int | None = None) -> nn.Module:
    """The model of `recipe(...)`, from the zoo or trained now."""
    return zoo.get(recipe(s, method, seed, r, train_size), device, progress=False)


# Table 1's preconditions: an AT-minus-Std direction is testable here only when the standard model loses at
# least this fraction of the paper's Std drop (CIFAR-10-C, severity 5, same effect) on our data: a surrogate
# with under half the paper's difficulty cannot show what adversarial training repairs.
MIN_DROP_FRACTION = 0.5


def paper_std_drops() -> pd.Series:
    """The paper's standard-model accuracy drop (points, clean minus corrupted) per corruption, Table 1."""
    from ..data.corruptions import CORRUPTIONS
    std = PAPER_TABLE1.loc["Std"]
    return (std["Clean"] - std[list(CORRUPTIONS)]).rename("paper Std drop")


def table1_settings(s: Yi2021Settings) -> Yi2021Settings:
    """The settings Table 1 runs with: `table1_dataset` in place of `dataset` when set."""
    return s if s.table1_dataset is None else dataclasses.replace(s, dataset=s.table1_dataset)


def corruption_scales(s: Yi2021Settings) -> dict[str, float] | None:
    """The stored difficulty-matching scales of `s.dataset` when `s.calibrated` and `s` runs Table 1's data set
    (`table1_settings(s)`; the ablations on `dataset` keep the unscaled constants); never for CIFAR."""
    if not s.calibrated or s.dataset in ("cifar10", "cifar100") or s.dataset != (s.table1_dataset or s.dataset):
        return None
    from ..data.calibration import scales
    return scales(s.dataset, stored_severity(s.dataset))


def stored_severity(dataset: str) -> int:
    """The severity at which `dataset`'s scales were calibrated (Table 1's: 5)."""
    from ..data.calibration import stored
    return int(stored()[dataset]["severity"]) if dataset in stored() else 5


# Table 1's plateau precondition (issue 20) is the book's one rule, `verdicts.loss_flattened`. At `cpu`
# Adv-linf's curve has not flattened after 8 epochs (16 epochs would double its cost and break the ablation
# grid, which reuses the model): Table 1 states the precondition, and its Adv-linf rows read "not testable here".


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


def table1_verdicts(correct: dict[str, pd.DataFrame], families: dict[str, tuple[str, ...]],
                    seed: int = 0, histories: dict[str, pd.DataFrame | None] | None = None) -> list:
    """Each AT method x effect: sign verdict on AT - Std (points, paired bootstrap over test points), gated
    by the precondition that Std loses >= MIN_DROP_FRACTION x the paper's Std drop on that effect and, when
    `histories` is given, that both compared models' training losses flattened (`verdicts.loss_flattened`)."""

    from .. import verdicts as V
    drops = paper_std_drops()
    out = []
    for method in ("Adv-l2", "Adv-linf"):
        for key, want in PAPER_DIRECTIONS.items():
            cols = list(families.get(key, (key,))) if key != "Avg" else list(drops.index)
            a = correct[method][cols].to_numpy().mean(1)
            b = correct["Std"][cols].to_numpy().mean(1)
            eff, lo, hi = V.paired_difference(100 * a, 100 * b, seed=seed)
            std_drop = float(100 * (correct["Std"]["Clean"].mean() - correct["Std"][cols].to_numpy().mean()))
            need = MIN_DROP_FRACTION * float(drops[cols].mean())
            pre = V.at_least(f"Std's drop on {key}, points ({MIN_DROP_FRACTION:g} x paper's "
                             f"{drops[cols].mean():.1f})", std_drop, need)
            if histories is not None:
                pre = V.all_of(pre, V.loss_flattened(histories, ("Std", method)))
            claim = f"{method} - Std on {key}: {'+' if want == '+' else '-'}"
            out.append(V.sign_verdict(claim, eff, lo, hi, 1 if want == "+" else -1, precondition=pre))
    return out


# Theorem 3's rate: the excess adversarial risk falls as 1/T up to log factors, a log-log slope of -1. A
# log factor log(T)/T has local slope -1 + 1/ln T, which is -1 + 0.15 at T = 10^3 (the middle of the cpu
# fit): the target range is -1 +- THM3_SLOPE_TOL. The fit must span THM3_MIN_DECADES decades of T to mean
# anything (the transient dominates shorter runs).
THM3_SLOPE_TOL = 0.15
THM3_MIN_DECADES = 2.0


def thm3_verdicts(fits: dict[tuple[str, str], dict[str, float]], t_min: int, t_max: int,
                  final_mean: dict[str, float], bounds: dict[str, float]) -> list:
    """Theorem 3 on the quadratic problem: per (ball, statistic), `range_verdict` of the log-log slope's 95%
    interval against -1 +- THM3_SLOPE_TOL; per ball, bound (11) at T_max with a negative control (the same
    constant over T^2, a rate the theorem does not claim, which the measured risk must violate)."""
    import math

    from .. import verdicts as V

    span = V.at_least("decades of T in the fit, log10(T_max / t_min)", math.log10(t_max / t_min),
                      THM3_MIN_DECADES)
    out = []
    for (ball, stat), fit in fits.items():
        out.append(V.range_verdict(f"Thm 3: {stat} excess risk ~ 1/T (l_{ball} ball): log-log slope",
                                   fit["slope"], min(fit["lo"], fit["slope"]), max(fit["hi"], fit["slope"]),
                                   -1 - THM3_SLOPE_TOL, -1 + THM3_SLOPE_TOL, precondition=span))
    for ball, measured in final_mean.items():
        out.append(V.bound_verdict(f"Thm 3 bound (11) at T = {t_max} (l_{ball} ball), mean excess risk",
                                   measured, bounds[ball], control_bound=bounds[ball] / t_max))
    return out


def theory_verdict(claim: str, check: str, *args, mutants: bool = True):
    """A `verdicts.check_verdict` row from `theory.yi2021.CHECKS[check]` run at `args` (the paper's printed
    claim, or the default), counting the registered mutants it rejects (`mutants=False`: none counted)."""
    from .. import verdicts as V
    from ..theory import core
    from ..theory import yi2021 as th

    fn = th.CHECKS[check]
    try:
        fn(*args)
        passes = True
    except AssertionError:
        passes = False
    ms = list(th.MUTANTS.get(check, ())) if mutants else []
    return V.check_verdict(claim, passes, len(ms), int(sum(core.rejects(fn, m) for m in ms)))


def eps_per_point(model: nn.Module, data, radius: float, norm: str = "linf", steps: int = 10,
                  device: torch.device | str = "cpu", seed: int = 0, batch_size: int = 256) -> np.ndarray:
    """Per point, the PGD lower estimate of sup |CE(x + d) - CE(x)| over the ball (pushing the loss up, then
    down): the summands of `evaluate.input_robustness`'s epsilon, for an interval over points."""
    import torch.nn.functional as F

    from ..attacks import PGD
    from ..attacks.base import eval_mode
    from ..data.images import loader

    out = []
    with eval_mode(model):
        for x, y in loader(data, batch_size):
            x, y = x.to(device), y.to(device)
            with torch.no_grad():
                clean = F.cross_entropy(model(x), y, reduction="none")
            best = torch.zeros_like(clean)
            for sign in (1.0, -1.0):
                def gap(logits, yy, clean=clean, sign=sign):
                    return sign * (F.cross_entropy(logits, yy, reduction="none") - clean)
                x_adv = PGD(model, radius, None, steps, norm, loss=gap, seed=seed)(x, y)
                with torch.no_grad():
                    best = torch.maximum(best, (F.cross_entropy(model(x_adv), y, reduction="none") - clean).abs())
            out.append(best.cpu().numpy())
    return np.concatenate(out)


def eps_verdict(eps_std: np.ndarray, eps_adv: np.ndarray, clean_acc: dict[str, float], num_classes: int,
                seed: int = 0):
    """Observation 1's reading "adversarial training makes eps smaller": sign verdict on eps(Std) - eps(Adv)
    (paired bootstrap over the same training points), precondition both models above chance."""
    from .. import verdicts as V

    eff, lo, hi = V.paired_difference(eps_std, eps_adv, seed=seed)
    return V.sign_verdict("adversarial training makes eps smaller: eps(Std) - eps(Adv-linf)", eff, lo, hi, +1,
                          precondition=V.trained_above_chance(clean_acc, num_classes))


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
    from ..data import images
    return images.subset(images.load(s.dataset, "test", s.channels), s.test_size, seed)


def corruption_row(model: nn.Module, s: Yi2021Settings, severity: int = 5, device: torch.device | str = "cpu",
                   seed: int = 0, batch_size: int = 256) -> pd.Series:
    """Accuracy (%) clean, under each of the 15 corruptions at `severity`, and their average.

    CIFAR-10 uses the official CIFAR-10-C arrays (Hendrycks & Dietterich); other data sets are corrupted
    on the fly by `robustbook.data.corruptions` with the same constants.
    """
    from ..data.corruptions import CORRUPTIONS
    from ..evaluate.accuracy import accuracy
    from ..evaluate.corruption import corruption_table
    test = test_set(s, seed)
    if s.dataset in ("cifar10", "cifar100"):
        from ..data.corruption_sets import cifar_c
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
    from ..data.corruptions import CORRUPTIONS
    from ..evaluate.accuracy import predictions
    from ..evaluate.corruption import corruption_correct as table
    test = test_set(s, seed)
    if s.dataset in ("cifar10", "cifar100"):
        from ..data.corruption_sets import cifar_c
        cols = {}
        for name, data in [("Clean", test)] + [(c, cifar_c(s.dataset, c, severity)) for c in CORRUPTIONS]:
            pred, y = predictions(model, data, batch_size=batch_size, device=device)
            cols[name] = (pred == y).float().numpy()
        return pd.DataFrame(cols)
    return table(model, test, severity, device, batch_size, seed, corruption_scales(s))


def accuracy_row(correct: pd.DataFrame) -> pd.Series:
    """Accuracy (%) clean, per corruption and their average, from `corruption_correct`'s table."""
    from ..data.corruptions import CORRUPTIONS
    row = 100 * correct.mean()
    row["Avg"] = row[list(CORRUPTIONS)].mean()
    return row


def inner_loop_reach(model: nn.Module, cfg: TrainConfig, x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean ||delta_{K+1}|| / r of the training attack of `cfg` on a batch: how far the inner loop moves."""
    from ..attacks.base import batch_norm
    from ..train.objectives import train_attack
    x_adv = train_attack(model, cfg)(x, y)
    return float(batch_norm(x_adv - x, cfg.norm).mean()) / cfg.eps


# =====================================================================================================
# Part 2 (Section 4, Tables 2-3, Fig. 1): robust pre-training, fine-tuning, and a real transformer.
# Kept as one block at the end of the driver; notebooks: pretraining.md, table3.md, nlu.md.
# =====================================================================================================
import numpy as np  # noqa: E402


@dataclass(frozen=True)
class PretrainSettings:
    """Table 3 at one profile: pre-training on a source task, fine-tuning on a target task, corruptions."""

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
    return PRETRAIN_SETTINGS[profile]


def robust_checkpoint(method: str):
    """The path of a robust ImageNet checkpoint of the `gpu` Table 3, or a clear error naming what to fetch."""
    from ..data.download import DataUnavailableError, data_root

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
    from ..train.config import TrainConfig as TC

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
    from ..train.config import TrainConfig as TC

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

    from ..models import Normalized

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
    from ..data import images
    from ..models import build
    from ..train.loop import fit

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
    from ..data import images

    test = images.subset(images.load(s.target, "test", s.channels), s.test_size, seed)
    if s.target in ("cifar10", "cifar100") and s.test_size is None:
        test.official_c = s.target  # evaluated on the released CIFAR-10-C arrays, image for image
    return test


def corruption_correctness(models: dict, test, severity: int = 5, device: torch.device | str = "cpu",
                           seed: int = 0, scales: dict[str, float] | None = None) -> dict[str, np.ndarray]:
    """Per model, a (points, 1 + 15) 0/1 array: correct on the clean image and under each corruption.

    Each corrupted test set is generated once (the CIFAR-10-C recipe, `data.corruptions`) and shared by all
    models, so their differences are paired over the same images.
    """
    from ..data.corruptions import CORRUPTIONS, CorruptedDataset
    from ..data.images import tensors

    if getattr(test, "official_c", None):  # CIFAR-10/100: the released -C arrays (Hendrycks & Dietterich)
        from ..data.corruption_sets import cifar_c

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


def table3_frame(correct: dict[tuple[str, str], np.ndarray]) -> pd.DataFrame:
    """Table 3's layout: rows (fine-tuning, pre-training), columns Clean, the 15 corruptions, Avg (in %)."""
    from ..data.corruptions import CORRUPTIONS

    rows = {}
    for key, c in correct.items():
        acc = 100 * c.mean(0)
        rows[key] = [acc[0], *acc[1:], acc[1:].mean()]
    idx = pd.MultiIndex.from_tuples(list(rows), names=["fine-tuning", "pre-training"])
    return pd.DataFrame(list(rows.values()), index=idx, columns=["Clean", *CORRUPTIONS, "Avg"])


def table3_verdicts(correct: dict[tuple[str, str], np.ndarray], num_classes: int, seed: int = 0) -> list:
    """Verdicts on Table 3's two claims, each a paired bootstrap over test images of the corruption average.

    (a) adversarial pre-training beats standard and no pre-training after each fine-tuning; (b) adversarial
    fine-tuning beats standard fine-tuning after each pre-training. Precondition: the compared models are
    above chance and the corruptions cost the Std/Std model >= 5 points (else there is no OOD gap to close).
    """
    from .. import verdicts as V

    clean = {f"{k[0]}/{k[1]}": float(c[:, 0].mean()) for k, c in correct.items()}
    base = correct[("Std", "Std")]
    drop = 100 * float(base[:, 0].mean() - base[:, 1:].mean())
    hurt = V.at_least("corruptions cost Std/Std (points)", drop, 5.0)
    out = []

    def avg(key):
        return correct[key][:, 1:].mean(1)

    for ft in FINETUNINGS:
        for pre in ("Adv-l2", "Adv-linf"):
            for other in ("Std", "No"):
                a, b = (ft, pre), (ft, other)
                eff, lo, hi = V.paired_difference(avg(a), avg(b), seed=seed)
                pc = V.all_of(V.trained_above_chance({f"{ft}/{pre}": clean[f"{ft}/{pre}"],
                                                      f"{ft}/{other}": clean[f"{ft}/{other}"]}, num_classes), hurt)
                out.append(V.sign_verdict(f"(a) FT {ft}: pre-training {pre} > {other} on corruption avg",
                                          100 * eff, 100 * lo, 100 * hi, +1, precondition=pc))
    for pre in PRETRAININGS:
        for ft in ("Adv-l2", "Adv-linf"):
            a, b = (ft, pre), ("Std", pre)
            eff, lo, hi = V.paired_difference(avg(a), avg(b), seed=seed)
            pc = V.all_of(V.trained_above_chance({f"{ft}/{pre}": clean[f"{ft}/{pre}"],
                                                  f"Std/{pre}": clean[f"Std/{pre}"]}, num_classes), hurt)
            out.append(V.sign_verdict(f"(b) pre-training {pre}: fine-tuning {ft} > Std on corruption avg",
                                      100 * eff, 100 * lo, 100 * hi, +1, precondition=pc))
    return out


# ------------------------------------------------------------------------------------- App. D verdicts
def column_groups() -> dict[str, tuple[str, ...]]:
    """The groups App. D's verdicts judge: each corruption family of CIFAR-10-C and the average of all 15."""
    from ..data.corruptions import CORRUPTIONS, FAMILIES
    return {**FAMILIES, "Avg": tuple(CORRUPTIONS)}


def _group_matrix(correct: dict, keys: list, cols: tuple[str, ...]) -> np.ndarray:
    """(points, len(keys)) matrix: each model's per-point accuracy averaged over the corruptions `cols`."""
    from ..data.corruptions import CORRUPTIONS
    idx = [1 + list(CORRUPTIONS).index(c) for c in cols]
    return np.stack([correct[k][:, idx].mean(1) for k in keys], axis=1)


def interior_peak(m: np.ndarray) -> float:
    """max over interior grid points k of min(acc_k - acc_first, acc_k - acc_last) (points): > 0 is an
    inverted U whose peak beats both ends; nan when the grid has no interior point."""
    acc = 100 * m.mean(0)
    if acc.size < 3:
        return float("nan")
    return float(max(min(acc[k] - acc[0], acc[k] - acc[-1]) for k in range(1, acc.size - 1)))


def _std_drop(std_correct: np.ndarray, cols: tuple[str, ...]) -> float:
    from ..data.corruptions import CORRUPTIONS
    idx = [1 + list(CORRUPTIONS).index(c) for c in cols]
    return float(100 * (std_correct[:, 0].mean() - std_correct[:, idx].mean()))


def _d_precondition(std_correct: np.ndarray, cols: tuple[str, ...], name: str, clean: dict[str, float],
                    num_classes: int, grid: int):
    from .. import verdicts as V
    need = MIN_DROP_FRACTION * float(paper_std_drops()[list(cols)].mean())
    return V.all_of(V.at_least("grid points", grid, 3), V.trained_above_chance(clean, num_classes),
                    V.at_least(f"Std's drop on {name}, points ({MIN_DROP_FRACTION:g} x paper's)",
                               _std_drop(std_correct, cols), need))


def inverted_u_verdicts(correct: dict[tuple[str, float], np.ndarray], std_correct: np.ndarray, num_classes: int,
                        seed: int = 0) -> list:
    """App. D.1 per norm and column group: the interior peak beats both ends of the radius grid.

    `correct[(norm, x)]` is a (points, 1 + 15) 0/1 array (`corruption_correctness`). The effect is
    `interior_peak` of the group's per-point accuracy over the grid; its 95% interval a bootstrap over test
    points that re-selects the peak in every resample. Sign rule: agrees when the whole interval is above 0,
    disagrees when it is below (an end beats every interior radius). A model whose training collapsed to
    chance (the book's near-chance rule) leaves the grid: a peak "beating" a collapsed end would only say that
    too large a radius breaks training. Preconditions: >= 3 radii left, and Std losing >= MIN_DROP_FRACTION x
    the paper's drop on the group.
    """
    from .. import verdicts as V
    out = []
    for norm in sorted({k[0] for k in correct}):
        every = sorted((k for k in correct if k[0] == norm), key=lambda k: k[1])
        keys = [k for k in every if not V.near_chance(float(correct[k][:, 0].mean()), num_classes)]
        gone = [f"x={k[1]:g}" for k in every if k not in keys]
        clean = {f"Adv-{norm} x={k[1]:g}": float(correct[k][:, 0].mean()) for k in keys}
        for name, cols in column_groups().items():
            pre = _d_precondition(std_correct, cols, name, clean, num_classes, len(keys))
            if gone:
                pre = V.Precondition(f"collapsed to chance, left out: {', '.join(gone)}; {pre.text}", pre.met)
            if len(keys) < 3:  # no interior radius: the precondition fails and the rule says "not testable"
                eff = lo = hi = float("nan")
            else:
                eff, lo, hi = V.bootstrap_interval(_group_matrix(correct, keys, cols), interior_peak, seed=seed)
            out.append(V.sign_verdict(f"D.1 Adv-{norm}, {name}: inverted U in r (peak - worse end)", eff,
                                      min(lo, eff), max(hi, eff), +1, precondition=pre))
    return out


def size_trend_verdicts(correct: dict[tuple[str, int], np.ndarray], std_correct: np.ndarray, num_classes: int,
                        seed: int = 0) -> list:
    """App. D.2 per norm and column group: accuracy rises with the training-set size n.

    `correct[(norm, n)]` as in `inverted_u_verdicts`. The effect is Spearman's rho between n and the group's
    accuracy, with a 95% bootstrap interval over test points; sign rule (agrees when the interval is above 0).
    Preconditions as D.1's (>= 3 sizes).
    """
    from .. import verdicts as V
    out = []
    for norm in sorted({k[0] for k in correct}):
        keys = sorted((k for k in correct if k[0] == norm), key=lambda k: k[1])
        ns = tuple(float(k[1]) for k in keys)
        clean = {f"Adv-{norm} n={k[1]}": float(correct[k][:, 0].mean()) for k in keys}
        for name, cols in column_groups().items():
            pre = _d_precondition(std_correct, cols, name, clean, num_classes, len(keys))
            eff, lo, hi = V.bootstrap_interval(_group_matrix(correct, keys, cols), lambda mm: V.rank_correlation(ns, mm.mean(0)),
                                               seed=seed)
            out.append(V.sign_verdict(f"D.2 Adv-{norm}, {name}: accuracy rises with n (Spearman rho)", eff,
                                      min(lo, eff), max(hi, eff), +1, precondition=pre))
    return out


def tv_two_sample(x_p: np.ndarray, x_q: np.ndarray, seed: int = 0, holdout: float = 0.5) -> dict[str, float]:
    """A classifier two-sample test of P vs Q: held-out balanced accuracy and the TV lower bound it implies.

    Logistic regression on the given features (pixels, TF-IDF, ...) trained on one half, scored on the other,
    with equal numbers from P and Q in each half. Any classifier's balanced accuracy acc satisfies
    TV(P, Q) >= 2 acc - 1, so (with the Wilson lower end of acc) this is a *lower bound* on TV, not its value.
    """
    from sklearn.linear_model import LogisticRegression

    from .. import verdicts as V
    from ..theory.yi2021_section4 import tv_lower_bound

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


# ------------------------------------------------------------------------------------- Table 2 and Fig. 1
@dataclass(frozen=True)
class NLUSettings:
    """Table 2 / Fig. 1 at one profile: the encoder, the domains, the budget and Table 6's hyper-parameters."""

    model: str  # 'minilm' (offline) or the paper's 'bert-base' / 'roberta-base'
    train_domains: tuple[str, ...]
    test_domains: tuple[str, ...]
    train_size: int
    test_size: int  # per domain, class-balanced
    max_length: int
    epochs: int
    batch_size: int
    lr: float
    head_lr: float
    fig1_size: int  # examples for Fig. 1
    fig1_models: tuple[str, ...]  # pre-trained models compared with their random twin
    freeze_word_embeddings: bool = False


NLU_SETTINGS: dict[str, NLUSettings] = {
    "smoke": NLUSettings("minilm", ("airline",), ("airline", "cars"), 16, 8, 24, 1, 8, 1e-4, 1e-3, 4, ("minilm",),
                         True),
    # cpu: all-MiniLM-L6-v2 (6 layers, 384 wide; BERT-base has 12 x 768) on the tweet domains. Scaled for 2
    # cores: 256 airline tweets, 2 epochs, 40 tokens, batch 16, and a larger learning rate than Table 6's 3e-5
    # (1e-4 for the encoder, 1e-3 for the new head), since 32 steps at 3e-5 leave the head near its init. The
    # word-embedding matrix (11.7M of MiniLM's 22.7M weights, 30k rows of which a batch touches a few hundred)
    # is frozen to halve the optimizer's work; the embedding attack still perturbs its output. Tables 6's
    # attack hyper-parameters are kept (l2 1.0 / 0.1, l_inf 0.001 / 0.0005, K = 3).
    "cpu": NLUSettings("minilm", ("airline",), ("airline", "brands", "apple", "cars"), 256, 80, 40, 2, 16, 1e-4,
                       1e-3, 48, ("minilm",), True),
    # gpu: BERT-base on the paper's pairs (Table 2) with Table 6's hyper-parameters; BERT-base and RoBERTa-base
    # vs a random twin for Fig. 1. Data and weights must be on disk (`data.text.paper_task`, `models.text`).
    "gpu": NLUSettings("bert-base", ("sst2", "imdb"), ("sst2", "imdb"), 0, 0, 128, 10, 32, 3e-5, 3e-5, 512,
                       ("bert-base", "roberta-base")),
}


def nlu_settings(profile: str) -> NLUSettings:
    """Table 2 / Fig. 1 settings at `profile`."""
    if profile not in NLU_SETTINGS:
        raise ValueError(f"invalid profile={profile!r}: choose one of {', '.join(NLU_SETTINGS)}")
    s = NLU_SETTINGS[profile]
    if fixture_mode():  # the gpu code paths on fixture files: one epoch, short sequences, few Fig. 1 texts
        s = replace(s, epochs=fixture_cap(s.epochs, "epochs"), max_length=min(s.max_length, 32),
                    fig1_size=fixture_cap(s.fig1_size, "points"))
    return s


def text_config(s: NLUSettings, method: str):
    """Table 6's fine-tuning run of `method`, at the profile's budget."""
    from ..train.text import TextTrainConfig

    return TextTrainConfig(method=method, epochs=s.epochs, batch_size=s.batch_size, lr=s.lr, head_lr=s.head_lr,
                           weight_decay=PAPER_TABLE6["weight_decay"], max_length=s.max_length,
                           eps_l2=PAPER_TABLE6["eps_l2"], alpha_l2=PAPER_TABLE6["alpha_l2"],
                           eps_linf=PAPER_TABLE6["eps_linf"], alpha_linf=PAPER_TABLE6["alpha_linf"],
                           steps=PAPER_TABLE6["steps"], freeze_word_embeddings=s.freeze_word_embeddings)


def text_data(s: NLUSettings, domain: str, split: str, seed: int = 0):
    """A text split of the profile: a tweet domain (cpu / smoke) or one of the paper's tasks (gpu)."""
    from ..data import text

    if domain in text.DOMAINS:
        return text.domain_split(domain, split, s.train_size if split == "train" else s.test_size, seed)
    return text.paper_task(domain, split)


def text_model(s: NLUSettings, domain: str, method: str, tokenizer, device: torch.device | str = "cpu",
               seed: int = 0, progress: bool = False):
    """A pre-trained encoder fine-tuned on `domain` with `method` (Std / Adv-l2 / Adv-linf); cached in the zoo."""
    from ..models.text import encode, model_dir, text_classifier
    from ..train.text import finetune

    cfg = text_config(s, method)
    data = text_data(s, domain, "train", seed)
    weights = model_dir(s.model) / "model.safetensors"
    spec = {"kind": "yi2021_text_finetune", "model": s.model,
            "weights": weights.stat().st_size if weights.exists() else str(model_dir(s.model)),
            "domain": domain, "train_size": len(data), "train": cfg.spec(), "seed": seed,
            "num_classes": int(data.labels.max()) + 1}

    def build_model():
        return text_classifier(s.model, spec["num_classes"], True, seed, dropout=PAPER_TABLE6["dropout"])

    def train(model) -> None:
        enc = encode(tokenizer, list(data.texts), s.max_length)
        finetune(model, enc, torch.as_tensor(data.labels), cfg, device, seed, progress)

    return zoo.get_or_train_custom(spec, build_model, train, device)


def text_correctness(model, tokenizer, s: NLUSettings, domains: tuple[str, ...], device: torch.device | str = "cpu",
                     seed: int = 0) -> dict[str, np.ndarray]:
    """Per test domain, the 0/1 correctness of `model` on its class-balanced test split."""
    from ..models.text import encode
    from ..train.text import predict

    out = {}
    for d in domains:
        data = text_data(s, d, "test", seed)
        pred = predict(model, encode(tokenizer, list(data.texts), s.max_length), device=device)
        out[d] = (pred.numpy() == data.labels).astype(float)
    return out


def table2_frame(correct: dict[str, dict[str, np.ndarray]], train_domain: str) -> pd.DataFrame:
    """Table 2's layout for one training domain: accuracy (%) per test domain and method, gap in brackets."""
    rows = []
    for d in correct[next(iter(correct))]:
        row = {"train": train_domain, "test": d}
        for m, per in correct.items():
            acc = 100 * per[d].mean()
            gap = acc - 100 * per[train_domain].mean()
            row[m] = f"{acc:.2f}" if d == train_domain else f"{acc:.2f} ({gap:+.2f})"
        rows.append(row)
    return pd.DataFrame(rows)


def gap_interval(id_a: np.ndarray, id_b: np.ndarray, ood_a: np.ndarray, ood_b: np.ndarray, n_boot: int = 2000,
                 seed: int = 0) -> tuple[float, float, float]:
    """(effect, low, high) of gap_a - gap_b, gap = OOD accuracy - in-domain accuracy (points).

    In-domain and OOD test points are resampled independently (they are different tweets); a and b are paired
    within each set. Positive: model a loses less when moving out of its training domain.
    """
    from ..verdicts import LEVEL

    rng = np.random.default_rng(seed)
    di, do = id_a - id_b, ood_a - ood_b
    eff = 100 * (do.mean() - di.mean())
    bi = di[rng.integers(0, len(di), (n_boot, len(di)))].mean(1)
    bo = do[rng.integers(0, len(do), (n_boot, len(do)))].mean(1)
    boots = 100 * (bo - bi)
    a = (1 - LEVEL) / 2
    lo, hi = float(np.quantile(boots, a)), float(np.quantile(boots, 1 - a))
    return float(eff), min(lo, float(eff)), max(hi, float(eff))


def table2_verdicts(correct: dict[str, dict[str, np.ndarray]], train_domain: str, seed: int = 0) -> list:
    """Table 2's claim, per adversarial method and OOD domain: a smaller in-domain-to-OOD gap than Std.

    Precondition: every model above chance in-domain, and Std loses >= 2 points OOD (a gap to shrink).
    """
    from .. import verdicts as V

    out = []
    std = correct["Std"]
    for m in ("Adv-l2", "Adv-linf"):
        for d in std:
            if d == train_domain:
                continue
            eff, lo, hi = gap_interval(correct[m][train_domain], std[train_domain], correct[m][d], std[d], seed=seed)
            std_gap = 100 * (std[train_domain].mean() - std[d].mean())
            pc = V.all_of(V.trained_above_chance({m: float(correct[m][train_domain].mean()),
                                                  "Std": float(std[train_domain].mean())}, 2),
                          V.at_least(f"Std's drop {train_domain} -> {d} (points)", std_gap, 2.0))
            out.append(V.sign_verdict(f"{m}: smaller gap than Std, {train_domain} -> {d}", eff, lo, hi, +1,
                                      precondition=pc))
    return out


def fig1_attack():
    """The 3-step l_inf embedding attack of Fig. 1 (radius 0.001, step 0.0005), from a random start.

    The objective ||h(e + delta) - h(e)||^2 has zero gradient at delta = 0, so the attack starts uniformly
    in the ball (an ascent from 0 would never move).
    """
    from ..attacks.embedding import EmbeddingPGD

    return EmbeddingPGD(PAPER_TABLE6["eps_linf"], PAPER_TABLE6["alpha_linf"], PAPER_TABLE6["steps"], "linf",
                        random_start=True, seed=0)


def fig1_shifts(s: NLUSettings, tokenizer, device: torch.device | str = "cpu", seed: int = 0) -> pd.DataFrame:
    """Per example and encoder (pre-trained and its random twin): ||h_adv - h||, relative shift and cosine."""
    from ..data import text
    from ..models.text import encode, load_tokenizer, text_classifier
    from ..train.text import hidden_shift

    per = max(2, s.fig1_size // len(text.DOMAINS))
    texts = []
    for d in text.DOMAINS:
        texts += list(text.domain_split(d, "test", per - per % 2, seed).texts)
    frames = []
    for name in s.fig1_models:
        tok = tokenizer if name == s.model else load_tokenizer(name)  # each encoder with its own vocabulary
        enc = encode(tok, texts, s.max_length)
        for pretrained in (True, False):
            model = text_classifier(name, 2, pretrained, seed).to(device)
            res = hidden_shift(model, enc, fig1_attack(), device=device)
            frames.append(pd.DataFrame({"model": name if pretrained else f"random {name}", "pretrained": pretrained,
                                        "example": np.arange(len(texts)), "l2": res["l2"],
                                        "relative l2": res["l2"] / res["h_norm"], "cos": res["cos"]}))
    return pd.concat(frames, ignore_index=True)


def fig1_verdicts(shifts: pd.DataFrame, seed: int = 0) -> list:
    """Fig. 1's claim: a pre-trained encoder's hidden states move less than its random twin's (paired)."""
    from .. import verdicts as V

    out = []
    for name in shifts.loc[shifts["pretrained"], "model"].unique():
        pre = shifts[shifts["model"] == name].sort_values("example")
        rnd = shifts[shifts["model"] == f"random {name}"].sort_values("example")
        for col, sign, what in (("cos", +1, "higher cos(h, h_adv)"), ("relative l2", -1, "smaller ||h_adv - h|| / ||h||"),
                                ("l2", -1, "smaller ||h_adv - h||")):
            eff, lo, hi = V.paired_difference(pre[col].to_numpy(), rnd[col].to_numpy(), seed=seed)
            out.append(V.sign_verdict(f"{name} vs random twin: {what}", eff, lo, hi, sign))
    return out


def fraction_size(s: Yi2021Settings, fraction: float) -> int | None:
    """App. D.2's training-set size for `fraction` of the training split (None: all of it)."""
    from ..data import images

    if fraction >= 1 and s.train_size is None:
        return None
    n_full = len(images.load(s.dataset, "train", s.channels)) if s.train_size is None else s.train_size
    return max(10, int(round(fraction * n_full)))


def sweep_recipes(profile: str, seed: int = 0, notebooks: set[str] | None = None) -> list[zoo.Recipe]:
    """The zoo recipes the chapter's notebooks (stems; None: all) request at `profile` with their default
    parameters: Table 1, the OOD bounds' models, App. D's radii and sizes, and the source models of Section 4
    (a cluster build trains them first). The NLU and fine-tuned models are not `Recipe`s: their notebooks
    train them."""
    from .common import sweep

    s = table1_settings(settings(profile))  # Table 1, the OOD bounds and App. D share its data and models
    adv = {"l2": "Adv-l2", "linf": "Adv-linf"}
    ablations = [recipe(s, adv[norm], seed, r=radius(norm, x))
                 for norm, grid in (("l2", s.grid_l2), ("linf", s.grid_linf)) for x in grid]
    ablations += [recipe(s, "Std", seed)] + [recipe(s, adv[norm], seed, train_size=fraction_size(s, f))
                                             for norm in s.fraction_norms for f in s.fractions]
    p = pretrain_settings(profile)
    pre = pretrain_settings("cpu") if p.source == "imagenet" else p  # pretraining.md falls back to cpu's pair
    return sweep({"table1": [recipe(s, m, seed) for m in METHODS],
                  "ood_bounds": [recipe(s, m, seed) for m in ("Std", "Adv-linf")],
                  "ablations": ablations,
                  "pretraining": [pretrain_recipe(pre, m, seed) for m in ("Adv-l2", "Adv-linf")],
                  "table3": [] if p.source == "imagenet" else [pretrain_recipe(p, m, seed) for m in PRETRAININGS[1:]]},
                 notebooks)
