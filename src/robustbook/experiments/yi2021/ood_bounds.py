"""yi2021 Definition 1 and Theorems 1-2: input-robustness per point and the verdicts of the OOD bounds."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..common import Departure
from .corruption_models import DEPARTURES as MODEL_DEPARTURES

# Theorems 1-2 are stated, not measured, in the paper; the chapter plugs the Table 1 models into them.
DEPARTURES: tuple[Departure, ...] = MODEL_DEPARTURES + (
    Departure("Theorems 1-2 with measured terms", "evaluation",
              "no measurement: the bounds (5)-(6) are stated and discussed (Sec. 3, Observations 1-2)",
              "input-robustness of the Table 1 models estimated by a PGD search on the training set, plugged into the "
              "bounds with the concentration term",
              "the same on the gpu models",
              "the bounds' terms need a model; the PGD search gives a lower estimate of the sup in Definition 1"),
)


def theory_verdict(claim_id: str, check: str, *args, mutants: bool = True):
    """`judge` of the registered check claim `claim_id` from `theory.yi2021.CHECKS[check]` run at `args` (the
    paper's printed claim, or the default), counting the registered mutants it rejects (`mutants=False`: none
    counted, so a passing check reads inconclusive)."""
    from ...theory import yi2021 as th
    from ..common import theory_verdict as run

    return run(claim_id, th.CHECKS, th.MUTANTS, check, *args, use_mutants=mutants)


def eps_per_point(model: nn.Module, data, radius: float, norm: str = "linf", steps: int = 10,
                  device: torch.device | str = "cpu", seed: int = 0, batch_size: int = 256) -> np.ndarray:
    """Per point, the PGD lower estimate of sup |CE(x + d) - CE(x)| over the ball (pushing the loss up, then
    down): the summands of `evaluate.input_robustness`'s epsilon, for an interval over points."""
    import torch.nn.functional as F

    from ...attacks import PGD
    from ...attacks.base import eval_mode
    from ...data.images import loader

    out = []
    with eval_mode(model):
        for x, y in loader(data, batch_size):
            x, y = x.to(device), y.to(device)
            with torch.no_grad():
                clean = F.cross_entropy(model(x), y, reduction="none")
            best = torch.zeros_like(clean)
            for sign in (1.0, -1.0):
                def gap(logits, yy, clean=clean, sign=sign):
                    return sign * (F.cross_entropy(logits, yy, reduction="none") - clean)
                x_adv = PGD(model, radius, None, steps, norm, loss=gap, seed=seed)(x, y)
                with torch.no_grad():
                    best = torch.maximum(best, (F.cross_entropy(model(x_adv), y, reduction="none") - clean).abs())
            out.append(best.cpu().numpy())
    return np.concatenate(out)


def eps_verdict(eps_std: np.ndarray, eps_adv: np.ndarray, clean_acc: dict[str, float], num_classes: int,
                seed: int = 0, histories: dict | None = None):
    """`judge` of `yi2021:at-shrinks-eps` on eps(Std) - eps(Adv-linf) (paired bootstrap over the same training
    points). Gates: both models above chance, and both training losses flattened (Table 1's plateau rule: these
    are Table 1's models; a missing curve counts as not flattened)."""
    from ... import verdicts as V

    eff, lo, hi = V.paired_difference(eps_std, eps_adv, seed=seed)
    return V.judge("yi2021:at-shrinks-eps", eff, lo, hi,
                   gates=[V.trained_above_chance(clean_acc, num_classes),
                          V.loss_flattened(histories or {}, ("Std", "Adv-linf"))],
                   label="eps(Std) - eps(Adv-linf)")
