"""Executing one notebook: its run key (source, parameters, the code it imports), papermill, the note that
says which profile produced the page, an atomic write; and the checks of every `-p` value before a kernel
starts. An executed notebook is written next to its source (`chapter.md` -> `chapter.ipynb`, gitignored)
and remembers its run key; an unchanged notebook is not run again."""
from __future__ import annotations

import ast
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from .. import __version__
from ..params import ParameterError, cell_parameters, declared, validate
from ..runtime import fixture_mode
from .notebooks import execution_key, reads_executed, repo_root, shown
from .summary import records_digest

PROFILE_TAG = "robustbook-profile"


def run_key(source: Path, parameters: dict[str, Any]) -> str:
    """The cache key of one execution: the notebook's text, its parameters and the code it imports (and, for
    a page that reads the executed chapters, their published verdict records)."""
    records = records_digest(repo_root(source.parent)) if reads_executed(source) else None
    return execution_key(source, parameters, records)


class NotebookFailed(RuntimeError):
    """A notebook raised; the message names the notebook, the cell and the error."""

    def __init__(self, message: str, cell: int | None = None, error: str = "") -> None:
        super().__init__(message)
        self.cell, self.error = cell, error or message.splitlines()[0]


def is_current(source: Path, output: Path, parameters: dict[str, Any]) -> bool:
    """True when `output` is a finished execution of `source` with these parameters and this package."""
    import nbformat

    if not output.exists():
        return False
    try:
        meta = nbformat.read(output, as_version=4).metadata.get("robustbook", {})
    except Exception:
        return False
    return meta.get("key") == run_key(source, parameters)


IPC_PATH_MAX = 90  # a Unix socket path holds about 107 bytes; jupyter_client appends "-<port>" to the base


def kernel_config(folder: Path) -> Any:
    """The traitlets config of the notebook client's kernel manager: IPC transport over Unix sockets in `folder`.

    A TCP kernel binds localhost ports that any local user can reach, unencrypted, and ipykernel warns about it on
    every start; over IPC the channels are files only this user can open. Windows has no IPC transport, and a
    socket path too long for the kernel would fail: those keep TCP (None: jupyter_client's defaults).
    """
    from traitlets.config import Config

    base = folder / "kernel"
    if os.name == "nt" or len(str(base)) > IPC_PATH_MAX:
        return None
    return Config({"KernelManager": {"transport": "ipc", "ip": str(base)}})


def run_papermill(nb: Any, parameters: dict[str, Any], cwd: Path) -> Any:
    """Execute the notebook node `nb` with papermill in a fresh python3 kernel over IPC; return the executed node.

    The notebook client makes (and so shuts down) the kernel manager itself; only its configuration is ours.
    """
    import papermill as pm

    sockets = tempfile.mkdtemp(prefix="rbk-")  # the kernel's sockets: removed after, or by a stopped worker
    _PARTIAL.add(sockets)
    try:
        config = kernel_config(Path(sockets))
        extra = {"config": config} if config is not None else {}
        return pm.execute_notebook(nb, None, parameters=parameters, kernel_name="python3", cwd=str(cwd),
                                   progress_bar=False, log_output=False, **extra)
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
        _PARTIAL.discard(sockets)


def execute(source: Path, output: Path, parameters: dict[str, Any], cwd: Path, force: bool = False,
            quiet: bool = False) -> bool:
    """Execute `source` into `output` with papermill unless an up-to-date copy is there; True if it ran."""
    import jupytext
    import papermill as pm

    key = run_key(source, parameters)
    if not force and is_current(source, output, parameters):
        if not quiet:
            print(f"  cached  {shown(source, cwd)}")
        return False
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    start = time.perf_counter()
    try:  # papermill executes the notebook in memory; only the finished notebook is written
        done = run_papermill(nb, parameters, cwd)
    except pm.PapermillExecutionError as err:
        cell = err.exec_count - 1 if err.exec_count else None  # papermill's injected cell is not in `source`
        raise NotebookFailed(f"{source}: code cell {cell} raised {err.ename}: {err.evalue}\n"
                             + "\n".join(err.traceback[-6:]), cell,
                             f"{err.ename}: {err.evalue}".splitlines()[0]) from None
    for cell in done.cells:  # the executed notebook keeps papermill's cell; the rendered page hides it
        if "injected-parameters" in cell.metadata.get("tags", []) and "remove-cell" not in cell.metadata["tags"]:
            cell.metadata["tags"].append("remove-cell")
    mark_profile(done, parameters)  # each page says which profile produced it
    done.metadata["robustbook"] = {"key": key, "parameters": parameters,
                                   "seconds": round(time.perf_counter() - start, 1)}
    _write_atomic(done, output)
    if not quiet:
        print(f"  ran     {shown(source, cwd)} in {time.perf_counter() - start:.0f} s")
    return True


_PARTIAL: set[str] = set()  # staging files being written by this process, and its kernels' socket folders


def _write_atomic(nb: Any, output: Path) -> None:
    """Write through a private temp file and rename: a reader never sees half a notebook."""
    import nbformat

    output.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{output.stem}.", suffix=".ipynb.part", dir=output.parent)
    _PARTIAL.add(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.replace(name, output)
    finally:
        Path(name).unlink(missing_ok=True)
        _PARTIAL.discard(name)


def discard_partial_writes() -> None:
    """Remove the staging files this process has not finished, and its kernels' socket folders (called when it
    is stopped by a signal)."""
    for name in list(_PARTIAL):
        if Path(name).is_dir():
            shutil.rmtree(name, ignore_errors=True)
        else:
            Path(name).unlink(missing_ok=True)


def profile_note(parameters: dict[str, Any]) -> str:
    """The sentence each executed page shows: which profile (and which overrides) produced it."""
    profile = parameters.get("profile", "cpu")
    others = {k: v for k, v in parameters.items() if k != "profile"}
    extra = "".join(f", `{k}={v!r}`" for k, v in sorted(others.items()))
    fixtures = " against the fixture files (a code-path test, not results)" if fixture_mode() else ""
    return (f"```{{note}}\nThis page was executed at the `{profile}` profile{extra}{fixtures} "
            f"by robustbook {__version__}; see {{doc}}`/book/how_to_run` for the profiles.\n```")


def mark_profile(nb: Any, parameters: dict[str, Any]) -> Any:
    """Insert (or replace) a markdown note after the parameter cells saying which profile ran the page."""
    import nbformat

    nb.cells = [c for c in nb.cells if PROFILE_TAG not in c.get("metadata", {}).get("tags", [])]
    where = 0
    for i, c in enumerate(nb.cells):
        tags = c.get("metadata", {}).get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            where = i + 1
    cell = nbformat.v4.new_markdown_cell(profile_note(parameters), metadata={"tags": [PROFILE_TAG]})
    nb.cells.insert(where, fit_cell(nb, cell))
    return nb


def fit_cell(nb: Any, cell: Any) -> Any:
    """Cell ids exist from nbformat 4.5 on: keep the new cell's id only where the notebook has them."""
    if (nb.get("nbformat", 4), nb.get("nbformat_minor", 0)) < (4, 5):
        cell.pop("id", None)
    return cell


def parse_value(text: str) -> Any:
    """A command-line parameter value: a Python literal when it parses as one, else the string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def check_parameters(sources: Sequence[Path], params: dict[str, Any], root: Path,
                     every: bool = True) -> dict[Path, dict[str, Any]]:
    """Validate `-p` values before any kernel starts; returns the values meant for each notebook.

    With `every` (run), each notebook must accept every value; otherwise (build) a value goes to the
    notebooks that declare its name, and a name no notebook knows is refused.
    """
    per: dict[Path, dict[str, Any]] = {}
    for src in sources:
        if not src.exists():
            raise params_error(f"no such notebook: {src}")
        names = set(declared(src, root) or {}) | {n for n, _, _ in cell_parameters(src)}
        mine = params if every else {k: v for k, v in params.items() if k in names}
        validate(src, mine, root)
        per[src] = mine
    if not every:
        known = set().union(*(set(declared(s, root) or {}) | {n for n, _, _ in cell_parameters(s)}
                              for s in sources)) if sources else set()
        for name, value in params.items():
            if name not in known:
                raise params_error(f"unknown parameter {name}={value!r}: no notebook of the book declares "
                                   f"it; valid names are {', '.join(sorted(known))}")
    return per


def params_error(message: str) -> Exception:
    """A one-line refusal of the command line (the schema's error type)."""
    return ParameterError(message)


def check_writable(folder: Path, what: str) -> None:
    """Refuse at once, in one line, a cache or output folder that is read-only, full or not a folder."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix=".robustbook-write-test.")
        try:
            os.write(fd, b"x" * 4096)
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as err:
        reasons = {13: "it is not writable", 30: "it is on a read-only file system", 28: "the disk is full",
                   122: "the disk quota is exceeded", 20: "a file stands where a folder should be",
                   17: "a file stands where the folder should be"}
        reason = reasons.get(err.errno or 0, err.strerror or str(err))
        raise ParameterError(f"cannot write the {what} at {folder}: {reason}") from None
