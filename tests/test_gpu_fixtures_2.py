"""The second half of tests/test_gpu_fixtures.py (every toc notebook at `--profile gpu` on fixture files),
a file of its own so that `pytest -n 2 --dist loadfile` runs the two halves on both cores."""
from __future__ import annotations

import pytest

from _gpu_fixture_run import fixture_book as _fixture_book
from _gpu_fixture_run import run_at_gpu, share

TIMES: dict[str, tuple[float, float]] = {}


@pytest.fixture(scope="module")
def fixture_book(tmp_path_factory):
    """A copy of the book sources, fixture mode on for the kernels this module starts."""
    yield from _fixture_book(tmp_path_factory, 2, TIMES)


@pytest.mark.gpu_fixtures
@pytest.mark.parametrize("rel", share(2))
def test_notebook_executes_at_gpu_on_fixtures(fixture_book, rel):
    run_at_gpu(fixture_book, rel, TIMES)
