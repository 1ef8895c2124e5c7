"""Gradient-masking checks: is a robust-accuracy number the model's, or the attack's failure?

Each check returns a `CheckResult` (passed or not, and the measured evidence). They follow the checklists of
Carlini et al. (2019) and Athalye et al. (2018) and the flags AutoAttack raises (Croce & Hein 2020):

- deterministic: repeated forward passes give the same logits (a random forward pass needs EOT);
- logits: the outputs are not probabilities (softmax outputs flatten the cross-entropy's gradient);
- gradients: the input gradient of the loss is non-zero (zero gradients stall every gradient attack);
- black box: a gradient-free attack (Square) does not beat the white-box attack;
- iterations: more iterations and restarts do not lower the accuracy beyond noise;
- eps to chance: accuracy falls to chance when eps is large enough to reach a constant grey image;
- single step: FGSM does not beat the iterative attack.

The models at the end are built to fail them, for tests and for teaching: `Quantized` (a non-differentiable
input quantisation), `NoisyInput` (a randomised forward pass), `SoftmaxOutput` and `SingleStepTrap`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from ..attacks.base import check_norm, frozen
from ..verdicts import near_chance, paired_difference
from .robust import STANDARD, Data, RobustResult, SuiteConfig, as_tensors, robust_correct

CHECKS = ("deterministic", "logits", "gradients", "black box", "iterations", "eps to chance", "single step")


@dataclass(frozen=True)
class CheckResult:
    """One check: passed or not, what was measured, and the rule that decided."""

    name: str
    passed: bool
    value: float
    rule: str
    evidence: str

    def row(self) -> dict[str, object]:
        """A flat dict for a checks table."""
        return {"check": self.name, "result": "pass" if self.passed else "FAIL", "measured": self.value,
                "rule (fails when)": self.rule, "evidence": self.evidence}


def _logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with frozen(model, "eval"), torch.no_grad():
        return model(x)


def check_deterministic(model: nn.Module, x: torch.Tensor, repeats: int = 3,
                        tol: float = 1e-5) -> CheckResult:
    """Repeated forward passes in eval mode agree (max |logit difference| <= tol)."""
    first = _logits(model, x)
    diff, flips = 0.0, 0.0
    for _ in range(repeats - 1):
        again = _logits(model, x)
        diff = max(diff, float((again - first).abs().max()))
        flips = max(flips, float((again.argmax(1) != first.argmax(1)).float().mean()))
    return CheckResult("deterministic", diff <= tol, diff,
                       f"max |logit change| over {repeats} passes > {tol:g}",
                       f"max logit change {diff:.3g}; predictions changed on {flips:.1%} of points")


def check_logits(model: nn.Module, x: torch.Tensor, tol: float = 1e-4) -> CheckResult:
    """The model outputs logits, not probabilities (rows non-negative and summing to 1)."""
    out = _logits(model, x)
    probs = ((out >= -tol).all(1) & ((out.sum(1) - 1).abs() <= tol)).float().mean()
    frac = float(probs)
    return CheckResult("logits", frac < 1.0, frac, "every output row is a probability vector",
                       f"{frac:.1%} of output rows are non-negative and sum to 1")


def check_gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                    max_zero_fraction: float = 0.0) -> CheckResult:
    """The input gradient of the cross-entropy is non-zero (on more than 1 - max_zero_fraction of points)."""
    x = x.detach().clone().requires_grad_(True)
    with frozen(model, "eval"), torch.enable_grad():
        (g,) = torch.autograd.grad(F.cross_entropy(model(x), y, reduction="sum"), x)
    zero = float((g.flatten(1).abs().amax(1) == 0).float().mean())
    return CheckResult("gradients", zero <= max_zero_fraction, zero,
                       f"fraction of points with zero input gradient > {max_zero_fraction:g}",
                       f"input gradient exactly zero on {zero:.1%} of points; "
                       f"median |grad|_1 {float(g.flatten(1).abs().sum(1).median()):.3g}")


def _worse(a: RobustResult, b: RobustResult, tol: float, seed: int) -> tuple[bool, float, str]:
    """Whether b's accuracy is below a's beyond noise: effect a - b > tol and its 95% interval above 0."""
    n = a.robust.numel()
    if n < 2:
        d = a.accuracy - b.accuracy
        return d > tol, d, "n < 2: no interval"
    d, lo, hi = paired_difference(a.robust.float().numpy(), b.robust.float().numpy(), seed=seed)
    return bool(d > tol and lo > 0), d, f"95% interval [{lo:.3f}, {hi:.3f}], n={n}"


def check_black_box(white_box: RobustResult, black_box: RobustResult, tol: float = 0.01,
                    seed: int = 0) -> CheckResult:
    """A gradient-free attack does not find more adversarial points than the white-box one."""
    bad, d, ci = _worse(white_box, black_box, tol, seed)
    return CheckResult("black box", not bad, d,
                       f"{white_box.suite} acc - {black_box.suite} acc > {tol:g}, interval above 0",
                       f"{white_box.suite} {white_box.accuracy:.3f} vs {black_box.suite} "
                       f"{black_box.accuracy:.3f}; {ci}")


def check_iterations(base: RobustResult, strong: RobustResult, tol: float = 0.01,
                     seed: int = 0) -> CheckResult:
    """More iterations and restarts do not lower the robust accuracy beyond noise."""
    bad, d, ci = _worse(base, strong, tol, seed)
    return CheckResult("iterations", not bad, d,
                       f"{base.suite} acc - {strong.suite} acc > {tol:g}, interval above 0",
                       f"{base.suite} {base.accuracy:.3f} vs {strong.suite} {strong.accuracy:.3f}; {ci}")


def check_single_step(iterative: RobustResult, single: RobustResult, tol: float = 0.01,
                      seed: int = 0) -> CheckResult:
    """A single gradient step does not beat the iterative attack."""
    bad, d, ci = _worse(iterative, single, tol, seed)
    return CheckResult("single step", not bad, d,
                       f"{iterative.suite} acc - {single.suite} acc > {tol:g}, interval above 0",
                       f"{iterative.suite} {iterative.accuracy:.3f} vs {single.suite} "
                       f"{single.accuracy:.3f}; {ci}")


def grey_radius(threat: str, x: torch.Tensor) -> float:
    """The smallest eps from which every image in [0, 1] reaches the constant 0.5 image."""
    return 0.5 if check_norm(threat) == "linf" else 0.5 * math.sqrt(x[0].numel())


def check_eps_to_chance(large: RobustResult, num_classes: int, eps: float) -> CheckResult:
    """At an eps that reaches the constant grey image, the attack drives accuracy to chance."""
    acc = large.accuracy
    ok = near_chance(acc, num_classes)
    return CheckResult("eps to chance", ok, acc,
                       f"accuracy at eps={eps:.3g} above chance (1/{num_classes} + 0.05)",
                       f"{large.suite} accuracy {acc:.3f} at eps={eps:.3g}, where one grey image is "
                       f"reachable from every input; chance is {1 / num_classes:.3f}")


@dataclass
class Runner:
    """Runs and remembers `robust_correct` results on one model and one set of points (for reuse)."""

    model: nn.Module
    x: torch.Tensor
    y: torch.Tensor
    threat: str
    num_classes: int
    device: torch.device | str = "cpu"
    seed: int = 0
    batch_size: int = 256
    cfg: SuiteConfig = STANDARD
    done: dict = field(default_factory=dict)

    def __call__(self, suite: str, eps: float) -> RobustResult:
        """The result of `suite` at `eps` (computed once)."""
        key = (suite, float(eps))
        if key not in self.done:
            self.done[key] = robust_correct(self.model, (self.x, self.y), self.threat, eps, suite,
                                            batch_size=self.batch_size, device=self.device, seed=self.seed,
                                            num_classes=self.num_classes, cfg=self.cfg)
        return self.done[key]


def run_checks(runner: Runner, eps: float, which: Sequence[str] = CHECKS, white_box: str = "pgd",
               tol: float = 0.01) -> list[CheckResult]:
    """The named checks on the runner's model and points, reusing its attack results."""
    unknown = set(which) - set(CHECKS)
    if unknown:
        raise ValueError(f"unknown checks {sorted(unknown)}: choose from {', '.join(CHECKS)}")
    m, x, y = runner.model, runner.x.to(runner.device), runner.y.to(runner.device)
    out = []
    for name in which:
        if name == "deterministic":
            out.append(check_deterministic(m, x))
        elif name == "logits":
            out.append(check_logits(m, x))
        elif name == "gradients":
            out.append(check_gradients(m, x, y))
        elif name == "black box":
            out.append(check_black_box(runner(white_box, eps), runner("square", eps), tol, runner.seed))
        elif name == "iterations":
            out.append(check_iterations(runner(white_box, eps), runner("pgd-strong", eps), tol, runner.seed))
        elif name == "single step":
            out.append(check_single_step(runner(white_box, eps), runner("fgsm", eps), tol, runner.seed))
        else:
            big = grey_radius(runner.threat, x)
            out.append(check_eps_to_chance(runner("pgd", big), runner.num_classes, big))
    return out


def checks_table(model: nn.Module, data: Data, threat: str = "linf", eps: float = 8 / 255,
                 which: Sequence[str] = CHECKS, subset: int | None = None, num_classes: int | None = None,
                 device: torch.device | str = "cpu", seed: int = 0, batch_size: int = 256,
                 cfg: SuiteConfig = STANDARD, tol: float = 0.01) -> pd.DataFrame:
    """All gradient-masking checks of `model` on `data` (or a seeded `subset`), one row each."""
    x, y = as_tensors(data, subset, seed)
    k = int(num_classes) if num_classes is not None else int(y.max()) + 1
    runner = Runner(model, x, y, check_norm(threat), k, device, seed, batch_size, cfg)
    return pd.DataFrame([c.row() for c in run_checks(runner, eps, which, tol=tol)])


# ------------------------------------------------------------------------------- models built to fail
class Quantized(nn.Module):
    """`model(round(x * levels) / levels)`: a non-differentiable front end whose input gradient is zero."""

    def __init__(self, model: nn.Module, levels: int = 8):
        super().__init__()
        if levels < 1:
            raise ValueError(f"invalid levels={levels!r}: must be >= 1")
        self.model, self.levels = model, int(levels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(torch.round(x * self.levels) / self.levels)


class NoisyInput(nn.Module):
    """`model(x + sigma * noise)` with fresh Gaussian noise on every pass, in eval mode too."""

    def __init__(self, model: nn.Module, sigma: float = 0.1):
        super().__init__()
        self.model, self.sigma = model, float(sigma)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x + self.sigma * torch.randn_like(x))


class SoftmaxOutput(nn.Module):
    """`softmax(model(x))`: probabilities where logits are expected."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x).softmax(1)


class SingleStepTrap(nn.Module):
    """A two-class model of u = scale * (mean pixel - 0.5) whose loss has a local maximum at u = 0.25:
    small ascent steps from u = 0 stall there, while one step of length eps jumps past it to u > 0.7, where
    class 0 loses. Built so that FGSM beats PGD on images of mean 0.5 labelled 0."""

    def __init__(self, scale: float = 10.0):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(float(scale)), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = self.scale * (x.flatten(1).mean(1) - 0.5)
        g = 1 - 2 * u.clamp(max=0.25) + 2 * (u - 0.25).clamp(0, 0.25) - 5 * (u - 0.5).clamp(min=0)
        return torch.stack([g, -g], 1)
