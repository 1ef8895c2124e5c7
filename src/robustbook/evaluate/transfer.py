"""Linear heads on frozen representations, and the measurements of nern2023's Theorems 3.2 and 4.1.

Heads are trained in `robustbook.train.probe` (through the zoo: `experiments.nern2023.probe`); this module
only measures: `measure_head` attacks the whole classifier, and plugs the representation's robustness (a PGD lower estimate and a sound upper bound)
into both theorems.
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


@torch.no_grad()
def measure_head(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, norm: str,
                 rep_shift_pgd: torch.Tensor, rep_shift_upper: float, x_rep_adv: torch.Tensor | None = None,
                 steps: int = 20, seed: int = 0, rho: float = 0.05) -> dict[str, float]:
    """Theorem 3.2 and 4.1 for one classifier W f(x) + b on (x, y) at one threat (eps, norm).

    rep_shift_pgd: per-example PGD lower estimate of max ||f(x+d) - f(x)||_2; rep_shift_upper: a sound upper
    bound of the same max (one number for all x). Returns one table row.
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
        # the representation shift at the classifier's own adversarial point: one more lower estimate of the max
        z, z_adv = model.features(x), model.features(x_adv)
        shift_at_adv = (z_adv - z).norm(dim=1)
        shift_pgd = torch.maximum(rep_shift_pgd.to(shift_at_adv), shift_at_adv)
        # the observed part of the relevant set f(X_eps): clean, classifier-PGD and representation-PGD logits
        seen = [logits, logits_adv] + ([model(x_rep_adv)] if x_rep_adv is not None else [])
        seen_logits = torch.cat(seen).double().cpu().numpy()
        seen_y = torch.cat([y] * len(seen)).cpu().numpy()
        c1_global = math.sqrt(2.0)
        c1_seen = theory.ce_lipschitz_on(seen_logits, seen_y)
        consts = theory.constants_from_logits(seen_logits, seen_y)
        mean_pgd, gap = float(shift_pgd.mean()), float(gap_i.mean())
        rhs_pgd = theory.thm32_rhs(w_norm, c1_global, mean_pgd)
        rhs_sound = theory.thm32_rhs(w_norm, c1_global, rep_shift_upper)
        # per-example form of the proof's middle step (sound: CE is sqrt(2)-Lipschitz in the logits everywhere)
        per_example = gap_i <= c1_global * w_norm * shift_at_adv * (1 + 1e-5) + 1e-6
        margins = logit_margin(logits, y)
        correct = logits.argmax(1) == y
        cert_pgd = torch.as_tensor(theory.thm41_certified(margins.cpu().numpy(), w_norm, shift_pgd.cpu().numpy()))
        cert_sound = torch.as_tensor(theory.thm41_certified(margins.cpu().numpy(), w_norm, rep_shift_upper))
        cert_pair_sound = _pairwise_certified(logits, y, w, torch.full_like(margins, rep_shift_upper))
        c2 = float(loss_adv.max())  # bound on the loss over what we saw (an estimate of the sup)
        n = len(y)
        return {
            "eps": eps, "norm": norm, "W_norm": w_norm, "W_fro": float(w.norm()),
            "clean_acc": float(correct.float().mean()), "pgd_acc": float((logits_adv.argmax(1) == y).float().mean()),
            "L": float(loss.mean()), "L_adv": float(loss_adv.mean()), "gap": gap,
            "rep_pgd": mean_pgd, "rep_upper": float(rep_shift_upper),
            "C1_global": c1_global, "C1_seen": c1_seen, "C_paper": consts["C_paper"],
            "C_corrected": consts["C_corrected"], "log10_C_paper": consts["log10_C_paper"],
            "rhs_pgd": rhs_pgd, "rhs_pgd_C1_seen": theory.thm32_rhs(w_norm, c1_seen, mean_pgd),
            "rhs_sound": rhs_sound, "rhs_paper_C": theory.thm32_rhs(w_norm, consts["C_paper"], mean_pgd),
            "held_pgd": gap <= rhs_pgd, "held_sound": gap <= rhs_sound,
            "held_per_example": bool(per_example.all()),
            "ratio_pgd": gap / rhs_pgd if rhs_pgd > 0 else float("nan"),
            "ratio_sound": gap / rhs_sound if rhs_sound > 0 else float("nan"),
            "hoeffding": theory.hoeffding_term(c2, n, rho), "n": n,
            "cert_pgd": float(cert_pgd.float().mean()), "cert_sound": float(cert_sound.float().mean()),
            "cert_pairwise_sound": float(cert_pair_sound.float().mean()),
            "cert_pgd_not_robust": float((cert_pgd & (logits_adv.argmax(1) != y).cpu()).float().mean()),
            "margin_median": float(margins[correct].median()) if correct.any() else float("nan"),
        }


def summarize(rows: list[dict]) -> dict[str, Any]:
    """Did Thm 3.2 hold everywhere, and its tightness ratios (min / median / max)."""
    held_pgd = all(r["held_pgd"] for r in rows)
    held_sound = all(r["held_sound"] for r in rows)
    rp = np.array([r["ratio_pgd"] for r in rows])
    rs = np.array([r["ratio_sound"] for r in rows])
    return {"held_pgd_all": held_pgd, "held_sound_all": held_sound,
            "held_per_example_all": all(r["held_per_example"] for r in rows), "rows": len(rows),
            "ratio_pgd_min": float(np.nanmin(rp)), "ratio_pgd_median": float(np.nanmedian(rp)),
            "ratio_pgd_max": float(np.nanmax(rp)), "ratio_sound_min": float(np.nanmin(rs)),
            "ratio_sound_median": float(np.nanmedian(rs)), "ratio_sound_max": float(np.nanmax(rs))}
