"""Checks for the book's exercises: each takes a student's answer and says "correct" or what is wrong.

A check never prints the solution: a wrong answer gets one sentence naming what is off (a value outside the
threat set, a sign, a factor that does not change with n) and the measured discrepancy. Exercises that are
proofs get a self-check list instead (`EXERCISES[label].self_check`). `EXERCISES` also says what the student
edition puts in place of each solution (`robustbook.bookbuild.course`): the stub to fill and the check call below it.

Set ``ROBUSTBOOK_EXERCISES_STRICT=1`` to turn a wrong answer into an ``AssertionError`` (the course tests do).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["Feedback", "ExerciseSpec", "EXERCISES", "CHECKS"]


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: `ok`, and a one-sentence `message`."""

    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return ("correct: " if self.ok else "not yet: ") + self.message

    def _repr_markdown_(self) -> str:
        return ("**correct**: " if self.ok else "**not yet**: ") + self.message


def _verdict(ok: bool, message: str) -> Feedback:
    """A Feedback; raises in strict mode when the answer is wrong."""
    fb = Feedback(ok, message)
    if not ok and os.environ.get("ROBUSTBOOK_EXERCISES_STRICT") == "1":
        raise AssertionError(repr(fb))
    return fb


def _number(name: str, value: Any) -> float | Feedback:
    """`value` as a float, or a Feedback saying it is not a number."""
    if value is Ellipsis:
        return _verdict(False, f"`{name}` is still `...`: replace it with your answer.")
    try:
        out = float(value)
    except (TypeError, ValueError):
        return _verdict(False, f"`{name}` should be a number, got {type(value).__name__}.")
    if not math.isfinite(out):
        return _verdict(False, f"`{name}` = {out} is not a finite number.")
    return out


def _close(a: float, b: float, rtol: float = 5e-3, atol: float = 1e-4) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


# ---------------------------------------------------------------------------------------------------------
# Randomized smoothing (alhamoud2023/certified)

def check_max_certified_radius(max_radius_over_sigma: Any, n: int, alpha: float) -> Feedback:
    """alh-cert-ex-1: the largest Gaussian certificate (in units of sigma) with n of n samples on the top class."""
    from scipy.stats import norm

    v = _number("max_radius_over_sigma", max_radius_over_sigma)
    if isinstance(v, Feedback):
        return v
    truth = float(norm.ppf(alpha ** (1 / n)))
    if _close(v, truth):
        return _verdict(True, f"with n = {n} and alpha = {alpha} no certificate can exceed {v:.3f} sigma.")
    if _close(v, float(norm.ppf(1 - alpha))):
        return _verdict(False, "your value does not depend on n: the lower confidence bound on p_A with n of n "
                               "successes does, and so does the radius.")
    if 0 < v < 1 and _close(v, alpha ** (1 / n)):
        return _verdict(False, "that is a bound on the probability p_A, not a radius: the Gaussian certificate "
                               "maps p_A to a radius through the inverse normal CDF.")
    return _verdict(False, f"{v:.3f} is off by {100 * abs(v - truth) / abs(truth):.0f}%: start from the "
                           "Clopper-Pearson lower bound on p_A when all n samples return the top class.")


def check_uniform_vs_gaussian(uniform_radius: Any, gaussian_radius: Any, p_a: float = 0.99) -> Feedback:
    """alh-cert-ex-2: the uniform (l1) and Gaussian (l2) certified radii at p_A, in units of sigma."""
    from scipy.stats import norm

    u = _number("uniform_radius", uniform_radius)
    if isinstance(u, Feedback):
        return u
    g = _number("gaussian_radius", gaussian_radius)
    if isinstance(g, Feedback):
        return g
    if not _close(u, 2 * p_a - 1):
        hint = (" p_B is not 0: it is the rest of the probability, 1 - p_A." if _close(u, p_a)
                else " the uniform certificate is sigma (p_A - p_B).")
        return _verdict(False, f"the uniform radius {u:.3f} sigma is wrong at p_A = {p_a}:{hint}")
    if not _close(g, float(norm.ppf(p_a))):
        return _verdict(False, f"the Gaussian radius {g:.3f} sigma is wrong at p_A = {p_a}: it is sigma times a "
                               "standard-normal quantile, not a probability.")
    return _verdict(True, "right radii; now say why comparing an l1 and an l2 radius is not fair.")


# ---------------------------------------------------------------------------------------------------------
# Adversarial augmentation (alhamoud2023/empirical)

def check_lambda_mapping(library_lam: Callable[[float], float]) -> Feedback:
    """alh-emp-ex-2: the library's `lam` for the paper's lambda of Eq. 5, as a function."""
    if not callable(library_lam):
        return _verdict(False, "`library_lam` should be a function of the paper's lambda.")
    for lam in (0.0, 0.2, 0.5, 0.7, 1.0):
        try:
            got = float(library_lam(lam))
        except NotImplementedError:
            return _verdict(False, "`library_lam` still raises NotImplementedError: write its body.")
        want = 1.0 - lam
        if not _close(got, want, 1e-9, 1e-9):
            return _verdict(False, f"at paper lambda = {lam} your library lam {got:.3g} makes the two objectives "
                                   "weight the clean loss differently (expand both and compare coefficients).")
    return _verdict(True, "the two objectives coincide for every lambda with your mapping.")


# ---------------------------------------------------------------------------------------------------------
# Corruptions (foundations/corruptions)

def _colour_batch(seed: int = 1):
    import torch

    return torch.rand(8, 3, 16, 16, generator=torch.Generator().manual_seed(seed)) * 0.9 + 0.05


def check_brightness_scaling(brightness_by_scaling: Callable[[Any, float], Any]) -> Feedback:
    """corruptions-ex-1: brightness as a per-pixel scaling of the three channels, checked against `corrupt`."""
    from .data import corruptions as C

    if not callable(brightness_by_scaling):
        return _verdict(False, "`brightness_by_scaling` should be a function (x, c) -> corrupted batch.")
    x = _colour_batch()
    for s in (1, 3, 5):
        c = C.PARAMS["brightness"][s - 1]
        try:
            got = brightness_by_scaling(x.clone(), c)
        except NotImplementedError:
            return _verdict(False, "`brightness_by_scaling` still raises NotImplementedError: write its body.")
        want = C.corrupt(x, "brightness", s)
        if tuple(got.shape) != tuple(want.shape):
            return _verdict(False, f"your output has shape {tuple(got.shape)}, the batch has {tuple(want.shape)}.")
        err = float((got - want).abs().max())
        if err > 1e-4:
            return _verdict(False, f"at severity {s} (c = {c}) your pixels differ from the HSV brightness of "
                                   f"`corrupt` by up to {err:.3f}: one factor per pixel, the same for all channels.")
    return _verdict(True, "your scaling reproduces the HSV brightness corruption at severities 1, 3 and 5.")


SPECKLE_C = (0.06, 0.1, 0.12, 0.16, 0.2)


def check_speckle(speckle: Callable[[Any, int, Any], Any]) -> Feedback:
    """corruptions-ex-2: speckle noise x + x c xi, clipped, batched, seeded by a torch.Generator."""
    import torch

    if not callable(speckle):
        return _verdict(False, "`speckle` should be a function (x, severity, generator) -> batch.")
    x = torch.full((4, 3, 32, 32), 0.5)
    x[:, :, :8] = 0.0  # a black band: multiplicative noise leaves it black
    try:
        a = speckle(x.clone(), 3, torch.Generator().manual_seed(0))
        b = speckle(x.clone(), 3, torch.Generator().manual_seed(0))
    except NotImplementedError:
        return _verdict(False, "`speckle` still raises NotImplementedError: write its body.")
    if tuple(a.shape) != tuple(x.shape):
        return _verdict(False, f"your output has shape {tuple(a.shape)}, the batch has {tuple(x.shape)}.")
    if float(a.min()) < 0 or float(a.max()) > 1:
        return _verdict(False, f"your output leaves [0, 1] (range {float(a.min()):.3f} to {float(a.max()):.3f}).")
    if not torch.equal(a, b):
        return _verdict(False, "two calls with the same generator seed differ: draw the noise from `generator`.")
    if float(a[:, :, :8].abs().max()) > 0:
        return _verdict(False, "black pixels change under your noise: speckle noise is proportional to the pixel.")
    for s, c in enumerate(SPECKLE_C, start=1):
        out = speckle(x.clone(), s, torch.Generator().manual_seed(s))
        std = float(((out[:, :, 8:] - 0.5) / 0.5).std())
        if not _close(std, c, rtol=0.1, atol=0.0):
            return _verdict(False, f"at severity {s} the relative noise on a grey pixel has std {std:.3f}; "
                                   f"the CIFAR-10-C table asks for {c}.")
    return _verdict(True, "multiplicative, clipped, seeded and at the right strength for all five severities.")


# ---------------------------------------------------------------------------------------------------------
# Threat models (foundations/threat_models)

def check_worst_risks(worst_risk_w_inf: Any, worst_risk_w_2: Any) -> Feedback:
    """threat-ex-1: worst 0-1 risk over the W_inf and W_2 balls of radius 0.1 around a point mass at 0."""
    a = _number("worst_risk_w_inf", worst_risk_w_inf)
    if isinstance(a, Feedback):
        return a
    b = _number("worst_risk_w_2", worst_risk_w_2)
    if isinstance(b, Feedback):
        return b
    if not _close(a, 0.0):
        return _verdict(False, f"W_inf: {a:.3g} is too large; in that ball no point moves farther than r = 0.1, "
                               "so ask which losses the moved points can reach.")
    if _close(b, 0.0):
        return _verdict(False, "W_2: the ball also contains distributions that move a little mass far; "
                               "how much mass can reach |x| = 1/2 at a transport cost of r^2?")
    if not _close(b, 0.04):
        return _verdict(False, f"W_2: {b:.3g} is not the worst risk; the mass m you move to |x| = 1/2 must "
                               "satisfy the W_2 budget (cost m times the squared distance).")
    return _verdict(True, "the W_2 ball is strictly worse for the 0-1 loss.")


def check_linear_attack(optimal_delta: Callable[[Any, float, str], Any]) -> Feedback:
    """threat-ex-2: the margin-minimising perturbation of a linear model in the l_inf and l_2 balls."""
    import torch

    if not callable(optimal_delta):
        return _verdict(False, "`optimal_delta` should be a function (w, eps, norm) -> delta.")
    w = torch.randn(16, generator=torch.Generator().manual_seed(3))
    for norm, eps, dual in (("linf", 0.1, float(w.abs().sum())), ("l2", 0.3, float(w.norm()))):
        try:
            d = torch.as_tensor(optimal_delta(w.clone(), eps, norm), dtype=w.dtype)
        except NotImplementedError:
            return _verdict(False, "`optimal_delta` still raises NotImplementedError: write its body.")
        if d.shape != w.shape:
            return _verdict(False, f"{norm}: delta has shape {tuple(d.shape)}, w has {tuple(w.shape)}.")
        size = float(d.abs().max()) if norm == "linf" else float(d.norm())
        if size > eps * (1 + 1e-5):
            name = "l_inf" if norm == "linf" else "l_2"
            return _verdict(False, f"your step leaves the {name} ball: ||delta|| = {size:.4f} > eps = {eps}.")
        change = float(w @ d)
        if change >= 0:
            return _verdict(False, f"{norm}: your delta raises the margin (w . delta = {change:+.3f}); it should "
                                   "lower it.")
        if not _close(change, -eps * dual, rtol=1e-4, atol=1e-6):
            return _verdict(False, f"{norm}: your delta lowers the margin by {-change:.4f}, but a point of the "
                                   f"ball lowers it by {eps * dual:.4f} (which inequality is tight?).")
    return _verdict(True, "both perturbations reach the dual-norm drop of the margin.")


# ---------------------------------------------------------------------------------------------------------
# Cross-entropy's Lipschitz constant (nern2023/appendix_b)

def check_ce_extreme_logits(logits: Any, label: Any) -> Feedback:
    """nern-ex-b2: logits where ||softmax(r) - e_y||_2 is within 1e-3 of sqrt(2)."""
    import numpy as np

    from .theory.nern2023 import ce_gradient_norm

    if logits is Ellipsis or label is Ellipsis:
        return _verdict(False, "`logits` or `label` is still `...`: fill both in.")
    r = np.atleast_2d(np.asarray(logits, dtype=np.float64))
    y = np.atleast_1d(np.asarray(label)).astype(int)
    if len(y) != len(r) or (y < 0).any() or (y >= r.shape[1]).any():
        return _verdict(False, f"`label` must hold one class index in [0, {r.shape[1]}) per row of `logits`.")
    g = float(ce_gradient_norm(r, y).max())
    if abs(g - math.sqrt(2)) <= 1e-3:
        return _verdict(True, f"gradient norm {g:.5f}, within 1e-3 of sqrt(2).")
    return _verdict(False, f"the gradient norm at your logits is {g:.4f}, {math.sqrt(2) - g:.4f} below sqrt(2): "
                           "where must the probability mass sit for the bound to be tight?")


# ---------------------------------------------------------------------------------------------------------
# wen2020

def check_bn_fold(fold_bn: Callable[[Any, Any], Any]) -> Feedback:
    """wen-ex-2: the evaluation-mode batch-norm scale folded into the preceding convolution's kernel."""
    import torch

    if not callable(fold_bn):
        return _verdict(False, "`fold_bn` should be a function (conv_weight, bn) -> folded kernel.")
    gen = torch.Generator().manual_seed(0)
    conv = torch.nn.Conv2d(3, 4, 3, padding=1, bias=False)
    bn = torch.nn.BatchNorm2d(4)
    with torch.no_grad():
        conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen))
        bn.weight.copy_(torch.rand(4, generator=gen) + 0.5)
        bn.bias.copy_(torch.randn(4, generator=gen))
        bn.running_var.copy_(torch.rand(4, generator=gen) * 3 + 0.1)
        bn.running_mean.copy_(torch.randn(4, generator=gen))
    bn.eval()
    try:
        folded = torch.as_tensor(fold_bn(conv.weight.detach().clone(), bn)).detach()
    except NotImplementedError:
        return _verdict(False, "`fold_bn` still raises NotImplementedError: write its body.")
    if folded.shape != conv.weight.shape:
        return _verdict(False, f"your kernel has shape {tuple(folded.shape)}, the convolution's is "
                               f"{tuple(conv.weight.shape)}.")
    x = torch.randn(2, 3, 8, 8, generator=gen)
    with torch.no_grad():
        want = bn(conv(x)) - bn(torch.zeros_like(conv(x)))  # the linear part of bn . conv
        got = torch.nn.functional.conv2d(x, folded, padding=1)
    err = float((got - want).abs().max() / want.abs().max())
    if err > 1e-4:
        return _verdict(False, f"a convolution with your kernel differs from batch norm after the convolution "
                               f"(bias aside) by {100 * err:.1f}% of its output: check the scale per output channel.")
    return _verdict(True, "your kernel is the linear part of batch norm after the convolution.")


def check_ramp_counterexample(u_train: Any, u_other: Any, u_min: Any, gamma: Any = 1.0) -> Feedback:
    """wen-ex-theory-1: two margins, one negative, whose ramp losses differ by more than max(0, 1 - u_min/gamma)."""
    vals = {}
    for name, v in (("u_train", u_train), ("u_other", u_other), ("u_min", u_min), ("gamma", gamma)):
        got = _number(name, v)
        if isinstance(got, Feedback):
            return got
        vals[name] = got
    a, b, m, g = vals["u_train"], vals["u_other"], vals["u_min"], vals["gamma"]
    if g <= 0 or m < 0:
        return _verdict(False, "eq. (8) assumes gamma > 0 and u_min >= 0.")
    if a < m:
        return _verdict(False, f"`u_train` = {a} is below u_min = {m}; the training point must meet the margin.")
    if min(a, b) >= 0:
        return _verdict(False, "both margins are non-negative; the exercise asks for a pair with one negative.")
    ramp = lambda u: min(1.0, max(0.0, 1 - u / g))  # noqa: E731
    gap, bound = abs(ramp(a) - ramp(b)), max(0.0, 1 - m / g)
    if gap <= bound:
        return _verdict(False, f"your pair's ramp losses differ by {gap:.3f}, within the bound {bound:.3f}: "
                               "(8) holds for it.")
    return _verdict(True, f"the ramp losses differ by {gap:.3f} > {bound:.3f}; now name the proof's case that "
                          "excludes such a pair.")


# ---------------------------------------------------------------------------------------------------------
# yi2021

def check_effective_radius(effective_radius_over_r: Any) -> Feedback:
    """yi-ex-abl-step: the l_inf radius reached by K = 2 sign steps of size r/4, as a fraction of r."""
    v = _number("effective_radius_over_r", effective_radius_over_r)
    if isinstance(v, Feedback):
        return v
    if _close(v, 0.5):
        return _verdict(True, "the model trains at half the radius it is labelled with.")
    if v >= 1:
        return _verdict(False, "the projection caps the radius at r, but can K sign steps of r/4 travel that far?")
    return _verdict(False, f"{v:.3g} r is not how far K = 2 steps of r/4 can move one coordinate from delta = 0.")


# ---------------------------------------------------------------------------------------------------------
# The registry the course builder reads.

@dataclass(frozen=True)
class ExerciseSpec:
    """What the student edition shows for one exercise, and how its answer is checked."""

    check: str | None = None  # the check call placed under the stub (code, run in the notebook)
    stub: str | None = None  # the stub cell; None: derived from the solution's code, if it has any
    reference: str | None = None  # what the stub asks for; the tests run it, then the solution's own code cells
    hint: str = ""  # the one-line hint of the stub's NotImplementedError
    self_check: tuple[str, ...] = ()  # for proofs and explanations


def _stub(names: str, hint: str) -> str:
    """A stub cell: the names to fill, then a NotImplementedError with a hint (inside a function stub)."""
    indent = "    " if names.startswith("def ") else ""
    return f"{names}\n{indent}raise NotImplementedError({hint!r})"


EXERCISES: dict[str, ExerciseSpec] = {
    "alh-cert-ex-1": ExerciseSpec(
        check="exercises.check_max_certified_radius(max_radius_over_sigma, n=n, alpha=a)",
        stub=_stub("max_radius_over_sigma = ...  # the largest certified radius, in units of sigma",
                   "the radius is sigma times a normal quantile of the lower bound on p_A"),
        reference="from scipy.stats import norm\nmax_radius_over_sigma = float(norm.ppf(a ** (1 / n)))"),
    "alh-cert-ex-2": ExerciseSpec(
        check="exercises.check_uniform_vs_gaussian(uniform_radius, gaussian_radius)",
        stub=_stub("uniform_radius = ...  # in units of sigma, at p_A = 0.99\ngaussian_radius = ...  # idem",
                   "write both certificates with p_B = 1 - p_A"),
        reference="from scipy.stats import norm\nuniform_radius, gaussian_radius = 2 * 0.99 - 1, float(norm.ppf(0.99))",
        self_check=("Did you say in which norm each radius is measured?",
                    "Did you compare the variances of the two smoothing distributions at the same sigma?")),
    "alh-emp-ex-1": ExerciseSpec(self_check=(
        "Did you say which target angles lie between two source angles and which lie outside their range?",
        "Did your per-target numbers support the claim, and did you say how large the differences are?")),
    "alh-emp-ex-2": ExerciseSpec(
        check="exercises.check_lambda_mapping(library_lam)",
        stub=_stub("def library_lam(paper_lambda):\n    ...", "expand both objectives and match coefficients"),
        reference="def library_lam(paper_lambda):\n    return 1.0 - paper_lambda",
        self_check=("Did you write the difference of the two objectives as a multiple of L_clean - L_adv?",
                    "Did you say when that multiple vanishes for every pair of losses?")),
    "corruptions-ex-1": ExerciseSpec(
        check="exercises.check_brightness_scaling(brightness_by_scaling)",
        stub=_stub("def brightness_by_scaling(x, c):\n    \"\"\"Brightness at constant c as one factor per pixel.\"\"\"\n"
                   "    ...", "scale every channel of a pixel by the same factor, a function of V and c"),
        reference=("def brightness_by_scaling(x, c):\n    v = x.amax(1, keepdim=True)\n"
                   "    return x * (v + c).clamp(max=1) / v"),
        self_check=("Did you write each channel of an HSV pixel as V times a function of H and S only?",
                    "Did you treat the pixel with V = 0 separately?")),
    "corruptions-ex-2": ExerciseSpec(
        check="exercises.check_speckle(speckle)",
        hint="multiplicative Gaussian noise, clipped to [0, 1], drawn from `generator`",
        self_check=("Did you compare speckle's accuracies with both Gaussian and shot noise at each severity?",
                    "Did you explain the comparison by how the noise's standard deviation depends on the pixel?")),
    "threat-ex-1": ExerciseSpec(
        check="exercises.check_worst_risks(worst_risk_w_inf, worst_risk_w_2)",
        stub=_stub("worst_risk_w_inf = ...  # worst 0-1 risk over the W_inf ball, r = 0.1\n"
                   "worst_risk_w_2 = ...  # worst 0-1 risk over the W_2 ball, r = 0.1",
                   "compute each by hand first; `worst_case_over_ball` then confirms it"),
        reference="worst_risk_w_inf, worst_risk_w_2 = 0.0, 4 * 0.1 ** 2",
        self_check=("Does your inequality hold for every coupling before you take the infimum?",
                    "Did you conclude the inclusion of the balls from the inequality of the distances?")),
    "threat-ex-2": ExerciseSpec(
        check="exercises.check_linear_attack(optimal_delta)",
        stub=_stub("def optimal_delta(w, eps, norm):\n    \"\"\"The margin-minimising delta of the linear model, "
                   "norm 'linf' or 'l2'.\"\"\"\n    ...", "which inequality bounds w . delta over each ball?"),
        reference="def optimal_delta(w, eps, norm):\n    return -eps * w.sign() if norm == \"linf\" else -eps * w / w.norm()",
        self_check=("Did you name the inequality that is tight at each optimum and its equality case?",
                    "Did you say by how much the margin drops, in terms of a norm of w?")),
    "threat-ex-3": ExerciseSpec(self_check=(
        "Did you evaluate both attacks on the same examples at the same eps?",
        "Did you say what a win of random search would mean for the gradients and for the reported robustness?")),
    "nern-ex-b1": ExerciseSpec(self_check=(
        "Did you show that cross-entropy does not change when every logit moves by the same amount?",
        "Did you compute M_2 after the shift and compare the two constants?",
        "Did you say whether the shifted constant is still far above the sharp one?")),
    "nern-ex-b2": ExerciseSpec(
        check="exercises.check_ce_extreme_logits(logits, label)",
        stub=_stub("logits = ...  # an array of shape (1, c)\nlabel = ...  # an array holding the true class",
                   "put the probability where it hurts most"),
        reference="logits, label = np.array([[-10.0, 10.0, 0.0, 0.0, 0.0]]), np.array([0])"),
    "nern-ex-1": ExerciseSpec(self_check=(
        "Did you show that both sides of the certificate scale by the same factor t?",
        "Did you separate what weight decay does to the norm of W from what it does to its direction?")),
    "wen-ex-2": ExerciseSpec(
        check="exercises.check_bn_fold(fold_bn)",
        stub=_stub("def fold_bn(conv_weight, bn):\n    \"\"\"The kernel of the convolution with the evaluation-mode "
                   "batch-norm scale folded in.\"\"\"\n    ...", "scale output channel c by the batch norm's factor"),
        reference=("def fold_bn(conv_weight, bn):\n    s = (bn.weight / (bn.running_var + bn.eps).sqrt()).detach()\n"
                   "    return conv_weight * s[:, None, None, None]")),
    "wen-ex-theory-1": ExerciseSpec(
        check="exercises.check_ramp_counterexample(u_train, u_other, u_min, gamma)",
        stub=_stub("u_train, u_other = ..., ...  # the two margins\nu_min, gamma = ..., ...",
                   "one margin must fall below zero"),
        reference="u_train, u_other, u_min, gamma = 0.8, -1.0, 0.8, 1.0"),
    "wen-ex-theory-2": ExerciseSpec(self_check=(
        "Did you use that the segment's pieces have lengths summing to the whole?",
        "Is your measured ratio below the maximum Jacobian norm along the segment?")),
    "yi-ex-abl-step": ExerciseSpec(
        check="exercises.check_effective_radius(effective_radius_over_r)",
        stub=_stub("effective_radius_over_r = ...  # how far K = 2 sign steps of r/4 reach, in units of r",
                   "count how far each step moves one coordinate"),
        reference="effective_radius_over_r = 2 * 0.25"),
    "yi-ex-bounds-radius": ExerciseSpec(self_check=(
        "Did you find the radius from the exponent of the covering number rather than by trial and error?",
        "Did you compare that radius with the size of the pixel cube?")),
    "yi-ex-bounds-eps": ExerciseSpec(self_check=(
        "Is your bound an upper bound for every perturbation in the ball, not only for the ones an attack finds?",
        "Did you say which step of your bound loses the most, and why it grows with depth?")),
    "yi-ex-alg1-k": ExerciseSpec(self_check=(
        "Did you compare the fitted slopes with K = 1 and with Theorem 3's K?",
        "Did you point to the term of Lemma 3 that carries the inner loop's error?")),
    "yi-ex-alg1-sign": ExerciseSpec(self_check=(
        "Did you say what a sign step does near an interior maximizer?",
        "Did you say when the sign ascent finds the maximizer exactly?")),
}

CHECKS: dict[str, Callable[..., Feedback]] = {
    "alh-cert-ex-1": check_max_certified_radius,
    "alh-cert-ex-2": check_uniform_vs_gaussian,
    "alh-emp-ex-2": check_lambda_mapping,
    "corruptions-ex-1": check_brightness_scaling,
    "corruptions-ex-2": check_speckle,
    "threat-ex-1": check_worst_risks,
    "threat-ex-2": check_linear_attack,
    "nern-ex-b2": check_ce_extreme_logits,
    "wen-ex-2": check_bn_fold,
    "wen-ex-theory-1": check_ramp_counterexample,
    "yi-ex-abl-step": check_effective_radius,
}
