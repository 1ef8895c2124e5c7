"""Reading one image file of a released data set (Tiny-ImageNet, Camelyon17-WILDS, ImageNet-C): RGB, resized."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch


def read_rgb(path: str | Path, size: int | None = None) -> np.ndarray:
    """The image at `path` as uint8 CHW RGB (greyscale files are converted), bilinearly resized to `size` x
    `size` when given and different."""
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB")
        if size is not None and im.size != (size, size):
            im = im.resize((size, size), Image.BILINEAR)
        return np.asarray(im, dtype=np.uint8).transpose(2, 0, 1)


def read_rgb_unit(path: str | Path, size: int | None = None) -> torch.Tensor:
    """`read_rgb` as a float CHW tensor in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(read_rgb(path, size))).float().div_(255)
