"""The book's own demonstrations: experiments that show a method or a failure mode the papers rely on. They are
judged like claims, shown beside them, and never counted for or against a paper."""
from __future__ import annotations

from .registry import Claim

# Effects are paired differences of per-point correctness over the same test points (accuracy units: 0.01 is
# one point).
CLAIMS = (
    Claim("book:masked-model-exposed", "foundations, 'Evaluating robustness honestly', 'A model that PGD flatters' "
          "(after Athalye et al. 2018)", "demonstration",
          "a model built to be masked (the standard model behind a rounding front end, whose input gradient is "
          "exactly zero) is credited by PGD-20 with more robust accuracy than AutoAttack (whose gradient-free "
          "member, Square, does not need the gradient) leaves it; effect = acc(PGD-20) - acc(AutoAttack), same "
          "points. It holds by construction: the demonstration shows that the evaluation catches it",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance",),
          control="none judged: the standard model it wraps is attacked by both suites in the same table, where "
                  "the two should give the same number", units="accuracy"),
    Claim("book:pgd-stronger-than-fgsm", "foundations, 'Threat models and attacks' (after Madry et al. 2018)",
          "demonstration",
          "a multi-step attack (PGD) takes at least as much accuracy as one step (FGSM) at the same radius; effect = "
          "acc(FGSM) - acc(PGD), same points", "sign", direction=+1, threshold=0.0,
          threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance", "effect in reference"),
          control="none: a comparison of two attacks on one model", units="accuracy"),
    Claim("book:pgd-at-raises-pgd-accuracy", "foundations, 'Threat models and attacks' (after Madry et al. 2018)",
          "demonstration",
          "PGD adversarial training raises PGD accuracy at its training radius over standard training; effect = "
          "acc(PGD-AT) - acc(standard) under PGD, same points", "sign", direction=+1, threshold=0.0,
          threshold_source="book: robustbook.verdicts.NO_MARGIN", preconditions=("above chance",),
          control="none: the comparison is between two trained models", units="accuracy"),
)
