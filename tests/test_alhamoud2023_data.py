"""The alhamoud2023 data sets: the WILDS Camelyon17 reader on a fixture in the released on-disk format, the
DomainBed readers on fixture folders, and the offline photo_digits domains."""
import pandas as pd
import pytest
import torch

from robustbook.data import DataUnavailableError
from robustbook.data import wilds
from robustbook.data.domainbed import DOMAINS, domainbed
from robustbook.data.domains import PHOTO_DOMAINS, photo_digits


def test_camelyon17_reads_the_released_layout_with_hospitals_as_domains(tmp_path):
    folder = wilds.write_camelyon17_fixture(tmp_path, per_center=4, size=24)
    # the released names, e.g. patches/patient_010_node_1/patch_patient_010_node_1_x_100_y_201.png
    assert (folder / "patches" / "patient_010_node_1" / "patch_patient_010_node_1_x_100_y_201.png").is_file()
    raw = pd.read_csv(folder / "metadata.csv", index_col=0, dtype={"patient": "str"})
    assert set(wilds.COLUMNS) <= set(raw.columns)
    doms = wilds.camelyon17(tmp_path, size=24)
    assert sorted(doms) == list(wilds.CENTERS) and all(len(d) == 4 for d in doms.values())
    x, y = doms[2][1]
    assert x.shape == (3, 24, 24) and x.dtype == torch.float32 and 0 <= float(x.min()) <= float(x.max()) <= 1
    assert int(y) == 1 and doms[2].labels.tolist() == [0, 1, 0, 1]
    assert doms[0].classes == ("normal", "tumor")
    # tumour patches are redder than normal ones in the fixture: the label travels with its own file
    assert doms[0][1][0][1].mean() < doms[0][0][0][1].mean()


def test_camelyon17_official_splits(tmp_path):
    wilds.write_camelyon17_fixture(tmp_path, per_center=4, size=16)
    meta = wilds.metadata(tmp_path)
    by = meta.groupby("split")["center"].agg(set).to_dict()
    assert by["val"] == {wilds.VAL_CENTER} and by["test"] == {wilds.TEST_CENTER}
    assert by["train"] == {0, 3, 4} and by["id_val"] == {0, 3, 4}
    splits = wilds.camelyon17_splits(tmp_path, size=16)
    assert [len(splits[s]) for s in wilds.SPLITS] == [9, 3, 4, 4]


def test_camelyon17_missing_or_incomplete_says_what_to_get(tmp_path):
    with pytest.raises(DataUnavailableError, match="camelyon17_v1.0"):
        wilds.camelyon17(tmp_path)
    folder = wilds.write_camelyon17_fixture(tmp_path, per_center=1, size=8)
    (folder / wilds.patch_path(0, 0, 0, 200)).unlink()
    with pytest.raises(DataUnavailableError, match="not on disk"):
        wilds.camelyon17(tmp_path)
    pd.DataFrame({"patient": ["001"], "node": [0]}).to_csv(folder / "metadata.csv")
    with pytest.raises(ValueError, match="tumor"):
        wilds.metadata(tmp_path)


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_domainbed_reads_each_data_set_of_the_paper(tmp_path, name):
    from robustbook.fixtures import DOMAIN_CLASSES, write_domainbed

    write_domainbed(tmp_path, name, size=16)
    doms = domainbed(name, root=tmp_path / "domainbed", size=16)
    assert tuple(doms) == DOMAINS[name]
    for d in doms.values():
        assert tuple(d.classes) == tuple(sorted(DOMAIN_CLASSES[name]))
        x, y = d[0]
        assert x.shape == (3, 16, 16) and 0 <= float(x.min()) <= float(x.max()) <= 1


def test_photo_digits_domains_are_disjoint_deterministic_and_shifted():
    a, b = photo_digits(seed=0), photo_digits(seed=0)
    assert tuple(a) == PHOTO_DOMAINS
    sizes = [len(a[k]) for k in PHOTO_DOMAINS]
    assert sum(sizes) == 1797 and max(sizes) - min(sizes) <= 1
    for k in PHOTO_DOMAINS:
        assert torch.equal(a[k].tensors[0], b[k].tensors[0])
        x = a[k].tensors[0]
        assert x.shape[1:] == (3, 32, 32) and 0 <= float(x.min()) and float(x.max()) <= 1
    plain = a["plain"].tensors[0]
    assert torch.equal(plain[:, 0], plain[:, 2])  # grey
    for k in ("china", "flower"):  # colour texture behind the digits: channels differ, background not black
        x = a[k].tensors[0]
        assert float((x[:, 0] - x[:, 2]).abs().mean()) > 0.02 and float(x.mean()) > float(plain.mean())
    assert not torch.equal(photo_digits(seed=1)["china"].tensors[1], a["china"].tensors[1])
