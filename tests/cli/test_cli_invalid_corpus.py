"""Every file in ``tests/data/invalid`` fails validation with the message written beside it.

``NAME.yaml`` is a small scenario (most are copies of ``tests/data/valid/tiny.yaml``) with one kind
of problem; ``NAME.expected`` lists substrings that must all appear on stderr (file:line, key path,
message, suggestion); an optional ``NAME.set`` holds ``--set`` overrides, one per line. Tests run
from inside the folder, so messages name files as a user there would see them (``NAME.yaml:41``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ssk_optimize import api
from ssk_optimize.cli import cli
from ssk_optimize.errors import ScenarioError
from ssk_optimize.scenario.yamlio import MAX_FILE_BYTES

INVALID = Path(__file__).resolve().parents[1] / "data" / "invalid"
CASES = sorted(INVALID.glob("*.yaml"))

#: Run through a real interpreter as well, to prove no traceback reaches a terminal.
SUBPROCESS_CASES = ("syntax_error", "python_object_tag", "two_problems")


def _overrides(path: Path) -> list[str]:
    set_file = path.with_suffix(".set")
    if not set_file.exists():
        return []
    return [line.strip() for line in set_file.read_text("utf-8").splitlines() if line.strip()]


def _arguments(path: Path) -> list[str]:
    arguments = ["validate", path.name]
    for override in _overrides(path):
        arguments += ["--set", override]
    return arguments


def _expected(path: Path) -> list[str]:
    lines = path.with_suffix(".expected").read_text("utf-8").splitlines()
    return [line for line in lines if line.strip()]


def test_corpus_covers_enough_cases() -> None:
    assert len(CASES) >= 35, f"only {len(CASES)} invalid fixtures in {INVALID}"
    for path in CASES:
        expected = _expected(path)
        assert expected, f"{path.name} has no .expected file (or it is empty)"
        if _overrides(path):
            assert any(line.startswith("--set ") for line in expected), path.name
        else:  # a problem in a file names that file
            assert any(path.name in line or "parts/" in line for line in expected), path.name


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_invalid_file_is_reported(path: Path, runner: CliRunner,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    result = runner.invoke(cli, _arguments(path))
    everything = result.stdout + result.stderr
    assert result.exit_code == 1, everything
    assert "Traceback" not in everything
    assert result.stdout == "", "errors belong on stderr"
    assert result.stderr.startswith("Error: invalid scenario"), result.stderr
    missing = [line for line in _expected(path) if line not in result.stderr]
    assert not missing, f"missing {missing} in:\n{result.stderr}"
    assert not (INVALID / "pwned.txt").exists(), "a YAML tag ran a command"


def test_alias_bomb_fails_fast() -> None:
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match="expands to more than"):
        api.validate_file(INVALID / "alias_bomb.yaml")
    assert time.perf_counter() - start < 2.0


def test_no_traceback_reaches_a_real_terminal() -> None:
    """``python -m ssk_optimize validate`` in child processes (started together, so it is quick)."""
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "200"}
    children = {}
    for name in SUBPROCESS_CASES:
        path = INVALID / f"{name}.yaml"
        children[name] = subprocess.Popen(
            [sys.executable, "-m", "ssk_optimize", *_arguments(path)], cwd=INVALID,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    for name, child in children.items():
        stdout, stderr = child.communicate(timeout=60)
        assert child.returncode == 1, f"{name}: exit {child.returncode}\n{stdout}{stderr}"
        assert "Traceback" not in stdout + stderr, name
        missing = [line for line in _expected(INVALID / f"{name}.yaml") if line not in stderr]
        assert not missing, f"{name}: missing {missing} in:\n{stderr}"


def test_huge_file_is_refused_before_parsing(tmp_path: Path, runner: CliRunner) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:  # sparse: 21 MiB on paper, nothing to write
        handle.seek(MAX_FILE_BYTES + 2**20)
        handle.write(b"\n")
    start = time.perf_counter()
    result = runner.invoke(cli, ["validate", str(huge)])
    assert time.perf_counter() - start < 2.0
    assert result.exit_code == 1
    assert "huge.yaml" in result.stderr
    assert "above the 20 MiB limit" in result.stderr
    assert "table:" in result.stderr  # the fix: keep large lists in tables
    assert "Traceback" not in result.stdout + result.stderr


def test_missing_file_is_an_invalid_scenario(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", str(tmp_path / "nowhere.yaml")])
    assert result.exit_code == 1
    assert "file not found" in result.stderr
    assert "nowhere.yaml" in result.stderr
