"""Attacks in [0, 1] pixel space: built once, called as `attack(x, y) -> x_adv`."""
from .base import NORMS, batch_norm, clip_to_box, eval_mode, frozen, in_threat_set, project, random_start
from .losses import LOSSES, cross_entropy, dlr, get_loss, logit_margin, margin, redlr
from .pgd import FGSM, PGD
from .representation import RepresentationPGD, representation_shift  # nern2023
from .wasserstein import WPGD, WPGDBudget, in_w2_ball, project_w2, sensitivity_of, w2_cost  # bai2024


def make_attack(name: str, model, eps: float, norm: str = "linf", steps: int = 10, alpha: float | None = None,
                **kwargs) -> PGD:
    """An attack by name: 'fgsm', 'pgd' (sign ascent) or 'pgd_raw' (Algorithm 1's raw-gradient ascent)."""
    if name == "fgsm":
        return FGSM(model, eps, norm=norm, **kwargs)
    if name == "pgd":
        return PGD(model, eps, alpha, steps, norm, ascent="sign", **kwargs)
    if name == "pgd_raw":
        return PGD(model, eps, alpha, steps, norm, ascent="raw", **kwargs)
    raise ValueError(f"invalid attack={name!r}: choose 'fgsm', 'pgd' or 'pgd_raw'")


__all__ = ["FGSM", "LOSSES", "NORMS", "PGD", "RepresentationPGD", "batch_norm", "clip_to_box", "cross_entropy", "dlr",
           "eval_mode", "frozen", "get_loss", "in_threat_set", "logit_margin", "make_attack", "margin", "project",
           "random_start", "redlr", "representation_shift", "WPGD", "WPGDBudget", "in_w2_ball", "project_w2",
           "sensitivity_of", "w2_cost"]
