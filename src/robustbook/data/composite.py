"""`digitsm32`: the digits composited onto natural photographs, offline (the MNIST-M construction).

Upsampled 8x8 digits are smooth glyphs on a flat black background: per-pixel noise at CIFAR-10-C strength
barely touches them, and a model trained on them has no texture to be fooled by. MNIST-M (Ganin and
Lempitsky, 2015) makes digits harder by blending each one into a random patch of a colour photograph with
the per-channel absolute difference |background - digit|: the stroke inverts the photograph under it, so
the digit keeps its shape but sits on real texture and colour. We do the same with what packages ship:
scikit-learn's two sample photographs (`china.jpg`, `flower.jpg`, 427 x 640, CC BY 2.0; credits in
`sklearn/datasets/images/README.txt`), read as files, never downloaded.

Train and test backgrounds come from disjoint column bands of each photograph (`BANDS`), so no test
background pixel was seen in training; the digits keep digits32's fixed split. Every draw comes from a
`torch.Generator` seeded per split (`SEEDS`), so the data set is the same on every machine.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import TensorDataset

from .digits import check_split, digits32

PHOTOS = ("china.jpg", "flower.jpg")
BANDS = {"train": (0, 400), "test": (400, 640)}  # column ranges of each 640-pixel-wide photograph
SEEDS = {"train": 11, "test": 12}
SIZE = 32


@lru_cache(maxsize=1)
def photographs() -> tuple[torch.Tensor, ...]:
    """scikit-learn's sample photographs as (3, H, W) float tensors in [0, 1]."""
    import importlib.util

    from PIL import Image

    spec = importlib.util.find_spec("sklearn")  # locate the files without importing scikit-learn
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("digitsm32 needs scikit-learn's sample photographs: pip install scikit-learn")
    folder = Path(spec.origin).parent / "datasets" / "images"
    out = []
    for name in PHOTOS:
        with Image.open(folder / name) as im:
            out.append(torch.from_numpy(np.asarray(im.convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1))
    return tuple(out)


def crop_positions(n: int, split: str, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    """(photo, top, left) of n random 32 x 32 crops lying wholly inside `split`'s column band."""
    check_split(split)
    photos = photographs()
    lo, hi = BANDS[split]
    which = torch.randint(0, len(photos), (n,), generator=generator)
    height = torch.tensor([photos[int(k)].shape[1] for k in which])
    u = torch.rand(n, 2, generator=generator, dtype=torch.float64)
    top = (u[:, 0] * (height - SIZE + 1)).long()
    left = lo + (u[:, 1] * (hi - lo - SIZE + 1)).long()
    return which, top, left


def photo_patches(n: int, split: str, generator: torch.Generator) -> torch.Tensor:
    """(n, 3, 32, 32) random crops of the photographs, each within `split`'s column band."""
    photos = photographs()
    which, top, left = crop_positions(n, split, generator)
    return torch.stack([photos[int(k)][:, int(t):int(t) + SIZE, int(l):int(l) + SIZE]
                        for k, t, l in zip(which, top, left)])


def blend(digits: torch.Tensor, backgrounds: torch.Tensor) -> torch.Tensor:
    """MNIST-M's blend: per-channel |background - digit| of (N, 1, H, W) digits over (N, 3, H, W) patches."""
    if digits.shape[1] != 1 or backgrounds.shape[1] != 3 or digits.shape[0] != backgrounds.shape[0]:
        raise ValueError(f"need (N, 1, H, W) digits and (N, 3, H, W) backgrounds, got {tuple(digits.shape)} "
                         f"and {tuple(backgrounds.shape)}")
    return (backgrounds - digits).abs()


def digitsm32(split: str = "train", labels: tuple[int, ...] | None = None) -> TensorDataset:
    """digits32 (same split and labels) blended into random crops of natural photographs, in colour."""
    x, y = digits32(split, 1, labels).tensors
    gen = torch.Generator().manual_seed(SEEDS[split])
    return TensorDataset(blend(x, photo_patches(len(y), split, gen)).contiguous(), y)


def statistics() -> "pd.DataFrame":  # noqa: F821
    """Per-split, per-channel mean and standard deviation of digitsm32 (for the chapters that document it)."""
    import pandas as pd

    rows = []
    for split in ("train", "test"):
        x = digitsm32(split).tensors[0]
        for c, name in enumerate("RGB"):
            rows.append({"split": split, "channel": name, "mean": float(x[:, c].mean()),
                         "std": float(x[:, c].std()), "images": len(x)})
    return pd.DataFrame(rows)
