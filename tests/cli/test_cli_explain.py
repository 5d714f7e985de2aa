"""ssk-opt explain from the command line: exit codes, Indonesian and English text, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ssk_optimize.api import solve_file
from ssk_optimize.cli import cli

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-explain") / "short"
    solve_file(TINY / "explain_short_one_pool.yaml", output=folder)
    return folder


def test_not_a_run_is_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["explain", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert str(tmp_path) in result.output and "Traceback" not in result.output


def test_unknown_programme_is_exit_2_with_a_suggestion(run: Path) -> None:
    result = CliRunner().invoke(cli, ["explain", str(run), "--program", "lo_"])
    assert result.exit_code == 2, result.output
    assert "'lo_'" in result.output and "did you mean lo" in result.output


def test_indonesian_by_default_english_on_request(run: Path) -> None:
    indonesian = CliRunner().invoke(cli, ["explain", str(run)])
    english = CliRunner().invoke(cli, ["explain", str(run), "--lang", "en"])
    assert indonesian.exit_code == 0 and english.exit_code == 0, indonesian.output + english.output
    assert "Siapa yang boleh mendanai" in indonesian.output
    assert "terdanai naik dari 40,00 menjadi 60,00" in indonesian.output  # 1.234,5 numbers
    assert "Who may fund it" in english.output and "funded rises from 40.00 to 60.00" in english.output
    assert "Kajian rendah" in indonesian.output and "Kajian rendah" in english.output  # as written
    assert "--set 'pools.apbd.budget.2025=120'" in english.output


def test_json_parses(run: Path) -> None:
    result = CliRunner().invoke(cli, ["explain", str(run), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    [item] = document["programmes"]
    assert item["program"] == "lo" and item["verification"]["rises"] is True
    assert item["overrides"] == ["pools.apbd.budget.2025=120", "programs.lo.locked.2025.apbd=60"]
