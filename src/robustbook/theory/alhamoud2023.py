"""alhamoud2023 (Alhamoud et al., TMLR 2023): the certificates of Section 5 (Eq. 7, Eq. 9) and the
quantities the chapter reports (certified accuracy, ACR), checked with sympy.

Each `check_*` function takes the candidate expression (the paper's, by default), verifies it with sympy and
raises AssertionError when it is wrong, so a test can show that a deliberately wrong form is caught.

Notation: Phi is the standard normal CDF, Phi(z) = (1 + erf(z / sqrt 2)) / 2, and Phi^-1(p) =
sqrt 2 erfinv(2 p - 1). Readings: Eq. 5 weighs the clean loss by lambda and the adversarial loss by
1 - lambda (the library's `TrainConfig.lam` weighs the adversarial loss, so lam = 1 - lambda).

The API of `robustbook.theory.core`: `CHECKS` (name -> check, returning a Result), `MUTANTS` (wrong variants
each check must reject) and `run_checks()`. Only sympy and numpy are used here.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import sympy as sp

from .core import Mutant, Result, run_checks as _run_checks

sigma, d, c, delta, r = sp.symbols("sigma d c delta r", positive=True)
pA, pB = sp.symbols("p_A p_B", positive=True)
x, t, z = sp.symbols("x t z", real=True)
lam = sp.Symbol("lambda", nonnegative=True)
loss_clean, loss_adv = sp.symbols("L_clean L_adv", real=True)


def Phi(v: sp.Expr) -> sp.Expr:
    """The standard normal CDF."""
    return (1 + sp.erf(v / sp.sqrt(2))) / 2


def Phi_inv(p: sp.Expr) -> sp.Expr:
    """The standard normal quantile function."""
    return sp.sqrt(2) * sp.erfinv(2 * p - 1)


# The radii as the paper states them.
EQ7 = sigma / 2 * (Phi_inv(pA) - Phi_inv(pB))  # Gaussian smoothing (pixels, and Eq. 9 Gaussian)
EQ9_UNIFORM = sigma * (pA - pB)  # uniform smoothing on [-sigma, sigma]


def _zero(expr: sp.Expr, what: str, subs_samples: list[dict] | None = None) -> None:
    simplified = sp.simplify(expr)
    if simplified == 0:
        return
    for s in subs_samples or []:  # numeric fallback where simplify stalls; any miss is a failure
        val = complex(sp.N(expr.subs(s), 30))  # every free symbol is given a value by _samples
        assert abs(val) < 1e-20, f"{what}: nonzero ({val}) at {s}"
    if not subs_samples:
        raise AssertionError(f"{what}: {simplified} != 0")


def _samples() -> list[dict]:
    rng = np.random.default_rng(0)
    return [{pA: sp.Rational(int(rng.integers(51, 99)), 100),
             sigma: sp.Rational(int(rng.integers(1, 40)), 10),
             d: sp.Rational(int(rng.integers(1, 30)), 10), c: sp.Rational(int(rng.integers(1, 9)), 10),
             pB: sp.Rational(int(rng.integers(1, 50)), 100)}
            for _ in range(5)]


def check_gaussian_top_class_bound(radius: sp.Expr = EQ7) -> Result:
    """With pB = 1 - pA, the Gaussian radius of Eq. 7 / 9 is sigma * Phi^-1(pA) (Cohen et al.'s form)."""
    _zero(radius.subs(pB, 1 - pA) - sigma * Phi_inv(pA), "Eq. 7 with pB = 1 - pA", _samples())
    return Result("gaussian_top_class_bound", "with pB = 1 - pA, Eq. 7 is sigma Phi^-1(pA)", "sympy, numeric fallback at 5 rational points", {})



def check_gaussian_lipschitz_radius(radius: sp.Expr = EQ7) -> Result:
    """Salman et al.'s argument: x -> Phi^-1(g_c(x)) is 1/sigma-Lipschitz, so the margin
    Phi^-1(pA) - Phi^-1(pB) shrinks by at most 2 ||delta|| / sigma; it stays positive up to Eq. 7.

    The Lipschitz constant is checked on the extremal case, a half-space classifier 1[t > 0] in 1-D,
    where Phi^-1(g(x)) = x / sigma exactly."""
    g = Phi(x / sigma)  # smoothing of the indicator of (0, inf) with N(0, sigma^2)
    assert sp.simplify(sp.diff(Phi_inv(g), x) - 1 / sigma) == 0, "Phi^-1(g) is not x/sigma for a half-space"
    solved = sp.solve(sp.Eq((Phi_inv(pA) - delta / sigma) - (Phi_inv(pB) + delta / sigma), 0), delta)
    assert len(solved) == 1
    _zero(solved[0] - radius, "Eq. 7 from the Lipschitz margin", _samples())
    return Result("gaussian_lipschitz_radius", "Eq. 7 from the 1/sigma-Lipschitz Phi^-1(g)", "sympy: the half-space case and the solved margin", {})



def check_gaussian_tight_for_linear(radius_top: sp.Expr = sigma * Phi_inv(pA)) -> Result:
    """For a linear classifier at L2 distance d from its boundary, pA = Phi(d / sigma) and the radius
    sigma * Phi^-1(pA) equals d: the certificate is exact (the property our soundness test uses)."""
    _zero(radius_top.subs(pA, Phi(d / sigma)) - d, "tightness on a half-space", _samples())
    return Result("gaussian_tight_for_linear", "sigma Phi^-1(pA) = d for a half-space at distance d", "sympy", {})



def check_uniform_lipschitz_radius(radius: sp.Expr = EQ9_UNIFORM) -> Result:
    """Uniform smoothing on [-sigma, sigma]: g_c(x) = (1/(2 sigma)) int_{x-sigma}^{x+sigma} f_c has slope of
    magnitude at most 1/(2 sigma) per coordinate (Leibniz rule), so gA - gB shrinks by at most
    ||delta||_1 / sigma and the prediction is constant up to sigma (pA - pB) (Eq. 9, uniform); the bound is
    attained by a threshold classifier 1[t > -c], whose pA = (sigma + c) / (2 sigma)."""
    f = sp.Function("f")
    g = sp.Integral(f(t), (t, x - sigma, x + sigma)) / (2 * sigma)
    slope = sp.diff(g, x).doit()
    assert sp.simplify(slope - (f(x + sigma) - f(x - sigma)) / (2 * sigma)) == 0, "Leibniz rule"
    # f takes values in [0, 1], so |slope| <= 1 / (2 sigma); margin gA - gB moves at most twice as fast
    solved = sp.solve(sp.Eq((pA - delta / (2 * sigma)) - (pB + delta / (2 * sigma)), 0), delta)
    assert len(solved) == 1
    _zero(sp.expand(solved[0] - radius), "Eq. 9 (uniform) from the Lipschitz margin")
    # tightness: a threshold at distance c < sigma, pA from the explicit integral
    step = sp.Piecewise((0, t < -c), (1, True))
    p_a = sp.integrate(step, (t, -sigma, sigma)) / (2 * sigma)
    p_a = sp.simplify(p_a.subs(c, sigma * sp.Rational(1, 3)))  # c = sigma / 3 inside (0, sigma)
    got = sp.simplify(radius.subs({pA: p_a, pB: 1 - p_a}))
    assert sp.simplify(got - sigma / 3) == 0, f"uniform radius not tight: {got} != sigma/3"
    return Result("uniform_lipschitz_radius", "Eq. 9 (uniform) from the Leibniz rule, attained by a threshold", "sympy", {})



def check_uniform_top_class_bound(radius: sp.Expr = EQ9_UNIFORM) -> Result:
    """With pB = 1 - pA, the uniform radius is sigma (2 pA - 1), which is positive exactly when pA > 1/2."""
    _zero(sp.expand(radius.subs(pB, 1 - pA) - sigma * (2 * pA - 1)), "Eq. 9 uniform with pB = 1 - pA")
    return Result("uniform_top_class_bound", "with pB = 1 - pA the uniform radius is sigma (2 pA - 1)", "sympy", {})



def check_acr_is_area_under_certified_accuracy(acr: Callable[[tuple, tuple, int], sp.Expr] | None = None,
                                               num_points: int = 4) -> Result:
    """ACR = (1/N) sum_i R_i 1[correct_i] (default `acr`) equals the area under the certified accuracy curve
    CA(r) = (1/N) sum_i 1[correct_i] 1[R_i >= r] (so the envelope of Fig. 2 bounds every ACR)."""
    acr = (lambda rr, cc, nn: sum(ri * ci for ri, ci in zip(rr, cc)) / nn) if acr is None else acr
    radii = sp.symbols(f"R_1:{num_points + 1}", positive=True)
    correct = sp.symbols(f"c_1:{num_points + 1}", nonnegative=True)
    ca = sum(ci * sp.Heaviside(ri - r) for ri, ci in zip(radii, correct)) / num_points
    area = sp.integrate(ca, (r, 0, sp.oo))
    claimed = acr(radii, correct, num_points)
    assert sp.simplify(area - claimed) == 0, f"area {area} != ACR {claimed}"
    return Result("acr_area", "ACR = area under the certified-accuracy curve", "sympy integral of a step function", {})


LIBRARY_LAM = 1 - lam  # the library's adversarial weight for the paper's lambda
LIBRARY_AUGMENTED = (1 - LIBRARY_LAM) * loss_clean + LIBRARY_LAM * loss_adv  # objectives.augmented


def check_eq5_reading(library_loss: sp.Expr = LIBRARY_AUGMENTED) -> Result:
    """Eq. 5 is lambda L(clean) + (1 - lambda) L(adv); the library's `lam` is the adversarial weight, so
    lam = 1 - lambda reproduces it (lambda = 0.5 is the same either way)."""
    paper = lam * loss_clean + (1 - lam) * loss_adv
    assert sp.expand(paper - library_loss) == 0, "library objective with lam = 1 - lambda differs from Eq. 5"
    return Result("eq5_reading", "lam = 1 - lambda reproduces Eq. 5", "sympy polynomial identity", {})



CHECKS: dict[str, Callable[..., Result]] = {
    "gaussian_top_class_bound": check_gaussian_top_class_bound,
    "gaussian_lipschitz_radius": check_gaussian_lipschitz_radius,
    "gaussian_tight_for_linear": check_gaussian_tight_for_linear,
    "uniform_lipschitz_radius": check_uniform_lipschitz_radius, "uniform_top_class_bound": check_uniform_top_class_bound,
    "acr_area": check_acr_is_area_under_certified_accuracy, "eq5_reading": check_eq5_reading,
}

MUTANTS: dict[str, list[Mutant]] = {
    "gaussian_top_class_bound": [Mutant("the factor 1/2 dropped", sigma * (Phi_inv(pA) - Phi_inv(pB)))],
    "gaussian_lipschitz_radius": [Mutant("the factor 1/2 dropped", sigma * (Phi_inv(pA) - Phi_inv(pB))),
                                  Mutant("sigma^2 for sigma", sigma ** 2 / 2 * (Phi_inv(pA) - Phi_inv(pB)))],
    "gaussian_tight_for_linear": [Mutant("Phi^-1 squared", sigma * Phi_inv(pA) ** 2)],
    "uniform_lipschitz_radius": [Mutant("half the radius", sigma * (pA - pB) / 2)],
    "uniform_top_class_bound": [Mutant("twice the radius", 2 * sigma * (pA - pB))],
    "acr_area": [Mutant("mean radius over the correct points only",
                        lambda rr, cc, nn: sum(ri * ci for ri, ci in zip(rr, cc)) / sum(cc))],
    "eq5_reading": [Mutant("lambda on the adversarial term", lam * loss_adv + (1 - lam) * loss_clean)],
}


def run_checks() -> dict[str, Result]:
    """Run every check at its default claim; raises on the first failure."""
    return _run_checks(CHECKS)


def run_all() -> list[str]:
    """The names of the checks, after running them all (kept for the certified chapter; use `run_checks`)."""
    return [res.name for res in run_checks().values()]


def library_lam(paper_lambda: float) -> float:
    """The library's `TrainConfig.lam` (adversarial weight) for the paper's lambda of Eq. 5."""
    if not 0 <= paper_lambda <= 1:
        raise ValueError(f"invalid lambda={paper_lambda!r}: must lie in [0, 1]")
    return 1.0 - paper_lambda
