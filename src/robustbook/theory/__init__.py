"""Theory: sympy expressions of each paper's bounds, `check_*` functions, evaluators (no torch here)."""
