"""A content-addressed cache of trained models: one config is trained once and reused by every notebook.

The key is a sha256 of the full recipe (model, data, training config, seed), the package version and a
fingerprint of the source that trains models, so a code change never serves a stale checkpoint. Writes
are atomic (temp file + rename); loads use `weights_only=True`; an unreadable entry is retrained.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from .. import __version__
from ..data import images
from ..models import build
from .loop import TrainConfig, fit

_FINGERPRINTED = ("models", "train", "attacks", "data/images.py")


def cache_root() -> Path:
    """Where caches live: $ROBUSTBOOK_CACHE, else ~/.cache/robustbook."""
    return Path(os.environ.get("ROBUSTBOOK_CACHE") or Path.home() / ".cache" / "robustbook")


def zoo_dir() -> Path:
    """The folder of trained checkpoints."""
    return cache_root() / "zoo"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 of the package source that decides what a trained model is."""
    pkg = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for part in _FINGERPRINTED:
        paths = sorted((pkg / part).rglob("*.py")) if (pkg / part).is_dir() else [pkg / part]
        for p in paths:
            h.update(p.relative_to(pkg).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def key_of(spec: dict[str, Any]) -> str:
    """The cache key of a JSON-able spec."""
    blob = json.dumps({"spec": spec, "version": __version__, "code": code_fingerprint()},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _save_atomic(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def get_or_train(spec: dict[str, Any], build_model: Callable[[], nn.Module],
                 train: Callable[[nn.Module], Any], device: torch.device | str = "cpu") -> nn.Module:
    """Load the model cached under `spec`, or build it, `train(model)` it, and cache it.

    `spec` must describe everything that `build_model` and `train` depend on.
    """
    key = key_of(spec)
    path = zoo_dir() / f"{key}.pt"
    model = build_model()
    if path.exists():
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            model.load_state_dict(state["model"])
            return model.to(device).eval()
        except Exception as err:  # corrupt or incompatible entry: retrain, never crash a build
            warnings.warn(f"zoo entry {path.name} unreadable ({type(err).__name__}); retraining", stacklevel=2)
            path.unlink(missing_ok=True)
            model = build_model()
    model.to(device)
    train(model)
    _save_atomic({"model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
                  "spec": json.dumps(spec, sort_keys=True, default=str)}, path)
    return model.eval()


@dataclass(frozen=True)
class Recipe:
    """A model trained on a named data set: architecture, data, training config, seed."""

    arch: str
    dataset: str = "digits32"
    train: TrainConfig = field(default_factory=TrainConfig)
    seed: int = 0
    train_size: int | None = None
    channels: int | None = None  # None: the data set's own

    def spec(self) -> dict[str, Any]:
        """The JSON-able description that keys the cache."""
        return {"kind": "recipe", **dataclasses.asdict(self)}


def train_set(recipe: Recipe):
    """The training split a recipe trains on (seeded subset when train_size is set)."""
    return images.subset(images.load(recipe.dataset, "train", recipe.channels), recipe.train_size, recipe.seed)


def get(recipe: Recipe, device: torch.device | str = "cpu", progress: bool = True) -> nn.Module:
    """The model of `recipe`, from the cache or trained now (and cached)."""
    data = train_set(recipe)
    x0, _ = data[0]
    base = recipe.dataset.split("_")[0] if recipe.dataset.startswith("digits32") else recipe.dataset
    norm = base if base in ("digits32", "digitsm32", "cifar10", "cifar100", "mnist") else None

    def build_model() -> nn.Module:
        torch.manual_seed(recipe.seed)
        return build(recipe.arch, images.NUM_CLASSES[recipe.dataset], x0.shape[0], norm)

    return get_or_train(recipe.spec(), build_model,
                        lambda m: fit(m, data, recipe.train, device, recipe.seed, progress=progress), device)
