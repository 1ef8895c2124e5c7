"""`setup()`, the first call of every notebook: parameters checked, seeds set, device picked, fixture mode
entered; it returns the resolved `Settings`."""
from __future__ import annotations

import dataclasses
import os
import random
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from . import params
from .profiles import PROFILES, Profile
from .runtime import DEVICES, cache_root, fail, fixture_cap, fixture_mode

if TYPE_CHECKING:  # torch is imported where it is used, so the CLI checks parameters in a blink
    import torch


def resolve_device(device: "str | torch.device") -> "torch.device":
    """'auto' -> cuda if available, else cpu; a named device must exist."""
    name = str(device)
    kind = name.split(":")[0]
    import torch

    if kind not in DEVICES:
        fail("device", device, f"choose one of {', '.join(DEVICES)}")
    if kind == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if kind == "cuda" and not torch.cuda.is_available():
        fail("device", device, "CUDA is not available on this machine; use 'cpu' or 'auto'")
    if kind == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        fail("device", device, "MPS is not available on this machine; use 'cpu' or 'auto'")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (CPU and CUDA)."""
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)


@dataclass(frozen=True)
class Settings:
    """The resolved parameters of a run: the profile's fields, overrides applied, plus notebook knobs."""

    profile: Profile
    seed: int
    device: torch.device
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        # Profile fields and notebook knobs read as attributes: `cfg.epochs`, `cfg.eps_grid`.
        if name in ("profile", "extra"):
            raise AttributeError(name)
        if name in self.extra:
            return self.extra[name]
        if hasattr(self.profile, name):
            return getattr(self.profile, name)
        raise AttributeError(f"Settings has no parameter {name!r}")

    @property
    def smoke(self) -> bool:
        """True at the smoke profile, where runs prove only that the code executes."""
        return self.profile.name == "smoke"

    def summary(self) -> dict[str, str]:
        """What this run used, as short strings: profile, data, model, device, seed, then the notebook knobs."""
        rows = {"profile": self.profile.name, "data": str(self.profile.dataset), "model": str(self.profile.arch),
                "device": str(self.device), "seed": str(self.seed)}
        rows.update({k: repr(v) for k, v in self.extra.items()})
        return rows

    def __repr__(self) -> str:
        return "Settings(" + ", ".join(f"{k}={v}" for k, v in self.summary().items()) + ")"

    def _repr_html_(self) -> str:
        import html

        cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in self.summary().items())
        return f'<table class="robustbook-settings"><caption>settings of this run</caption>{cells}</table>'

    def as_dict(self) -> dict[str, Any]:
        """All parameters as one flat dict (for tables and cache keys)."""
        d = dataclasses.asdict(self.profile)
        d.update(seed=self.seed, device=str(self.device), **dict(self.extra))
        return d


NONNEGATIVE_PREFIXES = ("eps", "sigma", "alpha", "lr", "weight_decay", "lambda", "beta", "radius")
POSITIVE_SUFFIXES = ("_size", "_steps", "_epochs", "epochs", "steps")
POSITIVE_PREFIXES = ("n_", "num_")


def _check_number(name: str, value: Any) -> None:
    """Generic rules by name: eps/sigma/alpha/lr/... are >= 0; sizes, steps, epochs and counts are > 0."""
    values = value if isinstance(value, (list, tuple)) else [value]
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if name.startswith(NONNEGATIVE_PREFIXES) and v < 0:
            fail(name, value, "must be >= 0")
        if (name.endswith(POSITIVE_SUFFIXES) or name.startswith(POSITIVE_PREFIXES)) and v <= 0:
            fail(name, value, "must be a positive number")


def enter_fixture_mode() -> None:
    """Point data and caches of this process at fixture folders: the fixture files (written once) under
    <cache>/fixtures/data, the zoo under <cache>/fixtures, so fixture-trained models never mix with real ones."""
    if os.environ.get("ROBUSTBOOK_FIXTURE_ROOT"):
        return
    from .fixtures import write_fixtures

    root = cache_root() / "fixtures"
    write_fixtures(root / "data")
    os.environ.update(ROBUSTBOOK_FIXTURE_ROOT=str(root), ROBUSTBOOK_CACHE=str(root),
                      ROBUSTBOOK_DATA=str(root / "data"))


def _fixture_profile(p: Profile) -> Profile:
    """The profile with fixture mode's caps: one epoch, two attack steps, small batches."""
    return dataclasses.replace(p, epochs=fixture_cap(p.epochs, "epochs"),
                               attack_steps=fixture_cap(p.attack_steps, "steps"),
                               batch_size=min(p.batch_size, 32), eval_batch_size=min(p.eval_batch_size, 64))


def setup(profile: str = "cpu", seed: int = 0, device: str = "auto", **overrides: Any) -> Settings:
    """Validate a notebook's parameters, seed everything, pick the device; return the resolved Settings.

    Overrides that name a profile field replace it (`epochs=3`); any other keyword is a notebook knob,
    kept in `Settings.extra`. A knob declared in `robustbook.params` is checked against its type and range,
    and so is every declared parameter found in the calling notebook's namespace (papermill's injected
    values); any other knob by generic rules (eps >= 0, sizes > 0, known data sets and models).
    """
    if profile not in PROFILES:
        fail("profile", profile, f"choose one of {', '.join(PROFILES)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        fail("seed", seed, "must be a non-negative integer")
    dev = resolve_device(device)
    base = PROFILES[profile]
    if fixture_mode():
        enter_fixture_mode()
        base = _fixture_profile(base)
    fields = {f.name for f in dataclasses.fields(Profile)} - {"name"}
    prof_over = {k: v for k, v in overrides.items() if k in fields}
    extra = {k: v for k, v in overrides.items() if k not in fields}

    try:  # the declared type and range of each knob, then those papermill injected into the caller's cells
        for name, value in overrides.items():
            params.check_known(name, value)
        caller = sys._getframe(1).f_globals
        if "get_ipython" in caller and caller.get("__name__") == "__main__":
            params.check_namespace(caller, skip=("profile", "seed", "device", *overrides))
    except params.ParameterError as err:
        raise ValueError(str(err)) from None
    for name, value in overrides.items():
        if name == "dataset" or name.endswith("_dataset"):
            from .data.images import NUM_CLASSES  # the data registry (imports torch: only when asked)

            if value not in NUM_CLASSES:
                fail(name, value, f"choose one of {', '.join(NUM_CLASSES)}")
        elif name == "arch" or name.endswith("_arch"):
            from .models.registry import ARCHITECTURES  # the model registry, never listed twice

            if value not in ARCHITECTURES:
                fail(name, value, f"choose one of {', '.join(ARCHITECTURES)}")
        elif name in ("train_size", "test_size") and value is None:
            continue
        else:
            _check_number(name, value)
    seed_everything(seed)
    _show_whole_tables()
    return Settings(dataclasses.replace(base, **prof_over), seed, dev, extra)


def _show_whole_tables() -> None:
    """Verdict tables hold sentences: let pandas print them whole rather than cut at 50 characters."""
    import pandas as pd

    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.width", 200)
