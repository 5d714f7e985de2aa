"""Scenarios the property test once failed on, kept as plain regression tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from invariants import check_run_folder

from ssk_optimize.api import solve_file

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_whole_units_fixed_after_stage2_stay_feasible(tmp_path: Path, solver: str) -> None:
    """A stage-2 MILP point breaking a coverage row by 1.07e-7 made the stage holds unreachable
    once the integers were fixed, and HiGHS runs ended 'infeasible' at stage 3 (the stage-2 point
    was still written as the tables). Every stage must now be optimal and the folder sound."""
    result = solve_file(TINY / "stage3_after_fixing_integers.yaml", solver=solver,
                        output=tmp_path / "run")
    assert result.solution.is_optimal, (result.solution.status, result.solution.notes)
    assert result.manifest["integers"]["fixed_after_stage2"] is True  # type: ignore[index]
    assert check_run_folder(tmp_path / "run") == []
