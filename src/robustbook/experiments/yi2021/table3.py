"""yi2021 Table 3 (Sec. 5.2): pre-training x fine-tuning on corrupted data, as a table and two verdicts."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...papers.yi2021 import (
    FINETUNINGS,
    PRETRAININGS,
)
from .pretraining import PRETRAIN_SETTINGS, ROBUST_RADII, TABLE3_DEPARTURES

DEPARTURES = TABLE3_DEPARTURES  # declared next to PRETRAIN_SETTINGS (yi2021.pretraining)


def table3_frame(correct: dict[tuple[str, str], np.ndarray]) -> pd.DataFrame:
    """Table 3's layout: rows (fine-tuning, pre-training), columns Clean, the 15 corruptions, Avg (in %)."""
    from ...data.corruptions import CORRUPTIONS

    rows = {}
    for key, c in correct.items():
        acc = 100 * c.mean(0)
        rows[key] = [acc[0], *acc[1:], acc[1:].mean()]
    idx = pd.MultiIndex.from_tuples(list(rows), names=["fine-tuning", "pre-training"])
    return pd.DataFrame(list(rows.values()), index=idx, columns=["Clean", *CORRUPTIONS, "Avg"])


def table3_verdicts(correct: dict[tuple[str, str], np.ndarray], num_classes: int, seed: int = 0) -> list:
    """Verdicts on Table 3's two claims, each a paired bootstrap over test images of the corruption average.

    (a) adversarial pre-training beats standard and no pre-training after each fine-tuning; (b) adversarial
    fine-tuning beats standard fine-tuning after each pre-training. Precondition: the compared models are
    above chance and the corruptions cost the Std/Std model >= 5 points (else there is no OOD gap to close).
    """
    from ... import verdicts as V

    clean = {f"{k[0]}/{k[1]}": float(c[:, 0].mean()) for k, c in correct.items()}
    base = correct[("Std", "Std")]
    drop = 100 * float(base[:, 0].mean() - base[:, 1:].mean())
    hurt = V.at_least("corruptions cost Std/Std (points)", drop, 5.0)
    out = []

    def avg(key):
        return correct[key][:, 1:].mean(1)

    for ft in FINETUNINGS:
        for pre in ("Adv-l2", "Adv-linf"):
            for other in ("Std", "No"):
                a, b = (ft, pre), (ft, other)
                eff, lo, hi = V.paired_difference(avg(a), avg(b), seed=seed)
                pc = V.all_of(V.trained_above_chance({f"{ft}/{pre}": clean[f"{ft}/{pre}"],
                                                      f"{ft}/{other}": clean[f"{ft}/{other}"]}, num_classes), hurt)
                out.append(V.sign_verdict(f"(a) FT {ft}: pre-training {pre} > {other} on corruption avg",
                                          100 * eff, 100 * lo, 100 * hi, +1, precondition=pc))
    for pre in PRETRAININGS:
        for ft in ("Adv-l2", "Adv-linf"):
            a, b = (ft, pre), ("Std", pre)
            eff, lo, hi = V.paired_difference(avg(a), avg(b), seed=seed)
            pc = V.all_of(V.trained_above_chance({f"{ft}/{pre}": clean[f"{ft}/{pre}"],
                                                  f"Std/{pre}": clean[f"Std/{pre}"]}, num_classes), hurt)
            out.append(V.sign_verdict(f"(b) pre-training {pre}: fine-tuning {ft} > Std on corruption avg",
                                      100 * eff, 100 * lo, 100 * hi, +1, precondition=pc))
    return out
