"""ssk-opt compare and solve --near from the command line: text, files, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ssk_optimize.api import solve_file
from ssk_optimize.cli import cli
from ssk_optimize.results.reader import read_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-compare")
    solve_file(ROOT / "scenarios" / "lamandau.yaml", output=root / "lamandau")
    solve_file(ROOT / "scenarios" / "lamandau-dak-cut.yaml", output=root / "dak-cut")
    return root


def test_compare_prints_cause_beside_effect(runs: Path) -> None:
    result = CliRunner().invoke(cli, ["compare", str(runs / "lamandau"), str(runs / "dak-cut")])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Base: lamandau" in text
    assert "pools[lmd_dak].budget.2025" in text and "3640" in text
    base, cut = (read_run(runs / name).tables.programs.set_index("program")
                 for name in ("lamandau", "dak-cut"))
    # The cut falls on the largest DAK programme, the Bulik septic tanks (13,487 -> 5,114 juta in
    # the runs; no programme loses all its money since lamandau.yaml has max_per_year and
    # capex_growth): it is named, with its change, not by its id.
    loss = base["funded"] - cut["funded"].reindex(base.index)
    hit = str(loss.idxmax())
    assert hit == "lmd_ts_desa_bulik"
    line = next(row for row in text.splitlines() if str(base.loc[hit, "name"]) in row)
    assert " less " in line and hit not in text
    assert "does not predict the effect" in text


def test_compare_writes_tidy_files_and_json(runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "delta.csv"
    result = CliRunner().invoke(cli, ["compare", str(runs / "lamandau"), str(runs / "dak-cut"),
                                      "--by", "subsector", "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["subsector", "run", "amount", "base_amount", "delta"]
    data = json.loads(result.output)
    assert data["base"] == "lamandau" and data["runs"] == ["lamandau", "dak-cut"]
    assert {row["input"] for row in data["inputs"]} >= {"pools[lmd_dak].budget.2029"}


@pytest.mark.parametrize("args, message", [
    (["--base", "nope"], "--base 'nope' is not one of the runs"),
    (["--by", "colour"], "--by takes"),
])
def test_compare_usage_errors_exit_2(runs: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["compare", str(runs / "lamandau"), str(runs / "dak-cut"), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_compare_refuses_a_folder_that_is_not_a_run(runs: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["compare", str(runs / "lamandau"), str(tmp_path)])
    assert result.exit_code == 2 and "not a complete run folder" in result.output


def test_solve_near_says_what_moved(runs: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["solve", str(ROOT / "scenarios" / "lamandau-dak-cut.yaml"),
                                      "--near", str(runs / "lamandau"), "-o", str(tmp_path / "near")])
    assert result.exit_code == 0, result.output
    assert f"Re-planned near {runs / 'lamandau'}" in result.output
    manifest = json.loads((tmp_path / "near" / "manifest.json").read_text())
    assert manifest["near"]["base_scenario"] == "lamandau-baseline"
