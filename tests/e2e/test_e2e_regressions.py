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


def _fuzzed_tiny(tmp_path: Path) -> Path:
    """tests/data/valid/tiny.yaml with ded_ipal quantity 6.5, tangki unit_cost 1, and stbm
    quantity 123456789.123 funded by DANA_DESA only (found by the fuzz test)."""
    import yaml

    data = yaml.safe_load((TINY.parent / "valid" / "tiny.yaml").read_text(encoding="utf-8"))
    changes = {"ded_ipal": {"quantity": 6.5}, "tangki": {"unit_cost": 1},
               "stbm": {"quantity": 123456789.123, "sources": ["DANA_DESA"]}}
    for program in data["programs"]:
        program.update(changes.get(program["id"], {}))
    path = tmp_path / "fuzzed_tiny.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_whole_unit_money_buys_exactly_its_units(tmp_path: Path, solver: str) -> None:
    """The whole-unit ipal (2 units) was reported as 2.0 units while its money, short of
    2 x unit cost by about Rp 900 spread over the years (each year within the plan check's
    tolerance), bought 1.999997: the checker's 'units' rule failed. The polish now makes the
    money exactly unit_cost x units per year, and the folder has no dust."""
    import numpy as np
    import pandas as pd

    result = solve_file(_fuzzed_tiny(tmp_path), solver=solver, output=tmp_path / "run")
    assert result.solution.is_optimal, (result.solution.status, result.solution.notes)
    assert result.manifest["plan_check"]["passed"] is True  # type: ignore[index]
    assert check_run_folder(tmp_path / "run") == []
    programs = pd.read_parquet(tmp_path / "run" / "programs.parquet").set_index("program")
    delivered = programs.loc["ipal", "units_delivered"]
    assert delivered == round(delivered)
    alloc = pd.read_parquet(tmp_path / "run" / "allocations.parquet")
    capex = alloc[(alloc["program"] == "ipal") & (alloc["purpose"] == "capex")]
    money = capex.groupby("year")["amount"].sum()
    cost = {2025: 300.0, 2026: 310.0, 2027: 320.0}
    bought = sum(amount / cost[int(year)] for year, amount in money.items())
    np.testing.assert_allclose(bought, delivered, rtol=1e-9)
