"""The LP is scaled from the money figures, not from ``money_unit``.

- Lamandau written in rupiah, ribu, juta and miliar is one plan (to 1e-6 relative), and every run
  is optimal (in rupiah, stage 3 used to end in a solver error: its costs were rank x 1e9).
- Money figures spanning more than ``MAX_SPAN`` (Rp 1 beside Rp 300 triliun, which used to give a
  wrong plan marked optimal) are refused at model build, naming the two figures and the limit.
- A scenario mixing Rp 1 ribu and Rp 100 triliun, inside the span, solves to the plan worked out
  by hand, passes the plan check and keeps every budget to 1e-9 relative.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from ssk_optimize import api
from ssk_optimize.errors import ScenarioError
from ssk_optimize.model.formulation import build_model
from ssk_optimize.model.scaling import MAX_SPAN
from ssk_optimize.scenario import load_scenario
from ssk_optimize.scenario.money_range import money_range_issues
from ssk_optimize.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[2]
LAMANDAU = ROOT / "scenarios" / "lamandau.yaml"
PER_JUTA = {"rupiah": 1e6, "ribu": 1e3, "juta": 1.0, "miliar": 1e-3}  # figures per Rp 1 juta


def _times(mapping: dict[Any, Any], factor: float) -> dict[Any, Any]:
    return {key: value * factor for key, value in mapping.items()}


def in_unit(data: dict[str, Any], unit: str) -> dict[str, Any]:
    """A juta scenario rewritten in ``unit``: every money figure converted, nothing else."""
    factor = PER_JUTA[unit]
    out = copy.deepcopy(data)
    assert out["money_unit"] == "juta"
    out["money_unit"] = unit
    for region in out["regions"]:
        if "baseline_om" in region:
            region["baseline_om"] = _times(region["baseline_om"], factor)
    for pool in out["pools"]:
        if "budget" in pool:
            pool["budget"] = _times(pool["budget"], factor)
        if "base" in pool:
            pool["base"]["amount"] *= factor
        if "per_region" in pool:
            pool["per_region"] = _times(pool["per_region"], factor)
        if pool.get("recipients"):
            pool["recipients"] = {region: _times(amount, factor) if isinstance(amount, dict)
                                  else amount * factor for region, amount in pool["recipients"].items()}
    for program in out["programs"]:
        cost = program["unit_cost"]
        program["unit_cost"] = _times(cost, factor) if isinstance(cost, dict) else cost * factor
        if "locked" in program:
            program["locked"] = {year: _times(by_pool, factor) for year, by_pool in program["locked"].items()}
    return out


def _write(data: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def lamandau_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, api.RunResult]:
    data = yaml.safe_load(LAMANDAU.read_text(encoding="utf-8"))
    folder = tmp_path_factory.mktemp("units")
    return {unit: api.solve_file(_write(in_unit(data, unit), folder / f"lamandau_{unit}.yaml"))
            for unit in PER_JUTA}


def _in_juta(frame: pd.DataFrame, keys: list[str], money: list[str], unit: str) -> pd.DataFrame:
    out = frame.set_index(keys).sort_index()
    out[money] = out[money] / PER_JUTA[unit]
    return out


@pytest.mark.parametrize("unit", ["rupiah", "ribu", "miliar"])
def test_lamandau_in_four_money_units_is_one_plan(lamandau_runs: dict[str, api.RunResult], unit: str) -> None:
    _assert_one_plan(lamandau_runs["juta"], lamandau_runs[unit], unit)


EXAMPLES = sorted(path.name for path in (ROOT / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def example_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], api.RunResult]:
    """Every example (its resolved scenario, ``extends`` merged) solved in the four money units."""
    folder = tmp_path_factory.mktemp("examples")
    runs: dict[tuple[str, str], api.RunResult] = {}
    for name in EXAMPLES:
        first = api.solve_file(ROOT / "scenarios" / name, output=folder / f"{name}.run")
        data = yaml.safe_load((folder / f"{name}.run" / "scenario.resolved.yaml").read_text(encoding="utf-8"))
        for unit in PER_JUTA:
            runs[(name, unit)] = api.solve_file(_write(in_unit(data, unit), folder / f"{unit}_{name}"))
        runs[(name, "original")] = first
    return runs


@pytest.mark.parametrize("unit", ["rupiah", "ribu", "miliar"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_in_four_money_units_is_one_plan(
        example_runs: dict[tuple[str, str], api.RunResult], name: str, unit: str) -> None:
    """Allocations equal after unit conversion to 1e-6 relative, for every example in scenarios/."""
    assert example_runs[(name, "original")].solution.is_optimal
    _assert_one_plan(example_runs[(name, "juta")], example_runs[(name, unit)], unit)


def _assert_one_plan(base: api.RunResult, run: api.RunResult, unit: str) -> None:
    assert base.solution.is_optimal, base.solution.notes
    assert run.solution.is_optimal, run.solution.notes
    assert run.manifest["plan_check"]["passed"] is True
    assert run.model.index.rupiah_scale == base.model.index.rupiah_scale  # scaled from the data
    keys = ["program", "pool", "year", "purpose", "region"]
    mine = _in_juta(run.tables.allocations, keys, ["amount"], unit)["amount"]
    theirs = _in_juta(base.tables.allocations, keys, ["amount"], "juta")["amount"]
    rows = mine.index.union(theirs.index)
    np.testing.assert_allclose(mine.reindex(rows, fill_value=0.0), theirs.reindex(rows, fill_value=0.0),
                               rtol=1e-6, atol=1e-6)  # Rp 1 absolute for rows at the half-rupiah cut
    money = ["need", "funded", "gap", "om_funded", "om_after_horizon"]
    mine_p = _in_juta(run.tables.programs, ["program"], money, unit)
    theirs_p = _in_juta(base.tables.programs, ["program"], money, "juta")
    for column in ["units_delivered", "funded_share"]:
        np.testing.assert_allclose(mine_p[column], theirs_p[column], rtol=1e-6, atol=1e-9, err_msg=column)
    for column in money:  # Rp 1 absolute for figures near zero (a gap of Rp 0.003, say)
        np.testing.assert_allclose(mine_p[column], theirs_p[column], rtol=1e-6, atol=1e-6, err_msg=column)
    assert (mine_p["limiting_reason"] == theirs_p["limiting_reason"]).all()
    stage = run.solution.stage_values
    assert stage["targets"] == pytest.approx(base.solution.stage_values["targets"], rel=1e-6)
    assert stage["preference"] / PER_JUTA[unit] == pytest.approx(
        base.solution.stage_values["preference"], rel=1e-6)


def _region() -> dict[str, Any]:
    return {"id": "alpha", "province": "prov", "households": {2025: 100000}, "desa": 10,
            "baseline": {"akses_layak": 5000}, "targets": {"akses_layak": {2027: 0.9}}}


def _budget(amount: float) -> dict[int, float]:
    return {2025: amount, 2026: amount, 2027: amount}


def _scenario(pools: list[dict[str, Any]], programs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"scenario": "span", "horizon": [2025, 2027], "money_unit": "rupiah",
            "regions": [_region()], "pools": pools, "programs": programs}


def _construction(identifier: str, scale: str, cost: float, quantity: float, sources: list[str],
                  **extra: Any) -> dict[str, Any]:
    return {"id": identifier, "region": "alpha", "subsector": "air_limbah", "kind": "construction",
            "scale": scale, "unit_cost": cost, "quantity": quantity, "sources": sources,
            "serves": {"akses_layak": 1}, "locations": ["desa"], **extra}


def test_rp1_beside_rp300_triliun_is_refused_naming_both_figures(tmp_path: Path) -> None:
    """An eligible Rp 3e14 DAK pool beside a Rp 1 CSR pool: the LP would drop the DAK programme's
    cost coefficients (below 1e-9) and leave the pool unused while calling the plan optimal."""
    data = _scenario(
        [{"id": "csr_tiny", "source": "CSR", "holder": "alpha", "budget": _budget(1)},
         {"id": "masyarakat_tiny", "source": "MASYARAKAT", "holder": "alpha", "budget": _budget(1)},
         {"id": "dak_huge", "source": "DAK", "holder": "alpha", "budget": _budget(3e14)}],
        [_construction("tangki", "individual", 2, 10, ["CSR"]),
         _construction("ipal_mega", "komunal", 1e13, 10, ["DAK"], serves={"akses_layak": 10000})])
    path = _write(data, tmp_path / "wide.yaml")  # every figure is valid on its own
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)  # refused at validation, before any build
    (issue,) = [i for i in raised.value.issues if i.severity == "error"]
    assert issue.path == "pools.csr_tiny.budget.2025"
    assert issue.file.endswith("wide.yaml") and issue.line > 0  # at the smallest figure's line
    text = issue.render()
    for needed in ("pools.csr_tiny.budget.2025 = 1 rupiah", "pools.dak_huge.budget.2025 = 3e+14 rupiah",
                   f"{MAX_SPAN:.0e}", "span 3e+14 times"):
        assert needed in text, text
    # the model keeps its own guard for a scenario that bypassed validation
    unchecked = Scenario.model_validate(_model_fields(path))
    with pytest.raises(ScenarioError) as built:
        build_model(unchecked)
    assert [i.message for i in built.value.issues] == [issue.message]
    with pytest.raises(ScenarioError):
        api.solve_file(path)


def _model_fields(path: Path) -> dict[str, Any]:
    """The scenario's fields, validated by the schema alone (no cross-checks, no magnitudes)."""
    from ssk_optimize.scenario.loading import load_merged
    from ssk_optimize.scenario.rules import resolve_rules

    data, locations, _ = load_merged(path)
    rules, _ = resolve_rules(data.get("rules"), locations)
    return {**data, "rules": rules}


def test_lamandau_is_well_inside_the_span() -> None:
    assert money_range_issues(load_scenario(LAMANDAU).scenario) == []


def test_rp1_ribu_beside_rp100_triliun_solves_to_the_hand_worked_plan(tmp_path: Path) -> None:
    """Figures from Rp 1,000 to Rp 1.67e14 (span 1.7e11, inside MAX_SPAN).

    By hand: ``tangki`` (priority 5, CSR or masyarakat only, Rp 250 a unit) takes all of CSR's
    Rp 1,000 a year plus masyarakat up to 20% of its cost: 1,250 a year, 5 units a year, 15 in
    all, the masyarakat pool (Rp 10,000) far from used. ``ipal`` (Rp 3.33e13 a unit, DAK or CSR) gets
    all 5 units from DAK (Rp 1e14 a year); CSR has nothing left for it. ``sedang`` (APBD only,
    Rp 5e8 a unit) buys 2 units a year from Rp 1e9: 6 of 10.
    """
    data = _scenario(
        [{"id": "csr_tiny", "source": "CSR", "holder": "alpha", "budget": _budget(1e3)},
         {"id": "masyarakat", "source": "MASYARAKAT", "holder": "alpha", "budget": _budget(1e4)},
         {"id": "apbd", "source": "APBD_KAB", "holder": "alpha", "budget": _budget(1e9)},
         {"id": "dak_huge", "source": "DAK", "holder": "alpha", "budget": _budget(1e14)}],
        [_construction("tangki", "individual", 250, 100, ["CSR", "MASYARAKAT"], priority=5),
         _construction("ipal", "komunal", 1e14 / 3, 5, ["DAK", "CSR"], priority=2,
                       serves={"akses_layak": 1000}),
         _construction("sedang", "komunal", 5e8, 10, ["APBD_KAB"], priority=3)])
    result = api.solve_file(_write(data, tmp_path / "mixed.yaml"))
    assert result.solution.is_optimal, result.solution.notes
    assert result.manifest["plan_check"] == {"passed": True, "count": 0, "violations": []}
    delivered = result.tables.programs.set_index("program")["units_delivered"]
    assert delivered["tangki"] == pytest.approx(15, rel=1e-6)
    assert delivered["ipal"] == pytest.approx(5, rel=1e-6)
    assert delivered["sedang"] == pytest.approx(6, rel=1e-6)
    pools = result.tables.pools
    assert (pools["used"] <= pools["budget"] * (1 + 1e-9)).all()
    csr = pools[pools["pool"] == "csr_tiny"]
    np.testing.assert_allclose(csr["used"], csr["budget"], rtol=1e-6)
    capex = result.tables.allocations
    community = capex[(capex["pool"] == "masyarakat") & (capex["purpose"] == "capex")]
    np.testing.assert_allclose(community["amount"], 250.0, rtol=1e-6)  # 20% of 1,250 a year


def test_rp1_juta_beside_rp100_triliun_keeps_every_budget_row(tmp_path: Path) -> None:
    """Pools from Rp 1 juta (CSR) to Rp 100 triliun (DAK) in rupiah: optimal, plan check passed,
    every budget row within 1e-9 relative, and no dust. By hand: ``tangki`` (Rp 250,000, CSR only)
    buys 4 units a year from CSR's Rp 1 juta, 12 in all; ``ipal`` (Rp 3.33e13, DAK only) all 5."""
    from invariants import check_run_folder

    data = _scenario(
        [{"id": "csr_juta", "source": "CSR", "holder": "alpha", "budget": _budget(1e6)},
         {"id": "dak_huge", "source": "DAK", "holder": "alpha", "budget": _budget(1e14)}],
        [_construction("tangki", "individual", 2.5e5, 100, ["CSR"], priority=5),
         _construction("ipal", "komunal", 1e14 / 3, 5, ["DAK"], priority=2, serves={"akses_layak": 1000})])
    result = api.solve_file(_write(data, tmp_path / "juta_triliun.yaml"), output=tmp_path / "run")
    assert result.solution.is_optimal, result.solution.notes
    assert result.manifest["plan_check"] == {"passed": True, "count": 0, "violations": []}
    assert check_run_folder(tmp_path / "run") == []
    pools = result.tables.pools
    assert (pools["used"] <= pools["budget"] * (1 + 1e-9)).all()
    money = result.tables.allocations.groupby(["pool", "year"])["amount"].sum()
    for row in pools.itertuples(index=False):
        used = float(money.get((row.pool, row.year), 0.0))
        assert abs(used - row.used) <= 1e-9 * row.budget
        assert used <= row.budget * (1 + 1e-9)
    csr = pools[pools["pool"] == "csr_juta"]
    np.testing.assert_allclose(csr["used"], csr["budget"], rtol=1e-9)
    delivered = result.tables.programs.set_index("program")["units_delivered"]
    assert delivered["tangki"] == pytest.approx(12, rel=1e-9)
    assert delivered["ipal"] == pytest.approx(5, rel=1e-9)
