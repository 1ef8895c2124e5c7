"""The profiles (smoke / cpu / gpu): the budget of a run as data. No torch here."""
from __future__ import annotations

from dataclasses import dataclass

@dataclass(frozen=True)
class Profile:
    """The budget of one run: how much data, how long to train, how hard to attack."""

    name: str
    dataset: str
    arch: str
    train_size: int | None  # None: the whole training split
    test_size: int | None  # None: the whole test split
    epochs: int
    batch_size: int
    lr: float
    attack_steps: int
    eval_batch_size: int = 256


# lr 0.01 on digits32: at 0.02 and above, PGD-AT of the SmallCNN at eps 0.1 (L_inf) collapses to a constant
# predictor (10% test accuracy, measured with SGD momentum 0.9, 12 epochs); at 0.01 it reaches about 90%.
PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", "digits32", "smallcnn", train_size=256, test_size=64, epochs=1,
                     batch_size=64, lr=0.01, attack_steps=3),
    "cpu": Profile("cpu", "digits32", "smallcnn", train_size=None, test_size=None, epochs=12,
                   batch_size=64, lr=0.01, attack_steps=10),
    "gpu": Profile("gpu", "cifar10", "preact_resnet18", train_size=None, test_size=None, epochs=200,
                   batch_size=128, lr=0.1, attack_steps=10, eval_batch_size=512),
}
PROFILE_NAMES = tuple(PROFILES)
