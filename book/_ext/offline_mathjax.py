"""Serve MathJax with the book: copy the pinned copy installed from PyPI into `_static/mathjax` of the build.

MathJax 3.2.2 comes from the `django-static-mathjax` package (pinned in constraints.txt, in the [book] extra; it
has no dependencies and imports as `mathjax`). `_config.yml` sets `mathjax_path: mathjax/tex-mml-chtml.js`, a
path inside `_static`, so every formula is typeset without a network: a laptop on a train, a classroom behind a
firewall, the CI browser test.
"""
from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

# The combined bundle we load plus what it loads on demand (TeX extensions such as \boldsymbol, fonts, the
# accessibility menu); the other combined bundles (svg, full, speech) are left out.
KEEP = ("tex-mml-chtml.js", "tex-chtml.js", "startup.js", "loader.js", "core.js", "input", "output/chtml",
        "output/chtml.js", "a11y", "ui", "adaptors", "sre")


def source_dir() -> Path:
    """The es5 distribution of the installed MathJax package; a clear error when it is missing."""
    try:
        root = Path(str(resources.files("mathjax"))) / "static" / "mathjax" / "es5"
    except ModuleNotFoundError:
        root = None
    if root is None or not (root / "tex-mml-chtml.js").exists():
        raise RuntimeError("MathJax is not installed: pip install -c constraints.txt 'django-static-mathjax' "
                           "(part of the [book] extra); the book serves its own copy so formulas render offline")
    return root


def copy_mathjax(app, exc) -> None:
    """After an HTML build, copy MathJax next to the pages."""
    if exc is not None or app.builder.format != "html":
        return
    src, dst = source_dir(), Path(app.outdir) / "_static" / "mathjax"
    for name in KEEP:
        s, d = src / name, dst / name
        if s.is_dir():
            shutil.copytree(s, d, dirs_exist_ok=True)
        elif s.exists():
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(s, d)


def setup(app):
    """Sphinx entry point."""
    source_dir()  # fail at the start of a build, not after it
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
