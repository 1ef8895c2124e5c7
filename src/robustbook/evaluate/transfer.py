"""Linear heads on frozen representations, and the measurements of nern2023's Theorems 3.2 and 4.1.

Heads are trained in `robustbook.train.probe` (through the zoo: `experiments.nern2023.probe`); this module
only measures: `measure_head` attacks the whole classifier and plugs the representation's robustness (an
independent search in representation space, which never sees the head, and a sound upper bound) into both
theorems, row by row and point by point. The verdicts built from these measurements live in
`robustbook.experiments.nern2023`.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..attacks import PGD
from ..attacks.base import eval_mode
from ..attacks.losses import logit_margin
from ..theory import nern2023 as theory
from ..train.probe import features_of, fit_linear_head  # noqa: F401  (re-exported)


def _head_holder(model: nn.Module) -> nn.Module:
    return model.model if hasattr(model, "model") and hasattr(model, "std") else model


def spectral_norm(weight: torch.Tensor) -> float:
    """||W||_2, the largest singular value."""
    return float(torch.linalg.matrix_norm(weight.detach().double().cpu(), ord=2))


def _pairwise_certified(logits: torch.Tensor, y: torch.Tensor, w: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """margin_j >= ||W_y - W_j||_2 * shift for every j != y (the tighter form of App. C's argument)."""
    diff = w[y][:, None, :] - w[None, :, :]  # (N, c, r)
    dnorm = diff.norm(dim=2)
    gaps = logits.gather(1, y[:, None]) - logits
    ok = gaps >= dnorm * shift[:, None]
    ok.scatter_(1, y[:, None], True)
    return ok.all(1) & (logits.argmax(1) == y)


def _margin_drops(logits: torch.Tensor, logits_adv: torch.Tensor, y: torch.Tensor,
                  w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per point: max_j (m_j(x) - m_j(x')) / ||W_y - W_j||_2 and max_j (m_j(x) - m_j(x')) / m_j(x), j != y, where
    m_j = F_y - F_j is the margin to class j (App. C's step bounds the first by the representation shift; the
    second exceeds 1 exactly when x' is misclassified and x was not)."""
    m = logits.gather(1, y[:, None]) - logits
    m_adv = logits_adv.gather(1, y[:, None]) - logits_adv
    drop = m - m_adv
    dnorm = (w[y][:, None, :] - w[None, :, :]).norm(dim=2).clamp_min(1e-12)
    own = F.one_hot(y, logits.shape[1]).bool()
    per_unit = (drop / dnorm).masked_fill(own, float("-inf")).amax(1)
    rel = (drop / m.clamp_min(1e-12)).masked_fill(own, float("-inf")).amax(1)
    return per_unit, rel


@torch.no_grad()
def measure_head(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, norm: str,
                 rep_shift: torch.Tensor, rep_shift_upper: float, x_rep_adv: torch.Tensor | None = None,
                 steps: int = 20, seed: int = 0, rho: float = 0.05) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Theorems 3.2 and 4.1 for one classifier W f(x) + b on (x, y) at one threat (eps, norm): (row, points).

    rep_shift: per-point shift found by an independent search in representation space (`RepresentationPGD`, which
    never sees the head: a lower estimate of max ||f(x+d) - f(x)||_2); rep_shift_upper: a sound upper bound of the
    same max (one number for all x). The classifier is attacked by its own PGD; the representation shift *at that
    attack's point* is recorded separately and never mixed into the estimate of the max. `row` holds one table
    row of scalars, `points` the per-point arrays the verdicts of `experiments.nern2023` are computed from.
    """
    with eval_mode(model):
        head = _head_holder(model).head
        w = head.weight.detach()
        w_norm = spectral_norm(w)
        logits = model(x)
        with torch.enable_grad():
            x_adv = PGD(model, eps, steps=steps, norm=norm, seed=seed)(x, y)
        logits_adv = model(x_adv)
        loss = F.cross_entropy(logits, y, reduction="none")
        loss_adv = torch.maximum(F.cross_entropy(logits_adv, y, reduction="none"), loss)  # delta = 0 is in the set
        gap_i = loss_adv - loss
        z, z_adv = model.features(x), model.features(x_adv)
        shift_adv = (z_adv.flatten(1) - z.flatten(1)).norm(dim=1)  # the shift the classifier's attack made
        rep = rep_shift.to(shift_adv)
        # the observed part of the relevant set f(X_eps): clean, classifier-PGD and representation-PGD logits
        seen = [logits, logits_adv] + ([model(x_rep_adv)] if x_rep_adv is not None else [])
        seen_logits = torch.cat(seen).double().cpu().numpy()
        seen_y = torch.cat([y] * len(seen)).cpu().numpy()
        c1 = math.sqrt(2.0)
        c1_seen = theory.ce_lipschitz_on(seen_logits, seen_y)
        consts = theory.constants_from_logits(seen_logits, seen_y)
        gap, rep_mean, adv_mean = float(gap_i.mean()), float(rep.mean()), float(shift_adv.mean())
        rhs_rep = theory.thm32_rhs(w_norm, c1, rep_mean)
        rhs_own = theory.thm32_rhs(w_norm, c1, adv_mean)
        rhs_sound = theory.thm32_rhs(w_norm, c1, rep_shift_upper)
        margins = logit_margin(logits, y)
        correct = logits.argmax(1) == y
        robust = logits_adv.argmax(1) == y
        np_margins = margins.cpu().numpy()
        cert_rep = torch.as_tensor(theory.thm41_certified(np_margins, w_norm, rep.cpu().numpy())) & correct.cpu()
        cert_sound = torch.as_tensor(theory.thm41_certified(np_margins, w_norm, rep_shift_upper)) & correct.cpu()
        cert_pair_sound = _pairwise_certified(logits, y, w, torch.full_like(margins, rep_shift_upper))
        drop_per_unit, drop_rel = _margin_drops(logits, logits_adv, y, w)
        c2 = float(loss_adv.max())  # bound on the loss over what we saw (an estimate of the sup)
        n = len(y)

        def ratio(a: float, b: float) -> float:
            return a / b if b > 0 else float("nan")

        row = {
            "eps": eps, "norm": norm, "W_norm": w_norm, "W_fro": float(w.norm()),
            "clean_acc": float(correct.float().mean()), "pgd_acc": float(robust.float().mean()),
            "L": float(loss.mean()), "L_adv": float(loss_adv.mean()), "gap": gap,
            "rep_pgd": rep_mean, "shift_at_attack": adv_mean, "rep_upper": float(rep_shift_upper),
            "C1_global": c1, "C1_seen": c1_seen, "C_paper": consts["C_paper"],
            "C_corrected": consts["C_corrected"], "log10_C_paper": consts["log10_C_paper"],
            "rhs_rep": rhs_rep, "rhs_own": rhs_own, "rhs_sound": rhs_sound,
            "rhs_rep_C1_seen": theory.thm32_rhs(w_norm, c1_seen, rep_mean),
            "rhs_paper_C": theory.thm32_rhs(w_norm, consts["C_paper"], rep_mean),
            "tight_rep": ratio(gap, rhs_rep), "tight_own": ratio(gap, rhs_own), "tight_sound": ratio(gap, rhs_sound),
            "hoeffding": theory.hoeffding_term(c2, n, rho), "n": n,
            "cert_rep": float(cert_rep.float().mean()), "cert_sound": float(cert_sound.float().mean()),
            "cert_pairwise_sound": float(cert_pair_sound.float().mean()),
            "cert_rep_not_robust": float((cert_rep & ~robust.cpu()).float().mean()),
            "margin_median": float(margins[correct].median()) if correct.any() else float("nan"),
        }
        points = {
            "gap": gap_i.double().cpu().numpy(), "shift_at_attack": shift_adv.double().cpu().numpy(),
            "rep_pgd": rep.double().cpu().numpy(), "correct": correct.cpu().numpy(), "robust": robust.cpu().numpy(),
            "cert_sound": cert_sound.cpu().numpy(), "cert_rep": cert_rep.cpu().numpy(),
            "drop_per_unit": drop_per_unit.double().cpu().numpy(), "drop_rel": drop_rel.double().cpu().numpy(),
        }
        return row, points
