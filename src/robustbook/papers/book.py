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
    # Moved from yi2021's tally (referee F2): PGD beating noise is what any trained network shows, not Lemma 1.
    Claim("book:pgd-push-forward-above-noise", "foundations, 'Threat models and attacks', 'The lemma on a trained "
          "network' (after yi2021's Lemma 1)", "demonstration",
          "the construction in the proof of Lemma 1 on a trained network, with PGD standing in for the pointwise "
          "sup: the push-forward of PGD, a member of the W_inf ball, has a higher risk than uniform noise of the "
          "same size, another member; effect = per-point cross-entropy under PGD minus under the noise, same "
          "points", "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance",),
          control="none: PGD is built to raise the loss, so this shows the construction, it tests no paper",
          units="nats"),
    # Moved from yi2021's tally (referee F1): Table 1 measures the paper's own ResNet-34 on CIFAR-10-C and says
    # nothing about other data; these read its Std row on the book's digits, with CIFAR-10-C's constants.
    Claim("book:every-corruption-costs-accuracy", "foundations, 'Common corruptions', 'Corruption accuracy' "
          "(after yi2021 Table 1, CIFAR10-C Std row, where every corruption costs accuracy)", "demonstration",
          "on the book's data, every one of the 15 corruptions at severity 5 costs a standard model accuracy, "
          "read literally: effect = the smallest drop over the corruptions, clean minus corrupted accuracy "
          "(points), with a bootstrap interval over the test points (the same points for every corruption)",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance", "sample size"),
          control="none: a comparison of one model clean and corrupted", units="points of accuracy"),
    Claim("book:corruption-ranking-transfers", "foundations, 'Common corruptions', 'Corruption accuracy' "
          "(after yi2021 Table 1, CIFAR10-C Std row)", "demonstration",
          "the corruptions that hurt the paper's standard ResNet-34 most on CIFAR10-C hurt the book's standard "
          "model most on its data too; effect = Spearman rho between the row's 15 accuracies and ours at "
          "severity 5, its interval resampling both the corruptions and the test points inside each (so ties "
          "within sampling noise widen it)", "sign", direction=+1, threshold=0.0,
          threshold_source="book: robustbook.verdicts.NO_MARGIN", preconditions=("above chance", "sample size"),
          control="none: a rank correlation over corruptions", units="Spearman rho"),
)
