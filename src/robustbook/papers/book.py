"""The book's own demonstrations: experiments that show a method or a failure mode the papers rely on. They are
judged like claims, shown beside them, and never counted for or against a paper."""
from __future__ import annotations

from .registry import Claim

CLAIMS = (
    Claim("book:masked-model-exposed", "foundations, 'Evaluating robustness honestly' (after Athalye et al. 2018)",
          "demonstration",
          "A model whose gradient is exactly zero by construction (a quantised front end) looks robust to PGD; a "
          "gradient-free or adaptive attack (AutoAttack's Square) takes its accuracy down.",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance",), control="the unmasked twin: PGD and AutoAttack agree on it",
          units="points of accuracy"),
)
