"""Checksummed, atomic downloads with an immediate, clear error when the network is absent.

The transfer is pooch's (`pooch.HTTPDownloader`: a progress bar, a timeout, and `retry_if_failed` retries with
back-off); the sha256 check, the atomic rename and the one-line `DataUnavailableError` are ours.
"""
from __future__ import annotations

import errno
import os
import shutil
import socket
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path
from typing import Any

from ..hashing import atomic_path, file_sha256
from ..runtime import data_root  # noqa: F401 - where online data sets live; the readers import it from here

RETRIES = 2  # further attempts after a failed transfer (pooch waits 1 s, 2 s, ... between them)


class DataUnavailableError(RuntimeError):
    """An online data set is missing and cannot be fetched; the message says what to get and where."""


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


def move_aside(path: Path, got: str) -> Path:
    """Rename a file with a wrong checksum to `<name>.corrupt-<8 hex of its sha256>`; return the new path."""
    aside = path.with_name(f"{path.name}.corrupt-{got[:8]}")
    os.replace(path, aside)
    return aside


def download(url: str, dest: str | Path, sha256: str | None, timeout: float = 5.0) -> Path:
    """Fetch `url` to `dest` unless a file with the right checksum is there; verify; write atomically.

    A missing network fails at once with the URL and the destination, so the user can fetch the file
    by hand. A file (found or fetched) whose checksum does not match is refused: it is moved aside to
    `<name>.corrupt-<hash>` for inspection, never used, and the error says so. No half-written file is left.
    """
    dest = Path(dest)
    note = ""
    if dest.exists():
        if sha256 is None:
            return dest
        got = sha256sum(dest)
        if got == sha256:
            return dest
        aside = move_aside(dest, got)
        note = f"{dest} had sha256 {got}, expected {sha256}: moved aside to {aside.name}. "
        warnings.warn(note.strip(), stacklevel=2)
    hint = f"Download {url} and place it at {dest} (sha256 {sha256 or 'not pinned'})."
    local = urllib.parse.urlsplit(url).scheme == "file"
    if not local and not _network_reachable(url, timeout):
        raise DataUnavailableError(f"{note}no network to reach {url}. {hint}")
    try:
        import requests

        with atomic_path(dest) as tmp:  # renamed onto dest only once the checksum holds
            _fetch(url, tmp, timeout)
            if sha256 is not None and (got := sha256sum(tmp)) != sha256:
                aside = dest.with_name(f"{dest.name}.corrupt-{got[:8]}")
                os.replace(tmp, aside)
                raise DataUnavailableError(f"{note}checksum mismatch for {url}: got {got}, expected {sha256}; "
                                           f"the download was refused and moved aside to {aside}. {hint}")
    except (urllib.error.URLError, OSError, requests.exceptions.RequestException) as err:
        raise DataUnavailableError(f"{note}download of {url} failed ({_why(err)}). {hint}") from err
    return dest


def _copy_local(url: str, output_file: Any, pooch: Any = None) -> None:
    """A pooch downloader for file:// URLs (mirrors on a shared disk, and the tests)."""
    source = urllib.request.url2pathname(urllib.parse.urlsplit(url).path)
    if isinstance(output_file, (str, os.PathLike)):
        shutil.copyfile(source, output_file)
    else:
        with open(source, "rb") as src:
            shutil.copyfileobj(src, output_file)


def _fetch(url: str, path: Path, timeout: float) -> None:
    """Write `url` to `path` with pooch: a progress bar when bars are on, RETRIES retries on a failed transfer."""
    import pooch

    from ..progress import progress_enabled

    path.unlink(missing_ok=True)  # pooch downloads only a file that is not there yet
    if urllib.parse.urlsplit(url).scheme == "file":
        downloader: Any = _copy_local
    else:
        downloader = pooch.HTTPDownloader(progressbar=progress_enabled(), timeout=timeout)
    fetcher = pooch.create(path=path.parent, base_url="", registry={path.name: None}, urls={path.name: url},
                           retry_if_failed=RETRIES)
    fetcher.fetch(path.name, downloader=downloader)


def _why(err: BaseException) -> str:
    """A short reason for an OSError: a full disk and a read-only folder are named as such."""
    code = getattr(err, "errno", None)
    return {errno.ENOSPC: "the disk is full", errno.EROFS: "the file system is read-only",
            errno.EACCES: "permission denied", errno.EDQUOT: "the disk quota is exceeded"}.get(code, str(err))


class UnsafeArchiveError(DataUnavailableError):
    """An archive member could write outside its folder: an absolute or '..' path, a link, a device."""


def check_archive(archive: str | Path, into: str | Path) -> None:
    """Refuse an archive with path-traversal, absolute, link or special-file members, naming the first one."""
    into = Path(into).resolve()
    with tarfile.open(archive) as tar:
        for m in tar.getmembers():
            kind = ("a symbolic link" if m.issym() else "a hard link" if m.islnk() else
                    None if (m.isfile() or m.isdir()) else "a device or special file")
            if kind:
                raise UnsafeArchiveError(f"refusing {archive}: member {m.name!r} is {kind}")
            if Path(m.name).is_absolute() or ".." in Path(m.name).parts \
                    or not (into / m.name).resolve().is_relative_to(into):
                raise UnsafeArchiveError(f"refusing {archive}: member {m.name!r} would land outside {into}")


def extract_tar(archive: str | Path, into: str | Path) -> None:
    """Extract a tar archive of plain files and folders only; anything that could escape `into` is refused."""
    check_archive(archive, into)
    into = Path(into).resolve()
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
