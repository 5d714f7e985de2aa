"""The post-solve plan check: a real solved run passes, and each deliberate corruption of its plan is
caught by the rule family it breaks and turns the run into ``error`` (never ``optimal``): in the
api's result and manifest, and as exit code 3 from ``ssk-opt solve``."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from ssk_optimize import api
from ssk_optimize.cli import cli
from ssk_optimize.results import tables as tables_module
from ssk_optimize.results.plan_check import PlanCheck, Violation, check_plan, mark
from ssk_optimize.results.tables import RunTables
from ssk_optimize.results.values import Values, extract_values
from ssk_optimize.solve.status import SolveStatus

ROOT = Path(__file__).resolve().parents[2]
LAMANDAU = ROOT / "scenarios" / "lamandau.yaml"
TINY = ROOT / "tests" / "data" / "tiny"


@dataclasses.dataclass(frozen=True)
class Solved:
    result: api.RunResult
    values: Values

    @property
    def tables(self) -> RunTables:
        return self.result.tables

    def check(self, tables: RunTables | None = None, units: np.ndarray | None = None) -> PlanCheck:
        return check_plan(self.result.loaded.scenario, tables or self.tables,
                          self.values.units if units is None else units)

    def row(self, program: str) -> int:
        return [p.id for p in self.result.loaded.scenario.programs].index(program)


@pytest.fixture(scope="module")
def lamandau() -> Solved:
    result = api.solve_file(LAMANDAU)
    assert result.solution.is_optimal and result.solution.x is not None
    return Solved(result, extract_values(result.model, result.solution.x))


def _with_allocations(solved: Solved, change: Callable[[pd.DataFrame], pd.DataFrame]) -> RunTables:
    return dataclasses.replace(solved.tables, allocations=change(solved.tables.allocations.copy()))


def _hits(check: PlanCheck, rule: str, **where: object) -> list[Violation]:
    return [v for v in check.violations
            if v.rule == rule and all(getattr(v, k) == value for k, value in where.items())]


def test_the_solved_plan_passes_and_is_recorded(lamandau: Solved) -> None:
    assert lamandau.check().passed
    assert lamandau.result.manifest["plan_check"] == {"passed": True, "count": 0, "violations": []}


def test_money_beyond_a_pool_budget_is_caught(lamandau: Solved) -> None:
    budget = lamandau.tables.pools.set_index(["pool", "year"]).loc[("lmd_dak", 2026), "budget"]

    def overspend(frame: pd.DataFrame) -> pd.DataFrame:
        row = frame[(frame["pool"] == "lmd_dak") & (frame["year"] == 2026)].index[0]
        frame.loc[row, "amount"] += 0.5 * budget
        return frame

    check = lamandau.check(_with_allocations(lamandau, overspend))
    over = _hits(check, "pool_budget", pool="lmd_dak", year=2026)
    assert over and over[0].magnitude == pytest.approx(0.5 * budget, rel=1e-6)
    assert _hits(check, "cost")  # the programme got money its units do not account for


def test_a_tiny_overspend_beyond_1e9_relative_is_caught(lamandau: Solved) -> None:
    def overspend(frame: pd.DataFrame) -> pd.DataFrame:
        rows = frame[(frame["pool"] == "lmd_apbd") & (frame["year"] == 2027)]
        budget = lamandau.tables.pools.set_index(["pool", "year"]).loc[("lmd_apbd", 2027), "budget"]
        used = rows["amount"].sum()
        frame.loc[rows.index[0], "amount"] += budget - used + 1e-8 * budget
        return frame

    assert _hits(lamandau.check(_with_allocations(lamandau, overspend)), "pool_budget",
                 pool="lmd_apbd", year=2027)


def test_money_on_a_forbidden_pair_is_caught(lamandau: Solved) -> None:
    """DAK may fund persampahan only with location kumuh or stunting; the arm-roll truck has
    neither. Moving its capital money to the DAK pool breaks eligibility (and DAK's budget)."""
    def move(frame: pd.DataFrame) -> pd.DataFrame:
        rows = (frame["program"] == "lmd_truk_sampah") & (frame["purpose"] == "capex")
        assert rows.any()
        frame.loc[rows, ["pool", "source"]] = ["lmd_dak", "DAK"]
        return frame

    check = lamandau.check(_with_allocations(lamandau, move))
    assert _hits(check, "eligibility", program="lmd_truk_sampah", pool="lmd_dak")


def test_om_money_on_a_pool_that_may_not_pay_om_is_caught(lamandau: Solved) -> None:
    def move(frame: pd.DataFrame) -> pd.DataFrame:
        rows = frame.index[(frame["purpose"] == "om") & (frame["program"] == "lmd_ts_desa_bulik")]
        frame.loc[rows[0], ["pool", "source"]] = ["lmd_dak", "DAK"]  # DAK pays no O&M
        return frame

    check = lamandau.check(_with_allocations(lamandau, move))
    assert _hits(check, "eligibility", program="lmd_ts_desa_bulik", pool="lmd_dak")


def test_a_broken_cost_identity_is_caught(lamandau: Solved) -> None:
    """Units a tenth above what the money buys, for one programme-year."""
    units = lamandau.values.units.copy()
    p = lamandau.row("lmd_ts_desa_bulik")
    t = int(np.flatnonzero(units[p] > 0)[0])
    units[p, t] *= 1.1
    check = lamandau.check(units=units)
    cost = _hits(check, "cost", program="lmd_ts_desa_bulik", year=2025 + t)
    assert cost and cost[0].magnitude == pytest.approx(0.1 * units[p, t] / 1.1 * 6.8, rel=1e-6)


def test_locked_money_taken_away_is_caught(lamandau: Solved) -> None:
    def unlock(frame: pd.DataFrame) -> pd.DataFrame:
        rows = (frame["program"] == "lmd_ded_iplt") & (frame["purpose"] == "capex")
        frame.loc[rows, "amount"] *= 0.5
        return frame

    check = lamandau.check(_with_allocations(lamandau, unlock))
    assert _hits(check, "locked", program="lmd_ded_iplt", pool="lmd_apbd", year=2025)


def test_units_without_money_and_unpaid_om_are_caught(lamandau: Solved) -> None:
    """One IPAL more in 2026 with no money for it; and O&M of the septic tanks left unpaid."""
    units = lamandau.values.units.copy()
    units[lamandau.row("lmd_ipal_komunal_nangabulik"), 1] += 1.0
    check = lamandau.check(units=units)
    assert _hits(check, "cost", program="lmd_ipal_komunal_nangabulik", year=2026)
    assert _hits(check, "om", program="lmd_ipal_komunal_nangabulik", year=2027)

    def no_om(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[~((frame["purpose"] == "om") & (frame["program"] == "lmd_ts_desa_bulik"))]

    assert _hits(lamandau.check(_with_allocations(lamandau, no_om)), "om", program="lmd_ts_desa_bulik")


def test_community_money_above_its_share_is_caught(lamandau: Solved) -> None:
    """All of a septic-tank year paid by masyarakat: far above the 20% cap."""
    alloc = lamandau.tables.allocations
    built = alloc[(alloc["program"] == "lmd_ts_desa_bulik") & (alloc["purpose"] == "capex")
                  & (alloc["source"] != "MASYARAKAT")]
    year = int(built["year"].max())  # a year the plan builds tanks with other money

    def shift(frame: pd.DataFrame) -> pd.DataFrame:
        rows = (frame["program"] == "lmd_ts_desa_bulik") & (frame["year"] == year) & (
            frame["purpose"] == "capex")
        frame.loc[rows, ["pool", "source"]] = ["lmd_masyarakat", "MASYARAKAT"]
        return frame

    check = lamandau.check(_with_allocations(lamandau, shift))
    assert _hits(check, "share_cap", program="lmd_ts_desa_bulik", year=year, detail="masyarakat_share")


def test_coverage_that_does_not_add_up_is_caught(lamandau: Solved) -> None:
    coverage = lamandau.tables.coverage.copy()
    coverage.loc[0, "covered"] += 100.0
    check = lamandau.check(dataclasses.replace(lamandau.tables, coverage=coverage))
    assert _hits(check, "coverage", region="lamandau", year=int(coverage.loc[0, "year"]))


def test_readiness_break_is_caught() -> None:
    result = api.solve_file(TINY / "readiness_after_ded.yaml")
    assert result.solution.x is not None
    values = extract_values(result.model, result.solution.x)
    scenario = result.loaded.scenario
    ids = [p.id for p in scenario.programs]
    dependent = next(p for p in scenario.programs if p.requires)
    units = values.units.copy()
    units[ids.index(dependent.id)] = 0.0
    units[ids.index(dependent.id), 0] = dependent.quantity  # all of it in the first year
    check = check_plan(scenario, result.tables, units)
    assert _hits(check, "readiness", program=dependent.id, year=scenario.horizon[0])


def test_mark_turns_a_failed_check_into_an_error(lamandau: Solved) -> None:
    failed = PlanCheck((Violation("pool_budget", 5.0, pool="lmd_dak", year=2026),))
    solution = mark(lamandau.result.solution, failed)
    assert solution.status is SolveStatus.ERROR and not solution.is_optimal
    assert solution.failed_stage == "plan_check"
    assert "plan check failed: 1 violation(s), first pool_budget lmd_dak/2026" in solution.notes[-1]
    assert mark(lamandau.result.solution, PlanCheck(())) is lamandau.result.solution
    infeasible = dataclasses.replace(lamandau.result.solution, status=SolveStatus.INFEASIBLE)
    assert mark(infeasible, failed).status is SolveStatus.INFEASIBLE


def _corrupt_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every run pay 1 000 money units more from one pool-year than its budget allows."""
    real = tables_module.extract_values

    def corrupted(model: object, x: np.ndarray, polish: int = 2) -> Values:
        values = real(model, x, polish=polish)  # type: ignore[arg-type]
        money = values.money.copy()
        first = money.index[money["purpose"] == "capex"][0]
        money.loc[first, "amount"] += 1000.0
        return dataclasses.replace(values, money=money)

    monkeypatch.setattr(tables_module, "extract_values", corrupted)


def test_a_corrupted_run_is_not_reported_optimal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _corrupt_extraction(monkeypatch)
    result = api.solve_file(LAMANDAU, output=tmp_path / "run")
    assert result.solution.status is SolveStatus.ERROR and not result.solution.is_optimal
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "error" and manifest["optimal"] is False
    assert manifest["failed_stage"] == "plan_check"
    assert manifest["plan_check"]["passed"] is False
    rules = {v["rule"] for v in manifest["plan_check"]["violations"]}
    assert {"pool_budget", "cost"} <= rules
    assert any(w.startswith("plan check failed") for w in manifest["warnings"])
    assert len(result.tables.allocations) > 0  # the flawed plan is still written, for diagnosis


def test_the_cli_exits_3_on_a_corrupted_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _corrupt_extraction(monkeypatch)
    outcome = CliRunner().invoke(cli, ["solve", str(LAMANDAU), "-o", str(tmp_path / "run"), "--json"])
    assert outcome.exit_code == 3, outcome.output
