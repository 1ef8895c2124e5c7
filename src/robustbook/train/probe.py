"""Linear probes: a new linear head fit on the frozen representation of a trained encoder (nern2023 Sec. 4).

`fit_linear_head` is multinomial logistic regression with an L2 penalty solved by full-batch L-BFGS; the zoo
calls `train_probe` for a recipe with a `base` (the encoder's recipe), so probes are cached like any model.
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from ..attacks.base import eval_mode
from ..data.images import tensors


def head_holder(model: nn.Module) -> nn.Module:
    """The module that owns `.head` (the wrapped network inside a `Normalized`)."""
    return model.model if hasattr(model, "model") and hasattr(model, "std") else model


@torch.no_grad()
def features_of(model: nn.Module, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """The representation model.features(x) in eval mode, batched."""
    with eval_mode(model):
        out = torch.cat([model.features(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
    return out


def fit_linear_head(z: torch.Tensor, y: torch.Tensor, num_classes: int, weight_decay: float,
                    steps: int = 200, seed: int = 0) -> nn.Linear:
    """Multinomial logistic regression on features z: CE + (weight_decay / 2) ||W||_F^2, full-batch L-BFGS."""
    if weight_decay < 0:
        raise ValueError(f"invalid weight_decay={weight_decay!r}: must be >= 0")
    torch.manual_seed(seed)
    head = nn.Linear(z.shape[1], num_classes).to(z.device)
    opt = torch.optim.LBFGS(head.parameters(), lr=1.0, max_iter=steps, history_size=20,
                            line_search_fn="strong_wolfe", tolerance_grad=1e-9, tolerance_change=1e-12)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(head(z), y) + 0.5 * weight_decay * head.weight.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return head


def probe_model(encoder: nn.Module, num_classes: int) -> nn.Module:
    """A frozen copy of `encoder` with a fresh `num_classes` linear head."""
    model = copy.deepcopy(encoder).cpu()
    holder = head_holder(model)
    holder.head = nn.Linear(holder.head.in_features, num_classes)
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def train_probe(model: nn.Module, data: Dataset, num_classes: int, weight_decay: float, steps: int, seed: int,
                device: torch.device | str = "cpu") -> None:
    """Fit the head of `probe_model(...)` in place on the frozen features of `data`."""
    x, y = tensors(data)
    z = features_of(model, x.to(device))
    head = fit_linear_head(z, y.to(device), num_classes, weight_decay, steps, seed)
    holder = head_holder(model)
    holder.head.weight.data.copy_(head.weight.data)
    holder.head.bias.data.copy_(head.bias.data)
