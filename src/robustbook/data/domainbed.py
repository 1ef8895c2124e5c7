"""DomainBed image data sets (PACS, VLCS, OfficeHome, TerraIncognita: the four of the paper's Table 2) for the
`gpu` profile; WILDS Camelyon17, the paper's fifth data set, has its own reader (`robustbook.data.wilds`). Nothing is downloaded here: the data sets are large and come with their own licences, so this
loader reads the folder layout that DomainBed's `domainbed/scripts/download.py` writes
(`<root>/<DATASET>/<domain>/<class>/<image>`), resized to `size` x `size` in [0, 1], and raises
`DataUnavailableError` with instructions when the folder is missing."""
from __future__ import annotations

from pathlib import Path

from .download import DataUnavailableError, data_root

DOMAINS = {
    "PACS": ("art_painting", "cartoon", "photo", "sketch"),
    "VLCS": ("Caltech101", "LabelMe", "SUN09", "VOC2007"),
    "OfficeHome": ("Art", "Clipart", "Product", "Real World"),
    "TerraIncognita": ("location_100", "location_38", "location_43", "location_46"),
}
FOLDERS = {"PACS": "PACS", "VLCS": "VLCS", "OfficeHome": "office_home", "TerraIncognita": "terra_incognita"}


def domainbed_root(root: str | Path | None = None) -> Path:
    """Where DomainBed data sets are read from: <data_root()>/domainbed unless given."""
    return Path(root) if root is not None else data_root() / "domainbed"


def domainbed(name: str, root: str | Path | None = None, size: int = 224) -> dict:
    """{domain: torchvision ImageFolder} for a DomainBed data set, images resized to size x size in [0, 1]."""
    if name not in DOMAINS:
        raise ValueError(f"invalid DomainBed data set {name!r}: choose one of {', '.join(DOMAINS)}")
    folder = domainbed_root(root) / FOLDERS[name]
    missing = [d for d in DOMAINS[name] if not (folder / d).is_dir()]
    if missing:
        raise DataUnavailableError(
            f"{name} is not available offline: expected the domain folders {', '.join(DOMAINS[name])} under "
            f"{folder} (missing: {', '.join(missing)}). Download it with DomainBed's script "
            f"(python -m domainbed.scripts.download --data_dir {folder.parent}) on a machine with internet, "
            f"or set ROBUSTBOOK_DATA to a folder that holds domainbed/{FOLDERS[name]}.")
    from torchvision import datasets, transforms

    from ..runtime import fixture_cap
    size = fixture_cap(size, "image_size")
    tf = transforms.Compose([transforms.Resize((size, size)), transforms.ToTensor()])
    return {d: datasets.ImageFolder(str(folder / d), transform=tf) for d in DOMAINS[name]}
