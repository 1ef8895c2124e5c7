"""yi2021 Table 1 (Sec. 5.1): the effects of adversarial vs standard training on corrupted data and the gates the
registered claims (`robustbook.papers.yi2021`, ids `yi2021:t1-*`) declare; `verdicts.judge` gives the verdicts."""
from __future__ import annotations

import pandas as pd

from ...papers.yi2021 import (
    PAPER_DIRECTIONS,
    PAPER_TABLE1,
)
from ..common import Departure
from .corruption_models import DEPARTURES as MODEL_DEPARTURES

# What Table 1's chapter runs differently from the paper: the shared models' rows (corruption_models) only; its
# verdicts' gates (the reference drop, the loss plateau) are the book's preconditions, not a changed setting.
DEPARTURES: tuple[Departure, ...] = MODEL_DEPARTURES

# Table 1's claim per effect group (PAPER_DIRECTIONS' keys), registered in robustbook.papers.yi2021
CLAIM_IDS = {"noise": "yi2021:t1-noise", "blur": "yi2021:t1-blur", "fog": "yi2021:t1-fog",
             "brightness": "yi2021:t1-brightness", "contrast": "yi2021:t1-contrast", "Avg": "yi2021:t1-avg"}


def paper_std_drops() -> pd.Series:
    """The paper's standard-model accuracy drop (points, clean minus corrupted) per corruption, Table 1."""
    from ...data.corruptions import CORRUPTIONS
    std = PAPER_TABLE1.loc["Std"]
    return (std["Clean"] - std[list(CORRUPTIONS)]).rename("paper Std drop")


def reference_gate(std_drop: float, paper_drop: float, name: str):
    """"effect in reference": the standard model loses at least `verdicts.REFERENCE_SHARE` of the paper's Std drop
    on `name` (points): a surrogate on which the corruption barely hurts cannot show what AT repairs."""
    from ... import verdicts as V
    return V.at_least(f"Std's drop on {name}, points (REFERENCE_SHARE x the paper's {paper_drop:.1f})", std_drop,
                      V.REFERENCE_SHARE * paper_drop, "effect in reference")


def table1_verdicts(correct: dict[str, pd.DataFrame], families: dict[str, tuple[str, ...]],
                    seed: int = 0, histories: dict[str, pd.DataFrame | None] | None = None,
                    num_classes: int = 10) -> list:
    """Each AT method x effect group: `judge` of the registered `yi2021:t1-*` claim on AT - Std (points, paired
    bootstrap over test points). Gates: both models above chance clean and on the group (every split read), Std
    loses >= REFERENCE_SHARE x the paper's Std drop on the group, and both training losses flattened
    (`verdicts.loss_flattened`; an unrecorded curve counts as not flattened)."""

    from ... import verdicts as V
    drops = paper_std_drops()
    histories = histories or {}
    out = []
    for method in ("Adv-l2", "Adv-linf"):
        for key in PAPER_DIRECTIONS:
            cols = list(families.get(key, (key,))) if key != "Avg" else list(drops.index)
            a = correct[method][cols].to_numpy().mean(1)
            b = correct["Std"][cols].to_numpy().mean(1)
            eff, lo, hi = V.paired_difference(100 * a, 100 * b, seed=seed)
            std_drop = float(100 * (correct["Std"]["Clean"].mean() - b.mean()))
            accs = {f"{m} {split}": float(v) for m, v_clean, v_group in
                    ((m, correct[m]["Clean"].mean(), correct[m][cols].to_numpy().mean()) for m in ("Std", method))
                    for split, v in (("clean", v_clean), (f"on {key}", v_group))}
            gates = [V.trained_above_chance(accs, num_classes),
                     reference_gate(std_drop, float(drops[cols].mean()), key),
                     V.loss_flattened(histories, ("Std", method))]
            out.append(V.judge(CLAIM_IDS[key], eff, lo, hi, gates=gates, label=f"{method} - Std on {key}"))
    return out
