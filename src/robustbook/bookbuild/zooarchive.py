"""A downloadable zoo: `robustbook zoo export` packs the trained models a profile's notebooks use into one
tarball; `robustbook zoo import` unpacks one into this machine's zoo.

The archive holds `manifest.json` ({profile, robustbook version, torch major.minor, device, entries: [{key,
sha256, bytes, recipe}]}) and `zoo/<key>.pt` for every entry. The entries are the zoo entries of every recipe
`schedule.sweep_recipes(profile)` lists, with the recipes those start from (a probe's base, a fine-tune's
init), recursively. Keys are zoo keys (the recipe, the data, torch, the code it runs), so importing is safe
across versions: only entries whose key the current code would ask for are written, and a stale archive is
simply not used. Every member is checked against the manifest's sha256 before anything is written; one
mismatch refuses the whole archive. A URL is downloaded only when given explicitly.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import sys
import tarfile
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

MANIFEST = "manifest.json"
MEMBER = re.compile(r"zoo/([0-9a-f]{24})\.pt")


class ZooArchiveError(RuntimeError):
    """An archive that cannot be written or used; the message is one line that says why and what to do."""


def with_dependencies(recipes: Iterable[Any]) -> list[Any]:
    """`recipes` and every recipe they start from (a probe's `base`, a fine-tune's `init`), recursively, each
    once, the ones depended on first."""
    out: dict[Any, None] = {}

    def visit(r: Any) -> None:
        for dep in (getattr(r, "base", None), getattr(r, "init", None)):
            if dep is not None:
                visit(dep)
        out.setdefault(r, None)

    for r in recipes:
        visit(r)
    return list(out)


def profile_recipes(profile: str, seed: int = 0, out: Callable[[str], None] = print,
                    notebooks: Sequence[Path] | None = None) -> list[Any]:
    """The zoo recipes the notebooks of `profile` (or only `notebooks`, Jupytext sources) train at their default
    knobs, with their dependencies."""
    from . import schedule

    tasks = None if notebooks is None else [schedule.Task(Path(n).resolve(), Path(n).with_suffix(".ipynb"),
                                                          {"profile": profile}, Path.cwd()) for n in notebooks]
    return with_dependencies(schedule.sweep_recipes(profile, seed, out=out, tasks=tasks))


def expected_entries(recipes: Sequence[Any], device: str = "cpu") -> dict[str, str]:
    """{zoo key: recipe label} of `recipes` trained on `device` (a device type: what the key reads)."""
    from .. import zoo

    return {zoo.key(r, device): r.label for r in recipes}


def _sha256(path: Path) -> str:
    from ..hashing import file_sha256

    return file_sha256(path, "sha256")


def _torch_version() -> str:
    import torch

    return ".".join(torch.__version__.split("+")[0].split(".")[:2])


def export(profile: str, out: Path, recipes: Sequence[Any] | None = None, device: str = "cpu") -> dict[str, Any]:
    """Write the zoo entries of `profile`'s recipes (default: `profile_recipes`) to the tarball `out`; returns the
    manifest. Refuses, writing nothing, when an entry is not in this machine's zoo."""
    from .. import __version__
    from ..hashing import atomic_path
    from ..zoo import zoo_dir

    wanted = expected_entries(with_dependencies(profile_recipes(profile) if recipes is None else recipes), device)
    if not wanted:
        raise ZooArchiveError(f"no zoo recipes at profile {profile!r}: nothing to export")
    folder = zoo_dir()
    missing = [k for k in wanted if not (folder / f"{k}.pt").is_file()]
    if missing:
        raise ZooArchiveError(f"{len(missing)} of {len(wanted)} zoo entries of profile {profile!r} are not in "
                              f"{folder}: run `robustbook build --profile {profile}` first")
    entries = [{"key": k, "sha256": _sha256(folder / f"{k}.pt"), "bytes": (folder / f"{k}.pt").stat().st_size,
                "recipe": label} for k, label in wanted.items()]
    manifest = {"profile": profile, "robustbook": __version__, "torch": _torch_version(), "device": device,
                "entries": entries}
    with atomic_path(out) as tmp, tarfile.open(tmp, "w:gz") as tar:  # closed before it is renamed onto `out`
        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(data), 0o644
        tar.addfile(info, io.BytesIO(data))
        for e in entries:
            tar.add(folder / f"{e['key']}.pt", arcname=f"zoo/{e['key']}.pt", recursive=False, filter=_plain)
    return manifest


def _plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """A member without this machine's owner names or permissions."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o644
    return info


def _is_url(source: str) -> bool:
    return urllib.parse.urlsplit(source).scheme in ("http", "https", "file")


def fetch(source: str, into: Path) -> Path:
    """`source` as a local file: a path as given, a URL downloaded into the folder `into` (only when asked)."""
    if not _is_url(source):
        path = Path(source)
        if not path.is_file():
            raise ZooArchiveError(f"no such archive: {path}")
        return path
    from ..data.download import DataUnavailableError, download

    name = Path(urllib.parse.urlsplit(source).path).name or "zoo.tar.gz"
    try:
        return download(source, into / name, sha256=None)  # the manifest's sha256 then checks every member
    except DataUnavailableError as err:
        raise ZooArchiveError(str(err).splitlines()[0]) from None


def read_manifest(tar: tarfile.TarFile, name: str) -> dict[str, Any]:
    """The archive's manifest, checked: its entries, and members that are exactly manifest.json + zoo/<key>.pt."""
    try:
        member = tar.getmember(MANIFEST)
        manifest = json.loads(tar.extractfile(member).read())  # type: ignore[union-attr]
        entries = {e["key"]: e for e in manifest["entries"]}
    except (KeyError, ValueError, TypeError, AttributeError) as err:
        raise ZooArchiveError(f"refusing {name}: no readable {MANIFEST} ({type(err).__name__}: {err})") from None
    for m in tar.getmembers():
        if m.name == MANIFEST:
            continue
        got = MEMBER.fullmatch(m.name)
        if not m.isfile() or got is None or got[1] not in entries:
            raise ZooArchiveError(f"refusing {name}: member {m.name!r} is not a zoo entry of its manifest")
    return manifest


def _digest(tar: tarfile.TarFile, member: tarfile.TarInfo, sink: Any = None) -> str:
    h = hashlib.sha256()
    src = tar.extractfile(member)
    assert src is not None
    while chunk := src.read(1 << 20):
        h.update(chunk)
        if sink is not None:
            sink.write(chunk)
    return h.hexdigest()


def import_archive(source: str | Path, profile: str | None = None, recipes: Sequence[Any] | None = None,
                   out: Callable[[str], None] = print) -> tuple[int, int]:
    """Check and unpack a zoo archive (a path, or a URL given explicitly) into this machine's zoo: only entries
    whose key the current code asks for at the archive's profile (or `recipes`). Returns (matching, entries)."""
    from ..hashing import atomic_path
    from ..zoo import zoo_dir

    with tempfile.TemporaryDirectory(prefix="robustbook-zoo-") as tmp:
        path = fetch(str(source), Path(tmp))
        try:
            tar = tarfile.open(path, "r:*")
        except (tarfile.TarError, OSError) as err:
            raise ZooArchiveError(f"refusing {source}: not a tar archive ({err})") from None
        with tar:
            manifest = read_manifest(tar, str(source))
            entries = {e["key"]: e for e in manifest["entries"]}
            members = {MEMBER.fullmatch(m.name)[1]: m for m in tar.getmembers() if m.name != MANIFEST}  # type: ignore[index]
            absent = [k for k in entries if k not in members]
            if absent:
                raise ZooArchiveError(f"refusing {source}: {len(absent)} manifest entries have no member")
            for k, m in members.items():  # every member first: one mismatch refuses the whole archive
                if _digest(tar, m) != entries[k]["sha256"]:
                    raise ZooArchiveError(f"refusing {source}: zoo/{k}.pt does not match its sha256 in the "
                                          "manifest (damaged or tampered); nothing was imported")
            at = profile or manifest.get("profile")
            if recipes is None:
                if not at:
                    raise ZooArchiveError(f"refusing {source}: its manifest names no profile")
                recipes = profile_recipes(str(at), out=out)
            wanted = expected_entries(with_dependencies(recipes), str(manifest.get("device", "cpu")))
            match = [k for k in entries if k in wanted]
            folder, written = zoo_dir(), 0
            for k in match:
                dest = folder / f"{k}.pt"
                if dest.is_file() and _sha256(dest) == entries[k]["sha256"]:
                    continue
                with atomic_path(dest) as part:
                    with part.open("wb") as f:
                        got = _digest(tar, members[k], f)
                    if got != entries[k]["sha256"]:  # changed under us since the check: write nothing
                        raise ZooArchiveError(f"refusing {source}: zoo/{k}.pt changed while it was read")
                written += 1
    out(f"{len(match)} of {len(entries)} entries match this code (profile {at}, torch {manifest.get('torch')}, "
        f"robustbook {manifest.get('robustbook')}): {written} written to {folder}, "
        f"{len(match) - written} already there")
    return len(match), len(entries)


def add_parser(sub: Any) -> None:
    """The `zoo` subcommand's arguments (used by `robustbook.cli`)."""
    from ..profiles import PROFILES

    z = sub.add_parser("zoo", help="export or import the trained models of a profile as one archive")
    zs = z.add_subparsers(dest="zoo_cmd", required=True)
    e = zs.add_parser("export", help="pack the zoo entries of a profile's notebooks into a .tar.gz")
    e.add_argument("--profile", default="cpu", choices=sorted(PROFILES))
    e.add_argument("--out", type=Path, default=None, help="the archive to write (default: zoo-<profile>.tar.gz)")
    e.add_argument("notebooks", nargs="*", type=Path, help="only the models of these notebooks (default: every one)")
    i = zs.add_parser("import", help="check a zoo archive (a file, or a URL) and add the entries this code uses")
    i.add_argument("archive", help="a path, or an http(s)/file URL (downloaded only when given)")
    i.add_argument("--profile", default=None, choices=sorted(PROFILES),
                   help="match the entries against this profile's recipes (default: the archive's)")


def main(args: Any) -> int:
    """`robustbook zoo export|import`: entry point called by the CLI; errors are one line on stderr."""
    try:
        if args.zoo_cmd == "export":
            out = args.out or Path(f"zoo-{args.profile}.tar.gz")
            recipes = profile_recipes(args.profile, notebooks=args.notebooks) if args.notebooks else None
            manifest = export(args.profile, out, recipes)
            size = sum(e["bytes"] for e in manifest["entries"])
            print(f"{len(manifest['entries'])} zoo entries of profile {args.profile} ({size / 1e6:.1f} MB) "
                  f"in {out}")
            return 0
        import_archive(args.archive, args.profile)
        return 0
    except ZooArchiveError as err:
        print(f"robustbook zoo: {err}", file=sys.stderr)
        return 1
