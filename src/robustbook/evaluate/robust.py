"""Robust accuracy by a named attack suite: our PGD-20 (fast) or AutoAttack's standard ensemble.

`suite="autoattack"` is the standard version of Croce & Hein (2020), run by their reference implementation
(PyPI `pyautoattack`, the packaged github.com/fra31/auto-attack): APGD-CE, then APGD-T, FAB-T (9 target
classes, k - 1 for k < 10 classes), Square (5,000 queries), each run only on the points the previous ones
left correctly classified, 100 iterations per gradient attack (`SuiteConfig.aa_steps`; profiles may lower
it). Each link of the chain is one call of the library's own `run_standard_evaluation` restricted to that
attack, on the points still robust, which is what its single call does; chaining tells which attack broke
each point. The library's own warnings (zero gradients, randomized or dynamic defences, Square succeeding
where the gradient attacks failed) are kept in `RobustResult.flags`.

A point counts as robust when it is classified correctly both clean and after the attack.
"""
from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence, Union

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import Dataset

from ..attacks import FGSM, PGD
from ..attacks.base import check_norm, clip_to_box, frozen, project

Data = Union[Dataset, tuple[torch.Tensor, torch.Tensor]]
AttackFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

SUITES = ("pgd", "autoattack")  # the two a chapter reports; ATTACKS: every name `robust_accuracy` accepts
ATTACKS = ("pgd", "autoattack", "apgd-ce", "apgd-t", "fab-t", "square", "fgsm", "pgd-strong")
AA_COMPONENTS = ("apgd-ce", "apgd-t", "fab-t", "square")


@dataclass(frozen=True)
class SuiteConfig:
    """Budgets of the attacks: PGD's steps, the standard AutoAttack iterations and Square's queries."""

    pgd_steps: int = 20
    aa_steps: int = 100  # APGD-CE, APGD-T and FAB-T iterations (the standard version: 100)
    square_queries: int = 5000  # Square inside AutoAttack; the standard version: 5,000
    blackbox_queries: int = 5000  # the standalone "square" attack (the black-box check)
    strong_steps: int = 100  # "pgd-strong": more iterations ...
    strong_restarts: int = 5  # ... and restarts than PGD-20


STANDARD = SuiteConfig()


def is_standard(cfg: SuiteConfig) -> bool:
    """Whether the AutoAttack budget is the standard version's (100 iterations, 5,000 Square queries)."""
    return cfg.aa_steps >= STANDARD.aa_steps and cfg.square_queries >= STANDARD.square_queries


def describe(suite: str, cfg: SuiteConfig = STANDARD) -> str:
    """A human-readable name of an attack suite with its budget."""
    return {
        "pgd": f"PGD-{cfg.pgd_steps} (robustbook, CE, step 2.5 eps/steps, 1 random start)",
        "autoattack": (f"AutoAttack {'standard' if is_standard(cfg) else 'at a reduced budget'}: APGD-CE, "
                       f"APGD-T, FAB-T ({cfg.aa_steps} it.), Square ({cfg.square_queries} q.); reference implementation"),
        "apgd-ce": f"APGD-CE ({cfg.aa_steps} it., reference AutoAttack)",
        "apgd-t": f"APGD-T (min(9, k - 1) targets x {cfg.aa_steps} it., reference AutoAttack)",
        "fab-t": f"FAB-T (min(9, k - 1) targets x {cfg.aa_steps} it., reference AutoAttack)",
        "square": f"Square ({cfg.blackbox_queries} queries, gradient-free, reference AutoAttack)",
        "fgsm": "FGSM (one step of size eps)",
        "pgd-strong": f"PGD-{cfg.strong_steps} x {cfg.strong_restarts} restarts (robustbook)",
    }[check_suite(suite)]


def check_suite(suite: str) -> str:
    """Validate an attack-suite name."""
    if suite not in ATTACKS:
        raise ValueError(f"invalid suite={suite!r}: choose one of {', '.join(ATTACKS)}")
    return suite


def as_tensors(data: Data, subset: int | None = None, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, y) tensors of a Dataset or an (x, y) pair, optionally a seeded random subset of `subset` points."""
    if isinstance(data, (tuple, list)):
        x, y = data
    else:
        from ..data.images import tensors
        x, y = tensors(data)
    if x.dim() != 4 or y.dim() != 1 or x.shape[0] != y.shape[0]:
        raise ValueError(f"expected images (N, C, H, W) and labels (N,), got {tuple(x.shape)} and "
                         f"{tuple(y.shape)}")
    if float(x.min()) < 0 or float(x.max()) > 1:
        raise ValueError("images must lie in [0, 1] (models carry their normalization)")
    if subset is not None:
        if subset < 1:
            raise ValueError(f"invalid subset={subset!r}: must be >= 1")
        if subset < x.shape[0]:
            idx = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(seed))[:subset]
            x, y = x[idx], y[idx]
    return x, y


AA_NORMS = {"linf": "Linf", "l2": "L2"}


def set_apgd_iterations(apgd, steps: int) -> None:
    """Give a reference APGD attack `steps` iterations, with the checkpoints its constructor derives from them."""
    # APGDAttack.__init__ computes its step-size checkpoints from n_iter; setting n_iter alone would keep
    # the 100-iteration schedule. Same formulas as the constructor (a test compares with a fresh object).
    apgd.n_iter = apgd.n_iter_orig = int(steps)
    apgd.n_iter_2 = max(int(0.22 * steps), 1)
    apgd.n_iter_min = max(int(0.06 * steps), 1)
    apgd.size_decr = max(int(0.03 * steps), 1)


def reference_autoattack(model: nn.Module, eps: float, norm: str = "linf", num_classes: int = 10, seed: int = 0,
                         cfg: SuiteConfig = STANDARD, queries: int | None = None,
                         device: torch.device | str = "cpu"):
    """The reference `pyautoattack.AutoAttack`, standard version, at the budget of `cfg` (Square: `queries`).

    Targeted attacks use min(9, k - 1) target classes; APGD-T is left out of the chain for k < 4 (its targeted
    DLR loss needs 4 classes). Run it through `ReferenceAttack` to keep the book's protocol.
    """
    from pyautoattack import AutoAttack

    if num_classes < 2:
        raise ValueError(f"invalid num_classes={num_classes!r}: must be >= 2")
    aa = AutoAttack(model, norm=AA_NORMS[check_norm(norm)], eps=float(eps), seed=int(seed), version="standard",
                    device=device)
    aa.verbose = False
    for apgd in (aa.apgd, aa.apgd_targeted):
        set_apgd_iterations(apgd, cfg.aa_steps)
    aa.fab.n_iter = int(cfg.aa_steps)
    aa.apgd_targeted.n_target_classes = aa.fab.n_target_classes = min(9, num_classes - 1)
    aa.square.n_queries = int(cfg.square_queries if queries is None else queries)
    aa.attacks_to_run = [c for c in AA_COMPONENTS if num_classes >= 4 or c != "apgd-t"]
    return aa


class _Flags(logging.Handler):
    """Collects the warnings the reference library logs (its checks), instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if msg not in self.messages:
            self.messages.append(msg)


class ReferenceAttack:
    """The reference AutoAttack's chain, or one of its attacks, under the book's protocol: model mode, parameter
    gradients, the global RNG and the trace function are left as found, and the result is projected onto the
    threat set (it is already there up to rounding).
    """

    def __init__(self, autoattack, model: nn.Module, eps: float, norm: str, attacks: Sequence[str] | None = None):
        self.aa, self.model, self.eps, self.norm = autoattack, model, float(eps), check_norm(norm)
        self.attacks = list(autoattack.attacks_to_run if attacks is None else attacks)
        self.flags: list[str] = []

    def __repr__(self) -> str:
        return f"ReferenceAttack({'+'.join(self.attacks)}, eps={self.eps:.4g}, norm={self.norm!r})"

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Return x_adv inside the threat set."""
        x, y = x.detach(), y.detach()
        grads = [(p, None if p.grad is None else p.grad.clone()) for p in self.model.parameters()]
        devices = [x.device] if x.device.type == "cuda" else []
        log, flags, tracer = logging.getLogger("auto-attack"), _Flags(), sys.gettrace()
        log.addHandler(flags)
        try:
            with torch.random.fork_rng(devices=devices), frozen(self.model, "eval"):
                self.aa.attacks_to_run = list(self.attacks)
                for part in (self.aa, self.aa.apgd, self.aa.apgd_targeted, self.aa.fab, self.aa.square):
                    part.device = x.device
                x_adv, _ = self.aa.run_standard_evaluation(x, y, batch_size=max(1, x.shape[0]))
        finally:
            log.removeHandler(flags)
            sys.settrace(tracer)  # the library's dynamic-defence check sets the trace function to None
            for p, g in grads:
                p.grad = g
        self.flags += [m for m in flags.messages if m not in self.flags]
        return (x + clip_to_box(x, project(x_adv.detach() - x, self.eps, self.norm))).detach()


def make_attack(suite: str, model: nn.Module, eps: float, norm: str = "linf", num_classes: int = 10,
                seed: int = 0, cfg: SuiteConfig = STANDARD, queries: int | None = None) -> AttackFn:
    """The attack of one suite or AutoAttack component; "autoattack" is the reference's whole chain in one call
    (`robust_correct` runs it link by link to tell which attack broke each point).

    `queries` sets Square's budget (default: the standalone budget `cfg.blackbox_queries` for "square", the
    AutoAttack budget `cfg.square_queries` inside "autoattack").
    """
    check_suite(suite)
    if suite == "pgd":
        return PGD(model, eps, steps=cfg.pgd_steps, norm=norm, seed=seed)
    if suite == "fgsm":
        return FGSM(model, eps, norm=norm)
    if suite == "pgd-strong":
        raise ValueError("pgd-strong is a set of restarts: call robust_correct(..., suite='pgd-strong')")
    if suite == "apgd-t" and num_classes < 4:
        raise ValueError(f"apgd-t needs at least 4 classes, got num_classes={num_classes}")
    if queries is None:
        queries = cfg.blackbox_queries if suite == "square" else cfg.square_queries
    aa = reference_autoattack(model, eps, norm, num_classes, seed, cfg, queries)
    if suite == "square":  # the standalone black-box attack: SquareAttack's own default, its schedule of square
        aa.square.rescale_schedule = True  # sizes fitted to the budget (AutoAttack's standard keeps 10,000's)
    return ReferenceAttack(aa, model, eps, norm, None if suite == "autoattack" else [suite])


def _predict(model: nn.Module, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    with frozen(model, "eval"), torch.no_grad():
        return torch.cat([model(x[i:i + batch_size]).argmax(1) for i in range(0, x.shape[0], batch_size)])


def _attacked_correct(model: nn.Module, attack: AttackFn, x: torch.Tensor, y: torch.Tensor,
                      todo: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Correct-after-attack for the points in `todo` (a bool mask); False elsewhere."""
    out = torch.zeros_like(todo)
    idx = todo.nonzero().flatten()
    for i in range(0, idx.numel(), batch_size):
        b = idx[i:i + batch_size]
        x_adv = attack(x[b], y[b])
        out[b] = _predict(model, x_adv, batch_size) == y[b]
    return out


@dataclass(frozen=True)
class RobustResult:
    """Per-point outcome of one suite: clean-correct, robust (correct clean and attacked), who broke what."""

    suite: str
    clean: torch.Tensor  # bool (N,)
    robust: torch.Tensor  # bool (N,)
    broken_by: dict[str, int]  # attack name -> points it broke first (AutoAttack's chain)
    seconds: float
    flags: tuple[str, ...] = field(default=())  # warnings of the reference AutoAttack's own checks

    @property
    def accuracy(self) -> float:
        """Robust accuracy."""
        return float(self.robust.float().mean())


def robust_correct(model: nn.Module, data: Data, threat: str = "linf", eps: float = 8 / 255,
                   suite: str = "pgd", subset: int | None = None, batch_size: int = 256,
                   device: torch.device | str = "cpu", seed: int = 0, num_classes: int | None = None,
                   cfg: SuiteConfig = STANDARD) -> RobustResult:
    """Which points stay correctly classified under the attack suite (per point, for paired comparisons)."""
    check_suite(suite)
    check_norm(threat)
    if eps < 0:
        raise ValueError(f"invalid eps={eps!r}: must be >= 0")
    x, y = as_tensors(data, subset, seed)
    x, y = x.to(device), y.to(device)
    k = int(num_classes) if num_classes is not None else int(y.max()) + 1
    t0 = time.perf_counter()
    clean = _predict(model, x, batch_size) == y
    robust, broken, flags = clean.clone(), {}, []
    if eps > 0:
        if suite == "autoattack":  # APGD-T's targeted DLR loss needs 4 classes (as in the reference code)
            chain = AA_COMPONENTS if k >= 4 else tuple(c for c in AA_COMPONENTS if c != "apgd-t")
        elif suite == "pgd-strong":
            chain = tuple(f"pgd#{r}" for r in range(cfg.strong_restarts))
        else:
            chain = (suite,)
        for name in chain:
            if name.startswith("pgd#"):
                atk = PGD(model, eps, steps=cfg.strong_steps, norm=threat, seed=seed + int(name[4:]))
            else:
                atk = make_attack(name, model, eps, threat, k, seed, cfg,
                                  queries=cfg.square_queries if suite == "autoattack" else None)
            still = _attacked_correct(model, atk, x, y, robust, batch_size) if bool(robust.any()) else robust
            broken[name] = int(robust.sum() - still.sum())
            robust = still
            flags += [m for m in getattr(atk, "flags", []) if m not in flags]
    return RobustResult(suite, clean.cpu(), robust.cpu(), broken, time.perf_counter() - t0, tuple(flags))


def robust_accuracy(model: nn.Module, data: Data, threat: str = "linf", eps: float = 8 / 255,
                    suite: str = "pgd", subset: int | None = None, batch_size: int = 256,
                    device: torch.device | str = "cpu", seed: int = 0, num_classes: int | None = None,
                    cfg: SuiteConfig = STANDARD) -> float:
    """Fraction of `data` (or of a seeded `subset`) classified correctly clean and under the attack suite."""
    return robust_correct(model, data, threat, eps, suite, subset, batch_size, device, seed, num_classes,
                          cfg).accuracy


def suite_table(results: Sequence[RobustResult], cfg: SuiteConfig = STANDARD, seed: int = 0) -> pd.DataFrame:
    """One row per suite: its name and budget, robust accuracy, and the difference to the first suite with
    a 95% paired-bootstrap interval over the same points."""
    from ..verdicts import paired_difference

    rows, ref = [], results[0]
    for r in results:
        n = int(r.robust.numel())
        row = {"suite": r.suite, "attacks": describe(r.suite, cfg), "n": n,
               "clean accuracy": float(r.clean.float().mean()), "robust accuracy": r.accuracy}
        if r is ref:
            row.update({f"{ref.suite} - this": 0.0, "95% interval": "-"})
        else:
            d, lo, hi = (paired_difference(ref.robust.float().numpy(), r.robust.float().numpy(), seed=seed)
                         if n >= 2 else (ref.accuracy - r.accuracy, np.nan, np.nan))
            row.update({f"{ref.suite} - this": d, "95% interval": f"[{lo:.3f}, {hi:.3f}]"})
        row["broken by"] = ", ".join(f"{k}: {v}" for k, v in r.broken_by.items()) or "-"
        row["seconds"] = round(r.seconds, 2)
        rows.append(row)
    return pd.DataFrame(rows)
