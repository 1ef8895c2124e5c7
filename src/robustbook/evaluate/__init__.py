"""Evaluation: clean and robust accuracy over a data set, and accuracy-versus-eps curves."""
from .accuracy import accuracy, predictions, robust_accuracy_curve

__all__ = ["accuracy", "predictions", "robust_accuracy_curve"]
