"""The internal link check of the built site: good links pass, each kind of broken link is named."""
from __future__ import annotations

from robustbook.bookbuild.linkcheck import broken_links, main


def _site(tmp_path, extra: str = "") -> None:
    (tmp_path / "book").mkdir()
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "style.css").write_text("")
    (tmp_path / "index.html").write_text(
        '<link href="_static/style.css"><a href="book/page.html#sec-1">x</a><a href="book/">dir</a>'
        '<a href="https://example.org/missing">ext</a><a href="#top">self</a><p id="top"></p>'
        '<a href="mailto:a@b.c">m</a>' + extra)
    (tmp_path / "book" / "page.html").write_text('<h1 id="sec-1">S</h1><a href="../index.html">up</a>')
    (tmp_path / "book" / "index.html").write_text('<a name="old">o</a><a href="page.html?x=1">q</a>')


def test_a_site_with_good_links_passes(tmp_path, capsys):
    _site(tmp_path)
    assert broken_links(tmp_path) == []
    assert main([str(tmp_path)]) == 0


def test_each_kind_of_broken_link_is_named(tmp_path, capsys):
    _site(tmp_path, '<a href="book/gone.html">a</a><a href="book/page.html#nope">b</a><img src="img/x.png">'
                    '<a href="../../etc/passwd">c</a><a href="htps:/typo">d</a><a href="book/index.html#old">ok</a>')
    problems = broken_links(tmp_path)
    assert len(problems) == 5, problems
    text = "\n".join(problems)
    for why in ("no file book/gone.html", "no anchor #nope", "no file img/x.png", "leaves the site",
                "unknown scheme 'htps'"):
        assert why in text
    assert main([str(tmp_path)]) == 1
    assert "5 broken internal link(s)" in capsys.readouterr().err
