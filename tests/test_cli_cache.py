"""The notebook run cache: a notebook reruns when its source, its parameters or the robustbook code it imports
(transitively) change in substance, never on an unrelated or cosmetic edit; `list` and `clean`."""
from __future__ import annotations

from pathlib import Path

from robustbook import cli
from robustbook.bookbuild import execute, notebooks

from test_hashing import edit, pkg  # noqa: F401  (the fixture)

from _tiny_notebooks import FRONT_MATTER

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = FRONT_MATTER + """# Smoothing

```{code-cell} ipython3
:tags: [parameters]

profile = "cpu"  # the budget
```

```{code-cell} ipython3
%matplotlib inline
from robustbook.certify import smoothing
```
"""


def test_notebook_imports_are_read_from_its_code_cells(tmp_path):
    src = tmp_path / "nb.md"
    src.write_text(NOTEBOOK)
    assert notebooks.notebook_imports(src) == ["robustbook.certify.smoothing"]  # a submodule, not its package


def test_run_key_follows_source_parameters_and_imported_code_only(tmp_path, pkg):  # noqa: F811
    src = tmp_path / "nb.md"
    src.write_text(NOTEBOOK)
    params = {"profile": "smoke"}
    key = execute.run_key(src, params)
    assert execute.run_key(src, {"profile": "cpu"}) != key
    edit(pkg / "models" / "wideresnet.py", "return WideResNet(28, 10", "return WideResNet(28, 11")  # unrelated
    edit(pkg / "certify" / "smoothing.py", '"""', '"""Edited docstring. ')  # cosmetic
    edit(pkg / "attacks" / "pgd.py", "from __future__", "# a comment\nfrom __future__")  # not imported here
    assert execute.run_key(src, params) == key
    edit(pkg / "certify" / "stats.py", "def ", "_NEW = 0\n\n\ndef ")  # imported by certify/__init__
    key2 = execute.run_key(src, params)
    assert key2 != key
    edit(pkg / "certify" / "smoothing.py", "def ", "_NEW = 0\n\n\ndef ")  # the imported module itself
    assert execute.run_key(src, params) != key2
    src.write_text(NOTEBOOK.replace("# Smoothing", "# Smoothing, edited"))
    assert execute.run_key(src, params) not in (key, key2)


def test_list_prints_every_notebook_and_its_parameters(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "notebooks/yi2021/table1.md" in out and "profile = " in out


def test_clean_removes_executed_notebooks_and_the_build(tmp_path, monkeypatch):
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: notebooks/a/nb\n")
    nb = tmp_path / "notebooks" / "a" / "nb.md"
    nb.parent.mkdir(parents=True)
    nb.write_text(NOTEBOOK)
    nb.with_suffix(".ipynb").write_text("{}")
    (tmp_path / "_build" / "html").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["clean"]) == 0
    assert nb.exists() and not nb.with_suffix(".ipynb").exists() and not (tmp_path / "_build").exists()
