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
    """The corruptions Table 3's claims can read, and why each other one is left out (the same for every claim).

    A corruption is kept when it hurts the reference model, Std fine-tuning of a Std pre-trained model, by at
    least `verdicts.REFERENCE_SHARE` of the paper's drop for the same model and corruption (PAPER_TABLE3, Std/Std;
    "effect in reference"): a corruption that does not hurt cannot show what pre-training repairs. The rule reads
    the reference model only; a compared model at chance on the kept corruptions fails the claim's "above
    chance" gate (not testable) instead of removing the corruption, so no column is chosen by a result.
    """
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
    the `kept_corruptions`.

    (a) `yi2021:t3-adv-pretraining`: adversarial pre-training beats standard and no pre-training after each
    fine-tuning; (b) `yi2021:t3-linf-beats-l2-finetuning`: l_inf adversarial fine-tuning beats l_2 adversarial
    fine-tuning after each of the four pre-trainings (the paper's Sec. 5.2 finding). Gates: every model above
    chance clean and on the kept corruptions' average; at least one corruption hurts the reference model enough;
    and each row's models, fine-tuned and (where the book trained them) pre-trained, reached their plateau
    (`verdicts.loss_flattened` on `pretraining.training_histories`; an unrecorded curve counts as not flattened).
    """
    from ... import verdicts as V
    from ...data.corruptions import CORRUPTIONS

    kept, why = kept_corruptions(correct, num_classes)
    idx = [1 + list(CORRUPTIONS).index(c) for c in kept]
    left = "; ".join(f"{c}: {w}" for c, w in why.items()) or "none"
    reference = V.Precondition(f"corruptions kept ({len(kept)} of {len(CORRUPTIONS)}): {', '.join(kept) or 'none'}; "
                               f"left out: {left}", bool(kept), "effect in reference")
    read = {f"{k[0]}/{k[1]} clean": float(c[:, 0].mean()) for k, c in correct.items()}
    if idx:  # every model the claims read, on the data they read: clean and the kept corruptions' average
        read.update({f"{k[0]}/{k[1]} kept corruptions": float(c[:, idx].mean()) for k, c in correct.items()})
    chance = V.trained_above_chance(read, num_classes)
    histories = histories or {}
    out = []

    def avg(key):
        return correct[key][:, idx].mean(1) if idx else np.zeros(len(correct[key]))

    for ft in FINETUNINGS:
        for pre in ("Adv-l2", "Adv-linf"):
            for other in ("Std", "No"):
                eff, lo, hi = V.paired_difference(avg((ft, pre)), avg((ft, other)), seed=seed)
                gates = [chance, reference, V.loss_flattened(histories, _trained(histories, ((ft, pre), (ft, other))))]
                out.append(V.judge("yi2021:t3-adv-pretraining", 100 * eff, 100 * lo, 100 * hi, gates=gates,
                                   label=f"(a) fine-tuning {ft}: pre-training {pre} vs {other}"))
    for pre in PRETRAININGS:
        eff, lo, hi = V.paired_difference(avg(("Adv-linf", pre)), avg(("Adv-l2", pre)), seed=seed)
        gates = [chance, reference,
                 V.loss_flattened(histories, _trained(histories, (("Adv-linf", pre), ("Adv-l2", pre))))]
        out.append(V.judge("yi2021:t3-linf-beats-l2-finetuning", 100 * eff, 100 * lo, 100 * hi, gates=gates,
                           label=f"(b) pre-training {pre}: fine-tuning Adv-linf vs Adv-l2"))
    return out
