"""Evaluation: clean and robust accuracy, attack comparisons, corruption tables, and per-chapter measurements.

Submodules by chapter: `corruption` (CIFAR-10-C style tables), `input_robustness` (yi2021 Definition 1),
`lipschitz` and `transfer` (nern2023), `frechet` (alhamoud2023 Q6), `margins`, `spectral` and
`regularization` (wen2020).
"""
from . import margins, spectral
from .accuracy import accuracy, predictions, robust_accuracy_curve
from .attacks import attack_table, loss_trace
from .corruption import corruption_table

__all__ = ["accuracy", "attack_table", "corruption_table", "loss_trace", "margins", "predictions",
           "robust_accuracy_curve", "spectral"]
