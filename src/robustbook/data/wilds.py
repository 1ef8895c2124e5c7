"""WILDS Camelyon17 (Koh et al., 2021; Bandi et al., 2019) read from the released `camelyon17_v1.0` folder.

Nothing is downloaded here (the folder is about 10 GB, under CC0): this reader takes the layout that WILDS
writes, `<root>/camelyon17_v1.0/metadata.csv` (one row per patch: `patient`, `node`, `x_coord`, `y_coord`,
`tumor`, `slide`, `center`, `split`) and `patches/patient_<PPP>_node_<N>/patch_patient_<PPP>_node_<N>_x_<X>_y_<Y>.png`
(96 x 96 RGB). The label is `tumor` (does the central 32 x 32 region hold tumour tissue), the domain the
hospital (`center`, 0-4). WILDS' official split: hospitals 0, 3, 4 train (the metadata's `split` column holds
their in-distribution validation share, `split == 1`), hospital 1 is the out-of-distribution validation set
and hospital 2 the test set. The paper trains on four hospitals and tests on the unseen one: leave-one-domain-out
with hospital 2 (`TEST_CENTER`) as the target.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset

from .download import DataUnavailableError, data_root
from .imagefiles import read_rgb_unit

FOLDER = "camelyon17_v1.0"
CENTERS = (0, 1, 2, 3, 4)
VAL_CENTER, TEST_CENTER = 1, 2  # WILDS' official out-of-distribution validation and test hospitals
SPLITS = ("train", "id_val", "val", "test")
COLUMNS = ("patient", "node", "x_coord", "y_coord", "tumor", "center", "split")


def camelyon17_root(root: str | Path | None = None) -> Path:
    """The `camelyon17_v1.0` folder: <data_root()>/camelyon17_v1.0 unless `root` (its parent) is given."""
    return (Path(root) if root is not None else data_root()) / FOLDER


def patch_path(patient: int | str, node: int, x: int, y: int) -> str:
    """The relative path of one patch in the released layout."""
    p = f"{int(patient):03d}"
    return f"patches/patient_{p}_node_{int(node)}/patch_patient_{p}_node_{int(node)}_x_{int(x)}_y_{int(y)}.png"


def metadata(root: str | Path | None = None):
    """The metadata table with WILDS' official split names (`split`) and each patch's relative `path`."""
    import pandas as pd

    folder = camelyon17_root(root)
    csv = folder / "metadata.csv"
    if not csv.is_file():
        raise DataUnavailableError(
            f"WILDS Camelyon17 is not available offline: expected {csv} and {folder / 'patches'}. Download "
            f"it on a machine with internet (pip install wilds; python -c \"from wilds import get_dataset; "
            f"get_dataset('camelyon17', root_dir='{folder.parent}', download=True)\"), or set ROBUSTBOOK_DATA to "
            f"a folder that holds {FOLDER}/.")
    df = pd.read_csv(csv, index_col=0, dtype={"patient": "str"})
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{csv} lacks the column(s) {', '.join(missing)} of the released metadata")
    split = df["split"].map({0: "train", 1: "id_val"})
    split[df["center"] == VAL_CENTER] = "val"
    split[df["center"] == TEST_CENTER] = "test"
    df = df.assign(split=split)
    df["path"] = [patch_path(p, n, x, y) for p, n, x, y in zip(df.patient, df.node, df.x_coord, df.y_coord)]
    return df


class Camelyon17(Dataset):
    """Patches of a metadata table as (image in [0, 1], tumour label); `classes` as ImageFolder has it."""

    classes = ("normal", "tumor")

    def __init__(self, folder: Path, table, size: int = 96):
        self.folder, self.size = folder, size
        self.paths = list(table["path"])
        self.labels = torch.tensor(table["tumor"].to_numpy().copy(), dtype=torch.long)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return read_rgb_unit(self.folder / self.paths[i], self.size), self.labels[i]


def _check_files(folder: Path, table) -> None:
    absent = [p for p in table["path"][:5] if not (folder / p).is_file()]
    if absent:
        raise DataUnavailableError(f"Camelyon17 metadata lists patches that are not on disk, e.g. {folder / absent[0]}")


def camelyon17(root: str | Path | None = None, size: int = 96) -> dict[int, Camelyon17]:
    """{hospital: patches} of Camelyon17-WILDS (the domains of leave-one-hospital-out), images in [0, 1]."""
    from ..runtime import fixture_cap

    folder, df = camelyon17_root(root), metadata(root)
    _check_files(folder, df)
    size = fixture_cap(size, "image_size")
    return {c: Camelyon17(folder, df[df.center == c], size) for c in CENTERS if (df.center == c).any()}


def camelyon17_splits(root: str | Path | None = None, size: int = 96) -> dict[str, Camelyon17]:
    """WILDS' official splits {'train', 'id_val', 'val', 'test'} of Camelyon17."""
    from ..runtime import fixture_cap

    folder, df = camelyon17_root(root), metadata(root)
    _check_files(folder, df)
    size = fixture_cap(size, "image_size")
    return {s: Camelyon17(folder, df[df.split == s], size) for s in SPLITS}


def write_camelyon17_fixture(root: str | Path, per_center: int = 4, size: int = 96, seed: int = 0) -> Path:
    """A tiny Camelyon17 folder in the released layout under `root` (patches whose colour follows the label)."""
    import numpy as np
    import pandas as pd
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder = Path(root) / FOLDER
    rows = []
    for c in CENTERS:
        for i in range(per_center):
            patient, node, x, y, tumor = 10 * c + i // 2, i % 2, 100 * i, 200 + i, i % 2
            rel = patch_path(patient, node, x, y)
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            base = np.array([200, 80, 160]) if tumor else np.array([230, 200, 220])
            img = np.clip(base + rng.normal(0, 12, (size, size, 3)) + 8 * c, 0, 255).astype(np.uint8)
            Image.fromarray(img).save(folder / rel)
            rows.append({"patient": f"{patient:03d}", "node": node, "x_coord": x, "y_coord": y, "tumor": tumor,
                         "slide": 5 * c + i // 2, "center": c, "split": int(i == per_center - 1)})
    pd.DataFrame(rows).to_csv(folder / "metadata.csv")
    return folder
