"""yi2021 Section 4: robust pre-training and fine-tuning (Theorems 4-5, Remark 4, the TV term): the source
models, the released robust ImageNet checkpoints of the `gpu` profile, fine-tuning, and the TV estimate."""
from __future__ import annotations

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
from ...train.algorithm1 import algorithm1_config
from ...train.config import TrainConfig
from ..common import Departure, fixture_settings, frac255


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
    # the fine-tuning learning-rate schedule: 'cosine' (cpu, smoke) or the paper's step decay ('multistep' with
    # `milestones` in epochs and factor `gamma`; Sec. 5.2: "the other settings are the same as Section 5.1.1")
    schedule: str = "cosine"
    milestones: tuple[float, ...] = ()
    gamma: float = 0.1


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
    # gpu: ImageNet-pre-trained robust ResNet-50s (Salman et al. 2020; the paper's own ResNet-34s were not
    # released) fine-tuned on CIFAR-10 at 224 px, evaluated on CIFAR-10-C; the checkpoints must be fetched (see
    # `robust_checkpoint`). Fine-tuning follows Sec. 5.2 ("the other settings are the same as Section 5.1.1",
    # i.e. Table 4): 200 epochs, batch 128, lr 0.1 x 0.2 at epochs 60 / 120 / 160 (until issue 29 this profile
    # ran 150 epochs of batch 64 at lr 0.01 with a cosine schedule, which is not the paper's).
    "gpu": PretrainSettings("imagenet", "cifar10", "resnet50", 3, 0, 200, 128, 0.1, 0.1, 3, 0.25, 2 / 255, 8,
                            2 / 12, 2 / 255, None, None, schedule="multistep", milestones=(60, 120, 160),
                            gamma=0.2),
}


# Where Table 3 (`table3` shows these) and Section 4's checks (this module's chapter) differ from the paper
# (issue 29); numbers from PRETRAIN_SETTINGS, checked by tests/test_departures.py.
def _table3_departures() -> tuple[Departure, ...]:
    c, g = PRETRAIN_SETTINGS["cpu"], PRETRAIN_SETTINGS["gpu"]
    return (
        Departure("Table 3", "data",
                  "pre-training on ImageNet, fine-tuning on CIFAR-10 resized to 224 px, evaluation on CIFAR-10-C "
                  "(Sec. 5.2)",
                  f"pre-training on {c.source} (the first five digit classes), fine-tuning on {c.target} (the "
                  "other five), the book's corruptions of the target test split",
                  f"{g.target} resized to ImageNet resolution, after released {g.source} checkpoints; the official "
                  "CIFAR-10-C arrays",
                  "no ImageNet or CIFAR-10-C offline; the digit split keeps a source task and a shifted target",
                  ),
        Departure("Table 3", "model",
                  "ResNet-34 (Table 3 caption), pre-trained by the authors: 100 epochs, batch 512, lr 0.1, K = 3, "
                  "r = 0.25 (l2) / 2/255 (l_inf), step 0.05 / 1/510 (App. C Table 5)",
                  f"{c.arch} pre-trained for {c.pre_epochs} epochs, K = {c.pre_steps}, r = {c.pre_r_l2:g} / "
                  f"{frac255(c.pre_r_linf)}, step r/2, steepest ascent",
                  f"{g.arch}: the released robust ImageNet checkpoints of Salman et al. (l2 0.25, l_inf "
                  "2/255, and their standard one); no pre-training run",
                  "the paper's models were not released and ImageNet pre-training does not fit the runner; at cpu "
                  "the paper's CIFAR radii barely move the digits' strokes, so larger ones",
                  reads=("PRETRAIN_SETTINGS[p].pre_epochs", "PRETRAIN_SETTINGS[p].pre_steps",
                         "PRETRAIN_SETTINGS[p].pre_r_l2", "PRETRAIN_SETTINGS[p].pre_r_linf",
                         "PRETRAIN_SETTINGS[p].pre_r_linf / pretrain_config(PRETRAIN_SETTINGS['cpu'], 'Adv-linf').alpha",
                         "ROBUST_RADII")),
        Departure("Table 3 (fine-tuning)", "schedule",
                  "as Sec. 5.1.1 / App. C Table 4: SGD, lr 0.1 x 0.2 at epochs 60 / 120 / 160, 200 epochs, batch 128",
                  f"lr {c.ft_lr:g}, {c.schedule} schedule, {c.ft_epochs} epochs, batch {c.batch_size}",
                  f"lr {g.ft_lr:g} x {g.gamma:g} at epochs {' / '.join(f'{m:g}' for m in g.milestones)}, "
                  f"{g.ft_epochs} epochs, batch {g.batch_size}: the paper's",
                  "2 cores at cpu. The gpu profile ran 150 epochs of batch 64 at lr 0.01 with a cosine schedule "
                  "until issue 29; nothing forced that, so it now runs the paper's setting",
                  reads=("PRETRAIN_SETTINGS[p].ft_lr", "PRETRAIN_SETTINGS[p].gamma", "PRETRAIN_SETTINGS[p].milestones",
                         "PRETRAIN_SETTINGS[p].ft_epochs", "PRETRAIN_SETTINGS[p].batch_size")),
        Departure("Table 3 (fine-tuning)", "attack",
                  "Adv fine-tuning as Sec. 5.1.1: K = 8, r = 2/12 / 2/255, step r/4 (App. C Table 4)",
                  f"K = {c.ft_steps}, r = {c.ft_r_l2:g} / {frac255(c.ft_r_linf)}, step r/2",
                  f"K = {g.ft_steps}, r = {g.ft_r_l2:.4g} / {frac255(g.ft_r_linf)}, step r/2, twice the paper's step",
                  "r/2 lets 3 steps reach the sphere at cpu; the gpu profile shares `finetune_config`'s step",
                  reads=("PRETRAIN_SETTINGS[p].ft_steps", "PRETRAIN_SETTINGS[p].ft_r_l2",
                         "PRETRAIN_SETTINGS[p].ft_r_linf",
                         "PRETRAIN_SETTINGS[p].ft_r_linf / finetune_config(PRETRAIN_SETTINGS[p], 'Adv-linf').alpha")),
    )


TABLE3_DEPARTURES: tuple[Departure, ...] = _table3_departures()
DEPARTURES: tuple[Departure, ...] = (
    Departure("Theorems 4-5, Remark 4 (measured terms, TV estimate)", "data",
              "no experiment: Section 4's bounds are stated for a pre-training distribution Q0 and a downstream "
              "P0 (Sec. 4)",
              f"source and fine-tuned models of Table 3's cpu pair ({PRETRAIN_SETTINGS['cpu'].source} -> "
              f"{PRETRAIN_SETTINGS['cpu'].target}); TV lower bounds from a classifier two-sample test, on "
              "digits and on tweet domains",
              "the cpu pair as well (the chapter falls back to it: the ImageNet source is not trained here)",
              "the bounds' terms need models and two distributions; a two-sample test gives a lower bound on TV, "
              "not its value"),
) + TABLE3_DEPARTURES
ROBUST_RADII = (0.25, 2 / 255)  # the released checkpoints' radii (`models.pretrained.ROBUST_CHECKPOINTS`)


# Salman et al. (2020) robust ImageNet ResNet-50s (github.com/microsoft/robust-models-transfer), the closest
# released checkpoints to the paper's adversarially pre-trained models (Table 5 radii: l2 0.25, l_inf 2/255).
def pretrain_settings(profile: str) -> PretrainSettings:
    """Table 3's settings at `profile`."""
    if profile not in PRETRAIN_SETTINGS:
        raise ValueError(f"invalid profile={profile!r}: choose one of {', '.join(PRETRAIN_SETTINGS)}")
    return fixture_settings(PRETRAIN_SETTINGS[profile])


def pretrain_config(s: PretrainSettings, method: str) -> TrainConfig:
    """The pre-training run of `method` (Std, Adv-l2, Adv-linf) on the source task."""
    base = dict(epochs=s.pre_epochs, batch_size=s.batch_size, lr=s.lr, momentum=0.9, weight_decay=5e-4,
                schedule="cosine")
    return _method_config(method, "pre-training", base, (s.pre_r_l2, s.pre_r_linf), s.pre_steps, ascent="sign")


def _method_config(method: str, stage: str, base: dict, radii: tuple[float, float], steps: int,
                   **ascent) -> TrainConfig:
    """Std, or Algorithm 1 at the stage's l_2 / l_inf radius (step r/2), over the stage's loop fields `base`."""
    if method == "Std":
        return TrainConfig(objective="standard", **base)
    if method not in ("Adv-l2", "Adv-linf"):
        raise ValueError(f"invalid {stage} {method!r}: choose one of {', '.join(FINETUNINGS)}")
    norm, r = ("l2", radii[0]) if method == "Adv-l2" else ("linf", radii[1])
    return algorithm1_config(norm, r, r / 2, steps, **ascent, **base)


def finetune_config(s: PretrainSettings, method: str) -> TrainConfig:
    """The fine-tuning run of `method` on the target task (Algorithm 1 as in Sec. 5.1.1 for Adv-*)."""
    base = dict(epochs=s.ft_epochs, batch_size=s.batch_size, lr=s.ft_lr, momentum=0.9, weight_decay=5e-4,
                schedule=s.schedule, milestones=s.milestones, gamma=s.gamma)
    return _method_config(method, "fine-tuning", base, (s.ft_r_l2, s.ft_r_linf), s.ft_steps)


def pretrain_recipe(s: PretrainSettings, method: str, seed: int = 0) -> zoo.Recipe:
    """The zoo recipe of a pre-trained source model."""
    return zoo.Recipe(s.arch, s.source, pretrain_config(s, method), seed, s.train_size, s.channels)


def pretrained_model(s: PretrainSettings, method: str, device: torch.device | str, seed: int = 0) -> nn.Module:
    """A pre-trained source model from the zoo (trained now if missing); the gpu profile loads the released
    robust ImageNet checkpoint (its ImageNet head kept out: a 1000-class head on a seeded init)."""
    if s.source == "imagenet":
        from ...models.pretrained import ROBUST_CHECKPOINTS, robust_resnet50

        torch.manual_seed(seed)
        return robust_resnet50(3, 1000, ROBUST_CHECKPOINTS[method]).to(device).eval()
    return zoo.get(pretrain_recipe(s, method, seed), device, progress=False)


def finetune_recipe(s: PretrainSettings, pretraining: str, finetuning: str, seed: int = 0) -> zoo.Recipe:
    """The zoo recipe of a fine-tuned target model: pre-trained weights (or none) with a fresh head, the whole
    network fine-tuned (as Salman et al. and the paper do); 'No' pre-training trains the same architecture from
    its seeded init. At `gpu` the pre-trained weights are a released robust ImageNet checkpoint."""
    from ...models.pretrained import ROBUST_CHECKPOINTS

    if pretraining not in PRETRAININGS:
        raise ValueError(f"invalid pre-training {pretraining!r}: choose one of {', '.join(PRETRAININGS)}")
    cfg = finetune_config(s, finetuning)
    if s.source == "imagenet":
        checkpoint = ROBUST_CHECKPOINTS.get(pretraining, "none")
        return zoo.Recipe("robust_resnet50", s.target, cfg, seed, s.train_size, s.channels,
                          arch_options=(("checkpoint", checkpoint),), normalize=None)
    init = None if pretraining == "No" else pretrain_recipe(s, pretraining, seed)
    return zoo.Recipe(s.arch, s.target, cfg, seed, s.train_size, s.channels, normalize="digits32", init=init)


def finetuned_model(s: PretrainSettings, pretraining: str, finetuning: str, device: torch.device | str,
                    seed: int = 0) -> nn.Module:
    """The fine-tuned target model of `finetune_recipe`, from the zoo or trained now."""
    return zoo.get(finetune_recipe(s, pretraining, finetuning, seed), device, progress=False)


def training_histories(s: PretrainSettings, seed: int = 0) -> dict:
    """The per-epoch training losses of Table 3's models for the plateau gate (`verdicts.loss_flattened`):
    "<fine-tuning>/<pre-training>" for each fine-tuned model and "pre-training <method>" for each source model
    the book trains (none at `gpu`, whose sources are released checkpoints). None where a model is not in the
    zoo; call after the models are fetched."""
    out = {f"{ft}/{pre}": zoo.history(finetune_recipe(s, pre, ft, seed)) for ft in FINETUNINGS for pre in PRETRAININGS}
    if s.source != "imagenet":
        out.update({f"pre-training {m}": zoo.history(pretrain_recipe(s, m, seed)) for m in PRETRAININGS[1:]})
    return out


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
