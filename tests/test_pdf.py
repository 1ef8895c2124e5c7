"""The PDF path of `make pdf`: a page with formulas printed by headless Chromium has them typeset by MathJax
(no raw TeX in the PDF's text); the same page without MathJax keeps raw TeX, so the check can fail."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from robustbook.bookbuild.pdf import find_chromium, pdf_text, print_pdf, untypeset

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title>{script}</head><body>
<p>The margin is $$\\frac{{\\|w\\|_2}}{{\\gamma}} \\le \\sqrt{{n}}$$ and inline \\(x \\in \\mathbb{{R}}^d\\).</p>
</body></html>"""


@pytest.fixture(scope="module")
def browser():
    path = find_chromium()
    if path is None:
        msg = "no Chromium found: sudo apt-get install -y chromium (tests/test_browser.py uses the same one)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="module")
def mathjax_dir():
    pytest.importorskip("mathjax", reason="django-static-mathjax (the [book] extra) serves MathJax")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
    from offline_mathjax import source_dir  # the copy the book serves

    return source_dir()


def _page(tmp_path, mathjax_dir, with_mathjax: bool):
    site = tmp_path / ("typeset" if with_mathjax else "raw")
    site.mkdir()
    script = ""
    if with_mathjax:
        shutil.copytree(mathjax_dir, site / "mathjax")  # served beside the page, as the book does
        script = '<script defer src="mathjax/tex-mml-chtml.js"></script>'
    page = site / "index.html"
    page.write_text(PAGE.format(script=script))
    return page


def test_formulas_are_typeset_in_the_printed_pdf(tmp_path, browser, mathjax_dir):
    out = print_pdf(_page(tmp_path, mathjax_dir, True), tmp_path / "typeset.pdf", budget_ms=20_000,
                    chromium=browser)
    text = pdf_text(out)
    assert "The margin is" in text
    assert untypeset(text) == [], text


def test_without_mathjax_the_raw_tex_is_caught(tmp_path, browser, mathjax_dir):
    out = print_pdf(_page(tmp_path, mathjax_dir, False), tmp_path / "raw.pdf", budget_ms=2_000, chromium=browser)
    assert "\\frac" in untypeset(pdf_text(out))
