"""robustbook.bookbuild.sphinxext: a page loads each script once (sphinx-thebe registered its inline config twice)."""
from __future__ import annotations

from sphinx.builders.html._assets import _JavaScript

from robustbook.bookbuild.sphinxext import dedupe_scripts


def test_repeated_inline_and_file_scripts_are_dropped_order_kept():
    body = 'const THEBE_JS_URL = "x"'
    scripts = [_JavaScript("_static/a.js"), _JavaScript("", body=body), _JavaScript("_static/b.js", async_="async"),
               _JavaScript(None, body=body), _JavaScript("_static/a.js"), _JavaScript(None, body="other")]
    ctx = {"script_files": scripts}
    dedupe_scripts(None, "page", "page.html", ctx, None)
    kept = ctx["script_files"]
    assert [s.filename for s in kept] == ["_static/a.js", "", "_static/b.js", None]
    assert sum(s.attributes.get("body") == body for s in kept) == 1


def test_distinct_scripts_are_kept():
    scripts = [_JavaScript("_static/a.js"), _JavaScript("_static/a.js", async_="async"), _JavaScript(None, body="x")]
    ctx = {"script_files": list(scripts)}
    dedupe_scripts(None, "page", "page.html", ctx, None)
    assert len(ctx["script_files"]) == 3
