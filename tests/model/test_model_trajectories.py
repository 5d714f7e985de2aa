"""Target trajectories (``targets.<indicator>.trajectory: linear``), worked out by hand.

A trajectory gives a target for every horizon year: on the straight line from the baseline share
``baseline / households[T0]`` placed at ``T0 - 1`` through each listed ``year: share``, and the
last listed share after it (docs/formulation.md, "Target trajectories"). Stage 1 counts the
shortfall of every target year, so a trajectory makes the early years count as much as the last.
Solved on every backend; each run folder passes the invariant checker.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path

import pytest
from invariants import check_run_folder
from test_model_hand_worked import assert_allocation, solve_tiny

from ssk_optimize.api import RunResult
from ssk_optimize.results.plan_check import check_plan
from ssk_optimize.results.values import extract_values
from ssk_optimize.scenario import load_scenario
from ssk_optimize.scenario.schema import Target, interpolate_target

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"
REL = 1e-6

Key = tuple[str, str, int, str]


def coverage(result: RunResult, indicator: str) -> dict[int, tuple[float, float]]:
    """{year: (target_share, shortfall)} of one indicator (NaN where there is no target)."""
    frame = result.tables.coverage
    rows = frame[frame["indicator"] == indicator]
    return {int(r.year): (float(r.target_share), float(r.shortfall))
            for r in rows.itertuples(index=False)}


def stage1(result: RunResult) -> float:
    return float(result.manifest["objective"]["stage1_shortfall"])  # type: ignore[index]


def test_a_trajectory_makes_the_plan_start_early(tmp_path: Path, solver: str) -> None:
    """2025-2026, 1000 households, baseline 0; APBD 100 a year. ``tangki`` (100 units, priority
    4) serves akses_layak, ``sampah`` (1000 units, priority 3, O&M 50% a year) serves
    sampah_terkelola; 1 household per unit at 1 a unit.

    Targets: akses_layak 0.1 in 2026 (100 households); sampah_terkelola 0.1 in 2026 with
    ``trajectory: linear``: from 0 at 2024 to 0.1 at 2026, so 0.05 (50) in 2025 and 0.1 (100) in
    2026. Let t1, t2, s1, s2 be the units of each year: t1 + s1 <= 100, t2 + s2 + 0.5 s1 <= 100.

    Stage 1 minimises max(50 - s1, 0) + max(100 - s1 - s2, 0) + max(100 - t1 - t2, 0). The two
    2026 rows together need 200 households, and the money of both years buys at most
    200 - 0.5 s1 of them, so for s1 <= 50 the total is (50 - s1) + 0.5 s1 = 50 - 0.5 s1, least at
    s1 = 50 (beyond it, only the 2026 loss 0.5 s1 grows): stage 1 = 25, t1 = 50 (all of 2025's
    money is used), and t2 + s2 = 75 with s2 <= 50 and t2 <= 100 - t1 = 50 (its quantity). Stage 2
    prefers tangki (priority 4 per 100 units against 3 per 1000): t2 = 50, s2 = 25. Sampah's
    2025 units cost 25 of O&M in 2026.

    Without the trajectory (the same file with ``trajectory`` removed) sampah has only its 2026
    target: every unit of it built in 2025 loses half a unit of 2026 money to O&M, so stage 1
    (= 0 only with s1 = 0) puts all of it in 2026: tangki 100 in 2025, sampah 100 in 2026. That
    is the back-loading a trajectory removes.
    """
    result = solve_tiny("trajectory_progressive", tmp_path, solver)
    assert_allocation(result, {("tangki", "apbd", 2025, "capex"): 50.0,
                               ("sampah", "apbd", 2025, "capex"): 50.0,
                               ("tangki", "apbd", 2026, "capex"): 50.0,
                               ("sampah", "apbd", 2026, "capex"): 25.0,
                               ("sampah", "apbd", 2026, "om"): 25.0})
    assert stage1(result) == pytest.approx(25.0, rel=1e-5)
    sampah = coverage(result, "sampah_terkelola")
    assert sampah[2025] == pytest.approx((0.05, 0.0), abs=1e-6)
    assert sampah[2026] == pytest.approx((0.1, 25.0), abs=1e-5)
    layak = coverage(result, "akses_layak")
    assert math.isnan(layak[2025][0]) and layak[2026] == pytest.approx((0.1, 0.0), abs=1e-6)

    point = solve_tiny("trajectory_progressive", tmp_path / "point", solver,
                       "regions.alpha.targets.sampah_terkelola.trajectory=null")
    assert_allocation(point, {("tangki", "apbd", 2025, "capex"): 100.0,
                              ("sampah", "apbd", 2026, "capex"): 100.0})
    assert stage1(point) == pytest.approx(0.0, abs=1e-6)
    assert math.isnan(coverage(point, "sampah_terkelola")[2025][0])


def test_a_trajectory_through_two_targets_is_held_after_the_last(tmp_path: Path,
                                                                  solver: str) -> None:
    """2025-2029, 1000 households, baseline 400 (share 0.4); APBD 60 a year buys 60 households.

    Trajectory through (2024, 0.4), (2026, 0.5), (2028, 0.8), held after 2028: targets 0.45, 0.5,
    0.65, 0.8, 0.8, i.e. 450, 500, 650, 800, 800 households. Spending everything every year (each
    unit counts in its year and every later one, so no year may wait) covers 460, 520, 580, 640,
    700: shortfall 0, 0, 70, 160, 100, stage 1 = 330, 60 of APBD a year.

    With the 2026 and 2028 targets alone (``trajectory: null``) stage 1 is only the 2028 shortfall,
    800 - 640 = 160, for the same allocation: a trajectory counts every year, so the stage-1 value
    is the households short summed over the years.
    """
    result = solve_tiny("trajectory_two_points", tmp_path, solver)
    assert_allocation(result, {("tangki", "apbd", year, "capex"): 60.0
                               for year in range(2025, 2030)})
    rows = coverage(result, "akses_layak")
    assert [rows[y][0] for y in range(2025, 2030)] == pytest.approx([0.45, 0.5, 0.65, 0.8, 0.8],
                                                                    abs=1e-12)
    assert [rows[y][1] for y in range(2025, 2030)] == pytest.approx([0, 0, 70, 160, 100], rel=REL, abs=1e-5)
    assert stage1(result) == pytest.approx(330.0, rel=1e-5)
    rows = {str(n) for n in result.model.lp.row_names if str(n).startswith("coverage[")}
    assert rows == {f"coverage[alpha,akses_layak,{y}]" for y in range(2025, 2030)}

    point = solve_tiny("trajectory_two_points", tmp_path / "point", solver,
                       "regions.alpha.targets.akses_layak.trajectory=null")
    assert_allocation(point, {("tangki", "apbd", year, "capex"): 60.0
                              for year in range(2025, 2030)})
    assert stage1(point) == pytest.approx(160.0, rel=1e-5)
    point_rows = coverage(point, "akses_layak")
    assert {y for y, (share, _) in point_rows.items() if not math.isnan(share)} == {2026, 2028}


def test_interpolation_edges() -> None:
    """A listed first year keeps its share; a baseline above the first target slopes down; a
    baseline share above 1 starts the line at 1; no trajectory: the listed years only."""
    linear = Target.model_validate({2025: 0.3, 2027: 0.9, "trajectory": "linear"})
    assert interpolate_target(linear, 0.1, (2025, 2028)) == {2025: 0.3, 2026: 0.6, 2027: 0.9,
                                                             2028: 0.9}
    falling = Target.model_validate({2027: 0.5, "trajectory": "linear"})
    assert interpolate_target(falling, 0.8, (2025, 2027)) == pytest.approx(
        {2025: 0.7, 2026: 0.6, 2027: 0.5})
    assert interpolate_target(falling, 1.3, (2025, 2027))[2025] == pytest.approx(1 - 0.5 / 3)
    listed = Target.model_validate({2027: 0.5})
    assert interpolate_target(listed, 0.1, (2025, 2028)) == {2027: 0.5}


def test_resolved_yaml_keeps_the_trajectory(tmp_path: Path) -> None:
    """``scenario.resolved.yaml`` writes the flat form back, and loads to the same scenario."""
    loaded = load_scenario(TINY / "trajectory_two_points.yaml")
    text = loaded.resolved_yaml
    assert "trajectory: linear" in text
    path = tmp_path / "resolved.yaml"
    path.write_text(text, encoding="utf-8")
    again = load_scenario(path)
    assert again.scenario == loaded.scenario and again.sha256 == loaded.sha256


def test_scaling_a_target_keeps_its_trajectory() -> None:
    """``--set 'regions.alpha.targets.akses_layak*=0.5'`` halves the shares, keeps ``linear``."""
    loaded = load_scenario(TINY / "trajectory_two_points.yaml",
                           ("regions.alpha.targets.akses_layak*=0.5",))
    target = loaded.scenario.regions[0].targets["akses_layak"]
    assert target.shares == {2026: 0.25, 2028: 0.4} and target.trajectory == "linear"


def test_a_missing_or_wrong_trajectory_target_is_caught(tmp_path: Path) -> None:
    """The plan check and the run-folder checker both read the trajectory from the scenario: a
    coverage table without the interpolated 2025 target, or with a wrong one, fails both; a
    manifest whose stage-1 value leaves out a year fails the checker."""
    result = solve_tiny("trajectory_two_points", tmp_path, "highs")
    assert result.folder is not None and result.solution.x is not None
    values = extract_values(result.model, result.solution.x)
    assert check_plan(result.loaded.scenario, result.tables, values.units).passed
    for wrong in (math.nan, 0.5):
        table = result.tables.coverage.copy()
        table.loc[table["year"] == 2025, "target_share"] = wrong
        tables = dataclasses.replace(result.tables, coverage=table)
        found = check_plan(result.loaded.scenario, tables, values.units).violations
        assert any(v.rule == "coverage" and "target_share" in v.detail for v in found), wrong
        folder = tmp_path / f"copy-{wrong}"
        shutil.copytree(result.folder, folder)
        table.to_parquet(folder / "coverage.parquet", index=False)
        assert any(m.startswith("target") for m in check_run_folder(folder)), wrong
    folder = tmp_path / "stage1"
    shutil.copytree(result.folder, folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["objective"]["stage1_shortfall"] = 160.0  # the 2028 shortfall only
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert any(m.startswith("stage1") for m in check_run_folder(folder))
