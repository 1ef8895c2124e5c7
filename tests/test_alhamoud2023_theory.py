"""alhamoud2023 theory: every check passes on the paper's forms and catches a deliberately wrong one."""
import pytest
import sympy as sp

from robustbook.theory import alhamoud2023 as T


def test_all_checks_pass():
    assert len(T.run_all()) == len(T.CHECKS)


@pytest.mark.parametrize("check, wrong", [
    (T.check_gaussian_top_class_bound, T.sigma * (T.Phi_inv(T.pA) - T.Phi_inv(T.pB))),  # missing 1/2
    (T.check_gaussian_lipschitz_radius, T.sigma * (T.Phi_inv(T.pA) - T.Phi_inv(T.pB))),
    (T.check_gaussian_tight_for_linear, T.sigma * T.Phi_inv(T.pA) ** 2),
    (T.check_uniform_lipschitz_radius, T.sigma * (T.pA - T.pB) / 2),
    (T.check_uniform_top_class_bound, 2 * T.sigma * (T.pA - T.pB)),
    (T.check_eq5_reading, T.lam * T.loss_adv + (1 - T.lam) * T.loss_clean),  # lambda on the wrong term
])
def test_wrong_identity_is_caught(check, wrong):
    with pytest.raises(AssertionError):
        check(wrong)


def test_library_lam_mapping():
    assert T.library_lam(0.1) == pytest.approx(0.9)
    assert T.library_lam(0.5) == 0.5
    with pytest.raises(ValueError):
        T.library_lam(1.5)
    assert sp.simplify(T.Phi_inv(T.Phi(T.z)) - T.z) == 0
