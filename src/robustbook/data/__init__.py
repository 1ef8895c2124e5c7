"""Data: offline digits and domains, online CIFAR/MNIST, checksummed downloads."""
from .download import DataUnavailableError, data_root, download
from .images import (NUM_CLASSES, ROTATIONS, cifar, digits32, digits32_transfer, load, loader, mnist,
                     rotate, rotated_digits, split_holdout, subset, tensors)

__all__ = ["DataUnavailableError", "data_root", "download", "NUM_CLASSES", "ROTATIONS", "cifar", "digits32",
           "digits32_transfer", "load", "loader", "mnist", "rotate", "rotated_digits", "split_holdout",
           "subset", "tensors"]
from .corruptions import CORRUPTIONS, FAMILIES, CorruptedDataset, corrupt  # noqa: E402,F401
