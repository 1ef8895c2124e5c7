"""Evaluation: clean and robust accuracy, attack comparisons, corruption tables, and per-chapter measurements.

Submodules by chapter: `corruption` (CIFAR-10-C style tables), `input_robustness` (yi2021 Definition 1),
`lipschitz` and `transfer` (nern2023), `frechet` (alhamoud2023 Q6), `margins`, `spectral` and
`regularization` (wen2020); `robust` (robust accuracy by attack suite: PGD-20 or AutoAttack), `checks`
(gradient-masking checks) and `report` (both side by side, the one call a chapter adds after a number).
"""
from . import margins, spectral
from .accuracy import accuracy, predictions, robust_accuracy_curve
from .attacks import attack_table, loss_trace
from .checks import checks_table
from .corruption import corruption_table
from .report import RobustnessReport, robustness_report
from .robust import robust_accuracy, robust_correct

__all__ = ["RobustnessReport", "accuracy", "attack_table", "checks_table", "corruption_table", "loss_trace",
           "margins", "predictions", "robust_accuracy", "robust_accuracy_curve", "robust_correct",
           "robustness_report", "spectral"]
