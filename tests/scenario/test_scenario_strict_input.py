"""Strict input: suspicious figures warn, tables locate their problems, nothing is dropped.

The refusals themselves (text numbers, keys with '-', malformed rules files, hostile structure,
bounds) are files in ``tests/data/invalid``; here are the behaviours a corpus file cannot show.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from ssk_optimize.errors import ScenarioError
from ssk_optimize.scenario import load_scenario
from ssk_optimize.scenario.magnitudes import reference_unit_costs

TINY = Path(__file__).resolve().parents[1] / "data" / "valid" / "tiny.yaml"
LAMANDAU = Path(__file__).resolve().parents[2] / "scenarios" / "lamandau.yaml"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = TINY.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "variant.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _at(text: str, path: str, where: str) -> bool:
    """``text`` is an issue at key ``path`` located at ``where`` (file name and line)."""
    return re.match(rf"{re.escape(path)} \((.*/)?{re.escape(where)}\): ", text) is not None


def _issues(path: Path, overrides: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides)
    return [issue.render() for issue in caught.value.issues if issue.severity == "error"]


def test_the_fixture_and_the_examples_raise_no_magnitude_warning() -> None:
    for path in (TINY, *sorted(LAMANDAU.parent.glob("*.yaml"))):
        warnings = [w.render() for w in load_scenario(path).warnings]
        assert not [w for w in warnings if "typed in rupiah" in w], (path, warnings)


def test_a_unit_cost_typed_in_rupiah_into_a_juta_scenario_warns(tmp_path: Path) -> None:
    # Rp 6.5 juta per septic tank typed as 6,500,000 in a juta scenario
    path = _variant(tmp_path, "unit_cost: 6.5", "unit_cost: 6500000")
    warnings = [w.render() for w in load_scenario(path).warnings]
    dearest, item = reference_unit_costs()[("air_limbah", "construction", "individual")]
    expected_times = f"{6500000 * 1e6 / dearest:,.0f}"
    assert [w for w in warnings if _at(w, "programs.tangki.unit_cost", "variant.yaml:59")
            and "6,500,000 juta" in w and f"{expected_times} times" in w and item in w
            and "money_unit is juta" in w], warnings


def test_the_same_cost_in_a_rupiah_scenario_does_not_warn(tmp_path: Path) -> None:
    path = _variant(tmp_path, "unit_cost: 6.5", "unit_cost: 6500000")
    scaled = path.read_text(encoding="utf-8").replace("money_unit: juta", "money_unit: rupiah")
    path.write_text(scaled, encoding="utf-8")
    warnings = [w.render() for w in load_scenario(path).warnings]
    assert not [w for w in warnings if "programs.tangki.unit_cost" in w], warnings


def test_a_budget_above_any_kabupaten_apbd_warns_and_names_the_value(tmp_path: Path) -> None:
    path = _variant(tmp_path, "budget: {2025: 100, 2026: 100", "budget: {2025: 40000000, 2026: 100")
    warnings = [w.render() for w in load_scenario(path).warnings]
    assert [w for w in warnings if _at(w, "pools.dak_alpha.budget.2025", "variant.yaml:22")
            and "40,000,000 juta" in w and "Rp 40 triliun" in w and "kab/kota APBD" in w], warnings


def test_a_budget_just_below_the_kabupaten_ceiling_does_not_warn(tmp_path: Path) -> None:
    path = _variant(tmp_path, "budget: {2025: 100, 2026: 100", "budget: {2025: 19000000, 2026: 100")
    assert not [w for w in load_scenario(path).warnings if "pools.dak_alpha" in w.path]


def test_an_invalid_entry_is_reported_never_dropped(tmp_path: Path) -> None:
    # each of these made its pool or programme vanish from validation (exit 0) before
    for old, new, where in [
        ("budget: {2025: 100, 2026: 100", "budget: {2025-2026: 100, 2026: 100",
         "pools.dak_alpha.budget.2025-2026"),
        ("serves: {akses_layak: 1}", "serves: {akses-layak: -1}", "programs.tangki.serves.akses-layak"),
        ("locked: {2026: {dak_alpha: 40}}", "locked: {2026: {dak-alpha: -40}}",
         "programs.ipal.locked.2026.dak-alpha"),
    ]:
        issues = _issues(_variant(tmp_path, old, new))
        assert [i for i in issues if i.startswith(where + " (") and "variant.yaml:" in i], issues


def test_strict_numbers_through_set_are_refused_at_the_override(tmp_path: Path) -> None:
    issues = _issues(TINY, ("pools.dak_alpha.budget.2025='4.200'",))
    assert issues == ["pools.dak_alpha.budget.2025 (--set pools.dak_alpha.budget.2025='4.200'): "
                      "must be a number, got text '4.200' (write 4200; Indonesian thousands "
                      "separators are not decimal points)"]


def test_a_recursive_alias_through_set_is_an_issue_not_a_crash() -> None:
    issues = _issues(TINY, ("description=&a [1, *a]",))
    assert len(issues) == 1 and "recursive alias" in issues[0], issues


def _tiny_tables(tmp_path: Path, programs: pd.DataFrame) -> Path:
    text = TINY.read_text(encoding="utf-8")
    head, _, rest = text.partition("programs:\n")
    _, _, tail = rest.partition("\nobjective:")
    programs.to_parquet(tmp_path / "programs.parquet")
    path = tmp_path / "tables.yaml"
    path.write_text(head + "programs: {table: programs.parquet}\n\nobjective:" + tail,
                    encoding="utf-8")
    return path


def _program_rows() -> list[dict[str, object]]:
    return [
        {"id": "tangki", "region": "alpha", "subsector": "air_limbah", "kind": "construction",
         "scale": "individual", "unit_cost": 6.5, "quantity": 100.0,
         "serves": '{"akses_layak": 1}', "locations": '["desa"]'},
        {"id": "stbm", "region": "alpha", "subsector": "higiene", "kind": "promotion",
         "scale": "desa", "unit_cost": 5.0, "quantity": 10.0, "serves": "{}",
         "locations": '["desa"]'},
    ]


def test_a_parquet_list_column_is_read_as_a_list(tmp_path: Path) -> None:
    frame = pd.DataFrame(_program_rows())
    frame["locations"] = [["desa"], ["desa", "kumuh"]]
    loaded = load_scenario(_tiny_tables(tmp_path, frame))
    assert {p.id: p.locations for p in loaded.scenario.programs} == {
        "tangki": ("desa",), "stbm": ("desa", "kumuh")}


def test_a_parquet_integer_id_is_reported_at_its_own_row(tmp_path: Path) -> None:
    frame = pd.DataFrame(_program_rows())
    frame["id"] = pd.array([7, 8], dtype="object")
    frame.loc[1, "quantity"] = -1.0
    issues = _issues(_tiny_tables(tmp_path, frame))
    assert any(re.match(r"programs\.1\.id \(.*programs\.parquet:2\): ", i) for i in issues), issues
    assert any(re.match(r"programs\.1\.quantity \(.*programs\.parquet:2\): must be >= 0.001", i)
               for i in issues), issues
    assert not any("programs.parquet:1)" in i and "programs.1." in i for i in issues), issues


def test_a_csv_problem_names_file_row_and_column(tmp_path: Path) -> None:
    csv = tmp_path / "programs.csv"
    csv.write_text("id,region,subsector,kind,scale,unit_cost,quantity,serves\n"
                   "tangki,alpha,air_limbah,construction,individual,6.5,100,{\"akses_layak\": 1}\n"
                   "stbm,alpha,higiene,promotion,desa,5,10,{broken\n", encoding="utf-8")
    text = TINY.read_text(encoding="utf-8")
    head, _, rest = text.partition("programs:\n")
    _, _, tail = rest.partition("\nobjective:")
    path = tmp_path / "tables.yaml"
    path.write_text(head + "programs: {table: programs.csv}\n\nobjective:" + tail, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    issue = caught.value.issues[0]
    assert (issue.path, issue.line, issue.column) == ("programs.stbm.serves", 3, 8), issue
    assert issue.file.endswith("programs.csv") and "not valid JSON" in issue.message
