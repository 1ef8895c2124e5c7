"""The registry of training objectives: each name maps to a loss function and the `TrainConfig` fields it reads.

How to add an objective (e.g. `distributional_trades` for bai2024, or an embedding-space adversarial
fine-tuning for text): define it in the module where its code lives and register it there, declaring
every `TrainConfig` field it reads besides the loop's own (epochs, batch size, lr, schedule, ...):

    from robustbook.train.registry import objective

    @objective("distributional_trades", reads=("beta", "eps", "alpha", "steps", "norm"))
    def distributional_trades(model, x, y, cfg):
        ...  # returns a scalar loss to minimise

An objective registers when its module is imported: `robustbook.train` imports its own objective modules,
`robustbook.certify` its smoothing objectives, and the zoo imports both, so every name resolves wherever a
model is trained. The zoo keys a trained
model on exactly the declared fields (a field left out would serve a stale model; a field declared but
unused only costs a retrain) and on the code digest of the defining module and its robustbook imports
(`robustbook.hashing`), so an edit of one objective retrains only the models that use it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from .config import TrainConfig

if TYPE_CHECKING:
    import torch
    from torch import nn

Objective = Callable[["nn.Module", "torch.Tensor", "torch.Tensor", "TrainConfig"], "torch.Tensor"]

@dataclass(frozen=True)
class Registered:
    """One registered objective: its loss function, the config fields it reads, the module defining it."""

    name: str
    fn: Objective
    reads: tuple[str, ...]
    module: str


REGISTRY: dict[str, Registered] = {}
OBJECTIVES: dict[str, Objective] = {}  # name -> loss function (the view most callers want)


def objective(name: str, reads: tuple[str, ...] = (), module: str | None = None) -> Callable[[Objective], Objective]:
    """Register a training objective under `name`, reading the `TrainConfig` fields `reads`."""
    def register(fn: Objective) -> Objective:
        fields = set(TrainConfig.__dataclass_fields__)
        unknown = [r for r in reads if r not in fields]
        if unknown:
            raise ValueError(f"objective {name!r} reads unknown TrainConfig fields {unknown}")
        REGISTRY[name] = Registered(name, fn, tuple(sorted(set(reads))), module or fn.__module__)
        OBJECTIVES[name] = fn
        return fn
    return register


def registered(name: str) -> Registered:
    """The registration record of objective `name`."""
    if name not in REGISTRY:
        raise ValueError(f"invalid objective={name!r}: choose one of {', '.join(sorted(REGISTRY))} (an objective "
                         "defined outside robustbook.train registers when its module is imported: the "
                         "smoothing objectives with robustbook.certify)")
    return REGISTRY[name]


def get_objective(name: str) -> Objective:
    """The loss function registered under `name`."""
    return registered(name).fn


def objective_names() -> list[str]:
    """Every registered objective name, sorted."""
    return sorted(REGISTRY)
