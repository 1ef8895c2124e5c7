"""alhamoud2023 theory: the lambda mapping (checks and mutants run in test_falsifiable.py)."""
import pytest
import sympy as sp

from robustbook.theory import alhamoud2023 as T


def test_library_lam_mapping():
    assert T.library_lam(0.1) == pytest.approx(0.9)
    assert T.library_lam(0.5) == 0.5
    with pytest.raises(ValueError):
        T.library_lam(1.5)
    assert sp.simplify(T.Phi_inv(T.Phi(T.z)) - T.z) == 0

