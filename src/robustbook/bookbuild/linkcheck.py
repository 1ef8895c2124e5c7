"""Check the internal links of a built site: every relative href/src names a file that exists and every
#fragment an id (or <a name>) on the page it points to. External links are not fetched (offline-safe).

Usage: python -m robustbook.bookbuild.linkcheck _build/html
"""
from __future__ import annotations

import argparse
import sys
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Sequence
from urllib.parse import unquote, urlsplit

EXTERNAL = ("http", "https", "mailto", "data", "javascript", "ftp", "tel")


class _Page(HTMLParser):
    """The links (href, src) and the anchors (id, a name) of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v for k, v in attrs if v is not None}
        if "id" in a:
            self.anchors.add(a["id"])
        if tag == "a" and "name" in a:
            self.anchors.add(a["name"])
        for key in ("href", "src"):
            if key in a and tag != "base":
                self.links.append(a[key])


@lru_cache(maxsize=None)
def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def broken_links(site: str | Path) -> list[str]:
    """Every internal link of the site's HTML pages that names a missing file or anchor, as 'page: link (why)'."""
    root = Path(site).resolve()
    _parse.cache_clear()
    problems = []
    for page_path in sorted(root.rglob("*.html")):
        for link in _parse(page_path).links:
            parts = urlsplit(link)
            if parts.scheme in EXTERNAL or parts.netloc or link.startswith("//"):
                continue
            if parts.scheme:  # an unknown scheme is a typo, not a link
                problems.append(f"{page_path.relative_to(root)}: {link} (unknown scheme {parts.scheme!r})")
                continue
            target = page_path if not parts.path else (
                (root / unquote(parts.path).lstrip("/")) if parts.path.startswith("/")
                else page_path.parent / unquote(parts.path))
            target = target.resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_relative_to(root):
                problems.append(f"{page_path.relative_to(root)}: {link} (leaves the site)")
            elif not target.is_file():
                problems.append(f"{page_path.relative_to(root)}: {link} (no file {target.relative_to(root)})")
            elif parts.fragment and target.suffix == ".html" and \
                    unquote(parts.fragment) not in _parse(target).anchors:
                problems.append(f"{page_path.relative_to(root)}: {link} (no anchor #{parts.fragment} in "
                                f"{target.relative_to(root)})")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Print the broken internal links of a built site; exit 1 when there is any."""
    ap = argparse.ArgumentParser(prog="python -m robustbook.bookbuild.linkcheck", description=__doc__.splitlines()[0])
    ap.add_argument("site", type=Path, help="the built HTML folder, e.g. _build/html")
    args = ap.parse_args(argv)
    if not args.site.is_dir():
        print(f"no site at {args.site}: build it first", file=sys.stderr)
        return 2
    problems = broken_links(args.site)
    for p in problems:
        print(p)
    pages = sum(1 for _ in args.site.rglob("*.html"))
    print(f"{len(problems)} broken internal link(s) in {pages} page(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
