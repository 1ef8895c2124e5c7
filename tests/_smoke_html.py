"""The rendered smoke book that the launch-URL and browser tests read: `_build/html` of the repository.

When `_build/html` is missing, `robustbook build --profile smoke` makes it (a few minutes on 2 cores; the
executed notebooks are cached, so a second build only renders). A file lock keeps two test workers from
building at once.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("ROBUSTBOOK_TEST_HTML") or ROOT / "_build" / "html")  # override: a site built elsewhere


def smoke_html() -> Path:
    """`_build/html`, built at the smoke profile when absent; raises with the build's log if it fails."""
    from filelock import FileLock

    (ROOT / "_build").mkdir(exist_ok=True)
    with FileLock(str(ROOT / "_build" / ".smoke-build.lock")):
        if not (HTML / "index.html").exists():
            cli = Path(sys.executable).with_name("robustbook")
            proc = subprocess.run([str(cli), "build", "--profile", "smoke"], cwd=ROOT, capture_output=True,
                                  text=True)
            if proc.returncode != 0:
                raise RuntimeError("robustbook build --profile smoke failed:\n" + proc.stdout[-3000:]
                                   + proc.stderr[-3000:])
    return HTML
