"""What the book takes from Alhamoud et al. (2023) as data: the numbers it prints, each with its location in the
paper (`002_61c7a592506511c8.txt` of `../shared/papers/`, the text the transcription test reads). No torch here."""
from __future__ import annotations

# Where each transcribed constant sits in the paper text: an anchor string that occurs there, optionally
# "[+N lines]" for the window after it that holds the numbers (tests/test_transcriptions.py); "NAME/key" locates
# one entry of a dict. Table 2 is extracted column by column, before its caption: the anchor is its header.
LOCATIONS: dict[str, str] = {
    "TABLE2": "Clean Accuracy (%) [+60 lines]",
    "TABLE2/camelyon17": "Adversarial Augmentation for Better Generalizability. [+9 lines]",
    "Q2_TERRA_DROP": "TerraIncognita model, which is trained and evaluated on [+0 lines]",
    "Q4_PIXEL_ACR_DROP": "drops by around 6% only [+0 lines]",
    "CAMELYON_DROP_FACTOR": "accuracy to the unseen hospital (given pixel perturbations) is [+0 lines]",
    "Q6_PHOTO": "Surprisingly, the photo domain, which has the highest FID [+4 lines]",
}

# Table 2 (p. 5): target-domain accuracy (%) of the standard (eps 0) and the robust (eps 8/255) model,
# clean and under PGD-20 at 8/255, averaged over the targets of each data set. Camelyon17: Section 6
# ("Adversarial augmentation for better generalizability", p. 9), the unseen hospital.
TABLE2 = {
    "PACS": {"std_clean": 84.23, "rob_clean": 84.00, "std_robust": 40.29, "rob_robust": 73.54},
    "OfficeHome": {"std_clean": 60.56, "rob_clean": 56.89, "std_robust": 9.91, "rob_robust": 45.73},
    "VLCS": {"std_clean": 78.15, "rob_clean": 72.72, "std_robust": 14.72, "rob_robust": 62.75},
    "TerraIncognita": {"std_clean": 64.70, "rob_clean": 60.02, "std_robust": 0.87, "rob_robust": 31.04},
    "camelyon17": {"std_clean": 94.05, "rob_clean": 95.28, "std_robust": 82.03, "rob_robust": 92.67},
}

TABLE2_SETS = ("PACS", "OfficeHome", "VLCS", "TerraIncognita")  # the rows of Table 2 itself

Q2_TERRA_DROP = 35.0  # Q2 (p. 5): TerraIncognita at eps 8/255 loses "around 35%" source -> target

Q4_PIXEL_ACR_DROP = 0.06  # Q4 (p. 7): ResNet-50's pixel-noise ACR on PACS drops "by around 6% only"

CAMELYON_DROP_FACTOR = 4.0  # Section 6 (p. 9): the certified-accuracy drop on Camelyon17 is 4x PACS's

Q6_PHOTO = {"fid": 34.3, "rfid": 87.7, "delta_acr_translation": -0.1}  # Q6 (p. 8): PACS photo as target


# ---------------------------------------------------------------------------------------------- claims
# What the chapters test, declared from the paper before any run (robustbook.papers.registry). Accuracies in
# points (0-100) where the effect is a difference of accuracies in %; ACR ratios are fractions. The paper's
# numbers are PACS's (ResNet-50, DomainBed): at `cpu` the chapters substitute offline shifts and small
# networks (the chapters' "What differs from the paper" sections), not other claims.
from .registry import Claim

_SHIFT = "effect in reference"
# The referee's first alternative to a clean-accuracy comparison here: the book's standard model trains without
# DomainBed's data augmentation, so any perturbation of the inputs may help it on a shifted target.
NOISE_ALT = ("a model trained the same way with a random point of the ball in place of the PGD point (uniform noise of the "
             "same radius, same lambda): it separates 'adversarial' from 'any perturbation', which the book's "
             "un-augmented standard model cannot (DomainBed trains its baseline with data augmentation)")  # the domains differ: the standard model loses clean accuracy source -> target
CLAIMS = (
    Claim("alhamoud2023:q1-robust-not-better", "Sec. 4.2, Q1, Table 2", "paper-claim",
          "adversarially trained models do not generalize better to an unseen domain than standard ones (on "
          "Table 2's data sets the robust model's clean target accuracy is lower, by 3.6 points or more except "
          "on PACS); effect = robust - standard clean target accuracy at eps 8/255, paired over target points",
          "sign", direction=-1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN (the answer "
          "'no' has no size; the 3.6-point figure excludes PACS)", preconditions=("above chance", _SHIFT),
          control="none: a comparison of two trained models", units="points of accuracy",
          alternatives="the standard model replaced by " + NOISE_ALT),
    Claim("alhamoud2023:q1-camelyon-robust-better", "Sec. 6, 'Adversarial augmentation for better "
          "generalizability'", "paper-claim",
          "on Camelyon17's unseen hospital, unlike Table 2's data sets, robust training raises clean target "
          "accuracy (94.05 -> 95.28 %); effect = robust - standard clean target accuracy, paired",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance", _SHIFT), control="none: a comparison of two trained models",
          units="points of accuracy", alternatives="the standard model replaced by " + NOISE_ALT),
    Claim("alhamoud2023:q2-source-target-rank", "Sec. 4.2, Q2, Fig. 1", "paper-claim",
          "higher robustness on the source domains goes with higher robustness on the target (the source and "
          "target matrices of Fig. 1 show the same pattern); the claim is about models, so the effect ranks the "
          "models (every eps_train, the standard one included) within each eval-eps column (eps_eval > 0): "
          "effect = mean over those columns of Spearman rho between the models' source and target robust "
          "accuracy (the shared eval-eps axis, along which every model falls on both domains, cannot drive it)",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN (the paper "
          "compares colour patterns, without a size)", preconditions=("above chance", _SHIFT, "sample size"),
          control="model identities permuted jointly across the columns (the same models fill every column, "
          "so the columns are not independent): the share of permutations whose mean rho reaches the "
          "observed one; the 'sample size' gate is verdicts.MIN_RANK_POINTS models ranked (4 models: a "
          "perfect match has chance 1 in 24 under unrelated source and target ranks, whatever the columns); "
          "tests plant a pooled-cell agreement with shuffled models",
          units="Spearman rho (mean within columns)"),
    Claim("alhamoud2023:q2-robustness-drops", "Sec. 4.2, Q2", "demonstration",
          "a robust model loses some robust accuracy when evaluated on the target (TerraIncognita at 8/255: "
          "about 35 points); effect = source - target robust accuracy of the model trained and evaluated at "
          "eps 8/255 (source and target points resampled independently). Shown, not tallied: once the domains "
          "differ (its gate) a robust accuracy bounded by the clean one almost has to fall too",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN (the "
          "35-point figure is one data set's example, not a bound)", preconditions=("above chance", _SHIFT),
          control="none: one model on two domains; holds nearly by construction once the domains differ",
          units="points of accuracy"),
    Claim("alhamoud2023:q3-target-robustness-gain", "Sec. 4.2, Q3, Fig. 1, Table 2", "paper-claim",
          "training robustly at a budget makes the model more robust to attacks of that budget on the target "
          "too; effect = target robust accuracy at eps 16/255 (the paper's OfficeHome example; 8/255, Table 2's "
          "radius, where a grid lacks 16/255) of the model trained there minus the standard model's, paired "
          "over target points",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance", _SHIFT), control="none: a comparison of two trained models",
          units="points of accuracy"),
    Claim("alhamoud2023:q3-target-clean-cost", "Sec. 4.2, Q3, Fig. 1", "paper-claim",
          "the robustness-accuracy trade-off persists on the target: clean target accuracy falls as eps_train "
          "grows; effect = clean target accuracy of the model trained at the largest eps minus the standard "
          "model's, paired over target points (four radii are too few to rank)",
          "sign", direction=-1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance", _SHIFT), control="none: a comparison of two trained models",
          units="points of accuracy", alternatives="the standard model replaced by " + NOISE_ALT),
    Claim("alhamoud2023:a1-lambda-robustness", "App. A.1, Fig. 5", "paper-claim",
          "the smaller lambda (the weight of the clean loss in Eq. 5), the more robust the model on the target; "
          "effect = target robust accuracy of the smallest lambda above 0 (Fig. 5's 0.1 where it is trained) "
          "minus the largest, paired (lambda = 0 is Fig. 6's degenerate extreme, shown apart)",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance",), control="none: a comparison of two trained models",
          units="points of accuracy"),
    Claim("alhamoud2023:a1-lambda-clean-cost", "App. A.1, Fig. 5", "paper-claim",
          "the robustness a smaller lambda buys costs clean accuracy; effect = target clean accuracy of the "
          "smallest lambda above 0 (Fig. 5's 0.1 where it is trained) minus the largest, paired",
          "sign", direction=-1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance",), control="none: a comparison of two trained models",
          units="points of accuracy", alternatives="the same comparison with each lambda's model net of " + NOISE_ALT + " (per point: "
          "(PGD - noise) at the small lambda minus (PGD - noise) at the large one)"),
    Claim("alhamoud2023:a2-l2-source-target-rank", "App. A.2, Fig. 7", "paper-claim",
          "Q2 holds for l2 adversarial augmentation too (eps in {0, 0.5, 1, 5}): higher source robustness goes "
          "with higher target robustness; effect = mean within-column Spearman rho over the models, as for Q2",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance", "sample size"),
          control="model identities permuted jointly across the columns, and MIN_RANK_POINTS models, as for Q2",
          units="Spearman rho (mean within columns)"),
    Claim("alhamoud2023:a3-trades-generalizes-worse", "App. A.3, Fig. 8", "book-reading",
          "TRADES, the stronger defence, carries less of its robustness to the target ('in general ... lower "
          "robustness generalizability', without a measure); the book reads generalizability as the mean over "
          "the radii TRADES is trained at (eps_train = eps_eval) of target / source robust accuracy, and "
          "compares with the page's adversarial augmentation (lambda 0.5), not with plain adversarial training; "
          "effect = augmentation minus TRADES (same task, radii and points)",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN (the paper "
          "says 'lower' without a size)", preconditions=("above chance",),
          control="none: a comparison of two training methods", units="ratio"),
    Claim("alhamoud2023:q4-pixel-acr-kept", "Sec. 5.2, Q4, Fig. 2", "paper-claim",
          "a considerable portion of the certified robustness acquired by randomized smoothing is maintained "
          "on the unseen domain: for ResNet-50 on PACS the pixel-noise ACR drops 'by around 6% only'; the book "
          "judges against that printed number (the target keeps at least 1 - Q4_PIXEL_ACR_DROP of the source "
          "ACR), although it is one network on one data set; effect = target ACR / source ACR at the sigma with "
          "the best source ACR",
          "range", threshold=(1 - Q4_PIXEL_ACR_DROP, float("inf")),
          threshold_source="paper: Sec. 5.2, Q4, p. 7 (Q4_PIXEL_ACR_DROP)",
          preconditions=("above chance", _SHIFT, "sample size"),
          control="none: one smoothed classifier on two domains", units="ratio",
          alternatives="every other sigma of the same perturbation in the profile's grid whose model is above "
                       "chance on both domains"),
    Claim("alhamoud2023:q4-deformation-acr-kept", "Sec. 5.2, Q4, Fig. 2", "book-reading",
          "the paper extends Q4's pixel result to deformations (naming rotation and translation; Fig. 2 shows "
          "all five) without a number of its own; the book reads 'extends this result' as the same threshold "
          "for each deformation: the target keeps at least 1 - Q4_PIXEL_ACR_DROP of the source ACR; effect "
          "as for pixels",
          "range", threshold=(1 - Q4_PIXEL_ACR_DROP, float("inf")),
          threshold_source="paper: Sec. 5.2, Q4, p. 7 (Q4_PIXEL_ACR_DROP), the pixel result the paper extends",
          preconditions=("above chance", _SHIFT, "sample size"),
          control="none: one smoothed classifier on two domains", units="ratio",
          alternatives="every other sigma of the same perturbation in the profile's grid whose model is above "
                       "chance on both domains"),
    Claim("alhamoud2023:q5-stronger-backbone", "Sec. 5.2, Q5, Fig. 2", "paper-claim",
          "a stronger backbone (ViT-Base over ResNet-50) certifies a larger target ACR for every perturbation; "
          "effect = stronger - weaker backbone's per-point certified radius on the target (0 where wrong), "
          "paired", "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN "
          "(the paper says 'significant' without a size)", preconditions=("above chance",),
          control="none: a comparison of two trained models", units="radius"),
    Claim("alhamoud2023:q5-capacity-surrogate", "Sec. 5.2, Q5, Fig. 2", "demonstration",
          "Q5 with a substitution: where no second non-trivial network is trained (the `cpu` profile), the book "
          "compares a linear classifier with a two-hidden-layer MLP, which measures capacity rather than a "
          "better feature extractor (a linear model on raw rotated pixels is expected to certify less): shown, "
          "never tallied for or against the paper; effect as for Q5, stronger minus weaker per-point target "
          "radius, paired",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance",), control="none: a comparison of two trained models", units="radius"),
    Claim("alhamoud2023:q6-fid-not-predictive", "Sec. 5.2, Q6, Fig. 3; App. B.2, Fig. 10", "book-reading",
          "the perceptual distance between source and target (FID, R-FID) does not predict how much certified "
          "robustness is lost (photo, the farthest PACS domain, even gains ACR); the book reads 'does not "
          "predict' as |Spearman rho| of the Frechet distance vs Delta ACR over the targets below a large "
          "correlation", "range", threshold=(-0.5, 0.5),
          threshold_source="book: robustbook.verdicts.LARGE_CORRELATION (the paper gives no size)",
          preconditions=("above chance", "sample size"),
          control="none: a rank correlation over targets; its power is gated instead: the median bootstrap "
          "interval width under rho = 0 at this number of targets must be below the range's width",
          units="Spearman rho (interval over targets only, not over points or training noise)"),
)
