"""Training: the config, the epoch loop and the registered objectives (standard, adversarial / Algorithm 1,
TRADES, distributional TRADES, ...). Importing the package registers its objectives."""
from . import distributional, objectives  # noqa: F401 - registers their objectives
from .config import TrainConfig
from .loop import fit, make_optimizer, train_epoch
from .objectives import OBJECTIVES, get_objective, objective, train_attack

__all__ = ["OBJECTIVES", "TrainConfig", "fit", "get_objective", "make_optimizer", "objective", "train_attack",
           "train_epoch"]
