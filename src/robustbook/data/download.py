"""Checksummed, atomic downloads with an immediate, clear error when the network is absent."""
from __future__ import annotations

import os
import socket
import tarfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from ..hashing import atomic_path, file_sha256


class DataUnavailableError(RuntimeError):
    """An online data set is missing and cannot be fetched; the message says what to get and where."""


def data_root() -> Path:
    """Where online data sets live: $ROBUSTBOOK_DATA, else ~/.cache/robustbook/data."""
    root = os.environ.get("ROBUSTBOOK_DATA") or Path.home() / ".cache" / "robustbook" / "data"
    return Path(root)


def sha256sum(path: str | Path, chunk: int = 1 << 20) -> str:
    """The sha256 hex digest of a file."""
    return file_sha256(path, "sha256", chunk)


def _network_reachable(url: str, timeout: float) -> bool:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def download(url: str, dest: str | Path, sha256: str | None, timeout: float = 5.0) -> Path:
    """Fetch `url` to `dest` unless a file with the right checksum is there; verify; write atomically.

    A missing network fails at once with the URL and the destination, so the user can fetch the file
    by hand. A checksum mismatch deletes the download and raises; no half-written file is ever left.
    """
    dest = Path(dest)
    if dest.exists() and (sha256 is None or sha256sum(dest) == sha256):
        return dest
    hint = f"Download {url} and place it at {dest} (sha256 {sha256 or 'not pinned'})."
    local = urllib.parse.urlsplit(url).scheme == "file"
    if not local and not _network_reachable(url, timeout):
        raise DataUnavailableError(f"no network to reach {url}. {hint}")
    try:
        with atomic_path(dest) as tmp:  # renamed onto dest only once the checksum holds
            with open(tmp, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
                while block := resp.read(1 << 20):
                    out.write(block)
            if sha256 is not None and (got := sha256sum(tmp)) != sha256:
                raise DataUnavailableError(f"checksum mismatch for {url}: got {got}, expected {sha256}. {hint}")
    except (urllib.error.URLError, OSError) as err:
        raise DataUnavailableError(f"download of {url} failed ({err}). {hint}") from err
    return dest


def extract_tar(archive: str | Path, into: str | Path) -> None:
    """Extract a tar archive, refusing members that would land outside `into`."""
    into = Path(into).resolve()
    with tarfile.open(archive) as tar:
        for m in tar.getmembers():
            if not (into / m.name).resolve().is_relative_to(into):
                raise DataUnavailableError(f"unsafe path {m.name!r} in {archive}")
        tar.extractall(into, filter="data")
