"""Diagnosis of infeasible scenarios (issue 10): the clashing rules, their YAML lines, and a
relaxation that a re-solve proves sufficient, on every backend.

The corpus is ``tests/data/infeasible`` (each file's ``.expected.yaml`` lists what every minimal
explanation must name, derived by hand); ``tests/scenario/test_infeasible_corpus.py`` checks the
corpus itself.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ssk_optimize import api
from ssk_optimize.cli import cli
from ssk_optimize.solve.status import SolveStatus
from tests.scenario.test_infeasible_corpus import CASES, expected_of


def _named(diagnosis: api.Diagnosis) -> tuple[set[str], set[str], set[str], set[int]]:
    conflict = diagnosis.conflict
    programs = set(conflict["program"].dropna()) | set(conflict["other_program"].dropna())
    lines = {int(w.rsplit(":", 1)[1]) for w in conflict["where"] if re.search(r":\d+$", w)}
    return (set(conflict["rule"]), programs | set(diagnosis.linking),
            set(conflict["pool"].dropna()), lines)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_diagnosis_names_the_conflict_and_its_relaxation_restores_feasibility(
        path: Path, solver: str, tmp_path: Path) -> None:
    expected = expected_of(path)
    result = api.solve_file(path, output=tmp_path / "run", solver=solver)
    assert result.solution.status is SolveStatus.INFEASIBLE
    diagnosis = result.diagnosis
    assert diagnosis is not None
    rules, programs, pools, lines = _named(diagnosis)
    assert set(expected["rules"]) <= rules, diagnosis.conflict[["rule", "name"]]
    assert set(expected["programs"]) <= programs
    assert set(expected["pools"] or []) <= pools
    assert set(expected["lines"]) <= lines, diagnosis.conflict[["rule", "where"]]
    assert {Path(w.rsplit(":", 1)[0]).resolve() for w in diagnosis.conflict["where"]} == {path}

    if solver == "highs" and not result.model.lp.is_mip:  # HiGHS' own IIS names the same rules
        assert diagnosis.solver_iis_agrees is True
    assert diagnosis.options, "no relaxation suggested"
    for option in diagnosis.options:
        assert option.verified is True, option
        fixed = api.solve_file(path, overrides=option.overrides, solver=solver)
        assert fixed.solution.is_optimal, (option.name, option.overrides)

    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["status"] == "infeasible" and manifest["optimal"] is False
    assert manifest["diagnosis"]["rules"] == sorted(rules)
    assert {"diagnosis.parquet", "diagnosis.txt"} <= set(manifest["run_files"])
    table = pd.read_parquet(tmp_path / "run" / "diagnosis.parquet")
    assert set(table.loc[table["kind"] == "conflict", "rule"]) == rules
    assert list(table.loc[table["kind"] == "change", "set"]) == [
        text for option in diagnosis.options for text in sorted(option.overrides)]
    assert (tmp_path / "run" / "diagnosis.txt").read_text(encoding="utf-8").startswith("Skenario")


def test_hand_derived_relaxations_of_the_hard_target() -> None:
    """400 households to serve at Rp 1 juta with Rp 100 juta: the budget must be 400, or the
    90% target (500 + 100 of 1000 households reachable) must fall to 60%."""
    diagnosis = api.solve_file(CASES[0].with_name("hard_target.yaml")).diagnosis
    assert diagnosis is not None
    by_name = {option.name: option.overrides for option in diagnosis.options}
    assert by_name == {"cheapest": ("pools.apbd.budget.2025=400",),
                       "commitments": ("regions.alpha.targets.akses_layak.2025=0.6",)}
    assert diagnosis.options[0].budget_added == 300.0


def test_whole_units_name_the_divisible_key() -> None:
    """Min 4.5 units of a whole-unit programme round up to 5 x 120 = 600 > 550: the rounding is
    part of the clash, so ``divisible: false`` is named with its line."""
    path = CASES[0].with_name("whole_units_budget.yaml")
    diagnosis = api.solve_file(path).diagnosis
    assert diagnosis is not None
    row = diagnosis.conflict[diagnosis.conflict["rule"] == "programs.divisible"]
    assert list(row["program"]) == ["ipal"]
    assert [w.rsplit("/", 1)[-1] for w in row["where"]] == ["whole_units_budget.yaml:22"]


def test_solve_prints_the_diagnosis_and_exits_3(tmp_path: Path) -> None:
    path = CASES[0].with_name("hard_target.yaml")
    runner = CliRunner()
    result = runner.invoke(cli, ["solve", str(path), "-o", str(tmp_path / "id")])
    assert result.exit_code == 3
    assert "Aturan yang berbenturan" in result.output
    assert "hard_target.yaml:18)" in result.output  # the budget's line
    assert "--set 'pools.apbd.budget.2025=400'" in result.output
    english = runner.invoke(cli, ["solve", str(path), "-o", str(tmp_path / "en"), "--lang", "en"])
    assert english.exit_code == 3
    assert "Clashing rules" in english.output and "Raise the budget of apbd 2025" in english.output
    as_json = runner.invoke(cli, ["solve", str(path), "-o", str(tmp_path / "js"), "--json"])
    assert as_json.exit_code == 3
    assert json.loads(as_json.stdout)["diagnosis"]["options"][0]["verified"] is True


def test_diagnosis_file_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    path = CASES[0].with_name("locked_above_budget.yaml")
    first = api.solve_file(path, output=tmp_path / "a").folder
    second = api.solve_file(path, output=tmp_path / "b").folder
    assert first is not None and second is not None
    assert (first / "diagnosis.parquet").read_bytes() == (second / "diagnosis.parquet").read_bytes()
    assert (first / "diagnosis.txt").read_text() == (second / "diagnosis.txt").read_text()
