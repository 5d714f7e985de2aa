"""Issue 9: whole-unit completion, ``max_years``, ``max_per_year`` and ``capex_growth``, on tiny
scenarios whose optimum is derived by hand in each docstring (stages of domain.md section 4),
solved on every backend; every run folder passes the independent checker.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from invariants import check_run_folder
from test_model_hand_worked import assert_allocation, solve_tiny
from test_model_hand_worked import program_row as program

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"
REL = 1e-6


def test_whole_unit_serves_and_costs_om_from_the_year_after_completion(tmp_path: Path,
                                                                        solver: str) -> None:
    """One plant (cost 100, serves 600 of 1000 households, O&M 10%), APBD 100 a year, targets 60%
    in 2025 and 2026.

    Stage 1: a unit complete by the end of 2025 serves only from 2026, so the 2025 target is 600
    short whatever the plan; 2026 is met only if the plant is paid in full in 2025 (100, the whole
    budget). Stage 2 agrees (the plant whole, e[2025] = 1.1). O&M is 10% of 100 from 2026:
    10 in 2026 and 10 in 2027, from APBD. Coverage: 0 in 2025, 600 in 2026 and 2027.
    """
    result = solve_tiny("whole_unit_completion", tmp_path, solver)
    assert_allocation(result, {("plant", "apbd", 2025, "capex"): 100.0,
                               ("plant", "apbd", 2026, "om"): 10.0,
                               ("plant", "apbd", 2027, "om"): 10.0})
    coverage = result.tables.coverage.set_index("year")
    assert coverage["covered"].to_dict() == {2025: 0.0, 2026: 600.0, 2027: 600.0}
    assert coverage.loc[2025, "shortfall"] == pytest.approx(600.0)
    assert coverage.loc[2026, "shortfall"] == 0.0
    assert result.manifest["objective"]["stage1_shortfall"] == pytest.approx(600.0, rel=1e-6)  # type: ignore[index]


def test_whole_unit_paid_within_max_years(tmp_path: Path, solver: str) -> None:
    """A plant of 200 against APBD 80 a year, 2025-2027.

    ``max_years: 2``: one unit's payments fit in two consecutive years, 160 at most: nothing can be
    built (units 0, the plant waits: too little money for the next unit). ``max_years: 3``: 80 in
    2025, 80 in 2026, 40 in 2027 (stage 2 pays as early as it can, e decreasing), complete in 2027.
    Before issue 9 the two-year case would also have been spread over three years.
    """
    short = solve_tiny("whole_unit_max_years", tmp_path / "two", solver)
    assert_allocation(short, {})
    plant = program(short, "plant")
    assert plant["units_delivered"] == 0.0
    assert plant["limiting_reason"] == "pool_exhausted"
    assert "too little for the next unit" in str(plant["limiting_detail"])
    long = solve_tiny("whole_unit_max_years", tmp_path / "three", solver, "programs.plant.max_years=3")
    assert_allocation(long, {("plant", "apbd", 2025, "capex"): 80.0,
                             ("plant", "apbd", 2026, "capex"): 80.0,
                             ("plant", "apbd", 2027, "capex"): 40.0})
    assert program(long, "plant")["units_delivered"] == 1.0


def test_whole_units_are_paid_whole_each_year_by_default(tmp_path: Path, solver: str) -> None:
    """``whole_unit_max_years`` with ``max_years: 1``, quantity 2 and APBD 250, 150, 80: each year
    pays whole units only. 2025 affords one plant (200, 50 left), 2026 (150) and 2027 (80) none,
    so 1 plant. A spread contract would have built both (250 + 150 = 400 by 2026)."""
    result = solve_tiny("whole_unit_max_years", tmp_path, solver, "programs.plant.max_years=1",
                        "programs.plant.quantity=2", "pools.apbd.budget.2025=250",
                        "pools.apbd.budget.2026=150")
    assert_allocation(result, {("plant", "apbd", 2025, "capex"): 200.0})
    assert program(result, "plant")["units_delivered"] == 1.0
    spread = solve_tiny("whole_unit_max_years", tmp_path / "spread", solver, "programs.plant.max_years=2",
                        "programs.plant.quantity=2", "pools.apbd.budget.2025=250",
                        "pools.apbd.budget.2026=150")
    assert program(spread, "plant")["units_delivered"] == 2.0
    assert check_run_folder(spread.folder) == []  # type: ignore[arg-type]


def test_max_per_year_limits_units_a_year(tmp_path: Path, solver: str) -> None:
    """100 tanks at 1 each, APBD 100 a year in 2025-2026, ``max_per_year: 30``: 30 tanks a year
    (60 in all; the money would buy 100 in 2025 alone). The tanks wait, reason ``capacity``."""
    result = solve_tiny("capacity_max_per_year", tmp_path, solver)
    assert_allocation(result, {("tangki", "apbd", 2025, "capex"): 30.0,
                               ("tangki", "apbd", 2026, "capex"): 30.0})
    tangki = program(result, "tangki")
    assert tangki["limiting_reason"] == "capacity"
    assert tangki["limiting_detail"] == ("Tangki septik: capacity limit binds: max_per_year 30 unit "
                                         "in 2025-2026")


def test_capex_growth_limits_the_region_spending_growth(tmp_path: Path, solver: str) -> None:
    """1000 tanks at 1 each; APBD 50, 100, 100 in 2025-2027; ``capex_growth: 0.2``.

    2025 is the region's first year with money: free, the budget buys 50. Then at most
    1.2 x 50 = 60 in 2026 and 1.2 x 60 = 72 in 2027 (spending less earlier only lowers the later
    caps, and stage 2 wants every tank it can get). 182 tanks; reason ``capacity`` (2026-2027).
    """
    result = solve_tiny("capacity_capex_growth", tmp_path, solver)
    assert_allocation(result, {("tangki", "apbd", 2025, "capex"): 50.0,
                               ("tangki", "apbd", 2026, "capex"): 60.0,
                               ("tangki", "apbd", 2027, "capex"): 72.0})
    tangki = program(result, "tangki")
    assert tangki["limiting_reason"] == "capacity"
    assert tangki["limiting_detail"] == ("Tangki septik: capacity limit binds: capex_growth 0.2 of "
                                         "alpha in 2026-2027")


def test_capex_growth_starts_at_the_first_year_with_money(tmp_path: Path, solver: str) -> None:
    """The same with no APBD in 2025: the first year with money is 2026 (free: 100), then at most
    1.2 x 100 = 120 in 2027, where the budget (100) binds first. Read from 2025 instead, the rule
    would allow 1.2 x 0 = 0 ever after; it limits growth, not the start."""
    result = solve_tiny("capacity_capex_growth", tmp_path, solver, "pools.apbd.budget.2025=0")
    assert_allocation(result, {("tangki", "apbd", 2026, "capex"): 100.0,
                               ("tangki", "apbd", 2027, "capex"): 100.0})
    assert program(result, "tangki")["limiting_reason"] == "pool_exhausted"


def test_whole_unit_prerequisite_counts_only_complete_units(tmp_path: Path, solver: str) -> None:
    """DED (whole, 100, ``max_years: 2``, priority 5) then construction (1 a unit, 1000, priority 1)
    requiring it; APBD 60 a year, 2025-2027.

    Stage 2: the DED cannot be paid in one year (60 < 100); earliest is 60 in 2025 and 40 in 2026,
    complete at the end of 2026. Readiness counts complete units only, so the construction may
    deliver by the end of 2026 nothing (D[ded,2025] = 0; a paid share of 0.6 would have allowed
    the 20 left in 2026), and in 2027 the whole budget: 60 units. It waits, reason ``readiness``.
    """
    result = solve_tiny("whole_unit_readiness", tmp_path, solver)
    assert_allocation(result, {("ded", "apbd", 2025, "capex"): 60.0,
                               ("ded", "apbd", 2026, "capex"): 40.0,
                               ("build", "apbd", 2027, "capex"): 60.0})
    build = program(result, "build")
    assert build["limiting_reason"] == "readiness"
    assert build["limiting_detail"] == "Sambungan rumah: waits for DED IPAL (binding in 2026)"
