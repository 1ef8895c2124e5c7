"""The experiments of alhamoud2023's chapters (robustness under domain shift): per-profile settings of the
empirical (Q1-Q4) and certified (Q5-Q6) pages, the zoo recipes of the leave-one-domain-out models (trained on
the source domains, the epoch chosen by source-validation accuracy: DomainBed's training-domain validation),
robust-accuracy matrices (train eps x eval eps) on source and target, and certified-accuracy curves / ACR
per domain.

Paper: Alhamoud, Hammoud, Alfarra & Ghanem, "Generalizability of adversarial robustness under distribution
shifts" (TMLR 2023): DomainBed (PACS, ...), ImageNet-pretrained ResNet-50, PGD-20 for training and evaluation,
randomized smoothing and DeformRS with 100k Monte Carlo samples; the `gpu` profile follows it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import Dataset

from ..attacks import PGD
from ..certify import Smooth, certify_dataset, summarize
from ..certify.stats import certified_accuracy
from ..data.domains import LODOSplit, domains, lodo, num_classes
from ..data.images import subset
from ..evaluate.accuracy import accuracy
from ..train import zoo
from ..train.loop import TrainConfig
from .common import pick

__all__ = ["CERTIFIED", "EMPIRICAL", "LODOSplit", "acr_table", "ca_curves", "certify_domains", "correlation",
           "domains", "envelope", "lodo", "lodo_recipe", "model", "num_classes", "robustness_matrix",
           "smoothing_recipe"]


@dataclass(frozen=True)
class EmpiricalSettings:
    """`alhamoud2023/empirical` at one profile (radii in [0, 1] pixel units; L_inf radii are the paper's k/255)."""

    dataset: str
    arch: str
    targets: tuple | None  # held-out domains to run (None: every domain)
    eps_linf: tuple[float, ...]
    eps_l2: tuple[float, ...]
    lams: tuple[float, ...]  # adversarial-augmentation weights of the ablation
    trades_eps: tuple[float, ...]
    epochs: int
    train_steps: int  # PGD steps of training
    eval_steps: int  # PGD steps of evaluation
    ablation_eps: float
    lr: float
    batch_size: int
    holdout: float = 0.2  # share of each source domain held out for model selection


EMPIRICAL: dict[str, EmpiricalSettings] = {
    "smoke": EmpiricalSettings("rotated_digits", "mlp", (75,), (0, 8 / 255), (0, 1.0), (0.1,), (8 / 255,),
                               epochs=1, train_steps=2, eval_steps=2, ablation_eps=8 / 255, lr=0.05, batch_size=64),
    "cpu": EmpiricalSettings("rotated_digits", "mlp", (0, 75), (0, 8 / 255, 16 / 255, 32 / 255), (0, 0.5, 1.0, 5.0),
                             (0.0, 0.1, 0.9), (8 / 255, 16 / 255, 32 / 255), epochs=12, train_steps=7, eval_steps=20,
                             ablation_eps=16 / 255, lr=0.05, batch_size=64),
    # The paper: DomainBed, ImageNet-pretrained ResNet-50, PGD-20 for training and evaluation, every target.
    # DomainBed trains with Adam (lr 5e-5, 5000 steps); our loop is SGD, so a small lr over 30 epochs.
    "gpu": EmpiricalSettings("PACS", "resnet50", None, (0, 8 / 255, 16 / 255, 32 / 255), (0, 0.5, 1.0, 5.0),
                             (0.0, 0.1, 0.9), (8 / 255, 16 / 255, 32 / 255), epochs=30, train_steps=20, eval_steps=20,
                             ablation_eps=16 / 255, lr=0.001, batch_size=96),
}

# Deformation sigmas: rotation in radians, translation in half-image widths, scaling / affine / DCT as
# fractions (see robustbook.certify.deform); pixel sigma in [0, 1] units.
SIGMAS_FULL = {"pixel": (0.12, 0.25, 0.5), "rotation": (0.1, 0.3, 0.5), "translation": (0.1, 0.3, 0.5),
               "scaling": (0.1, 0.3, 0.5), "affine": (0.1, 0.3, 0.5), "dct": (0.1, 0.3, 0.5)}


@dataclass(frozen=True)
class CertifiedSettings:
    """`alhamoud2023/certified` at one profile."""

    dataset: str
    arch: str
    weak_arch: str | None  # Q5's weaker network (None: compare with `strong_arch` instead)
    target: Any  # the held-out domain of Q1-Q5
    sigmas: Mapping[str, tuple[float, ...]]  # smoothing scales per perturbation kind
    points: int  # points certified per domain
    n0: int  # Monte Carlo samples of the selection step
    n: int  # Monte Carlo samples of the estimation step
    epochs: int
    q6_kinds: tuple[str, ...]
    q6_targets: tuple | None  # None: every domain
    q6_points: int
    q6_n: int
    feature_arch: str  # the fixed network whose features the Frechet distance uses
    batch_size: int
    lr: float
    strong_arch: str | None = None
    holdout: float = 0.2


CERTIFIED: dict[str, CertifiedSettings] = {
    "smoke": CertifiedSettings("rotated_digits", "mlp", "linear", 75, {k: v[1:2] for k, v in SIGMAS_FULL.items()},
                               points=6, n0=10, n=60, epochs=1, q6_kinds=("translation",), q6_targets=(0, 75),
                               q6_points=6, q6_n=60, feature_arch="mlp", batch_size=64, lr=0.05),
    "cpu": CertifiedSettings("rotated_digits", "mlp", "linear", 75, {k: v[:2] for k, v in SIGMAS_FULL.items()},
                             points=50, n0=50, n=500, epochs=10, q6_kinds=("translation", "scaling"), q6_targets=None,
                             q6_points=40, q6_n=300, feature_arch="mlp", batch_size=64, lr=0.05),
    # The paper: PACS, ImageNet-pretrained ResNet-50 (and ViT-B/16 for Q5), 100k Monte Carlo samples.
    # We certify 500 points per domain; DomainBed's Adam schedule is replaced by our SGD loop.
    "gpu": CertifiedSettings("PACS", "resnet50", None, "sketch", SIGMAS_FULL, points=500, n0=100, n=100_000,
                             epochs=30, q6_kinds=("translation", "scaling"), q6_targets=None, q6_points=500,
                             q6_n=100_000, feature_arch="resnet50", batch_size=96, lr=0.001, strong_arch="vit_b_16"),
}


def empirical_settings(profile: str, **overrides) -> EmpiricalSettings:
    """The empirical page's settings at `profile` (overrides that are not None replace fields)."""
    return pick(EMPIRICAL, profile, **overrides)


def certified_settings(profile: str, **overrides) -> CertifiedSettings:
    """The certified page's settings at `profile`."""
    return pick(CERTIFIED, profile, **overrides)


def lodo_recipe(dataset: str, arch: str, target: Any, train: TrainConfig, seed: int = 0,
                holdout: float = 0.2) -> zoo.Recipe:
    """The zoo recipe of a model trained on every domain of `dataset` but `target`, selected on the sources."""
    return zoo.Recipe(arch, dataset, train, seed, holdout_domain=target, holdout_fraction=holdout,
                      selection="source_val")


def adversarial_config(s: EmpiricalSettings, objective: str = "augmented", eps: float = 0.0, norm: str = "linf",
                       lam: float = 0.5, beta: float = 6.0, steps: int | None = None) -> TrainConfig:
    """The empirical page's training config: standard at eps 0, else `objective` (augmented, adversarial, trades)."""
    return TrainConfig(objective="standard" if eps == 0 else objective, epochs=s.epochs, batch_size=s.batch_size,
                       lr=s.lr, eps=eps, steps=s.train_steps if steps is None else steps, norm=norm, lam=lam,
                       beta=beta)


def smoothing_recipe(s: CertifiedSettings, target: Any, kind: str, sigma: float, arch: str | None = None,
                     seed: int = 0) -> zoo.Recipe:
    """A base classifier trained on the sources under the smoothing noise it will be certified with."""
    from ..certify.training import smoothing_objective_name
    tc = TrainConfig(objective=smoothing_objective_name(kind, "gaussian"), epochs=s.epochs,
                     batch_size=s.batch_size, lr=s.lr, noise_sigma=sigma)
    return lodo_recipe(s.dataset, arch or s.arch, target, tc, seed, s.holdout)


def model(recipe: zoo.Recipe, device: torch.device | str = "cpu") -> nn.Module:
    """The model of a recipe, from the zoo or trained now."""
    return zoo.get_or_train(recipe, device, progress=False)


def robustness_matrix(models: Mapping[float, nn.Module], data: Dataset, eps_eval: Sequence[float], steps: int,
                      norm: str = "linf", device: torch.device | str = "cpu", seed: int = 0) -> pd.DataFrame:
    """Accuracy of each model (rows: its training eps) under PGD at each eval eps (columns; 0 = clean)."""
    rows = {}
    for eps_train, model in models.items():
        row = {}
        for eps in eps_eval:
            attack = None if eps == 0 else PGD(model, eps, 2.5 * eps / steps, steps, norm, seed=seed)
            row[eps] = accuracy(model, data, attack, device=device)
        rows[eps_train] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name, out.columns.name = "eps_train", "eps_eval"
    return out


def certify_domains(model: nn.Module, domains: Mapping[str, Dataset], kind: str, sigma: float, n0: int,
                    n: int, alpha: float, max_points: int | None, distribution: str = "gaussian",
                    seed: int = 0, batch_size: int = 4000, num_classes: int = 10) -> pd.DataFrame:
    """Certify the first `max_points` (seeded subset) of each named domain; one row per point."""
    smooth = Smooth(model, num_classes, sigma, perturbation=kind, distribution=distribution, seed=seed)
    tables = []
    for name, data in domains.items():
        t = certify_dataset(smooth, subset(data, max_points, seed), n0, n, alpha, batch_size,
                            images_per_call=32)
        tables.append(t.assign(domain=name, kind=kind, sigma=sigma, distribution=distribution))
    return pd.concat(tables, ignore_index=True)


def ca_curves(table: pd.DataFrame, grid: Sequence[float], by: Sequence[str] = ("kind", "sigma", "domain")
              ) -> pd.DataFrame:
    """Certified accuracy at each radius of `grid`, per group of a `certify_domains` table (long format)."""
    rows = []
    for key, g in table.groupby(list(by)):
        ca = certified_accuracy(g["radius"], g["correct"], grid)
        for r, a in zip(grid, ca):
            rows.append({**dict(zip(by, key)), "radius": float(r), "certified_accuracy": float(a)})
    return pd.DataFrame(rows)


def envelope(curves: pd.DataFrame, over: str = "sigma") -> pd.DataFrame:
    """The best certified accuracy per radius over `over` (Fig. 2's envelope)."""
    keys = [c for c in curves.columns if c not in (over, "certified_accuracy")]
    return curves.groupby(keys, as_index=False)["certified_accuracy"].max()


def acr_table(table: pd.DataFrame, by: Sequence[str] = ("kind", "sigma", "domain")) -> pd.DataFrame:
    """Smoothed accuracy, abstention and ACR per group of a `certify_domains` table."""
    return pd.DataFrame([{**dict(zip(by, key)), **summarize(g)} for key, g in table.groupby(list(by))])


def correlation(x: Sequence[float], y: Sequence[float], n_boot: int = 2000,
                seed: int = 0) -> dict[str, float]:
    """Pearson and Spearman correlation of x and y, Pearson's Fisher-z 95 % interval, and a bootstrap
    95 % interval of Spearman's rho over the points."""
    from scipy import stats
    x, y = np.asarray(x, float), np.asarray(y, float)
    pr = stats.pearsonr(x, y)
    ci = pr.confidence_interval(0.95) if len(x) > 3 else (float("nan"), float("nan"))
    sp = stats.spearmanr(x, y)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(x), len(x))
        if len(set(idx)) > 2:
            boots.append(stats.spearmanr(x[idx], y[idx]).statistic)
    boots = np.asarray([b for b in boots if np.isfinite(b)])
    lo, hi = (np.quantile(boots, [0.025, 0.975]) if len(boots) else (np.nan, np.nan))
    return {"pearson_r": float(pr.statistic), "pearson_lo": float(ci[0]), "pearson_hi": float(ci[1]),
            "pearson_p": float(pr.pvalue), "spearman_rho": float(sp.statistic),
            "spearman_p": float(sp.pvalue),
            "spearman_boot_lo": float(lo), "spearman_boot_hi": float(hi)}


def sweep_recipes(profile: str, seed: int = 0, notebooks: set[str] | None = None,
                  lam_paper: float = 0.5) -> list[zoo.Recipe]:
    """The zoo recipes the chapter's notebooks (stems; None: all) request at `profile` with their default
    parameters: the empirical page's eps grids, lambda grid, L2 and TRADES models; the certified page's sigma
    grids, Q5's second backbone and Q6's targets (a cluster build trains them first)."""
    from ..theory.alhamoud2023 import library_lam
    from .common import sweep

    e, c = empirical_settings(profile), certified_settings(profile)
    by: dict[str, list[zoo.Recipe]] = {}
    if notebooks is None or "empirical" in notebooks:
        def emp(target: Any, objective: str = "augmented", eps: float = 0.0, norm: str = "linf",
                lam: float = library_lam(lam_paper)) -> zoo.Recipe:
            return lodo_recipe(e.dataset, e.arch, target, adversarial_config(e, objective, eps, norm, lam), seed,
                               e.holdout)

        targets = e.targets or tuple(domains(e.dataset, seed))
        t0 = targets[-1]
        by["empirical"] = ([emp(t, eps=x) for t in targets for x in e.eps_linf]
                           + [emp(t0, eps=e.ablation_eps, lam=library_lam(p)) for p in sorted(set(e.lams) | {lam_paper})]
                           + [emp(t0, eps=x, norm="l2") for x in e.eps_l2 if x > 0]
                           + [emp(t0, "trades", x) for x in e.trades_eps])
    if notebooks is None or "certified" in notebooks:
        other = c.weak_arch or c.strong_arch
        by["certified"] = (
            [smoothing_recipe(c, c.target, k, s, seed=seed) for k, sig in c.sigmas.items() for s in sig]
            + [smoothing_recipe(c, c.target, k, sig[0], other, seed) for k, sig in c.sigmas.items() if other]
            + ([zoo.Recipe(c.feature_arch, "digits32", TrainConfig(epochs=c.epochs), seed)]  # Q6's features
               if c.dataset == "rotated_digits" else [])
            + [smoothing_recipe(c, t, k, c.sigmas[k][0], seed=seed)
               for t in c.q6_targets or tuple(domains(c.dataset, seed)) for k in c.q6_kinds])
    return sweep(by, notebooks)
