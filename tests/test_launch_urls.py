"""Every launch URL the built book emits opens a file the publication workflow publishes, and the Colab
cell that the published notebooks carry installs robustbook in Colab only."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest
import yaml

from robustbook import __version__
from robustbook.bookbuild.notebooks import toc_notebooks
from robustbook.bookbuild.execute import PROFILE_TAG, mark_profile
from robustbook.bookbuild.publish import (COLAB_TAG, add_colab_cell, install_requirement, published_notebooks,
                                         repository, zoo_url)

from _smoke_book import ROOT, smoke_html

HREF = re.compile(r'href="(https://(?:colab\.research\.google\.com|mybinder\.org)/[^"]+)"')


def _launch_urls(html: Path) -> dict[str, list[str]]:
    out = {}
    for page in sorted(html.rglob("*.html")):
        urls = [u.replace("&amp;", "&") for u in HREF.findall(page.read_text(errors="replace"))]
        if urls:
            out[page.relative_to(html).as_posix()] = urls
    return out


def _target(url: str) -> tuple[str, str, str]:
    """(org/repo, branch, path) of a Colab or Binder launch URL."""
    parts = urlsplit(url)
    if parts.netloc == "colab.research.google.com":
        m = re.fullmatch(r"/github/([^/]+/[^/]+)/blob/([^/]+)/(.+)", parts.path)
        assert m, f"unexpected Colab URL {url}"
        return m.group(1), m.group(2), m.group(3)
    m = re.fullmatch(r"/v2/gh/([^/]+/[^/]+)/([^/]+)", parts.path)
    assert m, f"unexpected Binder URL {url}"
    path = parse_qs(parts.query)["urlpath"][0]
    return m.group(1), m.group(2), re.sub(r"^(tree|lab/tree|notebooks)/", "", path)


@pytest.mark.browser
def test_every_launch_url_points_to_a_published_notebook():
    html = smoke_html()
    repo_url, branch = repository(ROOT)
    repo = "/".join(urlsplit(repo_url).path.strip("/").split("/")[:2])
    published = {p.relative_to(ROOT).as_posix() for p in published_notebooks(ROOT)}
    urls = _launch_urls(html)
    assert urls, "the build emits no launch buttons: check launch_buttons in _config.yml"
    from robustbook.bookbuild.course import COLAB_BRANCH, toc_chapters

    students = {f"student/{p.relative_to(ROOT / 'notebooks').with_suffix('.ipynb').as_posix()}"
                for p in toc_chapters(ROOT)}
    seen = set()
    for page, links in urls.items():
        course = [u for u in links if _target(u)[1] == COLAB_BRANCH]  # the course's student editions
        for url in course:
            org_repo, _, path = _target(url)
            assert org_repo == repo and path in students, f"{page}: {url} is not a student edition of {repo}"
        links = [u for u in links if u not in course]
        if not links:
            continue
        kinds = {urlsplit(u).netloc for u in links}
        assert kinds == {"colab.research.google.com", "mybinder.org"}, f"{page}: {links}"
        for url in links:
            org_repo, ref, path = _target(url)
            assert org_repo == repo and ref == branch, f"{page}: {url} is not on {repo}@{branch}"
            assert path in published, f"{page}: {url} opens {path}, which the workflow does not publish"
            seen.add(path)
    # every notebook chapter can be launched, and the workflow pushes the branch the buttons open
    assert seen == published
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    runs = "\n".join(s.get("run", "") for j in workflow["jobs"].values() for s in j["steps"])
    assert f"git push --force origin {branch}" in runs and "robustbook.bookbuild.publish notebooks" in runs
    assert f"git push --force origin {COLAB_BRANCH}" in runs and "robustbook course build" in runs


def test_launch_url_parser_rejects_unpublished_paths():
    """The check can fail: a page outside the published set or another branch is caught."""
    published = {p.relative_to(ROOT).as_posix() for p in published_notebooks(ROOT)}
    _, branch = repository(ROOT)
    org_repo, ref, path = _target("https://colab.research.google.com/github/a/b/blob/main/book/preface.ipynb")
    assert path not in published and ref != branch
    _, _, path = _target(f"https://mybinder.org/v2/gh/a/b/{branch}?urlpath=tree/notebooks/yi2021/table1.ipynb")
    assert path in published


def test_published_notebooks_are_the_toc_notebooks():
    assert [p.with_suffix(".md") for p in published_notebooks(ROOT)] == toc_notebooks(ROOT)


def _tiny_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('profile = "cpu"', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell('profile = "smoke"', metadata={"tags": ["injected-parameters"]}),
                nbformat.v4.new_code_cell("x = 1")]
    return nb


def test_colab_cell_is_first_hidden_pinned_and_added_once():
    nb = _tiny_notebook()
    req = install_requirement("https://github.com/robustbook/robustbook", "abc123")
    assert req == "robustbook[run] @ git+https://github.com/robustbook/robustbook@abc123"
    assert install_requirement("https://github.com/robustbook/robustbook", None) == f"robustbook[run]=={__version__}"
    add_colab_cell(add_colab_cell(nb, req), req)
    tagged = [c for c in nb.cells if COLAB_TAG in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and nb.cells[0] is tagged[0]
    assert "remove-cell" in tagged[0].metadata["tags"] and req in tagged[0].source
    nbformat.validate(nb)


def test_colab_cell_does_nothing_outside_colab(monkeypatch):
    import subprocess

    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    cell = add_colab_cell(_tiny_notebook(), "robustbook==0").cells[0]
    exec(cell.source, {})
    assert calls == []  # google.colab is not importable here

    import sys
    import types

    google = types.ModuleType("google")
    google.colab = types.ModuleType("google.colab")
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", google.colab)
    exec(cell.source, {})
    assert calls and "robustbook==0" in calls[0][0]


def test_colab_cell_imports_the_published_zoo_and_goes_on_when_it_fails(monkeypatch, capsys):
    """In Colab the cell installs, then runs `robustbook zoo import <site>/zoo-cpu.tar.gz`; a failed import is
    one printed line, never an exception (the notebook then trains its models)."""
    import subprocess
    import sys
    import types

    url = zoo_url(ROOT, "cpu")
    assert url.startswith("https://") and url.endswith("/zoo-cpu.tar.gz")
    cell = add_colab_cell(_tiny_notebook(), "robustbook==0", url).cells[0]
    calls = []

    def fake_run(cmd, **kw):
        calls.append(cmd)
        failed = "zoo" in cmd
        return types.SimpleNamespace(returncode=1 if failed else 0, stdout="",
                                     stderr="robustbook: no network to reach the zoo\n" if failed else "")

    monkeypatch.setattr(subprocess, "run", fake_run)
    google = types.ModuleType("google")
    google.colab = types.ModuleType("google.colab")
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", google.colab)
    exec(cell.source, {})
    assert calls[0][-1] == "robustbook==0" and calls[1][-3:] == ["zoo", "import", url]
    said = capsys.readouterr().out.strip().splitlines()
    assert len(said) == 1 and said[0].startswith("note:") and "trains its models" in said[0]


def test_profile_note_follows_the_parameters():
    nb = mark_profile(mark_profile(_tiny_notebook(), {"profile": "smoke"}), {"profile": "gpu", "seed": 1})
    notes = [i for i, c in enumerate(nb.cells) if PROFILE_TAG in c.metadata.get("tags", [])]
    assert notes == [2], "one note, right after the injected parameters"
    assert "`gpu` profile" in nb.cells[2].source and "`seed=1`" in nb.cells[2].source
