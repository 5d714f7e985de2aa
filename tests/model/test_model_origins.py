"""Row origins: every LP row and scenario-set column bound maps to its rule, ids and YAML line."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ssk_optimize import api
from ssk_optimize.model import builder
from ssk_optimize.model.formulation import build_model
from ssk_optimize.model.origins import ENTITY_OF_FAMILY, ROW_RULES, column_bounds
from ssk_optimize.scenario import LoadedScenario, load_scenario

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))
TINY = sorted((ROOT / "tests" / "data" / "tiny").glob("*.yaml"))
#: Families whose rows are per year (their keys carry ``t``).
YEARLY = {"cost", "completion", "max_years", "max_per_year", "capex_growth", "pool_budget",
          "readiness", "om_obligation", "baseline_om", "matching", "masyarakat_share",
          "dak_supporting", "per_region", "coverage", "recipients", "pool_open", "pool_requires",
          "desa_share"}


def _loaded(path: Path) -> tuple[LoadedScenario, pd.DataFrame]:
    loaded = load_scenario(path)
    model = build_model(loaded.scenario)
    return loaded, api.origins(loaded, model)


def _line_of(where: str) -> tuple[str, int]:
    file, _, line = where.rpartition(":")
    return file, int(line)


@pytest.fixture(scope="module")
def corpus() -> dict[Path, tuple[LoadedScenario, pd.DataFrame]]:
    return {path: _loaded(path) for path in EXAMPLES + TINY}


def test_every_row_has_a_family_rule_ids_and_a_location(
        corpus: dict[Path, tuple[LoadedScenario, pd.DataFrame]]) -> None:
    seen: set[str] = set()
    for path, (loaded, table) in corpus.items():
        model = build_model(loaded.scenario)
        rows = table[table["kind"] == "row"]
        assert rows["index"].tolist() == list(range(model.lp.n_rows)), path
        assert (rows["name"].to_numpy() == model.lp.row_names).all()
        assert (rows["family"].to_numpy() == model.lp.row_families).all()
        assert rows["rule"].notna().all()
        assert (rows["rule"] == rows["family"].map(lambda f: ROW_RULES[f].rule)).all()
        seen |= set(rows["family"])
        s = loaded.scenario
        ids = {"program": {p.id for p in s.programs}, "pool": {b.id for b in s.pools},
               "region": {r.id for r in s.regions}}
        for family, group in rows.groupby("family"):
            entity = ENTITY_OF_FAMILY[str(family)]
            assert group[entity].isin(ids[entity]).all(), (path, family)
            # the ids are the ones the row is named after
            inside = group["name"].str.extract(r"\[(.*)\]")[0].str.split(",")
            assert all(i in parts for i, parts in zip(group[entity], inside, strict=True)), family
            if family in YEARLY:
                assert group["year"].notna().all(), family
                assert all(str(y) in parts for y, parts in zip(group["year"], inside, strict=True))
        shown = {str(f.name) for f in loaded.files}
        for where in table["where"]:
            file = where.rpartition(":")[0] if re.search(r":\d+$", where) else where
            assert Path(file).name in shown, (path, where)
        # a value the file writes is found at its own line
        located = table[table["rule"].isin(["pools.budget", "programs.locked"])]
        assert located["where"].str.match(r".+:\d+$").all(), path
    assert seen == set(ROW_RULES), set(ROW_RULES) - seen


def test_lamandau_budget_row_and_locked_column_point_at_their_yaml_lines(
        corpus: dict[Path, tuple[LoadedScenario, pd.DataFrame]]) -> None:
    _, table = corpus[ROOT / "scenarios" / "lamandau.yaml"]
    text = (ROOT / "scenarios" / "lamandau.yaml").read_text().splitlines()
    row = table[table["name"] == "pool_budget[lmd_dak,2027]"].iloc[0]
    assert (row["rule"], row["pool"], row["year"]) == ("pools.budget", "lmd_dak", 2027)
    assert row["path"] == ("pools", "lmd_dak", "budget", 2027)
    file, line = _line_of(row["where"])
    assert Path(file).name == "lamandau.yaml"
    # the 2027 figure's own key (the budget is a one-line mapping, so its line)
    assert "2027: 5400" in text[line - 1] and "budget" in text[line - 1]
    # a pool projected from a base year is located at its `base`
    projected = table[table["name"] == "pool_budget[lmd_apbd,2027]"].iloc[0]
    assert projected["path"] == ("pools", "lmd_apbd", "base")
    assert "base: {year: 2024" in text[_line_of(projected["where"])[1] - 1]
    locked = table[(table["kind"] == "column") & (table["rule"] == "programs.locked")]
    assert set(locked["name"]) == {"fund[lmd_ts_desa_bulik,lmd_dak,2025]",
                                   "fund[lmd_ded_iplt,lmd_apbd,2025]"}
    for _, column in locked.iterrows():
        file, line = _line_of(column["where"])
        assert "locked" in text[line - 1] and column["pool"] in text[line - 1]
        assert column["bound"] == "lower" and column["year"] == 2025


def test_extends_and_set_override_are_located_where_the_value_was_set() -> None:
    loaded = load_scenario(ROOT / "scenarios" / "lamandau-dak-cut.yaml",
                           ("pools.lmd_dak.budget.2028=3000",))
    table = api.origins(loaded, build_model(loaded.scenario)).set_index("name")
    file, line = _line_of(table.loc["pool_budget[lmd_dak,2027]", "where"])
    assert Path(file).name == "lamandau-dak-cut.yaml"
    text = (ROOT / "scenarios" / "lamandau-dak-cut.yaml").read_text().splitlines()
    assert "2027: 3780" in text[line - 1]
    assert table.loc["pool_budget[lmd_dak,2028]", "where"] == "--set pools.lmd_dak.budget.2028=3000"
    # the parent's values stay located in the parent
    assert Path(_line_of(table.loc["pool_budget[lmd_csr,2027]", "where"])[0]).name == "lamandau.yaml"


def test_matching_rows_point_at_their_rule(
        corpus: dict[Path, tuple[LoadedScenario, pd.DataFrame]]) -> None:
    _, table = corpus[ROOT / "scenarios" / "katingan.yaml"]
    matching = table[table["family"] == "matching"]
    assert len(matching) > 0 and matching["program"].notna().all()
    assert set(matching["path"]) == {("rules", "matching", 0)}
    text = (ROOT / "scenarios" / "katingan.yaml").read_text().splitlines()
    assert set(matching["where"].map(lambda w: text[_line_of(w)[1] - 1].strip())) == {
        "matching: [{source: DAK, partners: [APBD_KAB], share: 0.10}]"}


def test_where_falls_back_to_the_nearest_located_parent() -> None:
    loaded = load_scenario(ROOT / "scenarios" / "lamandau.yaml")
    pool = loaded.where(("pools", "lmd_dak"))
    assert pool.endswith(":62")
    assert loaded.where(("pools", "lmd_dak", "per_region", "min")) == pool
    assert loaded.where(("pools", "lmd_dak", "budget", 2031)) == loaded.where(("pools", "lmd_dak", "budget"))
    assert loaded.where(("no_such_key",)).endswith("lamandau.yaml")  # the file, no line


def test_column_bounds_name_minimum_whole_units_and_hard_targets() -> None:
    loaded = load_scenario(ROOT / "tests" / "data" / "tiny" / "hard_targets_infeasible.yaml")
    model = build_model(loaded.scenario)
    bounds = column_bounds(model)
    hard = bounds[bounds["rule"] == "objective.hard_targets"]
    assert len(hard) == len(model.index.shortfall) > 0
    assert (hard["bound"] == "upper").all() and (model.lp.col_upper[hard["col"]] == 0).all()
    assert hard["region"].notna().all() and hard["year"].notna().all()
    # a minimum of 1.5 whole units is a lower bound of 2 on whole[plant], set on the command line
    loaded = load_scenario(ROOT / "tests" / "data" / "tiny" / "whole_unit.yaml",
                           ("programs.plant.min_quantity=1.5",))
    model = build_model(loaded.scenario)
    table = api.origins(loaded, model)
    whole = table[(table["kind"] == "column") & (table["rule"] == "programs.min_quantity")]
    assert whole["name"].tolist() == ["whole[plant]"]
    assert model.lp.col_lower[whole["index"].iloc[0]] == 2.0
    assert whole["path"].iloc[0] == ("programs", "plant", "min_quantity")
    assert whole["where"].iloc[0] == "--set programs.plant.min_quantity=1.5"
    assert "programs.min_quantity" not in set(column_bounds(build_model(
        load_scenario(ROOT / "tests" / "data" / "tiny" / "whole_unit.yaml").scenario))["rule"])


def test_stored_keys_leave_the_lp_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Built with the families' keys dropped, every example's LP is the same, bit for bit."""
    scenarios = [load_scenario(p).scenario for p in EXAMPLES]
    with_keys = [build_model(s).lp for s in scenarios]
    add_rows = builder.LpBuilder.add_rows

    def without_keys(self: builder.LpBuilder, *args: object, **kwargs: object) -> object:
        kwargs.pop("keys", None)
        return add_rows(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builder.LpBuilder, "add_rows", without_keys)
    for scenario, lp in zip(scenarios, with_keys, strict=True):
        plain = build_model(scenario).lp
        assert (plain.matrix != lp.matrix).nnz == 0
        for name in ("row_lower", "row_upper", "col_lower", "col_upper", "row_names", "col_names",
                     "integrality"):
            assert np.array_equal(getattr(plain, name), getattr(lp, name)), name
