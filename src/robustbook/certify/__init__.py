"""Certification: randomized smoothing (Cohen et al.) and DeformRS, with Gaussian and uniform smoothing."""
from .deform import DISTRIBUTIONS, KINDS, Perturbation, dct_basis, num_params, warp
from .smoothing import ABSTAIN, Smooth, certify_dataset, reference_certify, summarize
from .stats import (average_certified_radius, certified_accuracy, lower_confidence_bound, radius_gaussian,
                    radius_uniform, top_two_test)
from .training import smoothing_objective_name

__all__ = ["ABSTAIN", "DISTRIBUTIONS", "KINDS", "Perturbation", "Smooth", "average_certified_radius",
           "certified_accuracy", "certify_dataset", "dct_basis", "lower_confidence_bound", "num_params",
           "radius_gaussian", "radius_uniform", "reference_certify", "smoothing_objective_name", "summarize",
           "top_two_test", "warp"]
