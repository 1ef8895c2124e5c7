"""The zoo: every trained model of the book, trained once per recipe and reused; `get_or_train(recipe)` is
the one way in.

A `Recipe` says everything that makes a model: architecture (and its options), data set (and subset,
channels, a held-out domain), training config, seed, and the few extras some chapters need (model selection
on held-out source domains, spectral-norm clipping, a linear probe on a frozen base recipe, fine-tuning from
another recipe's model). Three kinds share it, told apart by their fields:

- an image classifier trained by a registered objective (`train` a `TrainConfig`); its architecture may load a
  released checkpoint (`arch="robust_resnet50"`, the checkpoint a builder option), and `init` fine-tunes it
  from another recipe's trained model (every layer but the classifier head);
- a linear probe (`base`): a new head fit on a frozen recipe's model;
- a text classifier (`train` a `robustbook.train.text.TextTrainConfig`, `arch` the encoder's name, `dataset`
  `"text:<domain or task>"`): a pre-trained transformer fine-tuned on text.

Its key is exactly what decides the trained weights (`components`):

- the recipe fields that are read: the loop's fields of `TrainConfig` plus those its objective declared when
  it was registered (`robustbook.train.registry`), so a field the objective ignores changes nothing;
- the data set's identity; torch's major.minor; the device type and the precision mode;
- the code digest (`robustbook.hashing.code_digest`: syntax trees without docstrings, transitive robustbook
  imports) of the modules the recipe runs: its architecture, its objective, the loop, the data loader and
  each extra it uses.

A checkpoint stores these components; when a recipe's key changes, the zoo says which component changed
("objective code changed", "new torch", ...). A per-key file lock makes concurrent builds train a missing
model once (the others wait, then load); writes are atomic (a failure during `torch.save` leaves no entry);
a checkpoint that does not load is retrained with a warning that names the file.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from filelock import FileLock
from torch import nn

from .certify import training as _smoothing_objectives  # noqa: F401 - registers them (not the certifiers)
from . import hashing
from .data import images
from .models.registry import MEAN_STD, arch_module, build
from .runtime import cache_root
from .train import TrainConfig, fit
from .train.registry import registered

LOOP_FIELDS = ("objective", "epochs", "batch_size", "lr", "optimizer", "momentum", "weight_decay", "schedule")
SCHEDULE_FIELDS = {"multistep": ("milestones", "gamma")}
SELECTIONS = ("last", "source_val")
TEXT_PREFIX = "text:"  # the data set of a text recipe: text:<tweet domain> (cpu) or text:<paper task> (gpu)
HEAD = ".head."  # the classifier head of every architecture: what fine-tuning from `init` starts afresh


def zoo_dir() -> Path:
    """The folder of trained checkpoints."""
    return cache_root() / "zoo"


@dataclass(frozen=True)
class Recipe:
    """Everything that makes one trained model of the zoo."""

    arch: str
    dataset: str = "digits32"
    train: TrainConfig = field(default_factory=TrainConfig)
    seed: int = 0
    train_size: int | None = None  # seeded subset of the training split; None: all of it
    channels: int | None = None  # None: the data set's own
    arch_options: tuple[tuple[str, Any], ...] = ()  # builder keywords, e.g. (("depth", 8), ("width", 16))
    normalize: str | None = "auto"  # statistics inside the model: 'auto' (the data set's), a name, or None
    num_classes: int | None = None  # None: the data set's own
    holdout_domain: Any = None  # leave-one-domain-out: train on the other domains of `dataset`
    holdout_fraction: float = 0.2  # share of each source domain held out for model selection
    selection: str = "last"  # 'last' epoch, or 'source_val': the epoch best on the held-out sources
    clip: float | None = None  # clip every layer's spectral norm to this after each epoch (wen2020)
    base: "Recipe | None" = None  # a linear probe: fit a new head on this recipe's frozen model
    head_weight_decay: float = 0.0  # the probe's L2 penalty
    head_steps: int = 200  # the probe's L-BFGS iterations
    init: "Recipe | None" = None  # fine-tuning: start every layer but the head from this recipe's model

    def __post_init__(self) -> None:
        if self.selection not in SELECTIONS:
            raise ValueError(f"invalid selection={self.selection!r}: choose one of {', '.join(SELECTIONS)}")
        if self.selection == "source_val" and self.holdout_domain is None:
            raise ValueError("selection='source_val' needs holdout_domain (the held-out sources select)")
        if self.is_text:
            from .models.text import model_dir

            if not self.dataset.startswith(TEXT_PREFIX):
                raise ValueError(f"invalid dataset={self.dataset!r} for a text recipe: '{TEXT_PREFIX}<domain or task>'")
            if self.num_classes is None:
                raise ValueError("a text recipe needs num_classes (the labels of its task)")
            model_dir(self.arch)  # raises on an unknown encoder
            return
        arch_module(self.arch)  # raises on an unknown architecture
        registered(self.train.objective)  # raises on an unknown objective

    @property
    def is_text(self) -> bool:
        """True for a text classifier (a `TextTrainConfig` recipe)."""
        from .train.text import TextTrainConfig

        return isinstance(self.train, TextTrainConfig)

    @property
    def label(self) -> str:
        """A short display name: architecture and how it was trained."""
        if self.base is not None:
            return f"probe on {self.base.arch}"
        how = self.train.method if self.is_text else self.train.objective
        return f"{self.arch}/{how}" + (f" from {self.init.arch}/{self.init.train.objective}" if self.init else "")

    def replace(self, **changes: Any) -> "Recipe":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def spec(self) -> dict[str, Any]:
        """The recipe as JSON-able data (for display; the key is `components`)."""
        return {"kind": "recipe", **dataclasses.asdict(self)}


# --------------------------------------------------------------------------------------------- data

def _domain_split(recipe: Recipe):
    from .data.domains import domains, lodo
    return lodo(domains(recipe.dataset, recipe.seed), recipe.holdout_domain, recipe.holdout_fraction, recipe.seed)


def train_set(recipe: Recipe):
    """The training data a recipe trains on (seeded subset when train_size is set; sources for LODO; a
    `data.text.TextSet` for a text recipe)."""
    if recipe.is_text:
        from .data import text

        name = recipe.dataset.removeprefix(TEXT_PREFIX)
        if name in text.DOMAINS:
            return text.domain_split(name, "train", recipe.train_size, recipe.seed)
        return text.paper_task(name, "train")
    if recipe.holdout_domain is not None:
        return _domain_split(recipe).train
    return images.subset(images.load(recipe.dataset, "train", recipe.channels), recipe.train_size, recipe.seed)


def _normalize(recipe: Recipe) -> str | None:
    if recipe.normalize != "auto":
        return recipe.normalize
    name = recipe.dataset
    if name.startswith("digits32") or name == "rotated_digits":
        name = "digits32"
    return name if name in MEAN_STD else None


def _num_classes(recipe: Recipe) -> int:
    if recipe.num_classes is not None:
        return recipe.num_classes
    if recipe.dataset in images.NUM_CLASSES:
        return images.NUM_CLASSES[recipe.dataset]
    from .data.domains import domains, num_classes
    return num_classes(domains(recipe.dataset, recipe.seed))


# ---------------------------------------------------------------------------------------------- key

def _precision(device: torch.device) -> str:
    return "amp-fp16+channels_last" if device.type == "cuda" else "fp32"


def read_fields(cfg: TrainConfig) -> dict[str, Any]:
    """The `TrainConfig` fields a run reads: the loop's, the schedule's, and those its objective declared."""
    names = (*LOOP_FIELDS, *SCHEDULE_FIELDS.get(cfg.schedule, ()), *registered(cfg.objective).reads)
    return {n: getattr(cfg, n) for n in sorted(set(names))}


def code_modules(recipe: Recipe) -> dict[str, list[str]]:
    """The robustbook modules each part of a recipe runs (each part's digest covers their imports too)."""
    if recipe.base is not None:
        return {"probe": ["robustbook.train.probe"], "data loader": ["robustbook.data.images"]}
    if recipe.is_text:
        return {"architecture": ["robustbook.models.text"], "loop": ["robustbook.train.text"],
                "data loader": ["robustbook.data.text"]}
    mods = {"architecture": [arch_module(recipe.arch), "robustbook.models.registry"],
            "objective": [registered(recipe.train.objective).module],
            "loop": ["robustbook.train.loop"],
            "data loader": ["robustbook.data.images"]}
    if recipe.holdout_domain is not None:
        mods["data loader"].append("robustbook.data.domains")
    if recipe.clip is not None:
        mods["spectral clip"] = ["robustbook.evaluate.spectral"]
    return mods


def _other_objectives(recipe: Recipe) -> dict[str, set[str]]:
    """Per module, the top-level functions of the objectives this recipe does not use (left out of digests)."""
    if recipe.base is not None or recipe.is_text:
        return {}
    from .train.registry import REGISTRY, objective_names
    objective_names()  # every objective module registered
    mine = registered(recipe.train.objective)
    out: dict[str, set[str]] = {}
    for reg in REGISTRY.values():
        fn_name = getattr(reg.fn, "__name__", "")
        if reg.name != mine.name and fn_name != getattr(mine.fn, "__name__", None):
            out.setdefault(reg.module, set()).add(fn_name)
    return out


def components(recipe: Recipe, device: torch.device | str = "cpu") -> dict[str, Any]:
    """Every component of a recipe's key, by name (the checkpoint stores them to explain a retrain)."""
    device = torch.device(device)
    data = {"dataset": recipe.dataset, "train_size": recipe.train_size, "channels": recipe.channels,
            "seed": recipe.seed}
    if recipe.holdout_domain is not None:
        data.update(holdout_domain=str(recipe.holdout_domain), holdout_fraction=recipe.holdout_fraction)
    if recipe.base is not None:
        fields: dict[str, Any] = {"base": key(recipe.base, device), "head_weight_decay": recipe.head_weight_decay,
                                  "head_steps": recipe.head_steps, "seed": recipe.seed}
    elif recipe.is_text:
        from .models.text import model_dir

        weights = model_dir(recipe.arch) / "model.safetensors"  # a paper encoder's files are the user's download
        fields = {"encoder": recipe.arch, "arch_options": [list(kv) for kv in recipe.arch_options],
                  "num_classes": recipe.num_classes, "seed": recipe.seed, "train": recipe.train.spec(),
                  "weights bytes": weights.stat().st_size if weights.exists() else None}
    else:
        fields = {"arch": recipe.arch, "arch_options": [list(kv) for kv in recipe.arch_options],
                  "normalize": _normalize(recipe), "num_classes": recipe.num_classes, "seed": recipe.seed,
                  "selection": recipe.selection, "clip": recipe.clip, "train": read_fields(recipe.train)}
        if recipe.init is not None:
            fields["init"] = key(recipe.init, device)
    out = {"recipe": fields, "data": data, "torch": ".".join(torch.__version__.split("+")[0].split(".")[:2]),
           "device": device.type, "precision": _precision(device),
           "zoo": hashing.module_digest(__name__)}
    for part, mods in code_modules(recipe).items():
        out[f"{part} code"] = hashing.code_digest(mods, _other_objectives(recipe))
    return json.loads(json.dumps(out, sort_keys=True, default=str))


def key(recipe: Recipe, device: torch.device | str = "cpu") -> str:
    """The zoo key of `recipe` trained on `device`'s type."""
    return hashing.sha256_json(components(recipe, device))[:24]


def _identity(recipe: Recipe, device: torch.device | str) -> str:
    """What stays the same when only code or torch changes: names the manifest that explains retrains."""
    c = components(recipe, device)
    return hashing.sha256_json({"recipe": c["recipe"], "data": c["data"]})[:24]


def why_retrain(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Human reasons a stored model no longer matches: 'objective code changed', 'new torch', ..."""
    reasons = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) == new.get(name):
            continue
        if name == "torch":
            reasons.append(f"new torch ({old.get(name)} -> {new.get(name)})")
        elif name == "zoo":
            reasons.append("zoo code changed")
        elif name.endswith(" code"):
            reasons.append(f"{name} changed")
        else:
            reasons.append(f"{name} changed")
    return reasons


# ----------------------------------------------------------------------------------------- build/train

def _build(recipe: Recipe, device: torch.device | str) -> nn.Module:
    if recipe.base is not None:
        from .train.probe import probe_model
        base = get_or_train(recipe.base, device, progress=False)
        return probe_model(base, _num_classes(recipe))
    if recipe.is_text:
        from .models.text import text_classifier
        return text_classifier(recipe.arch, recipe.num_classes, True, recipe.seed, **dict(recipe.arch_options))
    x0, _ = train_set(recipe)[0]
    torch.manual_seed(recipe.seed)
    model = build(recipe.arch, _num_classes(recipe), x0.shape[0], _normalize(recipe), **dict(recipe.arch_options))
    if recipe.init is not None:  # fine-tuning: every layer but the head from the init recipe's model
        source = get_or_train(recipe.init, device, progress=False).state_dict()
        missing = model.load_state_dict({k: v for k, v in source.items() if HEAD not in k}, strict=False).missing_keys
        if any(HEAD not in k for k in missing):
            raise ValueError(f"init recipe {recipe.init.arch} does not fit {recipe.arch}: missing {missing[:3]}")
    return model


def _train(model: nn.Module, recipe: Recipe, device: torch.device | str, progress: bool) -> dict | None:
    """Train `model` by `recipe`; returns the per-epoch training history as columns (None for a probe)."""
    if recipe.is_text:
        from .models.text import encode, load_tokenizer
        from .train.text import finetune

        data = train_set(recipe)
        enc = encode(load_tokenizer(recipe.arch), list(data.texts), recipe.train.max_length)
        losses = finetune(model, enc, torch.as_tensor(data.labels), recipe.train, device, recipe.seed, progress)
        return {"step": list(range(1, len(losses) + 1)), "loss": [float(v) for v in losses]}
    if recipe.base is not None:
        from .train.probe import train_probe
        train_probe(model, train_set(recipe), _num_classes(recipe), recipe.head_weight_decay, recipe.head_steps,
                    recipe.seed, device)
        return None
    callbacks = []
    data = train_set(recipe)
    if recipe.clip is not None:
        from .evaluate.spectral import SpectralClip
        callbacks.append(SpectralClip(recipe.clip, tuple(data[0][0].shape)))
    best: dict[str, Any] = {"acc": -1.0, "state": None}
    if recipe.selection == "source_val":
        from .evaluate.accuracy import accuracy
        source_val = _domain_split(recipe).source_val

        def select(m: nn.Module, epoch: int) -> None:
            acc = accuracy(m, source_val, device=device)
            if acc > best["acc"]:
                best.update(acc=acc, state=copy.deepcopy(m.state_dict()))
        callbacks.append(select)
    frame = fit(model, data, recipe.train, device, recipe.seed, callbacks, progress=progress)
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    return None if frame is None else frame.to_dict(orient="list")


def _finish(model: nn.Module, recipe: Recipe, device: torch.device | str) -> nn.Module:
    model = model.to(device).eval()
    if recipe.base is not None:
        for p in model.parameters():
            p.requires_grad_(False)
    return model


def _load(path: Path, model: nn.Module) -> bool:
    """Load `path` into `model`; False (with a warning naming the file) when the file is unreadable."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(state["model"])
        return True
    except Exception as err:  # corrupt or incompatible entry: retrain, never crash a build, never silently
        warnings.warn(f"zoo checkpoint {path} is unreadable ({type(err).__name__}: {err}); retraining it",
                      RuntimeWarning, stacklevel=3)
        path.unlink(missing_ok=True)
        return False


def get_or_train(recipe: Recipe, device: torch.device | str = "cpu", progress: bool = True) -> nn.Module:
    """The model of `recipe` on `device`: loaded from the zoo, or trained now and stored."""
    parts = components(recipe, device)
    k = hashing.sha256_json(parts)[:24]
    folder = zoo_dir()
    path = folder / f"{k}.pt"
    if path.exists():
        model = _build(recipe, device)
        if _load(path, model):
            return _finish(model, recipe, device)
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / f"{k}.lock")):
        if path.exists():  # another process trained it while we waited
            model = _build(recipe, device)
            if _load(path, model):
                return _finish(model, recipe, device)
        manifest = folder / f"{_identity(recipe, device)}.json"
        if manifest.exists():
            try:
                old = json.loads(manifest.read_text())
                reasons = why_retrain(old.get("components", {}), parts) if old.get("key") != k else []
                if reasons:
                    print(f"zoo: retraining {recipe.label} ({k}): {'; '.join(reasons)}")
            except (OSError, ValueError):
                pass
        model = _build(recipe, device)
        model.to(device)
        history = _train(model, recipe, device, progress)
        state = {"model": {n: v.detach().cpu() for n, v in model.state_dict().items()},
                 "components": json.dumps(parts, sort_keys=True), "recipe": repr(recipe),
                 "history": json.dumps(history)}
        with hashing.atomic_path(path) as tmp:
            torch.save(state, tmp)
        hashing.atomic_write_text(manifest, json.dumps({"key": k, "components": parts}, sort_keys=True, indent=1))
    return _finish(model, recipe, device)


def history(recipe: Recipe, device: torch.device | str = "cpu"):
    """The per-epoch training history (a pandas frame: epoch, loss, ...) stored with `recipe`'s model, or None
    when the model is not in the zoo or was stored without one. Call after `get_or_train`."""
    import pandas as pd

    path = zoo_dir() / f"{hashing.sha256_json(components(recipe, device))[:24]}.pt"
    if not path.exists():
        return None
    try:
        stored = torch.load(path, map_location="cpu", weights_only=True).get("history")
    except Exception:  # an unreadable entry: get_or_train retrains it and says so
        return None
    columns = json.loads(stored) if stored else None
    return pd.DataFrame(columns) if columns else None


def get(recipe: Recipe, device: torch.device | str = "cpu", progress: bool = True) -> nn.Module:
    """Alias of `get_or_train` (the name earlier chapters call)."""
    return get_or_train(recipe, device, progress)


def stored_components(recipe: Recipe, device: torch.device | str = "cpu") -> dict[str, Any] | None:
    """The key components stored with `recipe`'s checkpoint, or None when it is not in the zoo."""
    path = zoo_dir() / f"{key(recipe, device)}.pt"
    if not path.exists():
        return None
    return json.loads(torch.load(path, map_location="cpu", weights_only=True)["components"])
