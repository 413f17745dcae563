"""Shared fixtures: the real benchmark annotations in ../shared/benchmarks and scratch data roots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_BENCHMARKS = Path(os.environ.get("TARSIER_EVAL_SHARED", REPO.parent / "shared" / "benchmarks"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def shared_benchmarks() -> Path:
    """The real annotation records (`full.*` official files, `samples*` verbatim records)."""
    if not SHARED_BENCHMARKS.is_dir():
        pytest.skip(f"real annotations not found at {SHARED_BENCHMARKS} (set TARSIER_EVAL_SHARED to the folder)")
    return SHARED_BENCHMARKS


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private cache (tiny checkpoint, demo data) shared by the session's tests and their subprocesses."""
    path = Path(os.environ.get("TARSIER_EVAL_TEST_CACHE") or tmp_path_factory.mktemp("cache"))
    os.environ["TARSIER_EVAL_CACHE"] = str(path)
    return path


@pytest.fixture(scope="session")
def tiny_checkpoint(cache_dir: Path) -> Path:
    """The random-weight tiny checkpoint (`variant=random`): for tests of the code path, not of what it computes."""
    from tarsier_eval.models.tiny import ensure_tiny_checkpoint

    return ensure_tiny_checkpoint(cache_dir, variant="random")


@pytest.fixture(scope="session")
def trained_checkpoint(cache_dir: Path) -> Path:
    """The default model's checkpoint, trained once per cache (about a minute on CPU, then reused); tests that run
    the default model ask for it so that no subprocess trains it on its own."""
    from tarsier_eval.models.tiny import ensure_tiny_checkpoint

    return ensure_tiny_checkpoint(cache_dir, variant="trained")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration (subprocesses, torchrun, the tiny model end to end) is `slow`:
    `make test-fast` leaves it out; `make test` (CI) runs it all."""
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.slow)
