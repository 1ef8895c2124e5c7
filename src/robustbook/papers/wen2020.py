"""What the book takes from Wen et al. (2020) as data: the numbers it prints, each with its location in the
paper (`004_2a423bf42682a14e.txt` of `../shared/papers/`, the text the transcription test reads). No torch here."""
from __future__ import annotations

from .registry import Claim

# Where each transcribed constant sits in the paper text: an anchor string that occurs there (a caption or a line
# of the table), optionally "[+N lines]" for the window after it that holds the numbers (tests/test_transcriptions.py);
# "NAME/key" locates one entry of a dict (tuple keys joined by "/"). Tables 3-6 are extracted cell by cell.
LOCATIONS: dict[str, str] = {
    "PAPER_TABLES/cifar10/ResNet-56": "Table 3. Raw data of CIFAR10 dataset [+40 lines]",
    "PAPER_TABLES/cifar10/ResNet-110": "Table 3. Raw data of CIFAR10 dataset [+80 lines]",
    "PAPER_TABLES/cifar100/ResNet-56": "Table 4. Raw data of CIFAR100 dataset [+40 lines]",
    "PAPER_TABLES/cifar100/ResNet-110": "Table 4. Raw data of CIFAR100 dataset [+80 lines]",
    "PAPER_TABLES/tinyimagenet/Wide ResNet": "Table 5. Raw data of Tiny-ImageNet dataset [+60 lines]",
    "PAPER_FGSM": "Table 2. Data of fg. 9 [+40 lines]",
    "PAPER_LV": "Table 1. Data of the smoothing effect of PGD adversarial training [+30 lines]",
    "PAPER_B2": "Quantitatively, we can look at the accumulated standard [+16 lines]",
    "PAPER_TABLE6": "Table 6. Raw data for fg. 6. SP denotes spectral norm. [+40 lines]",
    "B2_SUMS": "Quantitatively, we can look at the accumulated standard [+16 lines]",
    "TABLE3_RESNET56_STRENGTH4": "Table 3. Raw data of CIFAR10 dataset [+40 lines]",
    "TABLE6_UNCONTROLLED_STRENGTH4": "Table 6. Raw data for fg. 6. SP denotes spectral norm. [+40 lines]",
}

# Tables 3-5 (App. D.2): (data set, network) -> the AR strengths and one tuple per row, in the paper's order.
PAPER_TABLES: dict[tuple[str, str], dict[str, tuple[float, ...]]] = {
    ("cifar10", "ResNet-56"): dict(  # Table 3
        ar=(4, 8, 16), trn_acc=(99.51, 98.45, 95.97), test_acc=(88.86, 87.51, 84.89), d_acc=(10.65, 10.94, 11.08),
        trn_loss=(0.014, 0.043, 0.105), test_loss=(0.683, 0.649, 0.650), d_loss=(0.669, 0.606, 0.545),
        pgd=(65.92, 65.24, 72.16)),
    ("cifar10", "ResNet-110"): dict(  # Table 3
        ar=(4, 8, 16), trn_acc=(99.95, 99.62, 98.42), test_acc=(89.20, 87.09, 85.02), d_acc=(10.75, 12.53, 13.40),
        trn_loss=(0.002, 0.010, 0.044), test_loss=(0.825, 0.813, 0.729), d_loss=(0.823, 0.803, 0.685),
        pgd=(58.02, 66.94, 72.40)),
    ("cifar100", "ResNet-56"): dict(  # Table 4
        ar=(4, 8, 16), trn_acc=(88.73, 86.97, 82.17), test_acc=(61.31, 60.87, 59.43), d_acc=(27.42, 26.10, 22.74),
        trn_loss=(0.357, 0.413, 0.570), test_loss=(2.063, 2.106, 1.978), d_loss=(1.706, 1.693, 1.408),
        pgd=(30.52, 40.99, 48.81)),
    ("cifar100", "ResNet-110"): dict(  # Table 4
        ar=(4, 8, 16), trn_acc=(96.91, 94.55, 90.90), test_acc=(61.48, 61.26, 59.56), d_acc=(35.43, 33.29, 31.34),
        trn_loss=(0.098, 0.171, 0.278), test_loss=(2.645, 2.413, 2.323), d_loss=(2.547, 2.241, 2.045),
        pgd=(33.33, 42.08, 50.99)),
    ("tinyimagenet", "Wide ResNet"): dict(  # Table 5 (AR 0 included)
        ar=(0, 4, 8, 16), trn_acc=(79.12, 73.71, 66.17, 60.73), test_acc=(63.43, 62.09, 61.09, 57.36),
        d_acc=(15.69, 11.62, 5.08, 3.37), trn_loss=(0.874, 1.080, 1.384, 1.641),
        test_loss=(1.561, 1.637, 1.689, 1.806), d_loss=(0.687, 0.557, 0.305, 0.165), pgd=(0.00, 32.26, 41.20, 53.12)),
}

PAPER_FGSM = dict(ar=(4, 8, 16), test_acc=(89.32, 86.67, 82.83), d_loss=(0.429, 0.409, 0.385))  # Table 2, CIFAR-10

PAPER_LV = dict(ar=(4, 8, 16), eps=4, mean=(0.1337, 0.1006, 0.0888))  # Table 1, CIFAR-10, eps = 4/255 row

PAPER_B2 = dict(sum_fell=4.7465, sum_rose=0.4372)  # App. B.2, CIFAR-10, AR 4 vs 16: summed std decrease / increase

# Table 6 (App. D.3): spectral-norm bound -> (dLoss at AR 4, dLoss at AR 16, dAcc at AR 4, dAcc at AR 16)
PAPER_TABLE6: dict[str, tuple[float, float, float, float]] = {
    "1": (0.224, 0.168, 6.44, 4.76), "3": (0.596, 0.470, 9.63, 10.51), "5": (0.638, 0.506, 10.04, 10.64),
    "free": (0.669, 0.545, 10.65, 11.08)}

# App. B.2 (text): per group of layers, (summed std change, average std change) for CIFAR-10 and CIFAR-100; and the
# AR-4 row of Table 3's ResNet-56 and of Table 6's uncontrolled network (Trn Acc, Test Acc, dAcc, Trn Loss, Test Loss,
# dLoss, PGD). robustbook.theory.wen2020 reads them for its errata checks.
B2_SUMS = {"CIFAR-10 group 1": (4.7465, 0.1158), "CIFAR-10 group 2": (0.4372, 0.0312),
           "CIFAR-100 group 1": (3.7511, 0.09618), "CIFAR-100 group 2": (0.4372, 0.1103)}
TABLE3_RESNET56_STRENGTH4 = (99.51, 88.86, 10.65, 0.014, 0.683, 0.669, 65.92)
TABLE6_UNCONTROLLED_STRENGTH4 = (99.51, 88.86, 10.65, 0.014, 0.683, 0.669, 65.92)


# ---------------------------------------------------------------------------------------------- claims
# What the chapters test, declared from the paper before any run (robustbook.papers.registry). Every claim is a
# trend over the AR grid (a least-squares slope per unit of 1/255, 95% bootstrap interval over the test points);
# the paper gives directions without a size, so every margin is the book-wide NO_MARGIN. Each claim reads trained
# networks, so each is gated on all of them being above chance and having reached their plateau ("loss flattened",
# robustbook.verdicts.PLATEAU_TOL): one rule for every model.
_NO_MARGIN = "book: robustbook.verdicts.NO_MARGIN (the paper gives a direction, no size)"
_TRAINED = ("above chance", "loss flattened")
_SAME_DATA = "none: a trend over networks trained alike but for the training radius"


# Table 6's claims are about a gap (test minus training loss or error) that the unclipped network shows in the
# paper (App. B.3: capacity to overfit); where the unclipped network of this run has no such gap (its 95% interval
# not above 0) a clip has nothing to change, so each of these rows is also gated on "effect in reference".
_CAPACITY = (*_TRAINED, "effect in reference")
# The same holds for every claim about the loss gap: the AR sweeps' loss-gap claims (Tables 3-5 and Table 2) are
# gated on the weakest-AR network of the sweep showing a loss gap (95% interval above 0), the reference the paper's
# own AR 4 rows supply; a sweep without a gap has nothing for a stronger radius to shrink.
_GAP = (*_TRAINED, "effect in reference")


def _check(cid: str, source: str, statement: str, check: str, kind: str = "printed-formula") -> Claim:
    return Claim(cid, source, kind, statement, "check",
                 control=f"the check's mutants (robustbook.theory.wen2020.MUTANTS[{check!r}]) must be rejected",
                 units="share of mutants rejected")


def _trend(cid: str, source: str, kind: str, statement: str, direction: int, units: str,
           preconditions: tuple[str, ...] = _TRAINED) -> Claim:
    return Claim(cid, source, kind, statement, "sign", direction=direction, threshold=0.0,
                 threshold_source=_NO_MARGIN, preconditions=preconditions, control=_SAME_DATA, units=units)


CLAIMS = (
    _trend("wen2020:loss-gap-shrinks", "Sec. 4.1, Fig. 3a; Tables 3-5 (App. D.2, the ΔLoss rows)", "paper-claim",
           "networks trained with stronger adversarial robustness have a smaller gap between test and training loss; "
           "effect = slope of (test loss - training loss) against the training radius", -1, "loss per 1/255", _GAP),
    _trend("wen2020:test-acc-falls", "Sec. 4.1, Fig. 3b; Tables 3-5 (App. D.2, the Test Acc. rows)", "paper-claim",
           "standard test accuracy falls as the adversarial robustness strength grows; effect = slope of test "
           "accuracy (points) against the training radius", -1, "points per 1/255"),
    _trend("wen2020:pgd-acc-rises", "Tables 3-5 (App. D.2, the PGD rows); Fig. 12 (App. A)", "book-reading",
           "the paper prints PGD accuracy (on the originally correct test points) rising with the training radius "
           "as the defence it builds (Table 3's ResNet-56 row dips from AR 4 to 8, so the book reads the trend, not "
           "each step); effect = slope of that accuracy (points) against the training radius", +1,
           "points per 1/255"),
    _trend("wen2020:margins-concentrate", "Sec. 4.2.1, Fig. 4 (and Fig. 10, App. B.6)", "book-reading",
           "the margins of the examples concentrate more around zero as the robustness strength grows; the book "
           "reads 'concentrate' as a smaller standard deviation of the test margins; effect = its slope against "
           "the training radius", -1, "logit margin per 1/255"),
    # The two readings of the singular-value claim, shown as demonstrations: the paper says "in most layers"
    # (Sec. 4.2.2) and argues from the sums (App. B.2); the book's networks have batch norm where the paper's have
    # none, and the layers of one network are the whole population, not a sample (no interval over them).
    _trend("wen2020:sv-std-shrinks", "Sec. 4.2.2, Fig. 5c/d (\"smaller in most layers\"); App. B.6", "demonstration",
           "stronger robustness gives a smaller standard deviation of the singular values in most layers; the book "
           "reads 'most' as more than half. Shown on the book's substitute, networks WITH batch norm where the "
           "paper's have none (Fixup): batch norm leaves each layer's weight scale free, so a spectrum that shrinks "
           "may be batch norm's rescaling as much as the regulariser's; effect = the share of layers whose std fell "
           "from the weakest to the strongest radius, minus 1/2 (a count over all the layers, no interval)",
           +1, "share of layers - 1/2"),
    _trend("wen2020:sv-std-sums", "App. B.2 (the accumulated std changes)", "demonstration",
           "the summed decrease of the layers' singular-value std from AR 4 to 16 outweighs the summed increase "
           f"(App. B.2, CIFAR-10: {PAPER_B2['sum_fell']:g} against {PAPER_B2['sum_rose']:g}). Shown on the book's "
           "substitute with batch norm (see "
           "wen2020:sv-std-shrinks); effect = sum over the layers that fell minus sum over those that rose (all the "
           "layers, no interval)", +1, "singular-value std"),
    _trend("wen2020:loss-variation-falls", "App. B.5, Table 1, Fig. 8", "paper-claim",
           "the average largest loss change within a small l_inf ball around a test point falls as the robustness "
           "strength grows; effect = slope of the per-point loss variation (largest radius) against the training "
           "radius", -1, "loss per 1/255"),
    _trend("wen2020:fgsm-loss-gap-shrinks", "App. B.6, Table 2, Fig. 9a", "paper-claim",
           "with FGSM instead of PGD adversarial training, the loss gap still shrinks as the robustness strength "
           "grows; effect as for wen2020:loss-gap-shrinks, on the FGSM-trained networks", -1, "loss per 1/255", _GAP),
    _trend("wen2020:fgsm-test-acc-falls", "App. B.6, Table 2, Fig. 9b", "paper-claim",
           "with FGSM adversarial training, standard test accuracy still falls as the robustness strength grows",
           -1, "points per 1/255"),
    Claim("wen2020:capacity-loss-gap-falls", "App. B.4.2, Fig. 6a; Table 6 (App. D.3)", "paper-claim",
          "under every spectral-norm bound the loss gap keeps falling as the robustness strength grows; effect = "
          "slope of the loss gap against the training radius, per clip", "sign", direction=-1, threshold=0.0,
          threshold_source=_NO_MARGIN, preconditions=_CAPACITY, control=_SAME_DATA, units="loss per 1/255"),
    Claim("wen2020:capacity-error-gap-rises", "App. B.4.2, Fig. 6a; Table 6 (App. D.3), rows SP 3, SP 5 and free",
          "book-reading",
          "with a spectral-norm bound of 3, 5 or none (capacity enough to overfit, App. B.3) the error gap grows "
          "with the robustness strength (Table 6: 9.63 -> 10.51, 10.04 -> 10.64, 10.65 -> 11.08 from AR 4 to 16); "
          "effect = slope of training accuracy - per-point test correctness (points) against the training radius",
          "sign", direction=+1, threshold=0.0, threshold_source=_NO_MARGIN, preconditions=_CAPACITY,
          control=_SAME_DATA, units="points per 1/255"),
    Claim("wen2020:capacity-error-gap-falls-sp1", "App. B.4.2, Fig. 6a; Table 6 (App. D.3), row SP 1",
          "book-reading",
          "under the tightest spectral-norm bound (1) the error gap falls as the robustness strength grows "
          "(Table 6: 6.44 -> 4.76 from AR 4 to 16); effect as for wen2020:capacity-error-gap-rises", "sign",
          direction=-1, threshold=0.0, threshold_source=_NO_MARGIN, preconditions=_CAPACITY, control=_SAME_DATA,
          units="points per 1/255"),
    # Theorem 3.1 / C.1 and Lemma 3.1: each judged by its theory check of robustbook.theory.wen2020 and the mutants
    # (wrong variants, never a form the paper states) that check must reject; no trained model, no threshold. A step
    # the book had to correct is a book-reading; the printed form of that step is its own printed-formula claim.
    _check("wen2020:lemma-3-1", "Lemma 3.1 / Corollary C.1 (Sec. 3, App. C, eq. (7)), as the book reads it",
           "the difference of a ReLU network's outputs along a segment is the sum, over the linear regions it crosses, "
           "of each region's Jacobian times the part of the segment inside it. The book's reading: a vector identity "
           "on the segment x + t(x' - x) of eq. (10); eq. (7) and Corollary C.1 print a norm on the left of a vector "
           "and the segment x - t(x' - x) (the step table shows the printed segment failing)", "lemma_3_1",
           "book-reading"),
    _check("wen2020:thm31-ramp-variation", "Theorem 3.1, proof, eq. (8) (App. C)",
           "within a cell the ramp loss varies by at most max{0, 1 - u_min / gamma}", "ramp_variation"),
    _check("wen2020:thm31-sum-over-cells", "Theorem 3.1, proof, eq. (17) (App. C)",
           "the average over the cells of the largest loss variation is at most the largest variation of one cell "
           "(the text's 2 max{0, 1 - u_min/gamma} is looser)", "sum_over_cells"),
    _check("wen2020:thmC1-bhc-tail", "Theorem C.1 (Xu & Mannor), eq. (18) (App. C)",
           "the cell frequencies of m samples deviate from the cell masses by sum_i |N_i/m - mu(C_i)| >= "
           "sqrt((2K log 2 + 2 log(1/eta))/m) with probability at most eta (Bretagnolle-Huber-Carol)", "bhc_tail"),
    Claim("wen2020:thm31-margin-chain", "Theorem 3.1, proof, eqs. (13)-(14) (App. C)", "printed-formula",
          "in the linear region q of the proof (its ReLU masks kept), (w_y - w_yhat)^T prod_i W_i^q (x - x') >= "
          "||w_y - w_yhat|| prod_i sigma_min(W_i) ||x - x'||, the step that ties the score margin to the layers' "
          "smallest singular values; judged by the margin-chain check in the paper's setting (the masks of each "
          "input's region, random 8-8-8-3 ReLU networks)", "check",
          control="the same check passes with every unit on (the book's corrected step, "
                  "robustbook.theory.wen2020.CORRECTED['margin_chain']) and rejects its mutant (each layer's largest singular value "
                  "in place of its smallest), so a failure here is the masks', not the check's",
          units="share of mutants rejected"),
    _check("wen2020:thm31-one-label-cells", "Theorem 3.1, proof, eqs. (15)-(16) (App. C), as the book reads it",
           "the ramp loss varies by at most max{0, 1 - u_min/gamma} within a cell, under an assumption the book adds: "
           "every cell holds one label and the classifier predicts one class on it (the proof argues only that all "
           "training points of a cell are classified alike; a cell mixing labels breaks (16), see the step table)",
           "one_label_cells", "book-reading"),
    _check("wen2020:thm31-bound", "Theorem 3.1 (Sec. 3) with Theorem C.1 (App. C), the cell count as the book reads it",
           "the covering term of the bound is M sqrt((2K log 2 + 2 log(1/eta))/m) with K = (2 C_X / eps)^k cells of "
           "diameter eps (balls of radius eps/2), i.e. sqrt(log 2 2^(k+1) C_X^k / (eps^k m) + 2 log(1/eta)/m) for a "
           "loss bounded by 1. The radius eps/2 is the book's correction: the proof of C.1 states K = C_X^k/eps^k "
           "with covering balls of radius eps", "bhc_form", "book-reading"),
    Claim("wen2020:thm31-printed-display", "Theorem 3.1 (Sec. 3), the bound's last display as printed; the proof's "
          "cell count K = C_X^k/eps^k (App. C, proof of Theorem C.1)", "printed-formula",
          "the bound's last display as printed, sqrt(log 2 2^(k+1) C_X^k / (gamma^k m) + 2 log(1/eta)/m), is Theorem "
          "C.1's covering term with the cell count the proof states, K = C_X^k/eps^k; judged by the sympy identity "
          "check of that term (robustbook.theory.wen2020.check_bhc_form_proof) with the printed display in place "
          "of its claim", "check",
          control="the same check passes on Theorem C.1's term written out with the proof's K (sqrt(2 log 2 C_X^k/"
                  "(eps^k m) + 2 log(1/eta)/m)) and rejects its mutants, so a rejection here is the display's, not "
                  "the check's", units="share of mutants rejected"),
)
