"""`robustbook zoo export|import`: a profile's trained models as one archive, checked member by member, and
imported only where the current code would ask for the same zoo key."""
from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from robustbook import cli, zoo
from robustbook.bookbuild import schedule, zooarchive
from robustbook.train import TrainConfig

TINY = TrainConfig(objective="standard", epochs=1, batch_size=32, lr=0.05)
BASE = zoo.Recipe("linear", "digits32", TINY, train_size=64)
PROBE = zoo.Recipe("linear", "digits32", TINY, train_size=64, base=BASE)  # trains BASE first: exported too
OTHER = zoo.Recipe("linear", "digits32", TINY, train_size=64, seed=1)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache root; the profile's recipes are PROBE and OTHER; each zoo entry holds some bytes."""
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(schedule, "sweep_recipes", lambda profile, seed=0, out=print, tasks=None: [PROBE, OTHER])
    return tmp_path


def _fill(recipes):
    folder = zoo.zoo_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for i, r in enumerate(recipes):
        (folder / f"{zoo.key(r)}.pt").write_bytes(f"checkpoint {i} of {r.label}".encode() * 100)


def test_export_import_round_trip(cache, monkeypatch, capsys):
    _fill([BASE, PROBE, OTHER])
    before = {p.name: p.read_bytes() for p in zoo.zoo_dir().glob("*.pt")}
    archive = cache / "zoo-cpu.tar.gz"
    assert cli.main(["zoo", "export", "--profile", "cpu", "--out", str(archive)]) == 0
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        names = sorted(tar.getnames())
    assert manifest["profile"] == "cpu" and manifest["robustbook"] and manifest["torch"].count(".") == 1
    keys = {e["key"] for e in manifest["entries"]}
    assert keys == {zoo.key(BASE), zoo.key(PROBE), zoo.key(OTHER)}, "the probe's base recipe is exported too"
    assert names == sorted(["manifest.json", *(f"zoo/{k}.pt" for k in keys)])
    assert {e["recipe"] for e in manifest["entries"]} == {BASE.label, PROBE.label, OTHER.label}

    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(cache / "fresh"))  # an empty cache on another machine
    assert not zoo.zoo_dir().exists()
    capsys.readouterr()
    assert cli.main(["zoo", "import", str(archive)]) == 0
    assert "3 of 3 entries match this code" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in zoo.zoo_dir().glob("*.pt")} == before
    assert not list(zoo.zoo_dir().glob(".*")), "no staging file left behind"
    assert cli.main(["zoo", "import", archive.as_uri()]) == 0  # a URL, given explicitly: downloaded, then checked
    assert "3 of 3 entries match" in capsys.readouterr().out


def test_export_refuses_when_entries_are_missing(cache, capsys):
    _fill([PROBE, OTHER])  # BASE, which PROBE starts from, was never trained here
    archive = cache / "zoo-cpu.tar.gz"
    assert cli.main(["zoo", "export", "--out", str(archive)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "1 of 3 zoo entries" in err[0] and "robustbook build --profile cpu" in err[0]
    assert not archive.exists()


def _rewrite(archive: Path, out: Path, change) -> None:
    """Copy `archive` to `out`, passing each member's (info, bytes) through `change`."""
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        for m in src.getmembers():
            info, data = change(m, src.extractfile(m).read())
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))


def test_a_tampered_member_refuses_the_whole_archive(cache, monkeypatch, capsys):
    _fill([BASE, PROBE, OTHER])
    archive, bad = cache / "zoo-cpu.tar.gz", cache / "bad.tar.gz"
    zooarchive.export("cpu", archive)
    victim = f"zoo/{zoo.key(OTHER)}.pt"
    _rewrite(archive, bad, lambda m, d: (m, d[:-1] + b"!" if m.name == victim else d))
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(cache / "fresh"))
    assert cli.main(["zoo", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "does not match its sha256" in err and zoo.key(OTHER) in err and "nothing was imported" in err
    assert not list(zoo.zoo_dir().glob("*.pt")), "a refused archive writes no entry"
    # a member the manifest does not list (say, a path outside the zoo) is refused too
    _rewrite(archive, bad, lambda m, d: (tarfile.TarInfo("../evil.pt") if m.name == victim else m, d))
    with pytest.raises(zooarchive.ZooArchiveError, match="not a zoo entry of its manifest"):
        zooarchive.import_archive(bad)
    assert not (cache / "evil.pt").exists()
    assert zooarchive.import_archive(archive) == (3, 3)  # the untouched archive still imports


def test_a_stale_key_is_not_imported(cache, monkeypatch, capsys):
    """An entry whose key the current code no longer asks for (its recipe or code changed) is left out."""
    _fill([BASE, PROBE, OTHER])
    archive = cache / "zoo-cpu.tar.gz"
    zooarchive.export("cpu", archive)
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(cache / "fresh"))
    changed = OTHER.replace(seed=2)  # today's code asks for another model than the archive's OTHER
    monkeypatch.setattr(schedule, "sweep_recipes", lambda profile, seed=0, out=print, tasks=None: [PROBE, changed])
    assert zooarchive.import_archive(archive) == (2, 3)
    assert "2 of 3 entries match this code" in capsys.readouterr().out
    got = {p.stem for p in zoo.zoo_dir().glob("*.pt")}
    assert got == {zoo.key(BASE), zoo.key(PROBE)} and zoo.key(OTHER) not in got


def test_a_missing_archive_or_network_is_one_line(cache, capsys):
    assert cli.main(["zoo", "import", str(cache / "nothing.tar.gz")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such archive" in err[0]


def test_export_of_some_notebooks_asks_only_for_their_recipes(cache, monkeypatch):
    seen = {}

    def sweep(profile, seed=0, out=print, tasks=None):
        seen["stems"] = None if tasks is None else sorted(t.source.stem for t in tasks)
        return [OTHER]

    monkeypatch.setattr(schedule, "sweep_recipes", sweep)
    _fill([OTHER])
    archive = cache / "one.tar.gz"
    assert cli.main(["zoo", "export", "--out", str(archive), "notebooks/foundations/threat_models.md"]) == 0
    assert seen["stems"] == ["threat_models"]
    with tarfile.open(archive) as tar:
        assert [e["key"] for e in json.loads(tar.extractfile("manifest.json").read())["entries"]] == [zoo.key(OTHER)]
