"""yi2021 Table 3 (Sec. 5.2): pre-training x fine-tuning on corrupted data, as a table and the verdicts of its two
registered claims (`yi2021:t3-adv-pretraining`, `yi2021:t3-linf-beats-l2-finetuning`)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...papers.yi2021 import (
    FINETUNINGS,
    PAPER_TABLE3,
    PRETRAININGS,
)
from .pretraining import TABLE3_DEPARTURES

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


def kept_corruptions(correct: dict[tuple[str, str], np.ndarray], num_classes: int) -> tuple[list[str], dict]:
    """Which corruptions hurt the reference model, Std fine-tuning of a Std pre-trained model, by at least
    `verdicts.REFERENCE_SHARE` of the paper's drop for the same model and corruption (PAPER_TABLE3, Std/Std), and
    why each other one does not. Shown beside the verdicts as a description of the data only: the claims read all
    15 corruptions (the paper's 'Avg.'), so no column is chosen, by a result or by this rule (referee 3, Y2: on
    the columns this rule kept at `cpu` the paper's own Table 3 reverses claim (b))."""
    from ... import verdicts as V
    from ...data.corruptions import CORRUPTIONS

    ref = correct[("Std", "Std")]
    paper = PAPER_TABLE3.loc[("Std", "Std")]
    kept, why = [], {}
    for j, c in enumerate(CORRUPTIONS, start=1):
        drop = 100 * float(ref[:, 0].mean() - ref[:, j].mean())
        need = V.REFERENCE_SHARE * float(paper["Clean"] - paper[c])
        if drop < need:
            why[c] = f"Std/Std drop {drop:.1f} < {need:.1f} (REFERENCE_SHARE x the paper's)"
        else:
            kept.append(c)
    return kept, why


def paper_effects() -> dict[str, float]:
    """Each Table 3 comparison's effect computed by this driver's estimator on the paper's own Table 3 (its 'Avg.'
    column, in points), by the labels `table3_verdicts` gives: the paper's data must give the direction the claims
    state (tests/test_yi2021_verdicts.py), so a verdict's direction is never an artefact of the estimator."""
    avg = PAPER_TABLE3["Avg"]
    out = {}
    for ft in FINETUNINGS:
        for pre in ("Adv-l2", "Adv-linf"):
            for other in ("Std", "No"):
                out[f"(a) fine-tuning {ft}: pre-training {pre} vs {other}"] = float(avg[(ft, pre)] - avg[(ft, other)])
    for pre in PRETRAININGS:
        out[f"(b) pre-training {pre}: fine-tuning Adv-linf vs Adv-l2"] = float(avg[("Adv-linf", pre)]
                                                                                - avg[("Adv-l2", pre)])
    return out


def _trained(histories: dict, keys) -> list[str]:
    """The models a comparison reads, for its plateau gate: each fine-tuned model ("ft/pre") and, where the book
    trained it (`histories` holds it), the source model it was fine-tuned from."""
    names = []
    for ft, pre in keys:
        names.append(f"{ft}/{pre}")
        if f"pre-training {pre}" in histories and f"pre-training {pre}" not in names:
            names.append(f"pre-training {pre}")
    return names


def table3_verdicts(correct: dict[tuple[str, str], np.ndarray], num_classes: int, seed: int = 0,
                    histories: dict | None = None) -> list:
    """Verdicts on Table 3's two claims, each a paired bootstrap over test images of the accuracy averaged over
    all 15 corruptions (the paper's 'Avg.', where Sec. 5.2 states both findings).

    (a) `yi2021:t3-adv-pretraining`: adversarial pre-training beats standard and no pre-training after each
    fine-tuning; (b) `yi2021:t3-linf-beats-l2-finetuning`: l_inf adversarial fine-tuning beats l_2 adversarial
    fine-tuning after each of the four pre-trainings. Gates, each row on the models it reads (referee 3, Y10):
    the two compared models above chance clean and on the 15-corruption average; the corruptions hurt the
    reference model (Std/Std) on average by at least REFERENCE_SHARE of the paper's Std/Std drop on 'Avg.'; and
    the two compared models, fine-tuned and (where the book trained them) pre-trained, reached their plateau
    (`verdicts.loss_flattened` on `pretraining.training_histories`; an unrecorded curve counts as not flattened).
    """
    from ... import verdicts as V

    ref = correct[("Std", "Std")]
    paper = PAPER_TABLE3.loc[("Std", "Std")]
    drop = 100 * float(ref[:, 0].mean() - ref[:, 1:].mean())
    reference = V.at_least("Std/Std loses on the 15-corruption average (points; the paper's Std/Std drop x "
                           "REFERENCE_SHARE)", drop, V.REFERENCE_SHARE * float(paper["Clean"] - paper["Avg"]),
                           "effect in reference")
    histories = histories or {}
    out = []

    def avg(key):
        return correct[key][:, 1:].mean(1)

    def gates(a, b):
        read = {}
        for k in (a, b):
            read[f"{k[0]}/{k[1]} clean"] = float(correct[k][:, 0].mean())
            read[f"{k[0]}/{k[1]} on the 15 corruptions"] = float(correct[k][:, 1:].mean())
        return [V.trained_above_chance(read, num_classes), reference,
                V.loss_flattened(histories, _trained(histories, (a, b)))]

    for ft in FINETUNINGS:
        for pre in ("Adv-l2", "Adv-linf"):
            for other in ("Std", "No"):
                eff, lo, hi = V.paired_difference(avg((ft, pre)), avg((ft, other)), seed=seed)
                out.append(V.judge("yi2021:t3-adv-pretraining", 100 * eff, 100 * lo, 100 * hi,
                                   gates=gates((ft, pre), (ft, other)),
                                   label=f"(a) fine-tuning {ft}: pre-training {pre} vs {other}"))
    for pre in PRETRAININGS:
        eff, lo, hi = V.paired_difference(avg(("Adv-linf", pre)), avg(("Adv-l2", pre)), seed=seed)
        out.append(V.judge("yi2021:t3-linf-beats-l2-finetuning", 100 * eff, 100 * lo, 100 * hi,
                           gates=gates(("Adv-linf", pre), ("Adv-l2", pre)),
                           label=f"(b) pre-training {pre}: fine-tuning Adv-linf vs Adv-l2"))
    return out
