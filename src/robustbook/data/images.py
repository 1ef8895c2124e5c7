"""Image data sets as float tensors in [0, 1], NCHW.

Offline (default): `digits32` from scikit-learn's bundled UCI optical digits, its transfer split, and
rotated-digit domains. Online (only when asked): CIFAR-10, CIFAR-100 and MNIST, read from the official
archives under `data_root()`, fetched and checksummed by `download.py`.
"""
from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset

from .digits import (DIGITS_SPLIT_SEED, DIGITS_TEST_FRACTION, ROTATIONS, TRANSFER_SOURCE, TRANSFER_TARGET,  # noqa: F401
                     check_split, digits32, digits32_transfer, rotate, rotated_digits, upsample)
from .download import DataUnavailableError, data_root, download, extract_tar

ONLINE = {
    "cifar10": dict(url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                    sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                    folder="cifar-10-batches-py", label_key=b"labels", num_classes=10,
                    train=[f"data_batch_{i}" for i in range(1, 6)], test=["test_batch"]),
    "cifar100": dict(url="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                     sha256="85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
                     folder="cifar-100-python", label_key=b"fine_labels", num_classes=100,
                     train=["train"], test=["test"]),
}
MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_FILES = {  # file -> sha256 of the canonical gzipped IDX files
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}


def split_holdout(dataset: Dataset, holdout_fraction: float, seed: int = 0) -> tuple[Subset, Subset]:
    """Random (train, holdout) split, as DomainBed's training-domain validation uses."""
    if not 0 < holdout_fraction < 1:
        raise ValueError(f"invalid holdout_fraction={holdout_fraction!r}: must lie in (0, 1)")
    n = len(dataset)  # type: ignore[arg-type]
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    k = int(round(n * holdout_fraction))
    return Subset(dataset, perm[k:]), Subset(dataset, perm[:k])


def subset(dataset: Dataset, size: int | None, seed: int = 0) -> Dataset:
    """A seeded random subset of `size` items, or the dataset itself when size is None or too large."""
    n = len(dataset)  # type: ignore[arg-type]
    if size is None or size >= n:
        return dataset
    idx = torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:size].tolist()
    return Subset(dataset, idx)


def loader(dataset: Dataset, batch_size: int, shuffle: bool = False, seed: int = 0,
           drop_last: bool = False) -> DataLoader:
    """A DataLoader whose shuffling order depends only on `seed`."""
    gen = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=gen, drop_last=drop_last)


def tensors(dataset: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """All of a (small) dataset as one (x, y) pair of tensors."""
    if isinstance(dataset, TensorDataset):
        return dataset.tensors[0], dataset.tensors[1]
    xs, ys = zip(*(dataset[i] for i in range(len(dataset))))  # type: ignore[arg-type]
    return torch.stack(xs), torch.as_tensor(ys)


# ---------------------------------------------------------------- online data sets


def _read_cifar_batches(folder: Path, files: list[str], label_key: bytes) -> TensorDataset:
    xs, ys = [], []
    for name in files:
        with open(folder / name, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
        xs.append(np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        ys.append(np.asarray(batch[label_key], dtype=np.int64))
    x = torch.from_numpy(np.concatenate(xs)).float().div_(255)
    return TensorDataset(x, torch.from_numpy(np.concatenate(ys)))


def cifar(name: str = "cifar10", split: str = "train", root: str | Path | None = None,
          download_ok: bool = True) -> TensorDataset:
    """CIFAR-10 or CIFAR-100 from the official python batches (fetched and checksummed when absent)."""
    if name not in ONLINE:
        raise ValueError(f"invalid name={name!r}: choose one of {', '.join(ONLINE)}")
    check_split(split)
    spec = ONLINE[name]
    root = Path(root) if root is not None else data_root()
    folder = root / spec["folder"]
    if not folder.is_dir():
        archive = root / Path(spec["url"]).name
        if not archive.exists() and not download_ok:
            raise DataUnavailableError(f"{name} is not under {root}: fetch {spec['url']} "
                                       f"(sha256 {spec['sha256']}) into that folder")
        download(spec["url"], archive, spec["sha256"])
        extract_tar(archive, root)
    return _read_cifar_batches(folder, spec[split], spec["label_key"])


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def mnist(split: str = "train", root: str | Path | None = None, size: int = 32,
          download_ok: bool = True) -> TensorDataset:
    """MNIST from the gzipped IDX files, resized to size x size (32 by default, like digits32)."""
    check_split(split)
    root = (Path(root) if root is not None else data_root()) / "mnist"
    prefix = "train" if split == "train" else "t10k"
    paths = []
    for kind in ("images-idx3", "labels-idx1"):
        fname = f"{prefix}-{kind}-ubyte.gz"
        path = root / fname
        if not path.exists() and not download_ok:
            raise DataUnavailableError(f"MNIST file {fname} is not in {root}: fetch {MNIST_MIRROR}{fname}")
        paths.append(download(MNIST_MIRROR + fname, path, MNIST_FILES[fname]))
    x = torch.from_numpy(_read_idx(paths[0]).copy()).float().div_(255)[:, None]
    if size != x.shape[-1]:
        x = upsample(x, size)
    return TensorDataset(x, torch.from_numpy(_read_idx(paths[1]).astype(np.int64)))


NUM_CLASSES = {"digits32": 10, "digits32_source": 5, "digits32_target": 5, "rotated_digits": 10,
               "digitsm32": 10, "mnist": 10, "cifar10": 10, "cifar100": 100, "tinyimagenet": 200}


def load(name: str, split: str = "train", channels: int | None = None) -> TensorDataset:
    """One entry point for every named image data set (the names of `config.DATASETS`)."""
    if name == "digits32":
        return digits32(split, channels or 1)
    if name in ("digits32_source", "digits32_target"):
        return digits32_transfer(name.split("_")[1], split, channels or 1)
    if name == "digitsm32":
        from .composite import digitsm32  # composite builds on this module

        return digitsm32(split)
    if name in ONLINE:
        return cifar(name, split)
    if name == "mnist":
        return mnist(split)
    if name == "tinyimagenet":
        from .tinyimagenet import tinyimagenet  # the released tiny-imagenet-200/ folder under data_root()

        return tinyimagenet(split)
    raise ValueError(f"invalid data set {name!r}: choose one of {', '.join(NUM_CLASSES)} "
                     "(rotated_digits has domains, not splits: call rotated_digits())")
