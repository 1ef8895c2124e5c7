"""Data: offline digits and domains, online loaders on fixtures in the real formats, downloads."""
from __future__ import annotations

import gzip
import hashlib
import pickle
import tarfile
import time

import numpy as np
import pytest
import torch

from robustbook import data
from robustbook.data import images


def test_digits32_split_is_fixed_stratified_and_in_unit_range():
    tr, te = data.digits32("train"), data.digits32("test")
    assert len(tr) == 1437 and len(te) == 360
    x, y = tr.tensors
    assert x.shape[1:] == (1, 32, 32) and x.dtype == torch.float32
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    counts = torch.bincount(te.tensors[1], minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37  # stratified: 10% of each digit within one
    assert torch.equal(data.digits32("test").tensors[0], te.tensors[0])  # same split every call
    assert data.digits32("train", channels=3).tensors[0].shape[1] == 3


def test_transfer_split_relabels_and_separates_digits():
    src, tgt = data.digits32_transfer("source"), data.digits32_transfer("target")
    assert set(src.tensors[1].tolist()) == set(range(5)) == set(tgt.tensors[1].tolist())
    full = data.digits32("train")
    assert len(src) + len(tgt) == len(full)
    # target class 0 is digit 5
    fives = full.tensors[0][full.tensors[1] == 5]
    assert torch.equal(tgt.tensors[0][tgt.tensors[1] == 0], fives)


def test_rotated_domains_are_disjoint_rotations():
    doms = data.rotated_digits()
    assert list(doms) == [0, 15, 30, 45, 60, 75]
    assert sum(len(d) for d in doms.values()) == 1797
    # rotating by 90 degrees twice is a 180 degree rotation (checks the warp direction and centre)
    x = doms[0].tensors[0][:4]
    assert torch.allclose(data.rotate(data.rotate(x, 90), 90), torch.flip(x, dims=(2, 3)), atol=1e-5)


@pytest.mark.parametrize("call,match", [
    (lambda: data.digits32("val"), "split"), (lambda: data.digits32(channels=2), "channels"),
    (lambda: data.digits32_transfer("middle"), "task"), (lambda: data.load("svhn"), "svhn"),
    (lambda: data.split_holdout(data.digits32("test"), 1.5), "holdout"),
])
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_subset_and_holdout_are_seeded():
    d = data.digits32("test")
    a, b = data.subset(d, 50, seed=3), data.subset(d, 50, seed=3)
    assert a.indices == b.indices and len(a) == 50
    tr, ho = data.split_holdout(d, 0.2, seed=1)
    assert len(ho) == 72 and not set(tr.indices) & set(ho.indices)


def _write_cifar_fixture(root, folder, files, label_key, n=7, classes=10):
    rng = np.random.default_rng(0)
    (root / folder).mkdir(parents=True)
    written = {}
    for name in files:
        x = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        y = rng.integers(0, classes, size=n).tolist()
        with open(root / folder / name, "wb") as f:
            pickle.dump({b"data": x, label_key: y, b"batch_label": name.encode()}, f)
        written[name] = (x, y)
    return written


def test_cifar10_reads_the_python_batches(tmp_path):
    spec = images.ONLINE["cifar10"]
    written = _write_cifar_fixture(tmp_path, spec["folder"], spec["train"] + spec["test"], b"labels")
    train = data.cifar("cifar10", "train", root=tmp_path)
    test = data.cifar("cifar10", "test", root=tmp_path)
    assert len(train) == 35 and len(test) == 7
    x, y = test.tensors
    ref_x, ref_y = written["test_batch"]
    # row-major 3072 bytes = 3 planes of 32x32 (R, G, B)
    assert torch.allclose(x[2, 1, 4, 5], torch.tensor(ref_x[2, 1024 + 4 * 32 + 5] / 255, dtype=torch.float32))
    assert y.tolist() == ref_y


def test_cifar100_uses_fine_labels(tmp_path):
    spec = images.ONLINE["cifar100"]
    written = _write_cifar_fixture(tmp_path, spec["folder"], ["train", "test"], b"fine_labels", classes=100)
    assert data.cifar("cifar100", "test", root=tmp_path).tensors[1].tolist() == written["test"][1]


def test_cifar_archive_is_downloaded_checked_and_extracted(tmp_path, monkeypatch):
    src = tmp_path / "src"
    spec = dict(images.ONLINE["cifar10"])
    _write_cifar_fixture(src, spec["folder"], spec["train"] + spec["test"], b"labels")
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src / spec["folder"], arcname=spec["folder"])
    spec.update(url=archive.as_uri(), sha256=hashlib.sha256(archive.read_bytes()).hexdigest())
    monkeypatch.setitem(images.ONLINE, "cifar10", spec)
    root = tmp_path / "root"
    assert len(data.cifar("cifar10", "test", root=root)) == 7
    assert (root / "cifar-10-python.tar.gz").exists()


def test_mnist_reads_idx_files(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    (tmp_path / "mnist").mkdir()
    hashes = {}
    for name, arr, magic in [("t10k-images-idx3-ubyte.gz", imgs, 0x803), ("t10k-labels-idx1-ubyte.gz", labels, 0x801)]:
        header = magic.to_bytes(4, "big") + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
        path = tmp_path / "mnist" / name
        with gzip.open(path, "wb") as f:
            f.write(header + arr.tobytes())
        hashes[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setattr(images, "MNIST_FILES", {**images.MNIST_FILES, **hashes})
    ds = data.mnist("test", root=tmp_path, size=28)
    assert ds.tensors[1].tolist() == [3, 1, 4, 1, 5]
    assert torch.allclose(ds.tensors[0][1, 0], torch.from_numpy(imgs[1]).float() / 255)
    assert data.mnist("test", root=tmp_path).tensors[0].shape[-1] == 32


def test_offline_download_fails_at_once_with_what_to_fetch(tmp_path):
    dest = tmp_path / "x" / "cifar-10-python.tar.gz"
    start = time.perf_counter()
    with pytest.raises(data.DataUnavailableError) as err:
        data.download("http://127.0.0.1:9/cifar-10-python.tar.gz", dest, "0" * 64, timeout=2)
    assert time.perf_counter() - start < 5
    assert "127.0.0.1:9/cifar-10-python.tar.gz" in str(err.value) and str(dest) in str(err.value)
    assert not dest.exists() and not list(tmp_path.rglob("*.part"))


def test_missing_online_set_without_download_names_the_file(tmp_path):
    with pytest.raises(data.DataUnavailableError, match="cifar-10-python.tar.gz"):
        data.cifar("cifar10", "train", root=tmp_path, download_ok=False)


def test_checksum_mismatch_leaves_no_file(tmp_path):
    src = tmp_path / "blob"
    src.write_bytes(b"not the archive")
    dest = tmp_path / "out" / "blob"
    with pytest.raises(data.DataUnavailableError, match="checksum"):
        data.download(src.as_uri(), dest, "f" * 64)
    assert not dest.exists() and not list((tmp_path / "out").glob("*.part"))
    good = hashlib.sha256(b"not the archive").hexdigest()
    assert data.download(src.as_uri(), dest, good).read_bytes() == b"not the archive"
