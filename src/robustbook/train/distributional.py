"""Distributional TRADES (bai2024, (5.1) and Algorithm 1): TRADES with the W_2 threat in place of W_inf.

Per mini-batch B: update the sensitivity Upsilon from a random 10% sample of the training set with the moving
average (5.4); attack B with W-PGD-20 (ReDLR loss) at the batch budget delta_B = delta * Upsilon_B / Upsilon
(5.5); then minimise  CE(f(x), y) + beta * KL(f(x) || f(x')).  The paper writes the second term as a cross
entropy between the two predictive distributions; it differs from the KL of TRADES by the entropy of f(x),
and we keep TRADES's KL (the term the method extends). The attack loss uses the true label y.

`DistributionalTrades` holds the state Algorithm 1 carries across batches (Upsilon and the reference set it
is sampled from). The objective registered as "distributional_trades" reads `eps` (delta), `steps` and `beta`
of the TrainConfig and the state bound to the model with `bind(model, x_ref, y_ref, eta)`; without a bound
reference the batch itself is the sample (so delta_B = delta at eta = 1).
"""
from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from ..attacks.base import eval_mode
from ..attacks.wasserstein import WPGD, sensitivity_of
from .registry import objective

if TYPE_CHECKING:
    from .config import TrainConfig


class DistributionalTrades:
    """The state of Algorithm 1: reference set, moving-average Upsilon (rate eta), and the last budgets."""

    def __init__(self, x_ref: torch.Tensor | None = None, y_ref: torch.Tensor | None = None, eta: float = 1.0,
                 sample_fraction: float = 0.1, attack_loss: str = "redlr", seed: int = 0):
        if not 0 < eta <= 1:
            raise ValueError(f"invalid eta={eta!r}: must lie in (0, 1]")
        if not 0 < sample_fraction <= 1:
            raise ValueError(f"invalid sample_fraction={sample_fraction!r}: must lie in (0, 1]")
        self.x_ref, self.y_ref, self.eta, self.sample_fraction = x_ref, y_ref, eta, sample_fraction
        self.attack_loss = attack_loss
        self.generator = torch.Generator().manual_seed(seed)
        self.upsilon: float | None = None
        self.history: list[dict[str, float]] = []

    def update_upsilon(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
        """(5.4): Upsilon <- Upsilon + eta (hat Upsilon - Upsilon), hat Upsilon from a fresh 10% sample."""
        dev = x.device
        if self.x_ref is not None:
            n = self.x_ref.shape[0]
            k = max(1, int(round(self.sample_fraction * n)))
            idx = torch.randperm(n, generator=self.generator)[:k]
            xs, ys = self.x_ref[idx].to(dev), self.y_ref[idx].to(dev)
        else:
            xs, ys = x, y
        est = sensitivity_of(model, xs, ys, self.attack_loss, batch_size=512)[0]
        self.upsilon = est if self.upsilon is None else self.upsilon + self.eta * (est - self.upsilon)
        return self.upsilon

    def __call__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: "TrainConfig") -> torch.Tensor:
        with eval_mode(model):
            ups = self.update_upsilon(model, x, y)
            ups_b = sensitivity_of(model, x, y, self.attack_loss, batch_size=x.shape[0])[0]
            delta_b = 0.0 if ups == 0 else cfg.eps * ups_b / ups  # (5.5)
            x_adv = WPGD(model, delta_b, cfg.steps, self.attack_loss, batch_size=x.shape[0])(x, y)
        self.history.append({"upsilon": ups, "upsilon_batch": ups_b, "delta_batch": delta_b})
        logits = model(x)
        robust = F.kl_div(F.log_softmax(model(x_adv), 1), F.softmax(logits, 1), reduction="batchmean")
        return F.cross_entropy(logits, y) + cfg.beta * robust


_STATE: "weakref.WeakKeyDictionary[nn.Module, DistributionalTrades]" = weakref.WeakKeyDictionary()


def bind(model: nn.Module, x_ref: torch.Tensor | None = None, y_ref: torch.Tensor | None = None, eta: float = 1.0,
         sample_fraction: float = 0.1, seed: int = 0) -> DistributionalTrades:
    """Attach Algorithm 1's state (reference set, eta) to `model` for the registered objective."""
    state = DistributionalTrades(x_ref, y_ref, eta, sample_fraction, seed=seed)
    _STATE[model] = state
    return state


@objective("distributional_trades", reads=("eps", "steps", "beta"))
def distributional_trades(model: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: "TrainConfig") -> torch.Tensor:
    """Distributional TRADES (5.1): CE + beta * KL at the W-PGD-Budget point of the batch (Algorithm 1)."""
    state = _STATE.get(model)
    if state is None:
        state = _STATE[model] = DistributionalTrades()
    return state(model, x, y, cfg)
