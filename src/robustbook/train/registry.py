"""The registry of training objectives: each name maps to a loss function and the `TrainConfig` fields it reads.

How to add an objective (e.g. `distributional_trades` for bai2024, or an embedding-space adversarial
fine-tuning for text): define it in the module where its code lives and register it there, declaring
every `TrainConfig` field it reads besides the loop's own (epochs, batch size, lr, schedule, ...):

    from robustbook.train.registry import objective

    @objective("distributional_trades", reads=("beta", "eps", "alpha", "steps", "norm"))
    def distributional_trades(model, x, y, cfg):
        ...  # returns a scalar loss to minimise

then add that module's dotted name to `OBJECTIVE_MODULES` below, so that `TrainConfig(objective=...)`
resolves the name in a fresh interpreter without anyone importing the module first. The zoo keys a trained
model on exactly the declared fields (a field left out would serve a stale model; a field declared but
unused only costs a retrain) and on the code digest of the defining module and its robustbook imports
(`robustbook.hashing`), so an edit of one objective retrains only the models that use it.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import torch
    from torch import nn

    from .loop import TrainConfig

Objective = Callable[["nn.Module", "torch.Tensor", "torch.Tensor", "TrainConfig"], "torch.Tensor"]

# Modules that define objectives, imported (once) the first time a name is not yet registered.
OBJECTIVE_MODULES: list[str] = ["robustbook.train.objectives", "robustbook.certify.training",
                                 "robustbook.train.distributional"]


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
        from .loop import TrainConfig
        fields = set(TrainConfig.__dataclass_fields__)
        unknown = [r for r in reads if r not in fields]
        if unknown:
            raise ValueError(f"objective {name!r} reads unknown TrainConfig fields {unknown}")
        REGISTRY[name] = Registered(name, fn, tuple(sorted(set(reads))), module or fn.__module__)
        OBJECTIVES[name] = fn
        return fn
    return register


def _load_all() -> None:
    for mod in OBJECTIVE_MODULES:
        importlib.import_module(mod)


def registered(name: str) -> Registered:
    """The registration record of objective `name` (imports the objective modules on first need)."""
    if name not in REGISTRY:
        _load_all()
    if name not in REGISTRY:
        raise ValueError(f"invalid objective={name!r}: choose one of {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def get_objective(name: str) -> Objective:
    """The loss function registered under `name`."""
    return registered(name).fn


def objective_names() -> list[str]:
    """Every registered objective name, sorted."""
    _load_all()
    return sorted(REGISTRY)
