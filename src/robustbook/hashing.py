"""Hashing, checksums and atomic writes, in one place: the code digest that keys both caches.

`code_digest(modules)` is the sha256 of the syntax trees of the named robustbook modules and of every
robustbook module they import (transitively, lazy imports inside functions included), with docstrings
removed; comments and formatting never reach a syntax tree. So a docstring or comment edit changes no
digest, while any change of substance in a module a computation runs changes exactly the digests of the
computations that import it. Nothing here imports the modules it hashes.
"""
from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

PACKAGE = "robustbook"


def package_dir() -> Path:
    """The folder of the robustbook sources being run."""
    return Path(__file__).resolve().parent


def sha256_bytes(data: bytes) -> str:
    """The sha256 hex digest of bytes."""
    return hashlib.sha256(data).hexdigest()


def sha256_json(obj: Any) -> str:
    """The sha256 hex digest of a JSON-able object (keys sorted, so equal objects hash equal)."""
    return sha256_bytes(json.dumps(obj, sort_keys=True, default=str).encode())


def file_sha256(path: str | Path, algorithm: str = "sha256", chunk: int = 1 << 20) -> str:
    """The hex digest of a file's bytes (sha256 unless `algorithm` names another hashlib algorithm)."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a private temp path beside `path`; on success it is renamed onto `path`, on error removed.

    A reader never sees a half-written file, and a failed write leaves no entry behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


# ---------------------------------------------------------------------------------------------- code digest

def module_path(module: str) -> Path | None:
    """The source file of a robustbook module name, or None when it is not one."""
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        return None
    parts = module.split(".")[1:]
    base = package_dir().joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _strip_docstrings(tree: ast.AST, drop: frozenset[str] = frozenset()) -> ast.AST:
    if drop and isinstance(tree, ast.Module):  # top-level functions whose code another digest covers
        tree.body = [n for n in tree.body if not (isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                                                   and n.name in drop)]
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def source_digest(source: str, drop: Iterable[str] = ()) -> str:
    """sha256 of Python source's syntax tree without docstrings (comments and layout do not count), leaving
    out the top-level functions named in `drop`."""
    tree = _strip_docstrings(ast.parse(source), frozenset(drop))
    return sha256_bytes(ast.dump(tree, annotate_fields=True, include_attributes=False).encode())


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of a (possibly relative) import made inside `module`."""
    if level == 0:
        return target or ""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    parts = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join(parts + ([target] if target else []))


def imports_of_source(source: str, module: str = "", is_package: bool = False) -> set[str]:
    """The robustbook modules a piece of source imports (anywhere in it, lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node.level, node.module)
            if not base:
                continue
            subs = [f"{base}.{a.name}" for a in node.names if module_path(f"{base}.{a.name}") is not None]
            found.update(subs)  # `from pkg import submodule` runs the submodule
            if len(subs) < len(node.names):  # a name defined in `base` itself (a package's __init__ included)
                found.add(base)
    return {m for m in found if module_path(m) is not None}


@lru_cache(maxsize=None)
def _module_info(module: str, path_str: str, mtime_ns: int, size: int) -> tuple[str, frozenset[str]]:
    path = Path(path_str)
    source = path.read_text(encoding="utf-8")
    return source_digest(source), frozenset(imports_of_source(source, module, path.name == "__init__.py"))


def _info(module: str) -> tuple[str, frozenset[str]]:
    path = module_path(module)
    if path is None:
        raise ValueError(f"invalid module={module!r}: not a robustbook module under {package_dir()}")
    st = path.stat()
    return _module_info(module, str(path), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=None)
def _dropped_digest(path_str: str, mtime_ns: int, size: int, drop: frozenset[str]) -> str:
    return source_digest(Path(path_str).read_text(encoding="utf-8"), drop)


def module_digest(module: str) -> str:
    """sha256 of one robustbook module's syntax tree, docstrings removed."""
    return _info(module)[0]


def import_closure(modules: Iterable[str]) -> list[str]:
    """The named robustbook modules and every robustbook module they import, transitively, sorted."""
    seen: set[str] = set()
    todo = [m for m in modules]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo.extend(_info(m)[1] - seen)
    return sorted(seen)


def code_digest(modules: Iterable[str], drop: dict[str, Iterable[str]] | None = None) -> str:
    """sha256 over the syntax trees (docstrings removed) of `modules` and their transitive robustbook imports.

    `drop` maps a module to top-level functions left out of its tree: several objectives share a module,
    and editing one of them must not change the digest of the others.
    """
    drop = {m: frozenset(v) for m, v in (drop or {}).items() if v}
    closure = import_closure(modules)
    parts = []
    for m in closure:
        if m in drop:
            path = module_path(m)
            assert path is not None
            st = path.stat()
            parts.append([m, _dropped_digest(str(path), st.st_mtime_ns, st.st_size, drop[m])])
        else:
            parts.append([m, module_digest(m)])
    return sha256_json(parts)


def object_module(obj: Any) -> str:
    """The module that defines a function or class (what a digest of that code must cover)."""
    return getattr(obj, "__module__", None) or ""
