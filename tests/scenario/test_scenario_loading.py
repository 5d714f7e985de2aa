"""Reading scenario files: deep merge, ``extends`` (paths, lists, cycles), tables, YAML details."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ssk_optimize.errors import ScenarioError
from ssk_optimize.scenario import load_scenario
from ssk_optimize.scenario.loading import load_merged, merge_into
from ssk_optimize.scenario.yamlio import parse_yaml_text

DATA = Path(__file__).resolve().parents[1] / "data"
TINY = DATA / "valid" / "tiny.yaml"
TABLES = DATA / "tables"
Write = Callable[[str, str], Path]  # the `write` fixture of tests/scenario/conftest.py


def _error(path: Path, overrides: tuple[str, ...] = ()) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides)
    return "\n".join(issue.render() for issue in caught.value.issues)


# --------------------------------------------------------------------------- deep merge


def test_merge_overrides_scalars_and_merges_mappings_key_by_key() -> None:
    base: dict[str, Any] = {"a": 1, "m": {"x": 1, "y": {"deep": 1, "keep": 2}}, "plain": [1, 2]}
    merge_into(base, {"a": 2, "m": {"y": {"deep": 9}, "z": 3}, "plain": [3]}, {}, {})
    assert base == {"a": 2, "m": {"x": 1, "y": {"deep": 9, "keep": 2}, "z": 3}, "plain": [3]}


def test_lists_of_mappings_merge_by_id_in_order() -> None:
    base: dict[str, Any] = {"programs": [{"id": "a", "q": 1, "tags": ["x"]}, {"id": "b", "q": 2}]}
    over = {"programs": [{"id": "c", "q": 3}, {"id": "a", "q": 10, "tags": ["y"]}]}
    merge_into(base, over, {}, {})
    assert base["programs"] == [{"id": "a", "q": 10, "tags": ["y"]}, {"id": "b", "q": 2},
                                {"id": "c", "q": 3}]


def test_lists_without_ids_are_replaced_and_nothing_is_shared() -> None:
    over: dict[str, Any] = {"matching": [{"source": "DAK", "share": 0.1}], "m": {"inner": [1]}}
    base: dict[str, Any] = {"matching": [{"source": "CSR", "share": 0.5}]}
    merge_into(base, over, {}, {})
    assert base["matching"] == [{"source": "DAK", "share": 0.1}]
    base["m"]["inner"].append(2)
    assert over["m"]["inner"] == [1], "merged values are copies"


def test_merge_into_does_not_touch_the_base_items_it_copies() -> None:
    parent = {"programs": [{"id": "a", "serves": {"k": 1}}]}
    merged = copy.deepcopy(parent)
    merge_into(merged, {"programs": [{"id": "a", "serves": {"k": 2}}]}, {}, {})
    assert parent["programs"][0]["serves"] == {"k": 1}
    assert merged["programs"][0]["serves"] == {"k": 2}


# --------------------------------------------------------------------------- extends


def test_extends_paths_resolve_from_the_file_that_names_them(
        write: Write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """base/ holds the tiny scenario, its programme table and a rule table; the variant lives in
    another folder and is loaded from a third one: every relative path starts at its own file."""
    for name in ("programs.csv", "pools.csv"):
        write(f"base/{name}", (TABLES / name).read_text(encoding="utf-8"))
    tables = (TABLES / "tiny_tables.yaml").read_text(encoding="utf-8")
    write("base/scenario.yaml", tables.replace(
        "money_unit: juta\n", "money_unit: juta\nrules: {file: rules/custom.yaml}\n"))
    write("base/rules/custom.yaml", """
        eligibility:
          DAK: {kinds: [construction], scales: [komunal], subsectors: {air_limbah: []}}
          APBD_KAB:
            kinds: [construction, study, promotion, om]
            scales: [individual, komunal, desa]
            subsectors: {air_limbah: [], higiene: []}
          DANA_DESA: {kinds: [promotion], scales: [desa], subsectors: {higiene: []}}
        """)
    variant = write("variants/cut.yaml", """
        extends: ../base/scenario.yaml
        scenario: tiny-cut
        """)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    loaded = load_scenario(Path("..") / "variants" / "cut.yaml")
    assert loaded.scenario.scenario == "tiny-cut"
    assert [p.id for p in loaded.scenario.programs] == ["ded_ipal", "ipal", "tangki", "stbm"]
    assert sorted(loaded.scenario.rules.eligibility) == ["APBD_KAB", "DAK", "DANA_DESA"]
    assert loaded.scenario.rules.eligibility["DAK"].scales == ("komunal",)
    assert [f.name for f in loaded.files] == ["cut.yaml", "scenario.yaml"]
    assert variant.resolve() == loaded.files[0]


def test_extends_a_list_later_files_win_and_the_naming_file_wins_last(write: Write) -> None:
    write("base.yaml", TINY.read_text(encoding="utf-8"))
    write("dak_cut.yaml", """
        pools:
          - id: dak_alpha
            budget: {2026: 50, 2027: 10}
        description: from dak_cut
        """)
    write("more_tanks.yaml", """
        pools:
          - id: dak_alpha
            budget: {2027: 20}
        programs:
          - id: tangki
            quantity: 300
        description: from more_tanks
        """)
    top = write("top.yaml", """
        extends: [base.yaml, dak_cut.yaml, more_tanks.yaml]
        scenario: combined
        programs:
          - id: tangki
            priority: 5
        """)
    scenario = load_scenario(top).scenario
    dak = {p.id: p for p in scenario.pools}["dak_alpha"]
    assert dak.budget == {2025: 100, 2026: 50, 2027: 20}
    tangki = {p.id: p for p in scenario.programs}["tangki"]
    assert (tangki.quantity, tangki.priority, tangki.min_quantity) == (300, 5, 10)
    assert scenario.description == "from more_tanks"
    assert scenario.scenario == "combined"


def test_a_diamond_is_not_a_cycle(write: Write) -> None:
    write("root.yaml", TINY.read_text(encoding="utf-8"))
    write("left.yaml", "extends: root.yaml\nhorizon: [2025, 2028]\n")
    write("right.yaml", "extends: root.yaml\nmoney_unit: miliar\n")
    top = write("top.yaml", "extends: [left.yaml, right.yaml]\nscenario: diamond\n")
    loaded = load_scenario(top)
    assert (loaded.scenario.scenario, loaded.scenario.money_unit) == ("diamond", "miliar")
    # each parent is resolved whole, then merged in order: right (with root's horizon) wins
    assert loaded.scenario.horizon == (2025, 2027)
    assert [f.name for f in loaded.files].count("root.yaml") == 2


def test_a_self_extending_file_is_a_cycle(write: Write) -> None:
    path = write("self.yaml", "extends: self.yaml\nscenario: x\n")
    assert "extends cycle: self.yaml -> self.yaml" in _error(path).replace(str(path.parent) + "/", "")


def test_problems_point_at_the_file_that_wrote_the_value(write: Write) -> None:
    write("base.yaml", TINY.read_text(encoding="utf-8").replace(
        "    priority: 4\n", "    priority: 9\n"))          # line 62 of the base
    child = write("child.yaml", """
        extends: base.yaml
        programs:
          - id: stbm
            om_rate: 2
        """)                                              # line 4 of the child
    text = _error(child)
    assert "programs.tangki.priority (" in text and "base.yaml:62)" in text
    assert "programs.stbm.om_rate (" in text and "child.yaml:4)" in text


def test_a_repeated_id_in_a_variant_is_reported_not_merged(write: Write) -> None:
    write("base.yaml", TINY.read_text(encoding="utf-8"))
    child = write("child.yaml", """
        extends: base.yaml
        programs:
          - id: tangki
            quantity: 50
          - id: tangki
            quantity: 70
        """)
    assert "duplicate id 'tangki' in programs" in _error(child)


# --------------------------------------------------------------------------- tables


def test_csv_tables_give_the_same_scenario_as_inline_yaml() -> None:
    tables = load_scenario(TABLES / "tiny_tables.yaml")
    inline = load_scenario(TINY)
    assert tables.scenario == inline.scenario
    assert tables.sha256 == inline.sha256


def test_parquet_tables_give_the_same_scenario_as_inline_yaml(tmp_path: Path) -> None:
    numeric = {"unit_cost", "quantity", "min_quantity", "priority", "om_rate", "growth"}
    for name in ("programs", "pools"):
        frame = pd.read_csv(TABLES / f"{name}.csv", dtype=object, keep_default_na=False)
        frame = frame.replace("", None)
        for column in frame.columns:
            values = frame[column].dropna()
            if column in numeric and not values.str.startswith("{").any():
                frame[column] = pd.to_numeric(frame[column])
        if "divisible" in frame:
            frame["divisible"] = frame["divisible"].map({"false": False, "true": True})
        frame.to_parquet(tmp_path / f"{name}.parquet", index=False)
    text = (TABLES / "tiny_tables.yaml").read_text(encoding="utf-8").replace(".csv", ".parquet")
    (tmp_path / "scenario.yaml").write_text(text, encoding="utf-8")
    assert pd.read_parquet(tmp_path / "programs.parquet")["quantity"].dtype.kind in "if"
    assert load_scenario(tmp_path / "scenario.yaml").scenario == load_scenario(TINY).scenario


def test_table_problems_point_at_the_csv_row(write: Write) -> None:
    csv = (TABLES / "programs.csv").read_text(encoding="utf-8").replace(
        "tangki,alpha,air_limbah,construction,individual", "tangki,alpha,air_limbah,bangun,individual")
    write("programs.csv", csv)
    write("pools.csv", (TABLES / "pools.csv").read_text(encoding="utf-8"))
    scenario = write("scenario.yaml", (TABLES / "tiny_tables.yaml").read_text(encoding="utf-8"))
    text = _error(scenario)
    assert "programs.tangki.kind (" in text and "programs.csv:4)" in text  # header is line 1
    assert "'bangun' is not one of" in text


def test_table_text_columns_stay_text(write: Write) -> None:
    """An id such as 001 or a budget code such as 1.03 must not turn into a number."""
    csv = (TABLES / "programs.csv").read_text(encoding="utf-8")
    csv = csv.replace("\nstbm,", "\n001,").replace("locked\n", "locked,code\n", 1)
    lines = csv.splitlines()
    lines[-1] += ",1.03"
    write("programs.csv", "\n".join(lines) + "\n")
    write("pools.csv", (TABLES / "pools.csv").read_text(encoding="utf-8"))
    path = write("scenario.yaml", (TABLES / "tiny_tables.yaml").read_text(encoding="utf-8"))
    program = load_scenario(path).scenario.programs[-1]
    assert (program.id, program.code) == ("001", "1.03")


@pytest.mark.parametrize(("section", "message"), [
    ("programs: {table: programs.xlsx}", "unsupported table format '.xlsx'"),
    ("programs: {table: programs.csv, sheet: 1}", "a table section takes one key"),
])
def test_bad_table_sections(write: Write, section: str, message: str) -> None:
    write("programs.xlsx", "not really excel\n")
    write("programs.csv", (TABLES / "programs.csv").read_text(encoding="utf-8"))
    text = TINY.read_text(encoding="utf-8").split("programs:\n")[0] + section + "\n"
    assert message in _error(write("scenario.yaml", text))


def test_a_cell_that_is_not_json_is_reported(write: Write) -> None:
    csv = (TABLES / "programs.csv").read_text(encoding="utf-8").replace(
        '"{""akses_layak"": 1}"', '"{akses_layak: 1}"')
    write("programs.csv", csv)
    write("pools.csv", (TABLES / "pools.csv").read_text(encoding="utf-8"))
    path = write("scenario.yaml", (TABLES / "tiny_tables.yaml").read_text(encoding="utf-8"))
    assert "is not valid JSON" in _error(path)


# --------------------------------------------------------------------------- YAML details


def test_aliases_and_merge_keys_expand_like_written_values(write: Write) -> None:
    text = TINY.read_text(encoding="utf-8")
    text = text.replace("budget: {2025: 50, 2026: 50, 2027: 50}", "budget: *dak_budget")
    text = text.replace("budget: {2025: 100, 2026: 100, 2027: 120}",
                        "budget: &dak_budget {2025: 100, 2026: 100, 2027: 120}")
    text = text.replace("  - id: stbm\n    region: alpha\n    subsector: higiene\n",
                        "  - id: stbm\n    <<: {region: alpha, subsector: higiene}\n")
    scenario = load_scenario(write("aliases.yaml", text)).scenario
    pools = {p.id: p for p in scenario.pools}
    assert pools["dd_alpha"].budget == pools["dak_alpha"].budget == {2025: 100, 2026: 100,
                                                                     2027: 120}
    assert (scenario.programs[-1].region, scenario.programs[-1].subsector) == ("alpha", "higiene")


def test_locations_record_file_line_and_column() -> None:
    data, locations = parse_yaml_text("a: 1\nlist:\n  - id: x\n    v: [1, 2]\n", "f.yaml")
    assert data == {"a": 1, "list": [{"id": "x", "v": [1, 2]}]}
    assert locations[("a",)] == ("f.yaml", 1, 1)
    assert locations[("list", "x")] == ("f.yaml", 3, 5)
    assert locations[("list", "x", "v")] == ("f.yaml", 4, 5)


def test_merged_locations_follow_the_winning_file(write: Write) -> None:
    write("base.yaml", TINY.read_text(encoding="utf-8"))
    child = write("child.yaml", "extends: base.yaml\nprograms:\n  - id: tangki\n    quantity: 5\n")
    _, locations, files = load_merged(child)
    assert locations[("programs", "tangki", "quantity")][1:] == (4, 5)
    assert locations[("programs", "tangki", "quantity")][0].endswith("child.yaml")
    assert locations[("programs", "tangki", "om_rate")][0].endswith("base.yaml")
    assert [f.name for f in files] == ["child.yaml", "base.yaml"]


def test_plain_values_come_out_as_plain_python_types() -> None:
    data, _ = parse_yaml_text("s: text\ni: 3\nf: 2.5\nb: true\nn: null\nq: '2025'\n", "f.yaml")
    assert data == {"s": "text", "i": 3, "f": 2.5, "b": True, "n": None, "q": "2025"}
    assert [type(data[k]) for k in "sifb"] == [str, int, float, bool]
    json.dumps(data)  # nothing YAML-library-specific is left inside
