"""The invariant checker catches what it claims to: each test breaks one rule in a sound run folder.

A checker that always returns ``[]`` would pass every property test; these tests make sure each
family of checks can fail, and names the rule it found broken.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from invariants import check_run_folder
from mutation import Mutation, mutated_folder

from ssk_optimize.api import solve_file
from ssk_optimize.scenario import load_scenario
from ssk_optimize.scenario.eligibility import eligible_pairs

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny"



@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Sound run folders: lamandau (every rule at work) and three tiny cases."""
    base = tmp_path_factory.mktemp("sound")
    folders = {"lamandau": solve_file(ROOT / "scenarios" / "lamandau.yaml",
                                      output=base / "lamandau").folder}
    for name in ("dak_matching", "dak_supporting_cap", "per_region_csr", "whole_unit"):
        folders[name] = solve_file(TINY / f"{name}.yaml", output=base / name).folder
    assert all(folder is not None for folder in folders.values())
    return folders  # type: ignore[return-value]


def mutated(runs: dict[str, Path], name: str, tmp_path: Path, change: Mutation) -> list[str]:
    """Copy a sound folder, apply ``change`` to its tables, return the checker's messages."""
    return mutated_folder(runs[name], tmp_path / name, change)


def checks(messages: list[str]) -> set[str]:
    return {message.split(":", 1)[0] for message in messages}


def _rows(frame: pd.DataFrame, **where: object) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    assert mask.any(), f"no row with {where}"
    return mask


def _move(alloc: pd.DataFrame, amount: float, src: dict[str, object],
          dst: dict[str, object]) -> None:
    """Move money between two existing rows (totals per programme-year unchanged)."""
    alloc.loc[_rows(alloc, **src), "amount"] -= amount
    alloc.loc[_rows(alloc, **dst), "amount"] += amount


@pytest.mark.parametrize("name", ["lamandau", "dak_matching", "dak_supporting_cap",
                                  "per_region_csr", "whole_unit"])
def test_sound_folders_pass(runs: dict[str, Path], name: str, tmp_path: Path) -> None:
    """The unchanged copies pass, so every failure below comes from its mutation."""
    assert mutated(runs, name, tmp_path, lambda tables: None) == []


def _first(frame: pd.DataFrame, mask: pd.Series, what: str) -> int:
    """Index of the first row under ``mask`` (the mutations pick rows from whatever was solved)."""
    if not mask.any():
        pytest.fail(f"the sound run has no {what}")
    return int(frame.index[mask][0])


def test_overspent_pool(runs: dict[str, Path], tmp_path: Path) -> None:
    def change(t: dict[str, pd.DataFrame]) -> None:
        pools = t["pools"]
        row = _first(pools, pools["budget"] > 0, "pool-year with a budget")
        pools.loc[row, "used"] = pools.loc[row, "budget"] * 1.01
    assert {"overspent", "used"} <= checks(mutated(runs, "lamandau", tmp_path, change))


def test_allocations_must_add_up_to_used(runs: dict[str, Path], tmp_path: Path) -> None:
    def change(t: dict[str, pd.DataFrame]) -> None:
        alloc = t["allocations"]
        alloc.loc[_first(alloc, alloc["purpose"] == "capex", "capital row"), "amount"] *= 0.5
    assert "used" in checks(mutated(runs, "lamandau", tmp_path, change))


def test_money_on_a_forbidden_pair(runs: dict[str, Path], tmp_path: Path) -> None:
    """Move a capital row of a programme DAK may not fund (e.g. waste outside kumuh) to DAK."""
    scenario = load_scenario(runs["lamandau"] / "scenario.resolved.yaml").scenario
    pairs = eligible_pairs(scenario)
    dak_ok = set(pairs.loc[pairs["capex"] & (pairs["pool"] == "lmd_dak"), "program"])

    def change(t: dict[str, pd.DataFrame]) -> None:
        alloc = t["allocations"]
        mask = (alloc["purpose"] == "capex") & ~alloc["program"].isin(dak_ok)
        alloc.loc[_first(alloc, mask, "DAK-ineligible capital row"), ["pool", "source"]] = \
            ["lmd_dak", "DAK"]
    assert "eligibility" in checks(mutated(runs, "lamandau", tmp_path, change))


def test_baseline_om_from_a_dak_pool(runs: dict[str, Path], tmp_path: Path) -> None:
    def change(t: dict[str, pd.DataFrame]) -> None:
        alloc = t["allocations"]
        row = _first(alloc, alloc["purpose"] == "baseline_om", "baseline O&M row")
        alloc.loc[row, ["pool", "source"]] = ["lmd_dak", "DAK"]
    assert "baseline_om" in checks(mutated(runs, "lamandau", tmp_path, change))


def test_baseline_om_underpaid(runs: dict[str, Path], tmp_path: Path) -> None:
    def change(t: dict[str, pd.DataFrame]) -> None:
        alloc = t["allocations"]
        alloc.loc[alloc["purpose"] == "baseline_om", "amount"] *= 0.9
    assert "baseline_om" in checks(mutated(runs, "lamandau", tmp_path, change))


def test_capital_money_outside_the_years_window(runs: dict[str, Path], tmp_path: Path) -> None:
    """lmd_ded_iplt (locked, min_quantity 1) may only be funded in 2025-2026."""
    def change(t: dict[str, pd.DataFrame]) -> None:
        t["allocations"].loc[_rows(t["allocations"], program="lmd_ded_iplt"), "year"] = 2028
    assert "year_window" in checks(mutated(runs, "lamandau", tmp_path, change))


def test_om_not_funded(runs: dict[str, Path], tmp_path: Path) -> None:
    def change(t: dict[str, pd.DataFrame]) -> None:
        alloc = t["allocations"]
        t["allocations"] = alloc.drop(index=_first(alloc, alloc["purpose"] == "om", "O&M row"))
    assert "om" in checks(mutated(runs, "lamandau", tmp_path, change))


def test_readiness_broken(runs: dict[str, Path], tmp_path: Path) -> None:
    """Pay a funded programme's prerequisites only in the programme's own first year."""
    scenario = load_scenario(runs["lamandau"] / "scenario.resolved.yaml").scenario

    def change(t: dict[str, pd.DataFrame]) -> None:
        alloc = t["allocations"]
        capex = alloc[alloc["purpose"] == "capex"]
        for program in scenario.programs:
            mine = capex[capex["program"] == program.id]
            if not program.requires or mine.empty:
                continue
            first = int(mine["year"].min())
            for needed in program.requires:
                alloc.loc[_rows(alloc, program=needed), "year"] = max(first, 2026)
            alloc.loc[mine.index, "year"] = max(first, 2026)
            return
        pytest.fail("no funded programme with prerequisites")
    assert "readiness" in checks(mutated(runs, "lamandau", tmp_path, change))


def test_locked_money_moved_away(runs: dict[str, Path], tmp_path: Path) -> None:
    """lmd_ts_desa_bulik has 1020 locked on lmd_dak in 2025; move 500 of it to another year."""
    def change(t: dict[str, pd.DataFrame]) -> None:
        alloc = t["allocations"]
        locked = _rows(alloc, program="lmd_ts_desa_bulik", pool="lmd_dak", year=2025)
        other = _rows(alloc, program="lmd_ts_desa_bulik", purpose="capex") & (alloc["year"] != 2025)
        alloc.loc[locked, "amount"] -= 500.0
        alloc.loc[alloc.index[other][0], "amount"] += 500.0
    assert "locked" in checks(mutated(runs, "lamandau", tmp_path, change))


def test_masyarakat_share_exceeded(runs: dict[str, Path], tmp_path: Path) -> None:
    """Move capital money of one programme-year onto its MASYARAKAT row until that row holds
    more than 20% (the default share) of the programme-year's capital."""
    def change(t: dict[str, pd.DataFrame]) -> None:
        alloc = t["allocations"]
        capex = alloc[alloc["purpose"] == "capex"]
        for _, group in capex.groupby(["program", "year"]):
            community = group[group["source"] == "MASYARAKAT"]
            others = group[group["source"] != "MASYARAKAT"]
            total = group["amount"].sum()
            if community.empty or others.empty or others["amount"].max() < 0.3 * total:
                continue
            donor = others["amount"].idxmax()
            alloc.loc[donor, "amount"] -= 0.3 * total
            alloc.loc[community.index[0], "amount"] += 0.3 * total
            return
        pytest.fail("no programme-year with masyarakat money and another source")
    assert "masyarakat_share" in checks(mutated(runs, "lamandau", tmp_path, change))


def test_matching_missing(runs: dict[str, Path], tmp_path: Path) -> None:
    def change(t: dict[str, pd.DataFrame]) -> None:
        _move(t["allocations"], 4.0, dict(pool="apbd"), dict(pool="dak"))
    assert "matching" in checks(mutated(runs, "dak_matching", tmp_path, change))


def test_dak_supporting_cap_exceeded(runs: dict[str, Path], tmp_path: Path) -> None:
    def change(t: dict[str, pd.DataFrame]) -> None:
        _move(t["allocations"], 10.0, dict(program="tangki"), dict(program="pengawasan"))
    assert "dak_supporting" in checks(mutated(runs, "dak_supporting_cap", tmp_path, change))


def test_per_region_ceiling_exceeded(runs: dict[str, Path], tmp_path: Path) -> None:
    def change(t: dict[str, pd.DataFrame]) -> None:
        _move(t["allocations"], 10.0, dict(program="tangki_beta"), dict(program="tangki_alpha"))
    assert "per_region" in checks(mutated(runs, "per_region_csr", tmp_path, change))


def test_fractional_whole_units(runs: dict[str, Path], tmp_path: Path) -> None:
    def change(t: dict[str, pd.DataFrame]) -> None:
        t["allocations"].loc[_rows(t["allocations"], year=2026), "amount"] = 10.0
        programs = t["programs"]
        programs["units_delivered"] = 0.8
        programs["funded"] = 160.0
        programs["funded_share"] = 0.4
    assert "whole_units" in checks(mutated(runs, "whole_unit", tmp_path, change))


@pytest.mark.parametrize(("column", "value", "check"), [
    ("units_delivered", 1e9, "quantity"),
    ("need", -1.0, "need"),
    ("gap", 123.0, "gap"),
    ("funded", 1.0, "funded"),
    ("funded_share", 0.5, "funded_share"),
    ("om_funded", 1e6, "om_funded"),
    ("om_after_horizon", 1e6, "om_after_horizon"),
    ("limiting_reason", "budget_cut", "reason"),
])
def test_programme_row_arithmetic(runs: dict[str, Path], tmp_path: Path, column: str,
                                  value: object, check: str) -> None:
    def change(t: dict[str, pd.DataFrame]) -> None:
        t["programs"].loc[_rows(t["programs"], program="lmd_ts_desa_bulik"), column] = value
    assert check in checks(mutated(runs, "lamandau", tmp_path, change))


def test_min_quantity_not_delivered(runs: dict[str, Path], tmp_path: Path) -> None:
    """lmd_monev_ssk commits 5 units (60 each); report 4 and the money for 4."""
    def change(t: dict[str, pd.DataFrame]) -> None:
        alloc = t["allocations"]
        alloc.loc[_rows(alloc, program="lmd_monev_ssk"), "amount"] *= 0.8
        programs = t["programs"]
        mask = _rows(programs, program="lmd_monev_ssk")
        programs.loc[mask, ["units_delivered", "funded", "funded_share"]] = [4.0, 240.0, 0.8]
    assert "min_quantity" in checks(mutated(runs, "lamandau", tmp_path, change))


def test_waiting_list_flag_must_follow_the_share(runs: dict[str, Path], tmp_path: Path) -> None:
    def change(t: dict[str, pd.DataFrame]) -> None:
        t["programs"]["waiting_list"] = ~t["programs"]["waiting_list"]
    assert "waiting_list" in checks(mutated(runs, "lamandau", tmp_path, change))


def test_waiting_programme_cannot_be_fully_funded(runs: dict[str, Path], tmp_path: Path) -> None:
    def change(t: dict[str, pd.DataFrame]) -> None:
        programs = t["programs"]
        programs.loc[_first(programs, programs["waiting_list"], "waiting programme"),
                     "limiting_reason"] = "fully_funded"
    assert "reason" in checks(mutated(runs, "lamandau", tmp_path, change))


@pytest.mark.parametrize(("column", "factor", "check"), [
    ("covered", 1.01, "covered"),
    ("households", 1.01, "households"),
    ("share", 1.01, "share"),
    ("target_households", 1.01, "target"),
])
def test_coverage_arithmetic(runs: dict[str, Path], tmp_path: Path, column: str, factor: float,
                             check: str) -> None:
    def change(t: dict[str, pd.DataFrame]) -> None:
        t["coverage"][column] = t["coverage"][column] * factor
    assert check in checks(mutated(runs, "lamandau", tmp_path, change))


def test_shortfall_must_be_target_minus_covered(runs: dict[str, Path], tmp_path: Path) -> None:
    def change(t: dict[str, pd.DataFrame]) -> None:
        coverage = t["coverage"]
        coverage.loc[coverage["target_share"].notna(), "shortfall"] += 50.0
    assert "shortfall" in checks(mutated(runs, "lamandau", tmp_path, change))


@pytest.mark.parametrize("table", ["allocations", "programs", "pools", "coverage"])
def test_rows_sorted_by_key(runs: dict[str, Path], tmp_path: Path, table: str) -> None:
    def change(t: dict[str, pd.DataFrame]) -> None:
        t[table] = t[table].iloc[::-1].reset_index(drop=True)
    assert "sorted" in checks(mutated(runs, "lamandau", tmp_path, change))


def test_column_names_are_the_spec(runs: dict[str, Path], tmp_path: Path) -> None:
    def change(t: dict[str, pd.DataFrame]) -> None:
        t["pools"] = t["pools"].rename(columns={"unused": "left"})
    assert checks(mutated(runs, "lamandau", tmp_path, change)) == {"columns"}


def test_missing_file(runs: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(runs["lamandau"], folder)
    (folder / "coverage.parquet").unlink()
    assert checks(check_run_folder(folder)) == {"files"}


def _dusty_amount(t: dict[str, pd.DataFrame]) -> None:
    """A capital row worth 1e-12 of its programme's cost: money only the solver's tolerance made."""
    alloc = t["allocations"]
    row = alloc.loc[_first(alloc, alloc["purpose"] == "capex", "capital row")].copy()
    row["amount"] = 1e-12 * row["amount"]
    t["allocations"] = pd.concat([alloc, row.to_frame().T.astype(alloc.dtypes)]).sort_values(
        ["program", "pool", "year", "purpose", "region"]).reset_index(drop=True)
    t["allocations"] = t["allocations"].drop_duplicates(
        ["program", "pool", "year", "purpose", "region"], keep="last").reset_index(drop=True)


def _dusty_share(t: dict[str, pd.DataFrame]) -> None:
    """A fully delivered programme shown as 1 - 2e-7 of its quantity (9.999998 of 10 units)."""
    programs = t["programs"]
    row = _first(programs, programs["funded_share"] == 1.0, "fully delivered programme")
    programs.loc[row, "units_delivered"] *= 1 - 2e-7
    programs.loc[row, "funded_share"] *= 1 - 2e-7


def _dusty_unused(t: dict[str, pd.DataFrame]) -> None:
    pools = t["pools"]
    row = _first(pools, (pools["unused"] == 0.0) & (pools["budget"] > 0), "pool-year used up")
    pools.loc[row, "unused"] = 1e-12 * pools.loc[row, "budget"]


def _negative_zero(t: dict[str, pd.DataFrame]) -> None:
    pools = t["pools"]
    pools.loc[_first(pools, pools["unused"] == 0.0, "pool-year used up"), "unused"] = -0.0


@pytest.mark.parametrize("change", [_dusty_amount, _dusty_share, _dusty_unused, _negative_zero],
                         ids=["amount", "share", "unused", "negative_zero"])
def test_dust_is_found(runs: dict[str, Path], tmp_path: Path, change: Mutation) -> None:
    """Each kind of tolerance dust fails the 'no dust' check (and the clean folder passes it)."""
    assert "no_dust" not in checks(mutated(runs, "lamandau", tmp_path / "clean", lambda t: None))
    assert "no_dust" in checks(mutated(runs, "lamandau", tmp_path, change))
