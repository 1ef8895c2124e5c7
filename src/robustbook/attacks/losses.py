"""Per-example attack losses: each maps (logits, labels) to a vector of losses to *maximize*."""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy per example."""
    return F.cross_entropy(logits, y, reduction="none")


def logit_margin(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The logit margin f_y(x) - max_{j != y} f_j(x), positive iff correctly classified: the book's one margin
    (wen2020's ramp-loss margin, nern2023's certification margin; the Carlini-Wagner loss is its negative)."""
    true = logits.gather(1, y[:, None]).squeeze(1)
    wrong = logits.masked_fill(F.one_hot(y, logits.shape[1]).bool(), float("-inf")).amax(1)
    return true - wrong


def margin(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Carlini-Wagner margin loss, -logit_margin: the largest wrong logit minus the true one (> 0: misclassified)."""
    return -logit_margin(logits, y)


def dlr(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Difference of logits ratio (Croce & Hein 2020), scale invariant; needs at least 3 classes."""
    if logits.shape[1] < 3:
        raise ValueError("dlr needs at least 3 classes")
    srt = logits.sort(1).values
    return margin(logits, y) / (srt[:, -1] - srt[:, -3] + 1e-12)


def redlr(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Rectified DLR (Bai et al. 2023): the DLR loss on correctly classified points, zero on misclassified ones.

    ReDLR = -(DLR)^- = min(DLR, 0): a distributional attacker gains nothing by pushing a point that is
    already misclassified further, so it spends its budget on the points that still need it.
    """
    return dlr(logits, y).clamp(max=0.0)


LOSSES: dict[str, LossFn] = {"ce": cross_entropy, "margin": margin, "dlr": dlr, "redlr": redlr}


def get_loss(loss: str | LossFn) -> LossFn:
    """A loss by name ('ce', 'margin', 'dlr', 'redlr') or the callable itself."""
    if callable(loss):
        return loss
    if loss not in LOSSES:
        raise ValueError(f"invalid loss={loss!r}: choose one of {', '.join(LOSSES)} or pass a callable")
    return LOSSES[loss]
