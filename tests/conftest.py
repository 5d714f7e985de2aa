"""Fixtures shared by every test folder: where the test data lives and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ssk_optimize.solve.pulp_backend import PulpBackend

DATA_DIR = Path(__file__).parent / "data"
REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def data_dir() -> Path:
    """``tests/data``: valid and invalid scenario fixtures."""
    return DATA_DIR


@pytest.fixture
def tiny_path() -> Path:
    """The tiny valid scenario every invalid fixture is a copy of."""
    return DATA_DIR / "valid" / "tiny.yaml"


@pytest.fixture
def runner() -> CliRunner:
    """A click runner; ``result.stdout`` and ``result.stderr`` are kept apart."""
    return CliRunner()


def _tiny_backends() -> list[str]:
    names = ["highs"]
    if PulpBackend("PULP_CBC_CMD", "cbc").available():
        names.append("cbc")
    return names


@pytest.fixture(params=_tiny_backends())
def solver(request: pytest.FixtureRequest) -> str:
    """Every available backend, for hand-worked cases whose answer does not depend on the solver."""
    return str(request.param)
