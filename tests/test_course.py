"""The course kit: student editions leak no solution, stubs + checks are in place, references execute at smoke."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from robustbook import exercises
from robustbook.bookbuild import course

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = course.toc_chapters(ROOT)


def _rel(src: Path) -> Path:
    return src.relative_to(ROOT / "notebooks").with_suffix(".ipynb")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _leaks(chapter: course.Chapter, nb) -> list[str]:
    """Solution lines (text or code) found in the student notebook but nowhere in the chapter outside solutions."""
    shown = _norm("\n".join(c.source for c in nb.cells))
    allowed = _norm(chapter.outside_solutions())
    found = []
    for label, block in chapter.solutions.items():
        for line in block.lines:
            if re.match(r"^\s*def \w+\(.*\):\s*$", line):  # a stub offers the signature by design
                continue
            for variant in {line, course._notebook_markdown(line)}:
                v = _norm(variant)
                if len(v) >= 12 and not v.startswith(("```", ":class:", "{solution")) and v in shown and v not in allowed:
                    found.append(f"{label}: {v}")
    return found


def test_toc_chapters_found():
    names = {p.relative_to(ROOT).as_posix() for p in CHAPTERS}
    assert "notebooks/foundations/threat_models.md" in names
    assert "notebooks/reference/parameters.md" not in names  # no exercises, no course edition
    assert all(course.parse(p).exercises for p in CHAPTERS)


@pytest.mark.parametrize("src", CHAPTERS, ids=lambda p: p.relative_to(ROOT / "notebooks").as_posix())
def test_student_edition_leaks_no_solution(src):
    chapter = course.parse(src)
    nb = course.student_notebook(chapter, _rel(src))
    assert not _leaks(chapter, nb)
    text = "\n".join(c.source for c in nb.cells)
    assert "solution-start" not in text and "solution-end" not in text and "exercise-start" not in text
    assert "colab.research.google.com/github/" in text, "no Colab badge"
    first = nb.cells[0]
    assert first.metadata.get("cellView") == "form" and "remove-cell" in first.metadata["tags"]
    assert "google.colab" in first.source
    assert any("use_course_zoo()" in c.source for c in nb.cells), "no zoo cell after the setup cell"
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if course.STUB_TAG in tags:
            assert "NotImplementedError" in cell.source
            compile(cell.source, f"stub of {src.name}", "exec")  # a stub is valid Python as handed out
        if course.CHECK_TAG in tags:
            call = re.search(r"exercises\.(\w+)\(", cell.source)
            assert call and callable(getattr(exercises, call[1], None)), cell.source
    # the instructor edition keeps every solution
    teacher = "\n".join(c.source for c in course.instructor_notebook(chapter).cells)
    for label, block in chapter.solutions.items():
        for code in block.code_cells():
            assert code.strip() in teacher, label


def test_leak_detector_catches_a_leak():
    """The leak test can fail: a student notebook that keeps one solution line is caught."""
    src = ROOT / "notebooks" / "foundations" / "threat_models.md"
    chapter = course.parse(src)
    nb = course.student_notebook(chapter, _rel(src))
    line = next(ln for ln in chapter.solutions["threat-ex-2"].lines if "Cauchy-Schwarz" in ln)
    nb.cells[-1].source += "\n" + line
    assert _leaks(chapter, nb)


def test_every_registered_exercise_exists_in_the_book():
    labels = {b.label for p in CHAPTERS for b in course.parse(p).exercises}
    missing = set(exercises.EXERCISES) - labels
    assert not missing, f"checks for exercises no chapter has: {sorted(missing)}"


def test_stub_flow_on_a_small_chapter():
    text = """# T

```{code-cell} ipython3
:tags: [parameters]

profile = "cpu"  # p
```

```{exercise-start}
:label: yi-ex-abl-step
```
How far?
```{exercise-end}
```

```{solution-start} yi-ex-abl-step
:class: dropdown
```
Half of it, because SECRET-REASONING.
```{code-cell} ipython3
secret_value = 0.5
```
```{solution-end}
```
"""
    chapter = course.parse("t.md", text)
    assert [b.label for b in chapter.blocks] == ["yi-ex-abl-step", "yi-ex-abl-step"]
    student = course.student_text(chapter)
    assert "SECRET" not in student and "secret_value" not in student
    assert "effective_radius_over_r = ..." in student and "check_effective_radius" in student
    nb = course.with_reference_solutions(course.student_notebook(chapter, Path("t.ipynb")), chapter)
    stub = next(c for c in nb.cells if course.STUB_TAG in c.metadata.get("tags", []))
    assert "secret_value = 0.5" in stub.source and "NotImplementedError" not in stub.source


def test_auto_stub_keeps_signature_and_hides_body():
    stub = course.auto_stub('def speckle(x, severity,\n            generator):\n    """Doc."""\n    return x * 2\n\nprint(1)')
    assert stub.startswith("def speckle(x, severity,\n            generator):")
    assert "return x * 2" not in stub and "print(1)" not in stub and "NotImplementedError" in stub
    compile(stub, "stub", "exec")


@pytest.mark.parametrize("bad, message", [
    ("```{exercise-start}\n:label: a\n```\ntext\n", "never ended"),
    ("```{exercise-start}\n```\ntext\n```{exercise-end}\n```\n", "without a label"),
    ("```{solution-end}\n```\n", "without a matching"),
    ("```{exercise-start}\n:label: a\n", "never closed"),
])
def test_parse_rejects_malformed_blocks(bad, message):
    with pytest.raises(ValueError, match=message):
        course.parse("bad.md", bad)


def test_book_links_and_course_builder_agree_on_colab_addresses():
    import importlib.util

    spec = importlib.util.spec_from_file_location("course_links", ROOT / "book" / "_ext" / "course_links.py")
    links = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(links)
    assert (links.REPO, links.BRANCH) == (course.COLAB_REPO, course.COLAB_BRANCH)
    assert links.colab_link("notebooks/yi2021/table1") == course.colab_link(Path("yi2021/table1.ipynb"))


def test_build_writes_both_editions(tmp_path):
    src = ROOT / "notebooks" / "wen2020" / "theory.md"
    records = course.build(ROOT, tmp_path, sources=[src])
    assert (tmp_path / "student" / "wen2020" / "theory.ipynb").exists()
    assert (tmp_path / "instructor" / "wen2020" / "theory.ipynb").exists()
    assert records[0]["exercises"] == 2 and "Colab" in (tmp_path / "README.md").read_text()
    # the student edition installs the lean `run` extra pinned to the commit being built, never a branch
    import nbformat

    from robustbook.bookbuild.notebooks import git_head

    head = git_head(ROOT)
    first = nbformat.read(tmp_path / "student" / "wen2020" / "theory.ipynb", as_version=4).cells[0].source
    assert "robustbook[run]" in first and "@main" not in first and "[book]" not in first
    if head is not None:
        assert f"@{head}'" in first, first
    else:
        assert "robustbook[run]==" in first


def test_install_spec_pins_the_commit_or_the_version(tmp_path, monkeypatch):
    """In a git checkout the course installs `robustbook[run] @ git+<repo>@<sha>`; outside git, this version."""
    import subprocess

    from robustbook import __version__

    (tmp_path / "_config.yml").write_text("repository:\n  url: https://github.com/o/r/\n")
    assert course.install_spec(tmp_path) == f"robustbook[run]=={__version__}"  # not a git checkout
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run([*git, "-C", str(tmp_path), "add", "_config.yml"], check=True)
    subprocess.run([*git, "-C", str(tmp_path), "commit", "-qm", "x"], check=True)
    sha = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert course.install_spec(tmp_path) == f"robustbook[run] @ git+https://github.com/o/r@{sha}"
    assert f"'robustbook[run] @ git+https://github.com/o/r@{sha}'" in course.install_cell_source(
        course.install_spec(tmp_path))


# Executing is the slow part (a kernel and the chapter at smoke, 15-40 s each): one representative chapter by
# default (number answers, the solutions' own code cells); ROBUSTBOOK_COURSE_ALL=1 adds threat_models (a function
# answer, an auto-derived stub) and appendix_b.
EXECUTED = ["wen2020/theory.md"] + (["foundations/threat_models.md", "nern2023/appendix_b.md"]
                                    if os.environ.get("ROBUSTBOOK_COURSE_ALL") == "1" else [])


@pytest.mark.notebook
@pytest.mark.parametrize("rel", EXECUTED)
def test_student_edition_with_reference_solutions_executes(rel, monkeypatch):
    import papermill as pm

    monkeypatch.setenv("ROBUSTBOOK_EXERCISES_STRICT", "1")  # a wrong reference fails the check cell
    src = ROOT / "notebooks" / rel
    chapter = course.parse(src)
    nb = course.with_reference_solutions(course.student_notebook(chapter, _rel(src)), chapter)
    done = pm.execute_notebook(nb, None, parameters={"profile": "smoke"}, kernel_name="python3", cwd=str(ROOT),
                               progress_bar=False, log_output=False)
    checks = [c for c in done.cells if course.CHECK_TAG in c.metadata.get("tags", [])]
    assert checks, "no check cell executed"
    for c in checks:
        shown = " ".join(str(o.get("data", {}).get("text/plain", "")) for o in c.outputs)
        assert shown.startswith("correct"), shown


def test_use_course_zoo_points_the_zoo_at_the_course_folder(tmp_path, monkeypatch, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("with a GPU the zoo is left alone")
    monkeypatch.setenv("ROBUSTBOOK_CACHE", str(tmp_path / "own"))
    monkeypatch.chdir(tmp_path)
    assert course.use_course_zoo() is None and "no course zoo" in capsys.readouterr().out
    (tmp_path / "course" / "zoo" / "zoo").mkdir(parents=True)
    (tmp_path / "course" / "zoo" / "zoo" / "k.pt").write_bytes(b"")
    notebook_dir = tmp_path / "course" / "student" / "yi2021"
    notebook_dir.mkdir(parents=True)
    monkeypatch.chdir(notebook_dir)
    root = course.use_course_zoo()
    assert root is not None and root.resolve() == (tmp_path / "course" / "zoo").resolve()
    from robustbook.zoo import zoo_dir

    assert zoo_dir().resolve() == (tmp_path / "course" / "zoo" / "zoo").resolve()
    assert "1 checkpoints" in capsys.readouterr().out


def test_syllabus_quotes_the_checks_as_they_answer():
    """book/course.md shows what a student sees; the quoted answers must be what the checks print."""
    page = _norm((ROOT / "book" / "course.md").read_text())
    for fb in (exercises.check_effective_radius(1.0), exercises.check_effective_radius(0.5),
               exercises.check_linear_attack(lambda w, eps, norm: -eps * w.sign())):
        assert _norm(repr(fb)) in page, repr(fb)


def test_syllabus_links_student_editions_that_exist():
    page = (ROOT / "book" / "course.md").read_text()
    links = re.findall(r"\((https://colab\.research\.google\.com/github/[^)]+)\)", page)
    assert len(links) >= 12
    valid = {course.colab_link(_rel(src)) for src in CHAPTERS}
    assert set(links) <= valid, sorted(set(links) - valid)
