"""The offline digits: scikit-learn's 1,797 handwritten digits upsampled to 32x32 (`digits32`), its transfer
split (classes 0-4 -> 5-9) and its rotated domains. Everything derived from them builds on this module."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

ROTATIONS = (0, 15, 30, 45, 60, 75)  # the RotatedMNIST angles of DomainBed
DIGITS_SPLIT_SEED = 0  # fixes the digits32 train/test split for every run
DIGITS_TEST_FRACTION = 0.2

def check_split(split: str) -> None:
    if split not in ("train", "test"):
        raise ValueError(f"invalid split={split!r}: choose 'train' or 'test'")


@lru_cache(maxsize=None)
def digits_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    x = bunch.images.astype(np.float32) / 16.0  # pixel values 0..16 in the UCI data
    y = bunch.target.astype(np.int64)
    return tuple(train_test_split(x, y, test_size=DIGITS_TEST_FRACTION, stratify=y,
                                  random_state=DIGITS_SPLIT_SEED))  # type: ignore[return-value]


def upsample(x: torch.Tensor, size: int = 32) -> torch.Tensor:
    """Bilinear resize of an NCHW batch to size x size, clamped to [0, 1]."""
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False).clamp(0, 1)


def digits32(split: str = "train", channels: int = 1, labels: tuple[int, ...] | None = None) -> TensorDataset:
    """scikit-learn's 8x8 digits upsampled to 32x32 in [0, 1]; a fixed stratified 80/20 split.

    `channels=3` repeats the grey channel (for RGB models and colour corruptions). `labels` keeps only
    those classes and renumbers them 0..len(labels)-1 in the given order.
    """
    check_split(split)
    if channels not in (1, 3):
        raise ValueError(f"invalid channels={channels!r}: choose 1 or 3")
    xtr, xte, ytr, yte = digits_arrays()
    x, y = (xtr, ytr) if split == "train" else (xte, yte)
    xt = upsample(torch.from_numpy(x)[:, None]).repeat(1, channels, 1, 1)
    yt = torch.from_numpy(y)
    if labels is not None:
        keep = torch.isin(yt, torch.tensor(labels))
        remap = torch.full((10,), -1, dtype=torch.long)
        remap[torch.tensor(labels)] = torch.arange(len(labels))
        xt, yt = xt[keep], remap[yt[keep]]
    return TensorDataset(xt.contiguous(), yt)


TRANSFER_SOURCE = (0, 1, 2, 3, 4)
TRANSFER_TARGET = (5, 6, 7, 8, 9)


def digits32_transfer(task: str, split: str = "train", channels: int = 1) -> TensorDataset:
    """The transfer split: task 'source' is digits 0-4, 'target' is digits 5-9 (relabelled 0-4)."""
    if task not in ("source", "target"):
        raise ValueError(f"invalid task={task!r}: choose 'source' or 'target'")
    return digits32(split, channels, TRANSFER_SOURCE if task == "source" else TRANSFER_TARGET)


def rotate(x: torch.Tensor, degrees: float) -> torch.Tensor:
    """Rotate an NCHW batch counter-clockwise about its centre (bilinear, zero fill)."""
    if degrees == 0:
        return x.clone()
    t = torch.deg2rad(torch.tensor(float(degrees)))
    c, s = torch.cos(t), torch.sin(t)
    theta = torch.tensor([[c, -s, 0.0], [s, c, 0.0]], dtype=x.dtype).expand(x.shape[0], 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False).clamp(0, 1)


def rotated_digits(angles: tuple[int, ...] = ROTATIONS, channels: int = 1,
                   seed: int = 0) -> dict[int, TensorDataset]:
    """Rotated-digits domains after DomainBed's RotatedMNIST: all 1,797 digits shuffled once, cut into
    disjoint equal shares, one per angle, each share rotated by its angle. Returns {angle: dataset}."""
    xtr, xte, ytr, yte = digits_arrays()
    x = torch.from_numpy(np.concatenate([xtr, xte]))[:, None]
    y = torch.from_numpy(np.concatenate([ytr, yte]))
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    shares = torch.tensor_split(order, len(angles))
    out = {}
    for angle, idx in zip(angles, shares):
        xi = rotate(upsample(x[idx]), angle).repeat(1, channels, 1, 1)
        out[int(angle)] = TensorDataset(xi.contiguous(), y[idx])
    return out
