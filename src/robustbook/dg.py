"""Domain generalization experiments (alhamoud2023): leave-one-domain-out splits with DomainBed's
training-domain validation, models trained on the source domains (cached in the zoo), robust-accuracy
matrices (train eps x eval eps) on source and target, and certified-accuracy curves / ACR per domain."""
from __future__ import annotations

import copy
import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import ConcatDataset, Dataset

from .attacks import PGD
from .certify import Smooth, certify_dataset, summarize
from .certify.stats import certified_accuracy
from .data.images import split_holdout, subset
from .evaluate.accuracy import accuracy
from .models import build
from .train import TrainConfig, fit, zoo


@dataclass
class LODOSplit:
    """One leave-one-domain-out task: training and validation parts of the sources, the unseen target."""

    target: Any
    sources: tuple
    train: Dataset
    source_val: Dataset
    target_test: Dataset


def lodo(domains: Mapping[Any, Dataset], target: Any, holdout_fraction: float = 0.2,
         seed: int = 0) -> LODOSplit:
    """Hold out `target`; split every source domain into train / validation (DomainBed: 20 % held out)."""
    if target not in domains:
        raise ValueError(f"invalid target={target!r}: choose one of {', '.join(map(str, domains))}")
    sources = tuple(k for k in domains if k != target)
    parts = [split_holdout(domains[k], holdout_fraction, seed + i) for i, k in enumerate(sources)]
    return LODOSplit(target, sources, ConcatDataset([p[0] for p in parts]),
                     ConcatDataset([p[1] for p in parts]), domains[target])


def code_fingerprint() -> str:
    """sha256 of the source outside the zoo's own fingerprint that decides a trained model here."""
    pkg = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for p in [pkg / "dg.py", *sorted((pkg / "certify").glob("*.py"))]:
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def train_lodo(arch: str, data_spec: dict, split: LODOSplit, cfg: TrainConfig, num_classes: int = 10,
               in_channels: int = 1, normalize: str | None = "digits32", seed: int = 0,
               device: torch.device | str = "cpu", progress: bool = False) -> nn.Module:
    """A model trained on the sources of `split` (zoo-cached), the epoch chosen by source-validation
    accuracy (training-domain validation). `data_spec` must describe the domains and the split."""
    spec = {"kind": "alhamoud2023-lodo", "arch": arch, "data": data_spec, "target": str(split.target),
            "train": dataclasses.asdict(cfg), "seed": seed, "num_classes": num_classes,
            "in_channels": in_channels, "normalize": normalize, "selection": "source_val_accuracy",
            "code": code_fingerprint()}

    def build_model() -> nn.Module:
        torch.manual_seed(seed)
        if arch in ("resnet50", "vit_b_16"):  # the gpu profile's ImageNet-pretrained backbones
            return PretrainedBackbone(arch, num_classes)
        return build(arch, num_classes, in_channels, normalize)

    def train(model: nn.Module) -> None:
        best = {"acc": -1.0, "state": None}

        def select(m: nn.Module, epoch: int) -> None:
            acc = accuracy(m, split.source_val, device=device)
            if acc > best["acc"]:
                best.update(acc=acc, state=copy.deepcopy(m.state_dict()))

        fit(model, split.train, cfg, device, seed, callbacks=[select], progress=progress)
        model.load_state_dict(best["state"])

    return zoo.get_or_train(spec, build_model, train, device)


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


class PretrainedBackbone(nn.Module):
    """An ImageNet-pretrained torchvision network (resnet50 or vit_b_16) with a new linear head, inputs in
    [0, 1] (ImageNet normalization inside), exposing `.features` and `.head` (the `gpu` profile)."""

    def __init__(self, name: str, num_classes: int):
        super().__init__()
        import torchvision
        weights = {"resnet50": "IMAGENET1K_V2", "vit_b_16": "IMAGENET1K_V1"}
        if name not in weights:
            raise ValueError(f"invalid backbone={name!r}: choose one of {', '.join(weights)}")
        from .config import FIXTURE_CAPS, fixture_mode
        try:
            if fixture_mode():  # no weights offline: the same network, randomly initialised, sized for fixtures
                extra = {"image_size": FIXTURE_CAPS["image_size"]} if name == "vit_b_16" else {}
                net = getattr(torchvision.models, name)(weights=None, **extra)
            else:
                net = getattr(torchvision.models, name)(weights=weights[name])
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
        self.body = net
        self.head = nn.Linear(dim, num_classes)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The backbone's pooled representation of [0, 1] inputs."""
        return self.body((x - self.mean) / self.std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


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
