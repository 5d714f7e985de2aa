"""Helpers for the scenario-layer tests: write small YAML / CSV files into a temporary folder."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

TINY = Path(__file__).resolve().parents[1] / "data" / "valid" / "tiny.yaml"

Write = Callable[[str, str], Path]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """``write("sub/a.yaml", text)``: dedent ``text``, write it under ``tmp_path``, return the path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def tiny_text() -> str:
    """The text of ``tests/data/valid/tiny.yaml`` (to copy with small edits)."""
    return TINY.read_text(encoding="utf-8")
