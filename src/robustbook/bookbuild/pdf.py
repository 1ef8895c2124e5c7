"""Print the single-page HTML book to PDF with headless Chromium, after MathJax has typeset every formula.

`make pdf` builds `_build/singlehtml` (jupyter-book's singlehtml builder) and calls
`python -m robustbook.bookbuild.pdf _build/singlehtml/index.html _build/pdf/robustbook.pdf`. Chromium's virtual time
budget lets the page's scripts (MathJax served with the book) run to completion before it prints; the
background-networking flags keep the browser from reaching out (offline-safe).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Sequence

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
QUIET_FLAGS = ("--disable-background-networking", "--disable-component-update", "--disable-default-apps",
               "--disable-sync", "--disable-extensions", "--no-first-run", "--no-default-browser-check",
               "--metrics-recording-only", "--mute-audio", "--disable-features=Translate,MediaRouter")


def find_chromium() -> str | None:
    """The system Chromium: $ROBUSTBOOK_CHROMIUM, else the first of CHROMIUM_NAMES on PATH (None if absent)."""
    return os.environ.get("ROBUSTBOOK_CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


def print_pdf(html: str | Path, out: str | Path, budget_ms: int = 60_000, chromium: str | None = None,
              timeout: float = 900) -> Path:
    """Print the page `html` to the PDF `out` with headless Chromium, letting its scripts run `budget_ms`."""
    browser = chromium or find_chromium()
    if browser is None:
        raise RuntimeError("no Chromium found: install Debian's package (sudo apt-get install -y chromium) or set "
                           "ROBUSTBOOK_CHROMIUM")
    html, out = Path(html).resolve(), Path(out).resolve()
    if not html.is_file():
        raise FileNotFoundError(f"no page at {html}: build it first (make pdf builds _build/singlehtml)")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", *QUIET_FLAGS,
           "--run-all-compositor-stages-before-draw", f"--virtual-time-budget={budget_ms}",
           "--no-pdf-header-footer", f"--print-to-pdf={out}", html.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        raise RuntimeError(f"chromium did not print {html} (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return out


def pdf_text(path: str | Path) -> str:
    """The text of every page of a PDF (pypdf)."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


RAW_TEX = ("\\frac", "$$", "\\begin{", "\\mathbb", "\\(", "\\[")


def untypeset(text: str) -> list[str]:
    """The raw TeX markers still in a printed text (none once MathJax has typeset the page)."""
    return [m for m in RAW_TEX if m in text]


def main(argv: Sequence[str] | None = None) -> int:
    """Print a built page to PDF and refuse a PDF whose formulas were not typeset."""
    ap = argparse.ArgumentParser(prog="python -m robustbook.bookbuild.pdf", description=__doc__.splitlines()[0])
    ap.add_argument("html", type=Path, help="the page, e.g. _build/singlehtml/index.html")
    ap.add_argument("out", type=Path, help="the PDF to write")
    ap.add_argument("--budget-ms", type=int, default=60_000, help="virtual time for scripts before printing")
    args = ap.parse_args(argv)
    out = print_pdf(args.html, args.out, args.budget_ms)
    left = untypeset(pdf_text(out))
    if left:
        print(f"{out}: formulas not typeset (raw {', '.join(left)} in the text); raise --budget-ms", file=sys.stderr)
        return 1
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
