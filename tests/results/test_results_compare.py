"""compare on the examples: lamandau against lamandau-dak-cut (issue 8, Done when 1)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from ssk_optimize.api import solve_file
from ssk_optimize.errors import UsageError
from ssk_optimize.results.compare import compare_runs
from ssk_optimize.results.compare_output import write_comparison
from ssk_optimize.results.reader import Run, read_run

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    folder = tmp_path_factory.mktemp("compare")
    out = {}
    for name in ("lamandau", "lamandau-dak-cut"):
        solve_file(SCENARIOS / f"{name}.yaml", output=folder / name)
        out[name] = read_run(folder / name)
    return out


def test_deltas_by_source_and_year_add_up_to_the_totals(runs: dict[str, Run]) -> None:
    c = compare_runs([runs["lamandau"], runs["lamandau-dak-cut"]])
    assert c.base == "lamandau" and c.by == ("source", "year")
    cut = c.money[c.money["run"] == "lamandau-dak-cut"]
    total_base = float(runs["lamandau"].tables.allocations["amount"].sum())
    total_cut = float(runs["lamandau-dak-cut"].tables.allocations["amount"].sum())
    assert cut["delta"].sum() == pytest.approx(total_cut - total_base, rel=1e-9)
    assert cut["amount"].sum() == pytest.approx(total_cut, rel=1e-12)
    dak = cut[cut["source"] == "DAK"].set_index("year")["delta"]
    assert dak.to_dict() == pytest.approx({2025: -1560, 2026: -1620, 2027: -1620, 2028: -1680,
                                           2029: -1680})  # the whole cut is spent in the base
    assert len(cut) == cut[["source", "year"]].drop_duplicates().shape[0]  # tidy: one row per key


def test_programmes_that_lose_money_or_their_place_are_named(runs: dict[str, Run]) -> None:
    c = compare_runs([runs["lamandau"], runs["lamandau-dak-cut"]])
    rows = c.programmes[c.programmes["run"] == "lamandau-dak-cut"].set_index("program")
    base = runs["lamandau"].tables.programs.set_index("program")
    cut = runs["lamandau-dak-cut"].tables.programs.set_index("program")
    onto = {p for p in base.index if not base.at[p, "waiting_list"] and cut.at[p, "waiting_list"]}
    assert set(rows.index[rows["change"] == "onto_waiting_list"]) == onto - set(
        rows.index[rows["change"] == "dropped"])
    lost = set(rows.index[rows["change"].isin(["dropped", "less", "onto_waiting_list"])])
    expected = {p for p in base.index if cut.at[p, "funded"] < base.at[p, "funded"] - 1e-6}
    assert lost == expected and lost
    gone = {p for p in base.index if base.at[p, "funded"] > 0 and cut.at[p, "funded"] == 0}
    assert all(rows.at[p, "change"] == "dropped" for p in gone)
    # With max_per_year, capex_growth and cost_growth in lamandau.yaml the cut falls on the
    # largest DAK programme, the Bulik septic tanks (13,487 -> 5,114 juta in the runs), and no
    # programme loses all of its money; "dropped" is checked on a doctored copy below.
    loss = base["funded"] - cut["funded"]
    assert loss.idxmax() == "lmd_ts_desa_bulik" and rows.at["lmd_ts_desa_bulik", "change"] == "less"
    assert loss.max() > 0.9 * 8160  # the DAK cut is 1,560 + 1,620 + 1,620 + 1,680 + 1,680


def test_a_programme_with_no_money_left_is_dropped(runs: dict[str, Run]) -> None:
    """A copy of the base run whose lmd_truk_sampah lost all its money: that row says dropped."""
    base = runs["lamandau"]
    programs = base.tables.programs.copy()
    at = programs["program"] == "lmd_truk_sampah"
    assert float(programs.loc[at, "funded"].iloc[0]) > 0  # the base funds it
    programs.loc[at, "funded"] = 0.0
    programs.loc[at, "waiting_list"] = True
    other = replace(base, folder=base.folder.parent / "no-truck",
                    tables=replace(base.tables, programs=programs))
    c = compare_runs([base, other])
    rows = c.programmes[c.programmes["run"] == "no-truck"].set_index("program")
    assert rows.at["lmd_truk_sampah", "change"] == "dropped"
    assert set(rows.index[rows["change"] != "same"]) == {"lmd_truk_sampah"}


def test_the_dak_budget_change_is_the_input_difference(runs: dict[str, Run]) -> None:
    c = compare_runs([runs["lamandau"], runs["lamandau-dak-cut"]])
    assert set(c.inputs["input"]) == {f"pools[lmd_dak].budget.{y}" for y in range(2025, 2030)}
    row = c.inputs.set_index("input").loc["pools[lmd_dak].budget.2025"]
    assert (float(row["base_value"]), float(row["value"])) == (5200.0, 3640.0)
    checks = c.price_checks.set_index("year")
    assert not checks["within_range"].any()  # a 30% cut lies far outside every price's range
    assert (checks["range_low"] < checks["base_budget"]).all()


def test_refusals(runs: dict[str, Run], tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="at least two"):
        compare_runs([runs["lamandau"]])
    with pytest.raises(UsageError, match="--base"):
        compare_runs([runs["lamandau"], runs["lamandau-dak-cut"]], base="nope")
    with pytest.raises(UsageError, match="--by"):
        compare_runs([runs["lamandau"], runs["lamandau-dak-cut"]], by=("colour",))
    c = compare_runs([runs["lamandau"], runs["lamandau-dak-cut"]])
    foreign = tmp_path / "mine.csv"
    foreign.write_text("my,own\n1,2\n")
    with pytest.raises(UsageError, match="not written by"):
        write_comparison(c, foreign)
    assert foreign.read_text() == "my,own\n1,2\n"
    ours = write_comparison(c, tmp_path / "c.parquet")
    write_comparison(c, ours)  # a comparison it wrote may be replaced
    assert pd.read_parquet(ours).shape[0] == len(c.money)


def test_another_money_unit_needs_align(runs: dict[str, Run]) -> None:
    """The same tables labelled miliar: refused as they are; with align, converted to juta."""
    base = runs["lamandau"]
    other = replace(base, folder=base.folder.parent / "other",
                    manifest=replace(base.manifest, money_unit="miliar"))
    with pytest.raises(UsageError, match="money units"):
        compare_runs([base, other])
    aligned = compare_runs([base, other], align=True)
    assert aligned.totals["money"].iloc[1] == pytest.approx(1000 * aligned.totals["money"].iloc[0])
