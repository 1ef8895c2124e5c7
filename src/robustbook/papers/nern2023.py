"""What the book takes from Nern and Sharma (2023) as data: the numbers it prints, each with its location in the
paper (`001_068f2059c416f973.txt` of `../shared/papers/`, the text the transcription test reads). No torch here."""
from __future__ import annotations

from .registry import Claim

# Where each transcribed constant sits in the paper text: an anchor string that occurs there, optionally
# "[+N lines]" for the window after it that holds the numbers (tests/test_transcriptions.py); "NAME/key" locates
# one entry of a dict. The string entries of PAPER are formulas, not numbers: only thm41_factor is compared.
LOCATIONS: dict[str, str] = {
    "PAPER/thm41_factor": "**Theorem 4.1.** *The classifier [+4 lines]",
}

# Nern & Sharma state no measured numbers (the paper has no experiments; Sec. 5 asks for empirical
# corroboration). What the chapter compares with is the form of its statements, transcribed once here:
PAPER = {
    "thm32_factor": "||W||_2 C_1",  # Thm 3.2 (p. 4): L_adv - L <= ||W||_2 C_1 (1/n) sum max ||f(x+d) - f(x)|| + C_2 sqrt(log(2/rho)/(2n))
    "thm41_factor": 2.0,  # Thm 4.1 (p. 5): robust at x if min_j (F_y - F_j)(x) >= 2 ||W||_2 max ||f(x+d) - f(x)||
    "C_appendix_b": "2 c sqrt(c) M_2^2 / M_1",  # App. B: the Lipschitz constant of cross-entropy as printed
}


# ---------------------------------------------------------------------------------------------- claims
# What the chapters test, declared from the paper before any run (robustbook.papers.registry). The paper prints no
# measured number, so no threshold here is the paper's: bound and check claims carry none, sign claims the book-wide
# NO_MARGIN. Bound claims' negative controls use robustbook.verdicts.CONTROL_FACTOR unless the claim has a mutant.
# Every claim that reads the trained encoders is gated on each having reached its plateau (verdicts.loss_flattened on
# its zoo history), as wen2020's and yi2021's trained networks are.
_TRAINED = ("above chance", "loss flattened")
_TRAINED_N = (*_TRAINED, "sample size")
_HALVED = "the same bound halved (robustbook.verdicts.CONTROL_FACTOR): it must be violated, or the check had no power"
CLAIMS = (
    Claim("nern2023:thm32-per-point", "Theorem 3.2 (Sec. 3) and its proof, App. A (the Lipschitz step)",
          "demonstration",
          "the proof of Theorem 3.2 bounds each point's loss change by C_1 ||W||_2 times the change of the representation "
          "(the loss is C_1-Lipschitz in the logits, the logits move at most ||W||_2 times the representation); the "
          "sample form averages this over the points. Book: C_1 = sqrt 2 for cross-entropy, checked at the point the "
          "classifier's own PGD found; effect = the worst gap_i / (sqrt 2 ||W||_2 shift_i) over the points",
          "bound", preconditions=_TRAINED_N, control=_HALVED, units="tightness"),
    Claim("nern2023:thm32-sample-largest-shift", "Theorem 3.2 (Sec. 3), the fixed-sample form (the remark after it)",
          "demonstration",
          "the fixed-sample form of Theorem 3.2 (no Hoeffding term) with, per point, the largest representation shift "
          "found (the independent representation search's or the classifier attack's, whichever is larger): a lower "
          "estimate of the theorem's max, and a consequence of nern2023:thm32-per-point (averaging the per-point "
          "chain gives it), so it can disagree only where that claim does; shown for its tightness, not tallied",
          "bound", preconditions=_TRAINED, control=_HALVED, units="tightness"),
    Claim("nern2023:thm32-sample-sound", "Theorem 3.2 (Sec. 3), the fixed-sample form (the remark after it)",
          "demonstration",
          "over a fixed sample, the mean adversarial-minus-clean loss is at most C_1 ||W||_2 times the mean of the "
          "maximal representation shift; the book plugs in C_1 = sqrt 2 and a sound upper bound of the max shift (a "
          "product of exact layer norms); effect = gap / right side on the tightest (encoder, head, threat) row",
          "bound", preconditions=_TRAINED, control=_HALVED, units="tightness"),
    Claim("nern2023:thm41-certified-keep-label", "Theorem 4.1 (Sec. 4)", "demonstration",
          "a point x whose predicted class y = c(x) has smallest logit margin min_j |F(x)_y - F(x)_j| at least 2 "
          "||W||_2 times the maximal representation shift keeps its prediction under every perturbation of the ball "
          "(the theorem asks nothing about the true label; the book judges it on the correctly classified points); the book certifies with "
          "the sound shift bound and attacks with the classifier's PGD; effect = the worst (margin drop / margin) "
          "over certified points (above 1 is a flip)",
          "bound", preconditions=_TRAINED_N,
          control="certified points asked to keep half their margin: " + _HALVED, units="share of the margin"),
    Claim("nern2023:thm41-step-pairwise", "App. C (proof of Theorem 4.1), the step bounding the margin change",
          "demonstration",
          "App. C bounds the change of the margin to class j by (||W_y||_2 + ||W_j||_2) times the representation "
          "shift, then by 2 ||W||_2 times it; the book tests the sharper pairwise form the same argument gives, "
          "||W_y - W_j||_2 times the shift (it implies the printed one), at the classifier attack's point; effect = "
          "the worst drop / (||W_y - W_j||_2 shift) over the points the attack moved",
          "bound", preconditions=_TRAINED_N, control=_HALVED, units="tightness"),
    # Not a claim of the paper: Nern & Sharma prove their bounds "irrespective of the pre-training protocol"
    # (abstract; Sec. 2) and never say what adversarial training does to f. The sources they cite (Sec. 1, the
    # intuition after Thm 3.2) say a robust representation gives a robust predictor. The book checks that its
    # encoders supply the spread of representation robustness the theorems relate: shown, never tallied.
    Claim("nern2023:at-shrinks-shift", "the book's check of its own encoders (not the paper's claim: the paper's "
          "bounds hold irrespective of the pre-training protocol, abstract and Sec. 2)", "demonstration",
          "the book's hypothesis, not the paper's: adversarial pre-training yields a representation that moves less "
          "under an epsilon-perturbation, so the encoders span the range of representation robustness the theorems "
          "relate; the encoders differ in scale, so each searched shift is divided by the mean norm of that "
          "encoder's clean representations; effect = scaled shift of the standard encoder minus that of the "
          "adversarially trained one, paired over the same test points, per encoder and threat",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN (the paper "
          "names no size)", preconditions=_TRAINED,
          control="none: a paired comparison of two encoders on the same points",
          units="shift / mean clean representation norm",
          alternatives="a stronger representation search (TRANSFER[p].strong_steps steps x strong_restarts "
                       "restarts) on a seeded subset of strong_points test points, the same subset for both encoders"),
    Claim("nern2023:gap-grows-with-w-shift", "the intuition after Theorem 3.2 (Sec. 3); Sec. 5, 'Empirical "
          "corroboration'", "demonstration",
          "the loss gap grows with ||W||_2 times the representation shift (the quantity both theorems turn on, whose "
          "influence Sec. 5 asks experiments to show); effect = Spearman rho over the (encoder, head, threat) rows "
          "with a head above chance, the shift from the independent representation search (not the classifier's "
          "attack, which would make the correlation partly circular). Shown, not tallied: the rows are not "
          "independent (they share a few encoders, too few clusters for a bootstrap over encoders) and both sides "
          "grow with ||W||_2 along the weight-decay sweep, so the interval over rows overstates what is known",
          "sign", direction=+1, threshold=0.0, threshold_source="book: robustbook.verdicts.NO_MARGIN",
          preconditions=(*_TRAINED_N[:2], "sample size"), control="none: a rank correlation over rows",
          units="Spearman rho"),
    Claim("nern2023:appb-step1", "App. B, first step (the loss as a function of e = exp(r))", "printed-formula",
          "|l_exp(e, y) - l_exp(e', y)| <= 2 sqrt(c) / min(e_y, e'_y) ||e - e'||_2",
          "check", control="the check's mutant, the constant 1 in place of 2 sqrt(c) (robustbook.theory.nern2023."
          "MUTANTS['step1']), must be rejected", units="share of mutants rejected"),
    Claim("nern2023:appb-printed-C", "Sec. 3 (the cross-entropy example) and App. B, last display", "printed-formula",
          "C = 2 c sqrt(c) M_2^2 / M_1 is a Lipschitz constant of cross-entropy in the logits on any compact set of "
          "logits (M_1 the least e^{r_y}, M_2 the largest ||e^r||_inf on the set); effect = the worst "
          "|l(r) - l(r')| / (C ||r - r'||_2) found by the search and on the exact counterexample (every logit at -10); "
          "above 1 the printed formula is wrong on that set", "bound", control=_HALVED, units="ratio to C"),
    Claim("nern2023:appb-printed-C-high-logits", "App. B, last display, read where its derivation's slips cancel",
          "demonstration",
          "the printed C is a Lipschitz constant of cross-entropy on every set of logits whose largest logit reaches "
          "-log c (there M_2 >= 1/c, so the printed C is at least the corrected 2 sqrt(c) M_2 / M_1)",
          "check", control="the check's mutant, the same claim on every set (no condition on M_2), must be rejected",
          units="share of mutants rejected"),
    Claim("nern2023:appb-corrected-C", "App. B, the two steps corrected (book)", "demonstration",
          "carried through with squares on both sides, App. B's argument gives C = 2 sqrt(c) M_2 / M_1, a Lipschitz "
          "constant of cross-entropy on the set", "check",
          control="the check's mutant, the printed constant in its place, must be rejected",
          units="share of mutants rejected"),
    Claim("nern2023:ce-lipschitz-sqrt2", "the book's C_1 for Theorem 3.2 (not the paper's)", "demonstration",
          "the gradient of cross-entropy in the logits, softmax(r) - e_y, never has norm above sqrt 2, so sqrt 2 is a "
          "Lipschitz constant everywhere (the C_1 every transfer check uses)", "check",
          control="the check's mutant, |grad| <= 1, must be rejected; the largest gradient norm on random logits is "
                  "shown beside it", units="share of mutants rejected"),
)
