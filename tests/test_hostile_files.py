"""Hostile or broken files: bad checksums moved aside, unsafe archives refused, bad checkpoints retrained."""
from __future__ import annotations

import errno
import hashlib
import importlib
import io
import tarfile
import warnings
from pathlib import Path

import pytest

from robustbook import cli
from robustbook.bookbuild import execute

dl = importlib.import_module("robustbook.data.download")  # the package re-exports a function of that name


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_downloaded_file_with_the_wrong_checksum_is_refused_and_moved_aside(tmp_path):
    src = tmp_path / "served.tar"
    src.write_bytes(b"not the archive you pinned")
    dest = tmp_path / "data" / "set.tar"
    with pytest.raises(dl.DataUnavailableError, match="checksum mismatch.*moved aside"):
        dl.download(src.as_uri(), dest, _sha(b"the real archive"))
    assert not dest.exists()
    aside = list(dest.parent.glob("set.tar.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == b"not the archive you pinned"
    assert not list(dest.parent.glob("*.part"))


def test_a_file_already_in_place_with_the_wrong_checksum_is_moved_aside_then_fetched(tmp_path):
    good = b"the real archive"
    src = tmp_path / "served.tar"
    src.write_bytes(good)
    dest = tmp_path / "set.tar"
    dest.write_bytes(b"truncated")
    with pytest.warns(UserWarning, match="moved aside"):
        assert dl.download(src.as_uri(), dest, _sha(good)) == dest
    assert dest.read_bytes() == good
    assert [p.read_bytes() for p in tmp_path.glob("set.tar.corrupt-*")] == [b"truncated"]


def test_a_good_file_in_place_is_kept(tmp_path):
    dest = tmp_path / "set.tar"
    dest.write_bytes(b"ok")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dl.download("file:///nonexistent", dest, _sha(b"ok")) == dest


def _tar(path: Path, members: list[tarfile.TarInfo], payload: bytes = b"x") -> Path:
    with tarfile.open(path, "w") as tar:
        for m in members:
            if m.isfile():
                m.size = len(payload)
                tar.addfile(m, io.BytesIO(payload))
            else:
                tar.addfile(m)
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    m = tarfile.TarInfo(name)
    m.type, m.linkname = kind, link
    return m


@pytest.mark.parametrize("member,why", [
    (_member("../escape.txt"), "outside"),
    (_member("ok/../../escape.txt"), "outside"),
    (_member("/etc/robustbook-escape"), "outside"),
    (_member("link", tarfile.SYMTYPE, "/etc/passwd"), "symbolic link"),
    (_member("inner-link", tarfile.SYMTYPE, "ok/a.txt"), "symbolic link"),
    (_member("hard", tarfile.LNKTYPE, "ok/a.txt"), "hard link"),
    (_member("fifo", tarfile.FIFOTYPE), "special file"),
    (_member("dev", tarfile.CHRTYPE), "special file"),
])
def test_extractor_refuses_traversal_link_and_special_members(tmp_path, member, why):
    archive = _tar(tmp_path / "hostile.tar", [_member("ok/a.txt"), member])
    into = tmp_path / "into"
    with pytest.raises(dl.UnsafeArchiveError, match=why):
        dl.extract_tar(archive, into)
    assert not (tmp_path / "escape.txt").exists()
    assert not into.exists() or not any(into.rglob("*"))  # refused before anything is written


def test_extractor_accepts_plain_files_and_folders(tmp_path):
    archive = _tar(tmp_path / "fine.tar", [_member("ok", tarfile.DIRTYPE), _member("ok/a.txt")], b"hello")
    dl.extract_tar(archive, tmp_path / "into")
    assert (tmp_path / "into" / "ok" / "a.txt").read_bytes() == b"hello"


# A zoo checkpoint that fails to load is retrained with a warning naming it: tests/test_zoo.py.


@pytest.mark.parametrize("code,words", [(errno.EROFS, "read-only"), (errno.ENOSPC, "disk is full"),
                                        (errno.EACCES, "not writable")])
def test_read_only_or_full_cache_gives_one_clear_error(tmp_path, monkeypatch, capsys, code, words):
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    src = tmp_path / "tiny.md"
    src.write_text("---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
                   "---\n\n```{code-cell} ipython3\n:tags: [parameters]\n\nprofile = 'cpu'  # budget\n```\n")
    monkeypatch.chdir(tmp_path)

    def failing_mkstemp(*a, **k):
        raise OSError(code, "simulated")

    monkeypatch.setattr(execute.tempfile, "mkstemp", failing_mkstemp)
    assert cli.main(["run", str(src), "--profile", "smoke"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot write the cache folder" in err and words in err


def test_download_into_a_full_disk_says_so(tmp_path, monkeypatch):
    src = tmp_path / "served.tar"
    src.write_bytes(b"x")

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    from robustbook import hashing

    monkeypatch.setattr(hashing.tempfile, "mkstemp", full)
    with pytest.raises(dl.DataUnavailableError, match="the disk is full"):
        dl.download(src.as_uri(), tmp_path / "d" / "set.tar", _sha(b"x"))


def test_every_checkpoint_load_in_the_package_is_weights_only():
    import ast

    src = Path(__file__).resolve().parents[1] / "src" / "robustbook"
    loads = []
    for path in src.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            f = getattr(node, "func", None)
            if isinstance(node, ast.Call) and isinstance(f, ast.Attribute) and f.attr == "load" \
                    and isinstance(f.value, ast.Name) and f.value.id == "torch":
                safe = any(k.arg == "weights_only" and isinstance(k.value, ast.Constant)
                           and k.value.value is True for k in node.keywords)
                loads.append((f"{path.relative_to(src)}:{node.lineno}", safe))
    assert loads, "no torch.load found: the scan is broken"
    assert [where for where, safe in loads if not safe] == []
