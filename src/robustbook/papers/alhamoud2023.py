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
