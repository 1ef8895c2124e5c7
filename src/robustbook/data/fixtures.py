"""Tiny fixture files in the official on-disk formats of the online data sets, for the gpu profile's fixture mode.

`write_fixtures(root)` writes, under one data root, what the readers of `robustbook.data` read:

- `cifar-10-batches-py/` and `cifar-100-python/`: the pickled python batches (`data` uint8 (n, 3072) row-major
  R, G, B planes; `labels` / `fine_labels`), as `cifar()` reads them;
- `CIFAR-10-C/`, `CIFAR-100-C/`: `<corruption>.npy` uint8 (5 n, 32, 32, 3), severities stacked 1..5, and
  `labels.npy`, for every released corruption (the 15 and the 4 extra), as `cifar_c()` reads them;
- `domainbed/<PACS|VLCS|office_home|terra_incognita>/<domain>/<class>/<image>.png`, DomainBed's layout;
- `ImageNet-C/<corruption>/<severity>/<wnid>/<image>.JPEG` for two corruptions;
- `tiny-imagenet-200/` in its released layout (`tinyimagenet.write_fixture`).

Images are class-dependent colour patterns plus noise (a model can learn something), seeded. The files are
a code-path test of the readers and of every notebook at `--profile gpu`: their numbers mean nothing.
No reader exists yet for WILDS or the text data sets, so no fixture is written for them.
"""
from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import numpy as np

from .corruption_sets import CIFAR_C, EXTRA_CORRUPTIONS
from .corruptions import CORRUPTIONS
from .domainbed import DOMAINS, FOLDERS
from .images import ONLINE

VERSION = "4"  # bump when the layout or sizes change: `write_fixtures` rewrites a root of another version
PACS_CLASSES = ("dog", "elephant", "giraffe", "guitar", "horse", "house", "person")
DOMAIN_CLASSES = {"PACS": PACS_CLASSES, "VLCS": ("bird", "car", "chair", "dog", "person"),
                  "OfficeHome": ("Alarm_Clock", "Backpack", "Batteries"),
                  "TerraIncognita": ("bird", "bobcat", "cat")}


def class_images(labels: np.ndarray, size: int, rng: np.random.Generator, classes: int) -> np.ndarray:
    """uint8 (n, size, size, 3) images whose colour and stripe frequency depend on the label, plus noise."""
    n = len(labels)
    hue = np.stack([np.linspace(0, 255, classes), np.linspace(255, 0, classes),
                    (np.arange(classes) * 97) % 256], axis=1)[labels]  # (n, 3)
    freq = 1 + labels % 5
    grid = np.arange(size)[None, :] * freq[:, None] * np.pi / size  # (n, size)
    stripes = 0.5 + 0.5 * np.sin(grid)[:, None, :, None]  # (n, 1, size, 1)
    img = hue[:, None, None, :] * (0.4 + 0.6 * stripes) + rng.normal(0, 20, (n, size, size, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def _labels(n: int, classes: int, rng: np.random.Generator) -> np.ndarray:
    """n labels covering every class when n >= classes, in a seeded order."""
    return rng.permutation(np.resize(np.arange(classes), n)).astype(np.int64)


def write_cifar(root: Path, name: str, n_train: int = 20, n_test: int = 6, seed: int = 0) -> tuple:
    """CIFAR-10 / CIFAR-100 python batches under `root`; returns the test (images NHWC uint8, labels)."""
    spec = ONLINE[name]
    rng = np.random.default_rng(seed)
    folder = root / spec["folder"]
    folder.mkdir(parents=True, exist_ok=True)
    classes = spec["num_classes"]
    per_file = max(1, n_train // len(spec["train"]))
    y_train = _labels(per_file * len(spec["train"]), classes, rng)  # every class appears across the files
    parts = [(f, y_train[i * per_file:(i + 1) * per_file]) for i, f in enumerate(spec["train"])]
    out = None
    for fname, y in parts + [(f, _labels(n_test, classes, rng)) for f in spec["test"]]:
        n = len(y)
        x = class_images(y, 32, rng, classes)
        batch = {b"batch_label": fname.encode(), spec["label_key"]: y.tolist(),
                 b"data": x.transpose(0, 3, 1, 2).reshape(n, 3072),
                 b"filenames": [f"fixture_{i}.png".encode() for i in range(n)]}
        if name == "cifar100":
            batch[b"coarse_labels"] = (y // 5).tolist()
        with open(folder / fname, "wb") as f:
            pickle.dump(batch, f)
        if fname in spec["test"]:
            out = (x, y)
    return out


def write_cifar_c(root: Path, name: str, test: tuple, seed: int = 0) -> None:
    """`<corruption>.npy` (5 severities of the test images, noisier with severity) and `labels.npy`."""
    x, y = test
    rng = np.random.default_rng(seed)
    folder = root / CIFAR_C[name]["folder"]
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "labels.npy", np.tile(y, 5).astype(np.uint8))
    for c in CORRUPTIONS + EXTRA_CORRUPTIONS:
        sev = [np.clip(x + rng.normal(0, 12 * s, x.shape), 0, 255).astype(np.uint8) for s in range(1, 6)]
        np.save(folder / f"{c}.npy", np.concatenate(sev))


def write_domainbed(root: Path, name: str, per_class: int = 1, size: int = 32, seed: int = 0) -> None:
    """DomainBed's folder layout `<root>/domainbed/<folder>/<domain>/<class>/<i>.png` with small PNGs."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    classes = DOMAIN_CLASSES[name]
    for d, domain in enumerate(DOMAINS[name]):
        y = np.repeat(np.arange(len(classes)), per_class)
        x = class_images(y, size, rng, len(classes))
        x = np.clip(x.astype(int) + 30 * d - 45, 0, 255).astype(np.uint8)  # a per-domain shift
        for i, (img, label) in enumerate(zip(x, y)):
            folder = root / "domainbed" / FOLDERS[name] / domain / classes[label]
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(folder / f"{i}.png")


def write_imagenet_c(root: Path, corruptions: tuple[str, ...] = ("fog", "gaussian_noise"), per_class: int = 2,
                     size: int = 32, seed: int = 0) -> None:
    """ImageNet-C's layout `<root>/ImageNet-C/<corruption>/<severity>/<wnid>/<image>.JPEG` (two classes)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    wnids = ("n01440764", "n01443537")
    for c in corruptions:
        for s in range(1, 6):
            y = np.repeat(np.arange(len(wnids)), per_class)
            for i, (img, label) in enumerate(zip(class_images(y, size, rng, len(wnids)), y)):
                folder = root / "ImageNet-C" / c / str(s) / wnids[label]
                folder.mkdir(parents=True, exist_ok=True)
                Image.fromarray(img).save(folder / f"{i}.JPEG", quality=90)


def write_fixtures(root: str | Path, seed: int = 0) -> Path:
    """Write every fixture under `root` (skipped when a complete set of this VERSION is there); returns root."""
    root = Path(root)
    marker = root / "FIXTURES"
    if marker.exists():
        if marker.read_text().strip() == VERSION:
            return root
        shutil.rmtree(root)  # fixtures of another version: a root we wrote, rewritten from scratch
    root.mkdir(parents=True, exist_ok=True)
    for k, name in enumerate(ONLINE):
        test = write_cifar(root, name, seed=seed + k)
        write_cifar_c(root, name, test, seed=seed + k)
    for k, name in enumerate(DOMAINS):
        write_domainbed(root, name, seed=seed + k)
    write_imagenet_c(root, seed=seed)
    from .tinyimagenet import write_fixture as write_tinyimagenet

    write_tinyimagenet(root, per_class=4, n_val=6, seed=seed)
    marker.write_text(VERSION + "\n")  # last: a half-written root is rewritten next time
    return root
