"""The rule table: defaults, amendments, eligibility reasons, and the "no eligible source" check."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from ssk_optimize.cli import cli
from ssk_optimize.errors import ScenarioError
from ssk_optimize.scenario import Scenario, load_scenario
from ssk_optimize.scenario.eligibility import eligible_pairs
from ssk_optimize.scenario.rules import default_rules_path
from ssk_optimize.scenario.vocabulary import SOURCE_TYPES
from ssk_optimize.scenario.yamlio import dump_yaml

REGIONS = [
    {"id": "alpha", "province": "prov", "households": {2025: 1000}, "desa": 10},
    {"id": "beta", "province": "prov", "households": {2025: 800}, "desa": 0, "kelurahan": 6},
    {"id": "gamma", "province": "other", "households": {2025: 500}, "desa": 3},
]
BUDGET = {2025: 100, 2026: 100}
POOLS = [{"id": f"{source.lower()}_alpha", "source": source, "holder": "alpha", "budget": BUDGET}
         for source in SOURCE_TYPES if source not in ("APBD_PROV", "APBN")]
POOLS += [
    {"id": "apbd_prov", "source": "APBD_PROV", "holder": "prov", "budget": BUDGET},
    {"id": "apbn", "source": "APBN", "holder": "national", "budget": BUDGET},
    {"id": "dana_desa_beta", "source": "DANA_DESA", "holder": "beta", "budget": BUDGET},
    {"id": "apbd_kab_gamma", "source": "APBD_KAB", "holder": "gamma", "budget": BUDGET},
]


def _program(program_id: str, **fields: Any) -> dict[str, Any]:
    program = {"id": program_id, "region": "alpha", "subsector": "air_limbah",
               "kind": "construction", "scale": "individual", "unit_cost": 1, "quantity": 10}
    program.update(fields)
    return program


def _write(path: Path, programs: list[dict[str, Any]], rules: dict[str, Any] | None = None,
           pools: list[dict[str, Any]] | None = None) -> Path:
    data: dict[str, Any] = {"scenario": "rules-test", "horizon": [2025, 2026],
                            "regions": copy.deepcopy(REGIONS),
                            "pools": copy.deepcopy(POOLS if pools is None else pools),
                            "programs": programs}
    if rules is not None:
        data["rules"] = rules
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


def _scenario(tmp_path: Path, programs: list[dict[str, Any]],
              rules: dict[str, Any] | None = None) -> Scenario:
    return load_scenario(_write(tmp_path / "scenario.yaml", programs, rules)).scenario


def _pairs(scenario: Scenario) -> pd.DataFrame:
    return eligible_pairs(scenario).set_index(["program", "pool"])


def _reason(pairs: pd.DataFrame, program: str, pool: str) -> str:
    return str(pairs.loc[(program, pool), "capex_reason"])


# --------------------------------------------------------------------------- the table itself


def test_default_table_has_a_row_with_evidence_for_every_source(tmp_path: Path) -> None:
    rules = _scenario(tmp_path, [_program("p")]).rules
    assert default_rules_path().name == "indonesia.yaml"
    assert set(rules.eligibility) == set(SOURCE_TYPES)
    assert all(row.evidence for row in rules.eligibility.values())
    assert (rules.bantuan_keuangan, rules.masyarakat_share, rules.dak_supporting_share) == (
        False, 0.20, 0.05)
    assert rules.matching == ()


def test_amending_one_field_keeps_the_rest_of_the_row(tmp_path: Path) -> None:
    default = _scenario(tmp_path, [_program("p")]).rules.eligibility["APBN"]
    rules = _scenario(tmp_path, [_program("p")], {
        "eligibility": {"APBN": {"kinds": ["study"]}}, "masyarakat_share": 0.3,
        "matching": [{"source": "DAK", "partners": ["APBD_KAB"], "share": 0.1}]}).rules
    amended = rules.eligibility["APBN"]
    assert amended.kinds == ("study",)
    assert amended.model_dump(exclude={"kinds"}) == default.model_dump(exclude={"kinds"})
    assert rules.masyarakat_share == 0.3
    assert rules.matching[0].partners == ("APBD_KAB",)
    assert rules.eligibility["DAK"] == _scenario(tmp_path, [_program("p")]).rules.eligibility["DAK"]


def test_rules_file_replaces_the_whole_table(tmp_path: Path) -> None:
    folder = tmp_path / "kabupaten"
    folder.mkdir()
    (folder / "custom.yaml").write_text(
        "masyarakat_share: 0.1\n"
        "eligibility:\n"
        "  APBD_KAB: {kinds: [construction], scales: [individual], subsectors: {air_limbah: []}}\n",
        encoding="utf-8")
    path = _write(folder / "scenario.yaml", [_program("p")], {"file": "custom.yaml"})
    rules = load_scenario(path).scenario.rules
    assert list(rules.eligibility) == ["APBD_KAB"]
    assert rules.masyarakat_share == 0.1
    assert rules.dak_supporting_share == 0.05  # not in the file: the model's default
    pairs = _pairs(load_scenario(path).scenario)
    assert _reason(pairs, "p", "dak_alpha") == "no rule row for DAK in the rule table"


def test_a_row_can_be_removed_with_null(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, [_program("p")], {"eligibility": {"HIBAH": None}})
    assert "HIBAH" not in scenario.rules.eligibility
    assert _reason(_pairs(scenario), "p", "hibah_alpha") == "no rule row for HIBAH in the rule table"


def test_bantuan_keuangan_lets_the_province_fund_kabupaten_programmes(tmp_path: Path) -> None:
    programs = [_program("komunal", scale="komunal"), _program("regional", scale="regional")]
    off = _pairs(_scenario(tmp_path, programs))
    assert _reason(off, "komunal", "apbd_prov") == (
        "rule APBD_PROV.scales allows only [regional] (bantuan_keuangan is off)")
    assert off.loc[("regional", "apbd_prov"), "capex"]
    on = _pairs(_scenario(tmp_path, programs, {"bantuan_keuangan": True}))
    assert on.loc[("komunal", "apbd_prov"), "capex"]


# --------------------------------------------------------------------------- eligibility reasons


def test_dak_persampahan_and_drainase_need_kumuh_or_stunting(tmp_path: Path) -> None:
    pairs = _pairs(_scenario(tmp_path, [
        _program("sampah", subsector="persampahan", scale="komunal"),
        _program("sampah_kumuh", subsector="persampahan", scale="komunal", locations=["kumuh"]),
        _program("drainase_stunting", subsector="drainase", scale="permukiman",
                 locations=["desa", "stunting"]),
        _program("air_limbah", scale="komunal"),
        _program("higiene", subsector="higiene", kind="promotion"),
        _program("studi", kind="study", scale="komunal"),
    ]))
    assert _reason(pairs, "sampah", "dak_alpha") == (
        "rule DAK.subsectors.persampahan needs location kumuh or stunting")
    assert pairs.loc[("sampah_kumuh", "dak_alpha"), "capex"]
    assert pairs.loc[("drainase_stunting", "dak_alpha"), "capex"]
    assert pairs.loc[("air_limbah", "dak_alpha"), "capex"]
    assert _reason(pairs, "higiene", "dak_alpha") == (
        "rule DAK.kinds allows only [construction, supporting]")
    assert _reason(pairs, "studi", "dak_alpha") == (
        "rule DAK.kinds allows only [construction, supporting]")


def test_dana_desa_needs_location_desa_and_a_region_with_desa(tmp_path: Path) -> None:
    pairs = _pairs(_scenario(tmp_path, [
        _program("in_desa", locations=["desa"]),
        _program("in_kelurahan", locations=["kelurahan"]),
        _program("beta_desa", region="beta", locations=["desa"]),
    ]))
    assert pairs.loc[("in_desa", "dana_desa_alpha"), "capex"]
    assert _reason(pairs, "in_kelurahan", "dana_desa_alpha") == (
        "rule DANA_DESA.locations needs location desa")
    assert _reason(pairs, "beta_desa", "dana_desa_beta") == (
        "rule DANA_DESA.region_has_desa: the region has no desa")


def test_sources_narrow_what_may_fund_a_programme(tmp_path: Path) -> None:
    pairs = _pairs(_scenario(tmp_path, [_program("p", sources=["APBD_KAB"], locations=["desa"])]))
    capex = pairs.loc["p"]["capex"]
    assert set(capex[capex].index) == {"apbd_kab_alpha"}
    assert _reason(pairs, "p", "dak_alpha") == "programme's `sources` list does not name DAK"


def test_holders_cover_region_province_and_national_only(tmp_path: Path) -> None:
    pairs = _pairs(_scenario(tmp_path, [_program("p")]))
    pools = set(pairs.loc["p"].index)
    assert {"apbd_prov", "apbn", "apbd_kab_alpha"} <= pools
    assert not {"dana_desa_beta", "apbd_kab_gamma"} & pools


def test_om_money_follows_the_om_rows(tmp_path: Path) -> None:
    pairs = _pairs(_scenario(tmp_path, [_program("with_om", om_rate=0.05), _program("no_om")]))
    assert pairs.loc[("with_om", "apbd_kab_alpha"), "om"]
    assert pairs.loc[("with_om", "retribusi_alpha"), "om"]
    assert pairs.loc[("with_om", "masyarakat_alpha"), "om"]
    assert not pairs.loc[("with_om", "dak_alpha"), "om"]
    assert not pairs.loc[("with_om", "retribusi_alpha"), "capex"]
    assert pairs.loc[("no_om", "apbd_kab_alpha"), "om_reason"] == "programme has no O&M (om_rate 0)"


# --------------------------------------------------------------------------- no eligible source


def _unfundable(min_quantity: float) -> list[dict[str, Any]]:
    return [_program("ok"), _program("iplt_regional", kind="construction", scale="regional",
                                     sources=["APBD_KAB", "CSR", "DANA_DESA"],
                                     min_quantity=min_quantity)]


def test_no_eligible_source_is_a_warning_naming_each_rule(tmp_path: Path) -> None:
    path = _write(tmp_path / "scenario.yaml", _unfundable(0))
    loaded = load_scenario(path)
    # the fixture's region beta has desa: 0 and a Dana Desa pool: that warning comes after
    assert [w.path for w in loaded.warnings] == ["programs.iplt_regional", "pools.dana_desa_beta"]
    assert all(w.severity == "warning" for w in loaded.warnings)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout
    warning = result.stderr
    assert warning.startswith("Warning: programs.iplt_regional (")
    assert "scenario.yaml:" in warning
    assert "no pool may legally fund this programme" in warning
    assert "APBD_KAB: rule APBD_KAB.scales allows only" in warning
    assert "CSR: rule CSR.scales allows only" in warning
    assert "DANA_DESA: rule DANA_DESA.scales allows only" in warning
    assert "DAK: programme's `sources` list does not name DAK" in warning
    assert "APBN: programme's `sources` list does not name APBN" in warning


def test_no_eligible_source_with_a_committed_minimum_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "scenario.yaml", _unfundable(1))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert [issue.path for issue in caught.value.issues] == ["programs.iplt_regional"]
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert "min_quantity > 0 but no pool may legally fund this programme" in result.stderr
    assert "APBD_KAB: rule APBD_KAB.scales allows only" in result.stderr


def test_a_source_without_a_covering_pool_is_named(tmp_path: Path) -> None:
    pools = [{"id": "csr_gamma", "source": "CSR", "holder": "gamma", "budget": BUDGET},
             {"id": "dak_alpha", "source": "DAK", "holder": "alpha", "budget": BUDGET}]
    path = _write(tmp_path / "scenario.yaml", [_program("p", kind="study")], pools=pools)
    (warning,) = load_scenario(path).warnings
    assert "CSR: no pool held by alpha, its province or national" in warning.message
    assert "DAK: rule DAK.kinds allows only [construction, supporting]" in warning.message


def test_resolved_yaml_keeps_a_replaced_table_whole(tmp_path: Path) -> None:
    """A table from `rules.file` lacks rows; the resolved YAML must not bring them back."""
    (tmp_path / "custom.yaml").write_text(
        "eligibility:\n"
        "  APBD_KAB: {kinds: [construction], scales: [individual], subsectors: {air_limbah: []}}\n",
        encoding="utf-8")
    loaded = load_scenario(_write(tmp_path / "scenario.yaml", [_program("p")],
                                  {"file": "custom.yaml"}))
    resolved = tmp_path / "resolved.yaml"
    resolved.write_text(loaded.resolved_yaml, encoding="utf-8")
    again = load_scenario(resolved)
    assert list(again.scenario.rules.eligibility) == ["APBD_KAB"]
    assert again.scenario == loaded.scenario
