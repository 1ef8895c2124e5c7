"""The code digest behind both caches: docstrings and comments never count, code always does, and a digest
follows exactly the robustbook modules a computation imports; atomic writes and checksums."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from robustbook import hashing


@pytest.fixture
def pkg(tmp_path, monkeypatch):
    """A private copy of the robustbook sources that hashing (and so the zoo and the CLI) reads."""
    copy = tmp_path / "robustbook"
    shutil.copytree(hashing.package_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(hashing, "package_dir", lambda: copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    """Replace one occurrence of `old` in a source file (it must be there)."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_docstrings_comments_and_layout_do_not_count_code_does():
    base = hashing.source_digest("def f(x):\n    return x + 1\n")
    assert hashing.source_digest('"""Module."""\ndef f(x):  # add one\n    """Doc."""\n\n    return (x + 1)\n') == base
    assert hashing.source_digest("def f(x):\n    return x + 2\n") != base
    assert hashing.source_digest("def f(x):\n    return x + 1\n\ndef g():\n    pass\n", drop=["g"]) == base


def test_imports_are_resolved_relative_and_lazy():
    src = "from .base import project\nfrom .. import hashing\n\ndef f():\n    from ..data import images\n"
    found = hashing.imports_of_source(src, "robustbook.attacks.pgd")
    assert found == {"robustbook.attacks.base", "robustbook.hashing", "robustbook.data.images"}
    # a name defined in a package's __init__ brings the package in; a submodule alone does not
    assert hashing.imports_of_source("from .. import __version__, hashing\n", "robustbook.attacks.pgd") == {
        "robustbook", "robustbook.hashing"}
    assert "robustbook.attacks.pgd" in hashing.import_closure(["robustbook.train.objectives"])
    assert "robustbook.certify.smoothing" not in hashing.import_closure(["robustbook.train.objectives"])


def test_the_fixture_writer_and_the_session_stay_out_of_the_zoo_closure(pkg):
    """Only `session` imports the fixture writer, and nothing the zoo runs imports `session` or `params`."""
    closure = hashing.import_closure(["robustbook.zoo"])
    assert not {"robustbook.fixtures", "robustbook.session", "robustbook.params", "robustbook.profiles"} & set(closure)
    before = hashing.code_digest(["robustbook.zoo"])
    edit(pkg / "fixtures.py", "def write_fixtures(", "def _unused():\n    return 1\n\n\ndef write_fixtures(")
    assert hashing.code_digest(["robustbook.zoo"]) == before
    assert "robustbook.fixtures" in hashing.import_closure(["robustbook.session"])  # the session does run it


def test_digest_changes_with_an_imported_module_only(pkg):
    before = hashing.code_digest(["robustbook.attacks.pgd"])
    edit(pkg / "models" / "wideresnet.py", "return WideResNet(28, 10", "return WideResNet(28, 11")  # not imported
    edit(pkg / "attacks" / "base.py", '"""The unit-norm direction', '"""The unit-norm (edited) direction')
    assert hashing.code_digest(["robustbook.attacks.pgd"]) == before
    edit(pkg / "attacks" / "base.py", "clamp_min(1e-12), grad)", "clamp_min(1e-11), grad)")  # imported by pgd
    assert hashing.code_digest(["robustbook.attacks.pgd"]) != before
    with pytest.raises(ValueError, match="not a robustbook module"):
        hashing.code_digest(["robustbook.no_such_module"])


def test_atomic_write_leaves_nothing_on_failure_and_checksums_agree(tmp_path):
    target = tmp_path / "out.bin"
    hashing.atomic_write_bytes(target, b"abc")
    assert hashing.file_sha256(target) == hashlib.sha256(b"abc").hexdigest()
    assert hashing.file_sha256(target, "md5") == hashlib.md5(b"abc").hexdigest()
    with pytest.raises(RuntimeError):
        with hashing.atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"abc" and [p.name for p in tmp_path.iterdir()] == ["out.bin"]
