"""The official corrupted test sets: CIFAR-10-C, CIFAR-100-C (released `.npy` arrays) and ImageNet-C (folders).

CIFAR-10-C (Zenodo record 2535967) and CIFAR-100-C (record 3555552) are tar archives holding one
`<corruption>.npy` per corruption, uint8 of shape (5 * 10000, 32, 32, 3) with the five severities
stacked in order 1..5, and `labels.npy`, uint8 of shape (5 * 10000,). ImageNet-C (record 2235448) unpacks
to `<corruption>/<severity>/<wnid>/<image>.JPEG`. The archives are fetched only when asked, checksummed
(sha256 where one is published, else the md5 Zenodo lists), and a missing network fails at once with
what to download and where to put it.
"""
from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, TensorDataset

from ..hashing import file_sha256
from .corruptions import CORRUPTIONS
from .download import DataUnavailableError, data_root, download, move_aside
from .imagefiles import read_rgb_unit

EXTRA_CORRUPTIONS = ("speckle_noise", "gaussian_blur", "spatter", "saturate")  # released, not in the 15
SEVERITIES = (1, 2, 3, 4, 5)

CIFAR_C = {
    "cifar10": dict(url="https://zenodo.org/records/2535967/files/CIFAR-10-C.tar", folder="CIFAR-10-C",
                    sha256="c72763e101c723b7c507b96205f7e938912a5d587376173b825850cf3cb876a7",
                    md5="56bf5dcef84df0e2308c6dcbcbbd8499"),
    "cifar100": dict(url="https://zenodo.org/records/3555552/files/CIFAR-100-C.tar", folder="CIFAR-100-C",
                     sha256=None, md5="11f0ed0f1191edbf9fa23466ae6021d3"),
}
IMAGENET_C_URL = "https://zenodo.org/records/2235448"  # noise.tar, blur.tar, weather.tar, digital.tar, extra.tar


def _check(corruption: str, severity: int) -> None:
    if corruption not in CORRUPTIONS + EXTRA_CORRUPTIONS:
        raise ValueError(f"unknown corruption {corruption!r}: choose one of "
                         f"{', '.join(CORRUPTIONS + EXTRA_CORRUPTIONS)}")
    if isinstance(severity, bool) or severity not in SEVERITIES:
        raise ValueError(f"invalid severity={severity!r}: must be an integer in 1..5")


def _md5(path: Path) -> str:
    return file_sha256(path, "md5")


def _extract_members(archive: Path, folder: str, names: list[str], into: Path) -> None:
    """Extract `folder/<name>` for each name from a tar archive into `into`, refusing unsafe paths."""
    with tarfile.open(archive) as tar:
        for name in names:
            member = tar.getmember(f"{folder}/{name}")
            if not member.isfile():
                raise DataUnavailableError(f"{member.name} in {archive} is not a regular file")
            tar.extract(member, into, filter="data")


def cifar_c_arrays(name: str, corruption: str, root: str | Path | None = None,
                   download_ok: bool = True) -> tuple[Path, Path]:
    """Paths of `<corruption>.npy` and `labels.npy` of CIFAR-10-C / CIFAR-100-C, fetched when absent."""
    if name not in CIFAR_C:
        raise ValueError(f"invalid name={name!r}: choose one of {', '.join(CIFAR_C)}")
    spec = CIFAR_C[name]
    root = Path(root) if root is not None else data_root()
    folder = root / spec["folder"]
    wanted = [f"{corruption}.npy", "labels.npy"]
    if all((folder / f).is_file() for f in wanted):
        return folder / wanted[0], folder / wanted[1]
    archive = root / Path(spec["url"]).name
    sums = f"sha256 {spec['sha256']}" if spec["sha256"] else f"md5 {spec['md5']}"
    if not archive.exists() and not download_ok:
        raise DataUnavailableError(f"{spec['folder']} is not under {root}: download {spec['url']} ({sums}) "
                                   f"into that folder, or extract it there as {folder}/<corruption>.npy")
    download(spec["url"], archive, spec["sha256"])
    if spec["sha256"] is None and (got := _md5(archive)) != spec["md5"]:
        aside = move_aside(archive, got)
        raise DataUnavailableError(f"checksum mismatch for {archive}: md5 {got}, expected {spec['md5']}; "
                                   f"the file was refused and moved aside to {aside.name}, download "
                                   f"{spec['url']} again")
    try:
        _extract_members(archive, spec["folder"], wanted, root)
    except KeyError as err:
        raise DataUnavailableError(f"{archive} has no {err}; is it the official archive?") from err
    return folder / wanted[0], folder / wanted[1]


def cifar_c(name: str, corruption: str, severity: int, root: str | Path | None = None,
            download_ok: bool = True) -> TensorDataset:
    """One corruption at one severity of CIFAR-10-C / CIFAR-100-C: (x in [0, 1] NCHW float, y int64)."""
    _check(corruption, severity)
    xpath, ypath = cifar_c_arrays(name, corruption, root, download_ok)
    x = np.load(xpath, mmap_mode="r")
    y = np.load(ypath, mmap_mode="r")
    if x.ndim != 4 or x.shape[1:] != (32, 32, 3) or x.dtype != np.uint8 or len(x) != len(y) or len(x) % 5:
        raise DataUnavailableError(f"{xpath} is not a CIFAR-C array: shape {x.shape}, dtype {x.dtype}, "
                                   f"{len(y)} labels (expected uint8 (5n, 32, 32, 3) and n labels per severity)")
    n = len(x) // 5
    lo, hi = (severity - 1) * n, severity * n
    xt = torch.from_numpy(np.array(x[lo:hi])).permute(0, 3, 1, 2).float().div_(255)
    return TensorDataset(xt.contiguous(), torch.from_numpy(np.asarray(y[lo:hi], dtype=np.int64)))


class ImageNetC(Dataset):
    """ImageNet-C's folder layout `<root>/<corruption>/<severity>/<wnid>/<file>`: items (x CHW in [0, 1],
    class index of the wnid in sorted order), images resized to `size` when given (the release is 224)."""

    def __init__(self, corruption: str, severity: int, root: str | Path | None = None, size: int | None = None):
        _check(corruption, severity)
        base = Path(root) if root is not None else data_root() / "ImageNet-C"
        folder = base / corruption / str(severity)
        if not folder.is_dir():
            raise DataUnavailableError(
                f"ImageNet-C {corruption} severity {severity} is not at {folder}: download the tar holding "
                f"{corruption} from {IMAGENET_C_URL} and extract it under {base} "
                f"(layout {base}/<corruption>/<severity>/<wnid>/<image>.JPEG)")
        self.classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
        self.samples = [(f, k) for k, c in enumerate(self.classes) for f in sorted((folder / c).iterdir())
                        if f.suffix.lower() in (".jpeg", ".jpg", ".png")]
        if not self.samples:
            raise DataUnavailableError(f"no images under {folder}")
        self.size = size

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        path, label = self.samples[i]
        return read_rgb_unit(path, self.size), label


def imagenet_c(corruption: str, severity: int, root: str | Path | None = None, size: int | None = None) -> ImageNetC:
    """ImageNet-C at one corruption and severity from its folder layout (never downloaded automatically)."""
    return ImageNetC(corruption, severity, root, size)
