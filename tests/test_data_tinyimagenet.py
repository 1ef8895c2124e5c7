"""The Tiny-ImageNet reader on a fixture folder in the released layout: shapes, range, labels, clear errors."""
import pytest
import torch

from robustbook.data import images
from robustbook.data.download import DataUnavailableError
from robustbook.data.tinyimagenet import tinyimagenet, write_fixture


def test_reads_train_and_val_in_wnids_order(tmp_path):
    write_fixture(tmp_path, per_class=2, n_val=5, size=16)
    train = tinyimagenet("train", root=tmp_path)
    x, y = train.tensors
    assert x.shape == (6, 3, 64, 64) and x.dtype == torch.float32  # resized to 64x64, greyscale made RGB
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert y.tolist() == [0, 0, 1, 1, 2, 2]  # the order of wnids.txt, files sorted within a class
    test = tinyimagenet("test", root=tmp_path)
    assert test.tensors[1].tolist() == [0, 1, 2, 0, 1]  # from val_annotations.txt
    # the class colour survives the JPEG round trip: images of different classes differ
    assert (x[2] - x[4]).abs().mean() > 0.05
    assert images.NUM_CLASSES["tinyimagenet"] == 200


def test_native_size_is_kept_and_errors_are_clear(tmp_path):
    write_fixture(tmp_path, size=64)
    assert tinyimagenet("train", root=tmp_path, size=64).tensors[0].shape[-1] == 64
    with pytest.raises(ValueError, match="split"):
        tinyimagenet("val", root=tmp_path)
    with pytest.raises(DataUnavailableError, match="tiny-imagenet-200"):
        tinyimagenet("train", root=tmp_path / "nowhere")
    ann = tmp_path / "tiny-imagenet-200" / "val" / "val_annotations.txt"
    ann.write_text("val_0.JPEG\tn99999999\t0\t0\t1\t1\n")
    with pytest.raises(ValueError, match="wnids.txt"):
        tinyimagenet("test", root=tmp_path)
