"""Training: the epoch loop, objectives (standard, adversarial / Algorithm 1, TRADES, ...), and the zoo."""
from . import zoo
from .loop import TrainConfig, fit, make_optimizer, train_epoch
from .objectives import OBJECTIVES, get_objective, objective, train_attack
from .zoo import Recipe

__all__ = ["OBJECTIVES", "Recipe", "TrainConfig", "fit", "get_objective", "make_optimizer", "objective",
           "train_attack", "train_epoch", "zoo"]
