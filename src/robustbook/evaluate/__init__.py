"""Evaluation: clean and robust accuracy, accuracy-versus-eps curves, attack comparisons."""
from .accuracy import accuracy, predictions, robust_accuracy_curve
from .attacks import attack_table, loss_trace

__all__ = ["accuracy", "attack_table", "loss_trace", "predictions", "robust_accuracy_curve"]
from . import margins, spectral  # noqa: E402,F401  (wen2020: margins, loss variation, singular values)
from .corruption import corruption_table  # noqa: E402,F401  (CIFAR-10-C style table)
