"""robustbook.runtime: one cache folder and one data folder, from the environment or the platform's default."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from robustbook import runtime
from robustbook.data.download import data_root


def test_the_environment_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(tmp_path / "c"))
    monkeypatch.setenv("ROBUSTBOOK_DATA", str(tmp_path / "d"))
    assert runtime.cache_root() == tmp_path / "c" and runtime.data_root() == data_root() == tmp_path / "d"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG layout is Linux's")
def test_the_default_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("ROBUSTBOOK_CACHE", raising=False)
    monkeypatch.delenv("ROBUSTBOOK_DATA", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert runtime.cache_root() == Path(tmp_path) / ".cache" / "robustbook"  # today's default, unchanged
    assert data_root() == Path(tmp_path) / ".cache" / "robustbook" / "data"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert runtime.cache_root() == tmp_path / "xdg" / "robustbook"
