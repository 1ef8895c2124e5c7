"""What the book takes from Yi et al. (2021) as data: the numbers it prints, each with its location in the
paper (`000_94f39e86758dbc86.txt` of `../shared/papers/`, the text the transcription test reads). No torch here."""
from __future__ import annotations

import pandas as pd

from .registry import Claim

# Where each transcribed constant sits in the paper text: an anchor string that occurs there (a caption or a line
# of the table), optionally "[+N lines]" for the window after it that holds the numbers (tests/test_transcriptions.py).
LOCATIONS: dict[str, str] = {
    "PAPER_TABLE1": "Table 1: Clean and corruption accuracy (%) of ResNet34 on CIFAR10-C and ImageNet-C [+10 lines]",
    "PAPER_TABLE3": "Table 3: Clean and corruption accuracy (%) of ResNet34 on CIFAR10-C with no pre-training [+28 lines]",
    "PAPER_TABLE6": "Table 6: Hyperparameters of adversarial training on BERT base model. [+18 lines]",
    "PAPER_TABLE2": "Table 2: Performance of BERT base model on NLU tasks [+34 lines]",
}

METHODS = ("Std", "Adv-l2", "Adv-linf")

# Table 1 of the paper (CIFAR10-C, severity 5; accuracy in %), columns in CORRUPTIONS order.
PAPER_TABLE1 = pd.DataFrame(
    [[94.82, 34.75, 40.43, 25.45, 59.85, 48.95, 67.58, 63.85, 73.31, 62.87, 67.03, 90.69, 36.83, 76.00, 42.89, 75.84,
      57.75],
     [94.93, 70.39, 74.24, 45.17, 72.77, 71.34, 73.51, 80.26, 83.28, 81.36, 51.08, 89.37, 19.49, 83.39, 79.78, 89.52,
      71.00],
     [93.48, 80.18, 80.80, 62.73, 77.71, 77.10, 75.46, 82.47, 83.45, 82.32, 41.00, 88.15, 16.10, 83.82, 85.98, 89.36,
      73.78]],
    index=list(METHODS),
    columns=["Clean", "gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "glass_blur", "motion_blur",
             "zoom_blur", "snow", "frost", "fog", "brightness", "contrast", "elastic_transform", "pixelate",
             "jpeg_compression", "Avg"])

# The directions the paper reports on CIFAR10-C (AT vs Std): + helps, - hurts.
PAPER_DIRECTIONS = {"noise": "+", "blur": "+", "fog": "-", "brightness": "-", "contrast": "-", "Avg": "+"}

PRETRAININGS = ("No", "Std", "Adv-l2", "Adv-linf")  # Table 3 rows within a fine-tuning block

FINETUNINGS = ("Std", "Adv-l2", "Adv-linf")  # Table 3 blocks

# Table 3 of the paper (ResNet-34, CIFAR-10 fine-tuning at 224 px, CIFAR10-C severity 5; %), Clean, the 15
# corruptions in CORRUPTIONS order, Avg; rows (fine-tuning, pre-training).
PAPER_TABLE3 = pd.DataFrame(
    [[95.21, 40.55, 40.64, 19.91, 83.21, 67.77, 77.86, 90.31, 80.71, 77.91, 67.27, 90.88, 48.14, 80.80, 81.99, 80.84, 68.59],
     [94.65, 41.25, 42.91, 22.58, 85.19, 71.03, 78.49, 90.82, 82.78, 80.04, 67.66, 89.97, 45.70, 83.89, 82.03, 80.99, 69.69],
     [95.06, 45.10, 50.58, 27.57, 87.27, 72.95, 79.08, 90.57, 83.29, 77.25, 65.41, 90.15, 50.41, 82.81, 78.01, 78.95, 70.63],
     [94.30, 40.94, 46.42, 29.39, 87.60, 70.79, 81.44, 90.69, 82.77, 79.28, 68.84, 89.19, 45.29, 83.59, 83.13, 80.86, 70.68],
     [94.43, 56.82, 60.58, 29.34, 85.44, 71.67, 81.80, 90.08, 83.68, 80.37, 61.68, 89.96, 34.76, 83.76, 85.16, 83.24, 71.89],
     [94.09, 57.64, 60.96, 26.35, 86.78, 73.52, 82.16, 90.46, 82.12, 80.64, 62.58, 88.98, 34.68, 84.29, 83.42, 83.42, 71.87],
     [94.45, 58.98, 62.99, 35.08, 87.07, 72.29, 81.66, 91.07, 83.53, 81.38, 62.82, 89.52, 39.53, 84.35, 86.60, 88.55, 73.69],
     [95.25, 58.64, 62.18, 29.86, 88.15, 73.00, 82.95, 91.98, 84.76, 83.86, 64.76, 91.00, 37.35, 84.65, 86.57, 88.59, 73.89],
     [92.46, 80.91, 81.69, 52.00, 79.58, 80.94, 77.42, 80.21, 80.57, 79.35, 35.41, 83.15, 18.06, 83.51, 87.79, 87.44, 72.54],
     [92.05, 80.21, 81.06, 63.02, 77.94, 77.80, 75.60, 80.04, 83.77, 81.22, 41.57, 89.94, 19.04, 82.39, 85.49, 88.76, 73.86],
     [92.55, 81.96, 82.86, 58.95, 80.51, 82.66, 78.21, 86.56, 81.49, 81.10, 42.07, 89.76, 18.56, 84.58, 88.53, 88.05, 75.06],
     [92.28, 81.74, 82.37, 56.96, 80.34, 81.90, 77.94, 85.76, 81.48, 81.70, 42.99, 89.00, 18.45, 84.50, 88.07, 87.50, 74.71]],
    index=pd.MultiIndex.from_product([FINETUNINGS, PRETRAININGS], names=["fine-tuning", "pre-training"]),
    columns=["Clean", "gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "glass_blur", "motion_blur",
             "zoom_blur", "snow", "frost", "fog", "brightness", "contrast", "elastic_transform", "pixelate",
             "jpeg_compression", "Avg"])

PAPER_TABLE6 = {"lr": 3e-5, "batch_size": 32, "weight_decay": 0.0, "dropout": 0.1, "epochs": 10,
                "eps_l2": 1.0, "alpha_l2": 0.1, "eps_linf": 0.001, "alpha_linf": 0.0005, "steps": 3}

# Table 2 of the paper (BERT-base; accuracy % or Pearson x100 for STS-B): (train, test) -> Std, Adv-l2, Adv-linf.
PAPER_TABLE2 = pd.DataFrame(
    [["STS-B", "Images", "Images", 98.38, 97.81, 96.39], ["STS-B", "Images", "MSRvid", 89.52, 90.61, 90.09],
     ["STS-B", "MSRvid", "MSRvid", 98.55, 97.45, 96.65], ["STS-B", "MSRvid", "Images", 84.12, 83.63, 83.11],
     ["STS-B", "Headlines", "Headlines", 97.59, 96.73, 95.75], ["STS-B", "Headlines", "MSRpar", 62.07, 64.48, 67.67],
     ["STS-B", "MSRpar", "MSRpar", 97.55, 97.33, 97.55], ["STS-B", "MSRpar", "Headlines", 75.58, 75.27, 76.12],
     ["SST-2/IMDb", "SST-2", "SST-2", 93.57, 93.57, 93.92], ["SST-2/IMDb", "SST-2", "IMDb", 90.06, 91.50, 91.32],
     ["SST-2/IMDb", "IMDb", "IMDb", 94.36, 94.88, 94.68], ["SST-2/IMDb", "IMDb", "SST-2", 87.00, 88.53, 88.07],
     ["MNLI", "Telephone", "Telephone", 83.01, 83.16, 82.90], ["MNLI", "Telephone", "Letters", 82.45, 83.76, 84.07],
     ["MNLI", "Telephone", "Face-to-face", 81.56, 83.59, 83.59]],
    columns=["dataset", "train", "test", "Std", "Adv-l2", "Adv-linf"])


# ---------------------------------------------------------------------------------------------- claims
# What the yi2021 chapters test, declared from the paper before any run (robustbook.papers.registry). Accuracy
# differences are in points (0-100) unless a claim says otherwise. Gates on a corruption's "effect in reference"
# compare the reference model's drop with REFERENCE_SHARE (robustbook.verdicts) x the paper's own reference drop
# (PAPER_TABLE1's Std row for Table 1 and App. D, PAPER_TABLE3's Std/Std row for Table 3).
def _t1(name: str, group: str, direction: int, says: str) -> Claim:
    return Claim(f"yi2021:t1-{name}", "Sec. 5.1.1, Table 1 (CIFAR10-C, severity 5)", "paper-claim",
                 f"adversarial training (Adv-l2 and Adv-linf, each judged on its own) {says} standard training "
                 f"under the {group} corruptions; effect = acc(Adv) - acc(Std) averaged over the group, paired "
                 "over the same test images",
                 "sign", direction=direction, threshold=0.0,
                 threshold_source="book: robustbook.verdicts.NO_MARGIN (the paper names the direction, no size)",
                 preconditions=("above chance", "effect in reference", "loss flattened"),
                 control="none: a comparison of two trained models on the same corrupted images",
                 units="points of accuracy")


CLAIMS = (
    _t1("noise", "noise", +1, "is more accurate than"),
    _t1("blur", "blur", +1, "is more accurate than"),
    _t1("fog", "fog", -1, "is less accurate than"),
    _t1("brightness", "brightness", -1, "is less accurate than"),
    _t1("contrast", "contrast", -1, "is less accurate than"),
    _t1("avg", "15 (their average)", +1, "is more accurate than"),
    Claim("yi2021:d1-inverted-u", "App. D.1, Figures 3-4; Sec. 5.1.1 'Ablation Study'", "paper-claim",
          "over the training radius r, accuracy on every corruption category first rises and then falls, so an "
          "intermediate r is best; effect = the best interior radius's accuracy minus the better (higher) of the "
          "two ends of the grid (points), the best radius re-picked in every bootstrap resample; every radius of "
          "the grid is read, and a model trained at any of them that is at chance makes the claim not testable "
          "(the grid is never truncated)",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance", "effect in reference", "loss flattened", "sample size"),
          control="none: a shape over models trained at several radii", units="points of accuracy"),
    Claim("yi2021:d2-rises-with-n", "App. D.2, Figures 5-6; Sec. 5.1.1 'Ablation Study'", "paper-claim",
          "accuracy on the corrupted data rises with the number of training samples n, as bounds (5)-(6) "
          "suggest; effect = Spearman rho between n and the group's accuracy",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance", "effect in reference", "loss flattened", "sample size"),
          control="none: a rank correlation over training-set sizes", units="Spearman rho"),
    Claim("yi2021:remark1", "Remark 1 (Sec. 3)", "printed-formula",
          "with r0 = 0 the OOD bounds (5)-(6) reduce to in-distribution bounds: the Wasserstein ball of radius 0 "
          "is P0 itself and the worst case grows with the radius",
          "check", control="the check's registered mutants (theory.yi2021.MUTANTS['remark1']) must be rejected",
          units="share of mutants rejected"),
    Claim("yi2021:observations", "Observations 1-2 (Sec. 3)", "paper-claim",
          "the bounds (5)-(6) tighten as r and n grow and loosen as eps, d0 and D grow (signs of their partial "
          "derivatives)",
          "check", control="the check's registered mutants (a sign flipped) must be rejected",
          units="share of mutants rejected"),
    Claim("yi2021:concentration-term-printed", "Theorem 1, bound (5), the concentration term as printed",
          "printed-formula",
          "the printed concentration term sqrt((N log 2 + 2 log(1/theta))/n) is the lambda that solves the "
          "Bretagnolle-Huber-Carol tail of the proof (eq. (22); van der Vaart & Wellner, Prop. A.6.6) "
          "2^N exp(-n lambda^2 / 2) = theta",
          "check", control="none: the printed term is run as printed; a failed check is the finding (no mutant "
                           "is counted, so a passing check reads inconclusive)",
          units="share of mutants rejected"),
    Claim("yi2021:covering-exponent-printed", "Theorems 1-2, the covering number N as printed", "printed-formula",
          "the covering exponent 2D/r^2 + 1 (Theorem 1) is invariant to the units of the input",
          "check", control="none: the printed exponent is run as printed; a failed check is the finding (no "
                           "mutant is counted, so a passing check reads inconclusive)",
          units="share of mutants rejected"),
    Claim("yi2021:at-shrinks-eps", "Sec. 3, Observation 1 with Proposition 1", "book-reading",
          "the paper argues adversarial training yields input-robustness, i.e. a smaller eps of Definition 1; "
          "the book reads it as: the per-point PGD estimate of sup |f(x + d) - f(x)| over the radius-2r "
          "l_inf ball is smaller for Adv-linf than for Std; effect = eps(Std) - eps(Adv-linf), paired over the "
          "training points",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance", "loss flattened"),
          control="none: a comparison of two trained models on the same points", units="loss"),
    Claim("yi2021:thm3-rate", "Theorem 3, (11), and the O~(1/T) rate stated after it (Sec. 3.2)", "book-reading",
          "Theorem 3 bounds the expected excess adversarial risk of Algorithm 1 by G^2 L / (T mu_w^2) and states "
          "an O~(1/T) rate, an upper rate: the excess risk falls at least as fast as 1/T up to a log factor, on a "
          "problem that meets Assumptions 1-3 (a faster fall agrees too); effect = the fitted log-log slope in "
          "T plus 1 (0 at an exact 1/T rate)",
          "range", threshold=(float("-inf"), 0.15),
          threshold_source="book: robustbook.verdicts.LOG_FACTOR_SLOPE (slope <= -1 + it; no lower end)",
          preconditions=("sample size", "control violated"), seeded=True,
          control="the same simulation with K = 1 inner ascent step (the inner maximisation left unsolved, so "
                  "Theorem 3's premise fails): the rule must reject it (its slope + 1 must read 'disagrees')",
          units="log-log slope + 1",
          alternatives="the printed K of Theorem 3 (condition (37) as printed) in place of the book's corrected K"),
    Claim("yi2021:thm3-bound-11", "Theorem 3, bound (11)", "printed-formula",
          "E[R~(w_{T+1})] - R~(w*) <= G^2 L / (T mu_w^2) for Algorithm 1 with the stated step sizes and K",
          "bound",
          control="(11) with the rate exponent 1 + LOG_FACTOR_SLOPE (a bound faster than any O~(1/T) reading): "
                  "the measured risk must exceed it; a risk below it means (11) is too loose here for the check "
                  "to have power (inconclusive)", units="measured / bound",
          seeded=True),  # the same seeded simulation as thm3-rate (random problems and runs)
    Claim("yi2021:thm4-bound-13", "Theorem 4, bound (13) (Sec. 4)", "demonstration",
          "the adversarial risk on the downstream distribution P0 is at most the pre-training adversarial risk "
          "eps_pre plus 2 M TV(P0, Q0)",
          "bound", preconditions=("effect in reference", "loss flattened"),
          control="eps_pre alone (no transfer price): the downstream error must exceed it", units="measured / bound"),
    Claim("yi2021:t3-adv-pretraining", "Sec. 5.2, Table 3", "paper-claim",
          "for every fine-tuning (Std, Adv-l2, Adv-linf), an adversarially pre-trained model (Adv-l2 or Adv-linf) "
          "is more accurate on the corrupted data than a standardly pre-trained one and than one without "
          "pre-training; effect = acc(adversarial pre-training) - acc(other), averaged over all 15 corruptions "
          "(the paper's 'Avg.' column, where it states the finding), paired over the same images",
          "sign", direction=+1, threshold=0.0,
          threshold_source="book: robustbook.verdicts.NO_MARGIN (the paper says 'consistently better' without a "
                           "size)", preconditions=("above chance", "effect in reference", "loss flattened"),
          control="none: a comparison of two fine-tuned models on the same corrupted images",
          units="points of accuracy"),
    Claim("yi2021:t3-linf-beats-l2-finetuning", "Sec. 5.2, Table 3", "paper-claim",
          "for all four pre-trainings (none, Std, Adv-l2, Adv-linf), adversarial fine-tuning under l_inf is more "
          "accurate on the corrupted data than under l_2; effect = acc(Adv-linf fine-tuning) - acc(Adv-l2 "
          "fine-tuning), averaged over all 15 corruptions (the paper's 'Avg.' column), paired over the same images",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance", "effect in reference", "loss flattened"),
          control="none: a comparison of two fine-tuned models on the same corrupted images",
          units="points of accuracy"),
    Claim("yi2021:t2-smaller-gap", "Sec. 5.1.2, Table 2", "paper-claim",
          "adversarial fine-tuning in the word-embedding space (Adv-l2, Adv-linf) leaves a smaller gap between "
          "in-domain and OOD accuracy than standard fine-tuning; effect = gap(Adv) - gap(Std) with gap = OOD - "
          "in-domain accuracy (points; positive: Adv loses less)",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=("above chance", "loss flattened"),
          control="none: a comparison of two fine-tuned models on the same test texts", units="points of accuracy"),
    *(Claim(f"yi2021:fig1-{name}", "Sec. 5.3, Figure 1", "book-reading",
            f"the paper finds BERT's last-layer hidden states change less than a randomly initialised twin's under "
            f"a 3-step l_inf embedding attack (radius 0.001, step 0.0005), in l2 norm and in cosine. The book "
            f"substitutes: at cpu the encoder is all-MiniLM-L6-v2 (distilled and contrastively tuned for sentence "
            f"embeddings, not an MLM-only BERT; gpu: BERT-base and RoBERTa-base), the texts are tweets (the paper: "
            f"MRPC, CoLA), and the attack's objective, which the paper does not state, is the book's choice "
            f"||h(e + d) - h(e)||^2 from a random start. Effect = {what}, paired over texts",
            "sign", direction=direction, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
            control="none: a comparison of two encoders under the same attack on the same texts", units=units,
            seeded=True)  # the random twin and the attack's random start are drawn from the notebook's seed
      for name, what, direction, units in (
          ("cos", "cos(h, h_adv) of the pre-trained encoder minus its twin's (paper: higher)", +1, "cosine"),
          ("relative-l2", ("||h_adv - h|| / ||h|| of the pre-trained encoder minus its twin's (the book's "
                           "scale-free form of the paper's l2; paper: smaller)"), -1, "ratio"),
          ("l2", "||h_adv - h|| of the pre-trained encoder minus its twin's (paper: smaller)", -1, "norm"))),
)


# ---- claims tested in the foundations chapters
# (robustbook.papers.registry collects FOUNDATIONS_CLAIMS beside CLAIMS; kept in their own block so that the
# yi2021 chapters' CLAIMS and these do not edit the same lines.) Readings of Table 1 on the book's data are not
# the paper's claims: they are the book's demonstrations (robustbook.papers.book), shown and never tallied.
FOUNDATIONS_CLAIMS = (
    # Lemma 1 is an identity, and on a grid its check cannot fail: the W_inf LP separates atom by atom (atom i
    # may move only to the grid points within r, the very set the pointwise maximum ranges over), so the two
    # sides agree for any loss, atoms and radius unless the solver errs. Shown as a demonstration (as
    # bai2024:budget-admissible-frozen, an identity), never tallied; the W_2 ball, where it fails, is the mutant.
    Claim("yi2021:lemma1-pointwise-worst-case", "Lemma 1, eq. (16), App. A.1.1 (used in the proofs of Theorems 1-2)",
          "demonstration",
          "Lemma 1: the largest risk over the W_inf ball of radius r around P_0 equals the expected pointwise "
          "worst case E_{P_0} sup_{|delta|_inf <= r} f(w, x + delta); shown on a non-convex loss and a "
          "three-atom P_0 at several radii, the left side by a linear program over all couplings on a grid, the "
          "right side pointwise on the same grid (equal within robustbook.verdicts.BOUND_SLACK). On a grid the "
          "LP decomposes per atom into the same maximisation as the right side, so the equality tests the LP "
          "code, not the lemma: a demonstration, never tallied",
          "check",
          control="the mutant 'the same identity over the W_2 ball' must be rejected (its LP worst case exceeds "
                  "the pointwise one at some r > 0)",
          units="share of mutants rejected"),
)
