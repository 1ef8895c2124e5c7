"""One call a chapter adds after a robust-accuracy number: the suites side by side, and the checks."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import pandas as pd
import torch
from torch import nn

from ..attacks.base import check_norm
from .checks import CHECKS, Runner, run_checks
from .robust import STANDARD, Data, RobustResult, SuiteConfig, as_tensors, check_suite, suite_table


@dataclass(frozen=True)
class RobustnessReport:
    """Robust accuracy under each suite (with the paired difference to the first) and the masking checks."""

    suites: pd.DataFrame
    checks: pd.DataFrame
    threat: str
    eps: float
    results: dict[str, RobustResult] = field(default_factory=dict, repr=False)  # per-point, by suite

    @property
    def headline(self) -> tuple[str, float]:
        """(suite, accuracy) of the strongest suite run: the number to report."""
        best = self.suites.loc[self.suites["robust accuracy"].idxmin()]
        return str(best["suite"]), float(best["robust accuracy"])

    @property
    def passed(self) -> bool:
        """Every check passed."""
        return bool((self.checks["result"] == "pass").all()) if len(self.checks) else True

    def summary(self) -> str:
        """One sentence: the number, the suite that produced it, the gap to the first suite, the checks."""
        suite, acc = self.headline
        attacks = str(self.suites.loc[self.suites["suite"] == suite, "attacks"].iloc[0])
        first = self.suites.iloc[0]
        fails = ([] if not len(self.checks)
                 else list(self.checks.loc[self.checks["result"] != "pass", "check"]))
        checks = (f"all {len(self.checks)} masking checks pass" if not fails
                  else f"masking checks FAILED: {', '.join(fails)}") if len(self.checks) else "no checks run"
        return (f"robust accuracy {acc:.3f} ({attacks}, {self.threat} eps={self.eps:.4g}, "
                f"n={int(first['n'])}); {first['suite']} gives {float(first['robust accuracy']):.3f} "
                f"(difference {float(first['robust accuracy']) - acc:+.3f}); {checks}")

    def shown(self):
        """The suites table as a page shows it: wall times left out, so a rerun prints the same page."""
        return self.suites.drop(columns=["seconds"], errors="ignore")

    def _repr_html_(self) -> str:
        return (f"<p>{self.summary()}</p>" + self.shown().to_html(index=False)
                + (self.checks.to_html(index=False) if len(self.checks) else ""))

    def __repr__(self) -> str:
        return f"{self.summary()}\n{self.shown().to_string(index=False)}\n{self.checks.to_string(index=False)}"


def robustness_report(model: nn.Module, data: Data, threat: str = "linf", eps: float = 8 / 255,
                      suites: Sequence[str] = ("pgd", "autoattack"), subset: int | None = None,
                      checks: Sequence[str] | bool = True, num_classes: int | None = None,
                      device: torch.device | str = "cpu", seed: int = 0, batch_size: int = 256,
                      cfg: SuiteConfig = STANDARD, check_subset: int | None = None) -> RobustnessReport:
    """Robust accuracy of `model` under each suite on the same points, the differences, and the checks.

    `subset` draws a seeded random subset of `data` for the suites; `check_subset` (default: the same
    points) for the attack-based checks. `checks=False` skips them; a list runs only the named ones.
    """
    check_norm(threat)
    if not suites:
        raise ValueError("name at least one suite")
    for s in suites:
        check_suite(s)
    x, y = as_tensors(data, subset, seed)
    k = int(num_classes) if num_classes is not None else int(y.max()) + 1
    runner = Runner(model, x, y, threat, k, device, seed, batch_size, cfg)
    results = {s: runner(s, eps) for s in suites}
    table = suite_table(list(results.values()), cfg, seed)
    which = CHECKS if checks is True else () if checks is False else tuple(checks)
    if check_subset is not None and check_subset < x.shape[0]:
        xs, ys = as_tensors((x, y), check_subset, seed)
        runner = Runner(model, xs, ys, threat, k, device, seed, batch_size, cfg)
    rows = [c.row() for c in run_checks(runner, eps, which)] if which else []
    return RobustnessReport(table, pd.DataFrame(rows), threat, float(eps), results)
