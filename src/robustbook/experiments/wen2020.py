"""The experiments of wen2020's chapters (adversarial robustness as a regularizer): per-profile settings of
the theory page, the AR sweep (Tables 3-6, App. B) and the capacity-controlled sweep (spectral-norm clipping,
App. B.4.2 / D.3), and the zoo recipes of their networks.

Paper: Wen, Li & Jia, "Towards understanding the regularization of adversarial robustness on neural networks"
(2020). The paper's setting (App. D): ResNet-56 on CIFAR-10, batch 256, 200 epochs, lr 0.05 divided by 10 at
epochs 100 and 150, PGD of 10 steps of 2/255; the `gpu` profile runs it.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..train import zoo
from ..train.loop import TrainConfig
from .common import pick

ARCHS = {"bn": "cifar_resnet", "fixup": "fixup_resnet"}  # with batch norm / without (Fixup initialisation)


@dataclass(frozen=True)
class TheorySettings:
    """`wen2020/theory` at one profile."""

    n_segments: int  # random segments for the Lemma 3.1 check


THEORY: dict[str, TheorySettings] = {"smoke": TheorySettings(5), "cpu": TheorySettings(200),
                                     "gpu": TheorySettings(1000)}


@dataclass(frozen=True)
class SweepSettings:
    """A sweep over AR strengths (training radii in units of 1/255) of one network family, at one profile."""

    dataset: str
    depth: int
    width: int
    ar_grid: tuple[float, ...]
    train_size: int | None
    test_size: int | None
    epochs: int
    batch_size: int
    lr: float
    schedule: str
    steps: int  # PGD steps of adversarial training
    pgd_steps: int  # PGD steps of the evaluation attack
    milestones: tuple[float, ...] = ()
    gamma: float = 0.1
    alpha: float | None = None  # training step size; None: 2.5 eps / steps
    lv_eps: tuple[float, ...] = ()  # loss-variation radii (units of 1/255), App. B.5
    lv_steps: int = 1
    clips: tuple[float | None, ...] = (None,)  # spectral-norm bounds (None: uncontrolled)


REGULARIZER: dict[str, SweepSettings] = {
    "smoke": SweepSettings("digits32", 8, 4, (0, 16), 128, 64, epochs=1, batch_size=64, lr=0.05, schedule="cosine",
                           steps=2, pgd_steps=2, lv_eps=(2,), lv_steps=2),
    "cpu": SweepSettings("digits32", 8, 8, (0, 4, 16, 32), None, None, epochs=6, batch_size=32, lr=0.1,
                         schedule="cosine", steps=3, pgd_steps=10, lv_eps=(1, 2, 4), lv_steps=5),
    # the paper: ResNet-56, batch 256, 200 epochs, lr 0.05 / 10 at epochs 100 and 150, PGD 10 x 2/255
    "gpu": SweepSettings("cifar10", 56, 16, (0, 4, 8, 16), None, None, epochs=200, batch_size=256, lr=0.05,
                         schedule="multistep", milestones=(100, 150), gamma=0.1, steps=10, alpha=2 / 255,
                         pgd_steps=10, lv_eps=(1, 2, 4), lv_steps=10),
}

CAPACITY: dict[str, SweepSettings] = {
    "smoke": SweepSettings("digits32", 8, 4, (16,), 128, 64, epochs=1, batch_size=64, lr=0.05, schedule="cosine",
                           steps=2, pgd_steps=2, clips=(1.0, None)),
    "cpu": SweepSettings("digits32", 8, 8, (4, 32), None, None, epochs=30, batch_size=32, lr=0.05,
                         schedule="cosine", steps=3, pgd_steps=10, clips=(1.0, None)),
    # the paper: ResNet-56 (Fixup, no BN), batch 256, 200 epochs, lr 0.05 / 10 at 100 and 150, PGD 10 x 2/255
    "gpu": SweepSettings("cifar10", 56, 16, (4, 8, 16), None, None, epochs=200, batch_size=256, lr=0.05,
                         schedule="multistep", milestones=(100, 150), gamma=0.1, steps=10, alpha=2 / 255,
                         pgd_steps=10, clips=(1.0, 3.0, 5.0, None)),
}


def theory_settings(profile: str, **overrides) -> TheorySettings:
    """The theory page's settings at `profile` (overrides that are not None replace fields)."""
    return pick(THEORY, profile, **overrides)


def regularizer_settings(profile: str, **overrides) -> SweepSettings:
    """The AR sweep's settings at `profile`."""
    return pick(REGULARIZER, profile, **overrides)


def capacity_settings(profile: str, **overrides) -> SweepSettings:
    """The capacity-controlled sweep's settings at `profile`."""
    return pick(CAPACITY, profile, **overrides)


def train_config(s: SweepSettings, ar: float, method: str = "pgd") -> TrainConfig:
    """The training config at AR strength `ar` (1/255 units): standard (ar 0), PGD or FGSM training."""
    base = dict(epochs=s.epochs, batch_size=s.batch_size, lr=s.lr, schedule=s.schedule, milestones=s.milestones,
                gamma=s.gamma)
    if ar == 0:
        return TrainConfig(objective="standard", **base)
    eps = ar / 255
    if method == "fgsm":  # one signed-gradient step of size eps from the clean point
        return TrainConfig(objective="adversarial", eps=eps, steps=1, alpha=eps, random_start=False, **base)
    if method != "pgd":
        raise ValueError(f"invalid method={method!r}: choose 'pgd' or 'fgsm'")
    return TrainConfig(objective="adversarial", eps=eps, steps=s.steps, alpha=s.alpha, **base)


def recipe(s: SweepSettings, arch: str, ar: float, method: str = "pgd", clip: float | None = None,
           seed: int = 0) -> zoo.Recipe:
    """The zoo recipe of one network of a sweep: 'bn' (CIFAR ResNet) or 'fixup', clipped to `clip` if given."""
    if arch not in ARCHS:
        raise ValueError(f"invalid arch={arch!r}: choose one of {', '.join(ARCHS)}")
    return zoo.Recipe(ARCHS[arch], s.dataset, train_config(s, ar, method), seed, s.train_size,
                      arch_options=(("depth", s.depth), ("width", s.width)), clip=clip)


def model(s: SweepSettings, arch: str, ar: float, method: str = "pgd", clip: float | None = None, seed: int = 0,
          device: torch.device | str = "cpu") -> nn.Module:
    """The network of `recipe(...)`, from the zoo or trained now."""
    return zoo.get_or_train(recipe(s, arch, ar, method, clip, seed), device, progress=False)


def data_sets(s: SweepSettings, seed: int = 0):
    """(train, test) of the sweep: seeded subsets of the data set's splits (the train set is the zoo's)."""
    from ..data import images
    return (images.subset(images.load(s.dataset, "train"), s.train_size, seed),
            images.subset(images.load(s.dataset, "test"), s.test_size, seed))


def sweep_recipes(profile: str, seed: int = 0, notebooks: set[str] | None = None) -> list[zoo.Recipe]:
    """The zoo recipes the chapter's notebooks (stems; None: all) request at `profile` with their default
    parameters: the AR sweep (PGD, and FGSM at each AR > 0) and the capacity sweep (clip x AR); a cluster build
    trains them first."""
    from .common import sweep

    reg, cap = regularizer_settings(profile), capacity_settings(profile)
    return sweep({"regularizer": [recipe(reg, "bn", ar, seed=seed) for ar in reg.ar_grid]
                  + [recipe(reg, "bn", ar, "fgsm", seed=seed) for ar in reg.ar_grid if ar > 0],
                  "capacity": [recipe(cap, "fixup", ar, clip=clip, seed=seed) for clip in cap.clips
                               for ar in cap.ar_grid]}, notebooks)
