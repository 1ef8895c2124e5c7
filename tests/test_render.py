"""What a reader sees (issue 21): checked on the sources, and on the HTML of a small sub-book built with the
book's own `_config.yml`: MathJax served with the book, one number per theorem box, a resolving cross-reference,
no papermill machinery and no raw settings repr on the page."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "notebooks").glob("*/*.md")) + sorted((ROOT / "book").glob("*.md"))
BOX = re.compile(r"^(?P<fence>:{3,}|`{3,})\{prf:(?P<kind>\w+)\}\s*(?P<title>.*)$")
PAPER_NUMBER = re.compile(r"^(Theorems?|Lemmas?|Definitions?|Propositions?|Corollary|Corollaries|Algorithm|"
                          r"Assumptions?|Remarks?|Eqs?\.|Appendix|Example)\s+(?:[A-Z]\b|[A-Z]?\d)\S*.*?\((?P<who>[^)]+)\)")


def _boxes(text: str):
    """(kind, title, option lines, body lines) of every theorem-like box (proofs excluded)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = BOX.match(line)
        if not m or m["kind"] == "proof":
            continue
        j = i + 1
        opts = []
        while j < len(lines) and lines[j].startswith(":") and not lines[j].startswith(":::"):
            opts.append(lines[j])
            j += 1
        k = j
        while k < len(lines) and lines[k].strip() != m["fence"]:
            k += 1
        yield m["kind"], m["title"], opts, lines[i:k + 1]


def test_theorem_boxes_unnumbered_and_titled_with_the_papers_number():
    seen = 0
    for src in SOURCES:
        for kind, title, opts, _ in _boxes(src.read_text()):
            seen += 1
            where = f"{src.relative_to(ROOT)}: {{prf:{kind}}} {title}"
            assert ":nonumber:" in opts, f"{where}: add :nonumber: (the title carries the paper's number)"
            assert any(o.startswith(":label:") for o in opts), f"{where}: add a :label: for cross-references"
            assert PAPER_NUMBER.match(title), f"{where}: title it with the paper's number, e.g. 'Theorem 3.2 (Nern & Sharma)'"
            assert "{cite}" not in title.split("(")[0], where
    assert seen >= 15


def test_cross_references_to_boxes_carry_their_text():
    """An unnumbered box has no number for a bare {prf:ref} to print ("Theorem "): give the text explicitly."""
    for src in SOURCES:
        bare = re.findall(r"\{prf:ref\}`([^`<\n]+)`", src.read_text())
        assert not bare, f"{src.relative_to(ROOT)}: write {{prf:ref}}`Theorem 3.2 (Nern & Sharma) <label>`, not {bare}"


def test_setup_cells_are_visible():
    for src in sorted((ROOT / "notebooks").glob("*/*.md")):
        cells = re.findall(r"```\{code-cell\}[^\n]*\n(.*?)\n```", src.read_text(), flags=re.S)
        for body in cells:
            if "robustbook.setup(" in body:
                assert "hide-input" not in body.split("\n", 1)[0], f"{src.relative_to(ROOT)}: setup cell is hidden"


def test_settings_repr_is_short_and_html_is_a_table():
    import robustbook

    cfg = robustbook.setup(profile="smoke", seed=3, device="cpu", eps_grid=(0.1, 0.2))
    text = repr(cfg)
    assert "Profile(" not in text and len(text) < 200
    assert text.startswith("Settings(profile=smoke, data=digits32, model=smallcnn, device=cpu, seed=3")
    html = cfg._repr_html_()
    assert html.count("<tr>") == 6 and "<th>eps_grid</th><td>(0.1, 0.2)</td>" in html


PAGE = '''---
kernelspec: {display_name: Python 3, language: python, name: python3}
---

# A page

```{code-cell} ipython3
:tags: [parameters]

profile = "cpu"  # the budget
seed = 0  # the seed
device = "auto"  # the device
```

```{code-cell} ipython3
import pandas as pd
import robustbook

cfg = robustbook.setup(profile=profile, seed=seed, device=device)
cfg
```

A formula: $\\mathbb E_{x \\sim P}\\big[f(x)\\big] \\le \\epsilon$.

```{code-cell} ipython3
pd.DataFrame([[i * j for j in range(16)] for i in range(3)], columns=[f"corruption {j}" for j in range(16)])
```

## Exercises

Nothing to do.
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A sub-book: one executed page, every theorem box of the book, the notation page; built with the real config."""
    from robustbook.bookbuild import execute

    book = tmp_path_factory.mktemp("subbook")
    (book / "book").mkdir()
    for name in ("_ext", "_static"):
        shutil.copytree(ROOT / "book" / name, book / "book" / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "book" / "references.bib", book / "book" / "references.bib")
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    shutil.copy(ROOT / "book" / "notation.md", book / "notation.md")
    boxes = ["# Every theorem-like box of the book", ""]
    for src in SOURCES:
        for _, _, _, block in _boxes(src.read_text()):
            boxes += [*block, ""]
    (book / "boxes.md").write_text("\n".join(boxes))
    (book / "notebooks").mkdir()
    src = book / "notebooks" / "page.md"
    src.write_text(PAGE)
    execute.execute(src, src.with_suffix(".ipynb"), {"profile": "smoke"}, book, quiet=True)
    (book / "_toc.yml").write_text("format: jb-book\nroot: notation\nchapters:\n  - file: notebooks/page\n"
                                   "  - file: boxes\n")
    jb = str(Path(sys.executable).with_name("jupyter-book"))
    done = subprocess.run([jb, "build", str(book), "--keep-going"], capture_output=True, text=True, timeout=600)
    html = book / "_build" / "html"
    assert (html / "boxes.html").exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return book


def test_executed_notebook_keeps_injected_parameters_but_page_hides_them(site):
    import nbformat

    nb = nbformat.read(site / "notebooks" / "page.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "remove-cell" in injected[0].metadata["tags"]
    page = (site / "_build" / "html" / "notebooks" / "page.html").read_text()
    assert "tag_parameters" in page  # the reader still sees the knobs with their comments
    assert "injected-parameters" not in page and "&quot;smoke&quot;" not in page and "# Parameters" not in page


def test_settings_shown_as_a_table_not_a_repr(site):
    page = (site / "_build" / "html" / "notebooks" / "page.html").read_text()
    assert "Profile(" not in page and "Settings(profile=" not in page
    table = re.search(r'<table class="robustbook-settings">.*?</table>', page, flags=re.S)
    assert table, "no settings table"
    for field in ("profile", "data", "model", "device", "seed"):
        assert f"<th>{field}</th>" in table[0]


def test_mathjax_served_with_the_book(site):
    html = site / "_build" / "html"
    assert (html / "_static" / "mathjax" / "tex-mml-chtml.js").stat().st_size > 500_000
    assert (html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2" / "MathJax_Main-Regular.woff").exists()
    page = (html / "notebooks" / "page.html").read_text()
    scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', page, flags=re.I)
    assert scripts and all(s.startswith("../_static/mathjax/") for s in scripts), scripts
    assert "cdn.jsdelivr" not in page
    assert 'href="../_static/robustbook.css' in page


def test_chapter_exercises_link_the_student_edition(site):
    page = (site / "_build" / "html" / "notebooks" / "page.html").read_text()
    url = "https://colab.research.google.com/github/robustbook/robustbook/blob/course-edition/student/page.ipynb"
    assert f'href="{url}"' in page


def test_every_theorem_box_shows_one_number_and_cross_references_resolve(site):
    page = (site / "_build" / "html" / "boxes.html").read_text()
    titles = re.findall(r'<div class="proof[^"]*"[^>]*>\s*<p class="admonition-title"[^>]*>(.*?)</p>', page, flags=re.S)
    expected = sum(1 for src in SOURCES for _ in _boxes(src.read_text()))
    assert len(titles) == expected > 0
    for t in titles:
        # unnumbered: sphinx-proof's own type word sits in a caption-number span (hidden by robustbook.css),
        # and no "Theorem 4.2"-style counter precedes the paper's number
        assert t.lstrip().startswith('<span class="caption-number">'), t
        visible = re.sub(r"<[^>]+>", "", t.split("</span>", 1)[1]).strip()
        assert PAPER_NUMBER.match(visible), visible
    css = (site / "_build" / "html" / "_static" / "robustbook.css").read_text()
    assert "span.caption-number { display: none; }" in css
    notation = (site / "_build" / "html" / "notation.html").read_text()
    assert re.search(r'href="boxes.html#yi-lemma-1"[^>]*>.*?Lemma 1 \(Yi et al\.\)', notation, flags=re.S)
