"""The rendered smoke book in a real browser: Debian's Chromium, headless, driven by Playwright.

The suite's smoke book (`tests/_smoke_book.py`) is served on 127.0.0.1. Every page must load without console
errors; MathJax must have typeset every formula (no raw `$$`, `mjx-container` on theorem pages); every
theorem / proof / exercise box renders; every image loads; every internal link and anchor resolves; and a
screenshot of each chapter's first screen is saved under `_build/screenshots/`.

Playwright cannot download a browser here: it launches the system Chromium (`apt-get install chromium`).
Without one the test is skipped with that instruction, except under CI=true, where a skip is a failure.
"""
from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from _smoke_book import ROOT, smoke_html

pytestmark = pytest.mark.browser
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
REFRESH = re.compile(r'<meta http-equiv="refresh" content="\d+;\s*url=([^"]+)"', re.IGNORECASE)


def chromium() -> str:
    """The system Chromium's path: $ROBUSTBOOK_CHROMIUM, else the first of CHROMIUM_NAMES on PATH."""
    found = os.environ.get("ROBUSTBOOK_CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    if found is None:
        msg = ("no Chromium found: install Debian's package (sudo apt-get install -y chromium) or set "
               "ROBUSTBOOK_CHROMIUM to a Chromium binary; Playwright's own browser download is not used")
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return found


class _Ids(HTMLParser):
    """Every id and name attribute of a page (the targets of #anchors)."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ("id", "name"):
            if a.get(k):
                self.ids.add(a[k])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])


@functools.lru_cache(maxsize=None)
def _parse(path: Path) -> _Ids:
    p = _Ids()
    p.feed(path.read_text(errors="replace"))
    return p


def content_pages(html: Path) -> list[Path]:
    """The book's pages: every toc page, the index and the generated index."""
    pages = [p for p in sorted(html.rglob("*.html"))
             if not any(part.startswith(("_", ".")) for part in p.relative_to(html).parts)
             and p.name not in ("search.html",) and "gpu" not in p.relative_to(html).parts[:1]]
    return pages


def broken_internal_links(html: Path, page: Path) -> list[str]:
    """Internal links of `page` whose file or #anchor does not exist in the built site."""
    bad = []
    base = "file://" + page.as_posix()
    for href in _parse(page).links:
        parts = urlsplit(href)
        if parts.scheme in ("http", "https", "mailto", "javascript", "data") or href.startswith("//"):
            continue
        target = urlsplit(urljoin(base, href))
        path = Path(unquote(target.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.exists():
            bad.append(f"{href} (no file {path.relative_to(html) if path.is_relative_to(html) else path})")
            continue
        frag = unquote(target.fragment)
        if frag and path.suffix == ".html" and frag not in _parse(path).ids:
            bad.append(f"{href} (no anchor #{frag})")
    return bad


@pytest.fixture(scope="module")
def site():
    """(html folder, base URL) of the smoke book served on 127.0.0.1."""
    html = smoke_html()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield html, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def chromium_browser():
    """Headless system Chromium through Playwright."""
    path = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


PAGE_STATE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const math = [...document.querySelectorAll('main .math, main span.math, main div.math')];
  const text = document.querySelector('main') ? document.querySelector('main').innerText : document.body.innerText;
  // directive syntax quoted in code (the contributors' style note) is not an unrendered directive
  const bare = (document.querySelector('main') || document.body).cloneNode(true);
  bare.querySelectorAll('code, pre').forEach(c => c.remove());
  const prose = bare.textContent;
  const boxes = [...document.querySelectorAll('main div.proof, main div.exercise, main div.solution')].map(b => ({
      cls: b.className, title: (b.querySelector('.admonition-title, .proof-title, p.admonition-title') || {}).innerText || '',
      text: b.innerText.trim().length, height: b.getBoundingClientRect().height}));
  const imgs = [...document.querySelectorAll('main img')].map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0}));
  return {
    mathjax: !!window.MathJax,
    math: math.length,
    untypeset: math.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 60)),
    mjx: document.querySelectorAll('mjx-container').length,
    rawDollars: (text.match(/\\$\\$/g) || []).length,
    rawDirectives: (prose.match(/(:::\\{prf:|```\\{(exercise|solution|prf:)|\\{prf:[a-z]+\\})/g) || []).length,
    boxes, imgs,
  };
}"""


def test_every_page_renders_in_chromium(site, chromium_browser):
    html, base = site
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):  # only this run's pages
        old.unlink()
    problems: dict[str, list[str]] = {}
    shots = []
    ctx = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    for path in content_pages(html):
        rel = path.relative_to(html).as_posix()
        redirect = REFRESH.search(path.read_text(errors="replace"))
        if redirect:  # a redirect page (index.html): its target must exist; the target is checked itself
            target = (path.parent / redirect.group(1)).resolve()
            if not target.exists():
                problems[rel] = [f"redirects to missing {redirect.group(1)}"]
            continue
        errors: list[str] = []
        page = ctx.new_page()
        # Chromium asks every site for /favicon.ico; the book has none, and that 404 is not a page's defect
        page.on("console", lambda m, errors=errors: errors.append(f"console {m.type}: {m.text}")
                if m.type == "error" and "favicon.ico" not in (m.location or {}).get("url", "") else None)
        page.on("pageerror", lambda e, errors=errors: errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r, errors=errors: errors.append(f"request failed: {r.url}"))
        page.on("response", lambda r, errors=errors: errors.append(f"HTTP {r.status}: {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        page.goto(base + rel, wait_until="load")
        page.evaluate("() => Promise.all([...document.images].map(i => i.decode ? i.decode().catch(() => 0) : 0))")
        state = page.evaluate(PAGE_STATE)
        bad = list(errors)
        if state["untypeset"]:
            bad.append(f"{len(state['untypeset'])} of {state['math']} formulas not typeset by MathJax, "
                       f"e.g. {state['untypeset'][0]!r}" + ("" if state["mathjax"] else " (MathJax not loaded)"))
        if state["rawDollars"]:
            bad.append(f"{state['rawDollars']} raw $$ in the text")
        if state["rawDirectives"]:
            bad.append(f"{state['rawDirectives']} unrendered directive markers (:::{{prf:, ```{{exercise)")
        theorem_page = any(any(k in b["cls"] for k in ("theorem", "lemma", "definition")) for b in state["boxes"])
        if theorem_page and state["mjx"] == 0:
            bad.append("theorem page without any mjx-container")
        for b in state["boxes"]:  # a {prf:proof} box has no title by design; every other box has one
            untitled = not b["title"].strip() and b["cls"].split()[:2] != ["proof", "admonition"]
            if untitled or b["text"] == 0 or b["height"] < 20:
                bad.append(f"box {b['cls']!r} renders empty (title {b['title']!r}, {b['text']} characters, "
                           f"height {b['height']:.0f})")
        bad += [f"image not loaded: {i['src']}" for i in state["imgs"] if not i["ok"]]
        bad += [f"broken link {b}" for b in broken_internal_links(html, path)]
        if rel.startswith(("notebooks/", "book/")):
            shot = SCREENSHOTS / (rel.removesuffix(".html").replace("/", "__") + ".png")
            page.screenshot(path=str(shot))
            shots.append(shot)
        page.close()
        if bad:
            problems[rel] = bad
    ctx.close()
    assert shots and all(s.stat().st_size > 1000 for s in shots)
    report = "\n".join(f"{rel}:\n  " + "\n  ".join(v[:8]) for rel, v in problems.items())
    assert not problems, f"{len(problems)} page(s) with rendering defects:\n{report}"


def test_link_checker_catches_a_broken_anchor(site, tmp_path):
    """The check can fail: a missing file and a missing anchor are reported."""
    html, _ = site
    page = tmp_path / "p.html"
    (tmp_path / "q.html").write_text('<p id="here">x</p>')
    page.write_text('<a href="q.html#here">ok</a><a href="q.html#gone">bad</a><a href="nope.html">bad</a>'
                    '<a href="https://example.org/x">external</a>')
    _parse.cache_clear()
    bad = broken_internal_links(tmp_path, page)
    assert len(bad) == 2 and "#gone" in bad[0] and "nope.html" in bad[1]
