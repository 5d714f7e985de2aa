"""The post-solve plan check of issue 9: a sound plan passes, and a plan breaking whole-unit
completion, max_years, max_per_year or capex_growth is caught by the rule it breaks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ssk_optimize import api
from ssk_optimize.results.plan_check import check_plan, completed_units, served_units
from ssk_optimize.results.values import extract_values

TINY = Path(__file__).resolve().parents[2] / "tests" / "data" / "tiny"


def _solved(name: str, *overrides: str) -> tuple[api.RunResult, np.ndarray]:
    result = api.solve_file(TINY / f"{name}.yaml", overrides=overrides)
    assert result.solution.is_optimal and result.solution.x is not None
    return result, extract_values(result.model, result.solution.x).units


def _rules(result: api.RunResult, units: np.ndarray, allocations: pd.DataFrame | None = None) -> set[str]:
    tables = result.tables if allocations is None else dataclasses.replace(result.tables,
                                                                           allocations=allocations)
    return {v.rule for v in check_plan(result.loaded.scenario, tables, units).violations}


def test_completed_and_serving_units() -> None:
    """Whole units count once fully paid, and serve from the next year; divisible ones at once."""
    units = np.array([[0.6, 0.4, 1.0], [0.6, 0.4, 1.0]])
    divisible = np.array([False, True])
    assert completed_units(units, divisible).tolist() == [[0.0, 1.0, 2.0], [0.6, 1.0, 2.0]]
    assert served_units(units, divisible).tolist() == [[0.0, 0.0, 1.0], [0.6, 1.0, 2.0]]


def test_max_years_and_completion_are_checked() -> None:
    result, units = _solved("whole_unit_max_years", "programs.plant.max_years=3")
    assert _rules(result, units) == set()
    two = api.solve_file(TINY / "whole_unit_max_years.yaml")  # max_years 2: the same plan breaks it
    assert "max_years" in {v.rule for v in check_plan(two.loaded.scenario, result.tables, units).violations}


def test_coverage_and_om_of_unfinished_units_are_checked() -> None:
    result, units = _solved("whole_unit_completion")
    assert _rules(result, units) == set()
    late = result.tables.allocations.copy()
    late.loc[late["purpose"] == "capex", "year"] = 2026  # paid in 2026: O&M of 2026 has no asset
    moved = np.roll(units, 1, axis=1)
    assert {"om", "coverage"} <= _rules(result, moved, late)


@pytest.mark.parametrize(("name", "year", "amount"), [("capacity_max_per_year", 2025, 40.0),
                                                      ("capacity_capex_growth", 2027, 80.0)])
def test_capacity_rules_are_checked(name: str, year: int, amount: float) -> None:
    result, units = _solved(name)
    assert _rules(result, units) == set()
    more = result.tables.allocations.copy()
    more.loc[more["year"] == year, "amount"] = amount
    bigger = units.copy()
    bigger[0, year - 2025] = amount
    assert "capacity" in _rules(result, bigger, more)
