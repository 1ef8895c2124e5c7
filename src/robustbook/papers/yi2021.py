"""What the book takes from Yi et al. (2021) as data: the numbers it prints, each with its location in the
paper (`000_94f39e86758dbc86.txt` of `../shared/papers/`, the text the transcription test reads). No torch here."""
from __future__ import annotations

import pandas as pd

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


# ---- claims tested in the foundations chapters
# (robustbook.papers.registry collects FOUNDATIONS_CLAIMS beside CLAIMS; kept in their own block so that the
# yi2021 chapters' CLAIMS and these do not edit the same lines.) Accuracies are in points (0-100) where the
# chapter's table is in %; a paired difference of per-point losses is in nats.
from .registry import Claim as _Claim

FOUNDATIONS_CLAIMS = (
    _Claim("yi2021:lemma1-pointwise-worst-case", "Lemma 1, App. A.1.1 (used in the proofs of Theorems 1-2)",
           "book-reading",
           "Lemma 1: the largest risk over the W_inf ball of radius r around P_0 equals the expected pointwise "
           "worst case E_{P_0} sup_{|delta|_inf <= r} f(w, x + delta), attained by pushing each point to its "
           "worst case. The book reads it on a trained network with PGD standing in for the pointwise sup: the "
           "push-forward of PGD, a member of the ball, has a higher risk than uniform noise of the same size, "
           "another member; effect = per-point cross-entropy under PGD minus under the noise, same points",
           "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN (the "
           "lemma says the pointwise worst case is the largest; it names no size)",
           preconditions=("above chance",),
           control="none judged: the lemma's identity itself is solved exactly (an LP over couplings) in the same "
                   "chapter; PGD is a lower estimate of the sup, so the reading can fail only through the attack",
           units="nats"),
    _Claim("yi2021:table1-std-corruptions-cost", "Sec. 5.1, Table 1, CIFAR10-C Std row", "book-reading",
           "Table 1's standard-trained row loses accuracy under every CIFAR10-C corruption at severity 5 (clean "
           "94.82 %, corruption average 57.75 %); the book reads the row as: severity-5 corruptions cost a "
           "standard model accuracy on average; effect = clean minus corrupted accuracy, averaged over the 15 "
           "corruptions (interval over the corruptions)",
           "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN (the "
           "paper's 37-point drop is CIFAR-10's, not a size for another data set)",
           preconditions=("above chance",), control="none: a comparison of one model clean and corrupted",
           units="points of accuracy"),
    _Claim("yi2021:table1-std-corruption-ranking", "Sec. 5.1, Table 1, CIFAR10-C Std row", "book-reading",
           "the book's reading of the Std row: the corruptions that hurt a standard model most on CIFAR10-C hurt "
           "it most on the book's data too; effect = Spearman rho between the row's 15 accuracies and the 15 "
           "measured here at severity 5",
           "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
           preconditions=("above chance", "sample size"), control="none: a rank correlation over corruptions",
           units="Spearman rho"),
)
