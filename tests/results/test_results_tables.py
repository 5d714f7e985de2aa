"""Regressions in the results tables found by the property test (each failed before its fix)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from invariants import check_run_folder

from ssk_optimize.api import solve_file

SERVES_ONLY = textwrap.dedent("""
    scenario: serves-only
    horizon: [2025, 2026]
    regions:
      - {id: alpha, province: prov, households: {2025: 1000}}
    pools:
      - {id: apbd, source: APBD_KAB, holder: alpha, budget: {2025: 30, 2026: 30}}
    programs:
      - {id: tangki, region: alpha, subsector: air_limbah, kind: construction,
         scale: individual, unit_cost: 2, quantity: 100, serves: {akses_layak: 1}}
""")


def test_coverage_rows_for_an_indicator_only_a_programme_serves(tmp_path: Path) -> None:
    """No region states a baseline or target, one programme serves akses_layak: the coverage
    table has its rows (it used to fail on an object-typed empty frame). Stage 2 spends 30 a
    year: 15 tanks in 2025, 30 covered by 2026."""
    path = tmp_path / "serves.yaml"
    path.write_text(SERVES_ONLY, encoding="utf-8")
    result = solve_file(path, output=tmp_path / "run")
    coverage = result.tables.coverage
    assert list(coverage["indicator"]) == ["akses_layak", "akses_layak"]
    assert coverage["covered"].to_numpy() == pytest.approx([15.0, 30.0], rel=1e-6)
    assert coverage["target_share"].isna().all() and coverage["shortfall"].isna().all()
    assert check_run_folder(tmp_path / "run") == []


def test_units_are_what_the_money_buys(tmp_path: Path) -> None:
    """Per programme, the units bought each year (capital money / that year's unit cost) add up
    to units_delivered, to 1e-9 relative (allocations are whole rupiah, 1e-6 juta, so money / cost
    is no longer exact once the cost differs by year): the report keeps the cost rows, whatever
    the solver's tolerances did. katingan.yaml has ``cost_growth: 0.04``, so a one-figure unit cost
    c costs c x 1.04^(t - 2025) in year t (docs/scenario-format.md)."""
    root = Path(__file__).resolve().parents[2]
    result = solve_file(root / "scenarios" / "katingan.yaml")
    scenario = result.loaded.scenario
    growth, first = scenario.cost_growth, scenario.horizon[0]
    assert growth == 0.04
    programs = result.tables.programs.set_index("program")
    allocations = result.tables.allocations
    capex = allocations[allocations["purpose"] == "capex"].groupby(["program", "year"])["amount"].sum()
    costs = {p.id: p.unit_cost for p in scenario.programs if not isinstance(p.unit_cost, dict)}
    divisible = {p.id for p in scenario.programs if p.divisible}
    checked = 0
    for program, cost in costs.items():
        if program not in divisible:
            continue
        money = capex[program] if program in capex.index.get_level_values(0) else pd.Series(dtype=float)
        units = sum(float(amount) / (cost * (1 + growth) ** (int(year) - first))
                    for year, amount in money.items())
        delivered = float(programs.loc[program, "units_delivered"])
        assert np.isclose(units, delivered, rtol=1e-9, atol=1e-9), program
        checked += 1
    assert checked > 20
