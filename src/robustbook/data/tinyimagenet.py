"""Tiny-ImageNet (200 classes, 64x64 colour images) read from the released `tiny-imagenet-200/` folder.

The released layout: `wnids.txt` (the 200 class ids, one a line), `train/<wnid>/images/*.JPEG` (500 per
class), `val/images/*.JPEG` with `val/val_annotations.txt` (tab-separated: file name, wnid, box). The
official test split has no labels, so, as in the papers that use it, the validation images are the test set.
Class indices follow the order of `wnids.txt`. Nothing is downloaded: the folder must be under `data_root()`
(fetch http://cs231n.stanford.edu/tiny-imagenet-200.zip and unzip it there).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import TensorDataset

from .download import DataUnavailableError, data_root
from .imagefiles import read_rgb

FOLDER = "tiny-imagenet-200"
URL = "http://cs231n.stanford.edu/tiny-imagenet-200.zip"
NUM_CLASSES = 200
SIZE = 64


def _files(folder: Path, split: str, wnids: list[str]) -> list[tuple[Path, int]]:
    index = {w: i for i, w in enumerate(wnids)}
    if split == "train":
        out = []
        for w in wnids:
            images = folder / "train" / w / "images"
            if not images.is_dir():
                raise DataUnavailableError(f"Tiny-ImageNet class folder {images} is missing")
            out.extend((p, index[w]) for p in sorted(images.glob("*.JPEG")))
        return out
    ann = folder / "val" / "val_annotations.txt"
    if not ann.exists():
        raise DataUnavailableError(f"Tiny-ImageNet validation annotations {ann} are missing")
    out = []
    for line in ann.read_text().splitlines():
        if not line.strip():
            continue
        name, wnid = line.split("\t")[:2]
        if wnid not in index:
            raise ValueError(f"{ann}: {name} has class {wnid!r}, which is not in wnids.txt")
        out.append((folder / "val" / "images" / name, index[wnid]))
    return out


def tinyimagenet(split: str = "train", root: str | Path | None = None, size: int = SIZE) -> TensorDataset:
    """Tiny-ImageNet's train or validation ("test") split as float [0, 1] NCHW tensors with wnids.txt labels."""
    if split not in ("train", "test"):
        raise ValueError(f"invalid split={split!r}: choose 'train' or 'test' (the validation images)")
    from ..runtime import fixture_cap

    size = fixture_cap(size, "image_size")  # fixture mode reads small images, like the other readers
    folder = (Path(root) if root is not None else data_root()) / FOLDER
    wnids_file = folder / "wnids.txt"
    if not wnids_file.exists():
        raise DataUnavailableError(f"Tiny-ImageNet is not under {folder.parent}: fetch {URL} and unzip it there "
                                   f"(it must hold {FOLDER}/wnids.txt, train/ and val/)")
    wnids = [w.strip() for w in wnids_file.read_text().splitlines() if w.strip()]
    files = _files(folder, split, wnids)
    if not files:
        raise DataUnavailableError(f"no Tiny-ImageNet {split} images under {folder}")
    x = np.stack([read_rgb(p, size) for p, _ in files])
    y = np.asarray([c for _, c in files], dtype=np.int64)
    return TensorDataset(torch.from_numpy(x).float().div_(255), torch.from_numpy(y))


def write_fixture(root: str | Path, wnids: tuple[str, ...] = ("n01443537", "n01629819", "n01641577"),
                  per_class: int = 2, n_val: int = 4, size: int = 16, seed: int = 0) -> Path:
    """A tiny `tiny-imagenet-200/` folder in the released layout under `root` (class-coloured noisy JPEGs, one
    greyscale file among them, as in the real set), for tests and the gpu fixture run; returns the folder."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder = Path(root) / FOLDER
    (folder / "val" / "images").mkdir(parents=True, exist_ok=True)
    (folder / "wnids.txt").write_text("".join(f"{w}\n" for w in wnids))

    def image(c: int) -> Image.Image:
        base = np.array([(97 * c) % 256, (53 * c + 80) % 256, (191 * c + 40) % 256], dtype=float)
        px = np.clip(base + rng.normal(0, 20, (size, size, 3)), 0, 255).astype(np.uint8)
        return Image.fromarray(px)

    for c, w in enumerate(wnids):
        images = folder / "train" / w / "images"
        images.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            im = image(c)
            (im.convert("L") if (c, i) == (0, 0) else im).save(images / f"{w}_{i}.JPEG", quality=95)
    lines = []
    for i in range(n_val):
        c = i % len(wnids)
        image(c).save(folder / "val" / "images" / f"val_{i}.JPEG", quality=95)
        lines.append(f"val_{i}.JPEG\t{wnids[c]}\t0\t0\t{size - 1}\t{size - 1}")
    (folder / "val" / "val_annotations.txt").write_text("\n".join(lines) + "\n")
    return folder
