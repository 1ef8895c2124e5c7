"""`TrainConfig`: everything that determines a training run besides model, data and seed, as data."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..attacks.base import check_norm

SCHEDULES = ("constant", "multistep", "cosine")
OPTIMIZERS = ("sgd", "adam")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (and so a zoo entry) besides model, data and seed."""

    objective: str = "standard"
    epochs: int = 10
    batch_size: int = 64
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "cosine"
    # 'sgd' (momentum, L2 weight decay) or 'adam': a BN-free net on flat-background digits has nearly constant
    # pooled features at init, an ill-conditioned start that SGD does not leave within a `cpu` budget
    optimizer: str = "sgd"
    milestones: tuple[float, ...] = ()  # fractions of `epochs` (or epochs if >= 1) for 'multistep'
    gamma: float = 0.1  # multistep decay factor
    eps: float = 0.0  # inner-maximisation radius (adversarial / augmented / trades)
    alpha: float | None = None  # inner step size; default 2.5 * eps / steps
    steps: int = 10
    norm: str = "linf"
    ascent: str = "sign"  # 'sign' (Madry) or 'raw' (yi2021 Algorithm 1)
    random_start: bool = True
    beta: float = 6.0  # TRADES weight
    lam: float = 0.5  # adversarial-augmentation weight (alhamoud2023 Eq. 5)
    noise_sigma: float = 0.0  # Gaussian data augmentation (randomized-smoothing base classifiers)

    def __post_init__(self) -> None:  # the objective's name is checked where it runs (the registry, the zoo)
        check_norm(self.norm)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"invalid optimizer={self.optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"invalid schedule={self.schedule!r}: choose one of {', '.join(SCHEDULES)}")
        for name in ("epochs", "batch_size", "steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"invalid {name}={getattr(self, name)!r}: must be >= 1")
        for name in ("lr", "eps", "weight_decay", "noise_sigma", "beta"):
            if getattr(self, name) < 0:
                raise ValueError(f"invalid {name}={getattr(self, name)!r}: must be >= 0")

    @property
    def alpha_or_default(self) -> float:
        """The inner step size actually used."""
        return self.alpha if self.alpha is not None else 2.5 * self.eps / self.steps

    def replace(self, **changes) -> "TrainConfig":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)
