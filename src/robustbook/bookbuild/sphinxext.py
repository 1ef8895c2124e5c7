"""A Sphinx extension for the book's HTML: each page loads a script at most once.

sphinx-thebe 0.3.1 (pulled in by Jupyter Book 1.x) registers its inline configuration script
(`const THEBE_JS_URL = ...`) each time the environment reads documents, so a page can carry it twice and the
browser stops with "Identifier 'THEBE_JS_URL' has already been declared" (found by tests/test_browser.py).
"""
from __future__ import annotations

from typing import Any


def _key(script: Any) -> tuple:
    """What a script tag loads: its file (None and '' both mean an inline body) and its attributes."""
    attrs = getattr(script, "attributes", {}) or {}
    filename = getattr(script, "filename", script) or None
    return (str(filename), tuple(sorted((str(k), str(v)) for k, v in attrs.items())))


def dedupe_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Drop repeated entries (same file or inline body, same attributes) from a page's script list."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    kept = []
    for s in scripts:
        k = _key(s)
        if k not in seen:
            seen.add(k)
            kept.append(s)
    context["script_files"] = kept


def setup(app: Any) -> dict:
    """Register the handler (late, after the themes and extensions have added their scripts)."""
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
