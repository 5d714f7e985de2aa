"""``--set`` grammar: ``=``, ``*=``, ``+=``, selectors, ``[*]``, year keys, and its errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ssk_optimize.errors import ScenarioError
from ssk_optimize.scenario import Pool, Program, Scenario, load_scenario
from ssk_optimize.scenario.overrides import apply_overrides, parse_override

TINY = Path(__file__).resolve().parents[1] / "data" / "valid" / "tiny.yaml"


def _load(*overrides: str) -> Scenario:
    return load_scenario(TINY, overrides).scenario


def _errors(*overrides: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(TINY, overrides)
    return [issue.render() for issue in caught.value.issues]


def _pool(scenario: Scenario, pool_id: str) -> Pool:
    return {p.id: p for p in scenario.pools}[pool_id]


def _program(scenario: Scenario, program_id: str) -> Program:
    return {p.id: p for p in scenario.programs}[program_id]


@pytest.mark.parametrize(("text", "segments", "operator", "value"), [
    ("pools.dak_alpha.budget.2027=0", ("pools", "dak_alpha", "budget", "2027"), "=", 0),
    ("pools[source=DAK].budget*=0.7", ("pools[source=DAK]", "budget"), "*=", 0.7),
    ("programs[*].quantity+=5", ("programs[*]", "quantity"), "+=", 5),
    ("programs.stbm.sources=[APBD_KAB]", ("programs", "stbm", "sources"), "=", ["APBD_KAB"]),
    ("description=a = b", ("description",), "=", "a = b"),
    ("rules.bantuan_keuangan = true", ("rules", "bantuan_keuangan"), "=", True),
    ("pools.x.budget={2025: 1}", ("pools", "x", "budget"), "=", {2025: 1}),
    ("programs.stbm.code=", ("programs", "stbm", "code"), "=", None),
])
def test_parse_override(text: str, segments: tuple[str, ...], operator: str,
                        value: object) -> None:
    override = parse_override(text)
    assert (override.segments, override.operator, override.value) == (segments, operator, value)


def test_set_one_value_with_a_year_key() -> None:
    scenario = _load("pools.dak_alpha.budget.2027=0", "programs.ipal.unit_cost.2027=400")
    assert _pool(scenario, "dak_alpha").budget == {2025: 100, 2026: 100, 2027: 0}
    assert _program(scenario, "ipal").unit_cost == {2025: 300, 2026: 310, 2027: 400}


def test_set_a_new_year_and_a_new_optional_key() -> None:
    scenario = _load("regions.alpha.baseline_om.2026=12", "programs.stbm.min_quantity=2")
    assert scenario.regions[0].baseline_om == {2026: 12}
    assert _program(scenario, "stbm").min_quantity == 2


def test_multiply_a_mapping_scales_every_number() -> None:
    assert _pool(_load("pools.dak_alpha.budget*=0.5"), "dak_alpha").budget == {
        2025: 50, 2026: 50, 2027: 60}


def test_multiply_the_budget_of_a_projected_pool_scales_its_base_amount() -> None:
    pool = _pool(_load("pools.apbd_alpha.budget*=0.5"), "apbd_alpha")
    assert pool.base is not None and pool.base.amount == 100
    assert pool.budget is None
    assert _pool(_load("pools[source=APBD_KAB].budget+=10"), "apbd_alpha").budget_in(2024) == 210


def test_add_to_a_single_value() -> None:
    assert _program(_load("programs.tangki.quantity+=5"), "tangki").quantity == 105


def test_selectors_match_every_item_with_the_value() -> None:
    scenario = _load("programs[kind=construction].priority=5")
    assert {p.id: p.priority for p in scenario.programs} == {
        "ded_ipal": 3, "ipal": 5, "tangki": 5, "stbm": 3}


def test_star_selector_matches_every_item() -> None:
    scenario = _load("programs[*].priority=2", "pools[*].budget*=2")
    assert {p.priority for p in scenario.programs} == {2}
    assert _pool(scenario, "dd_alpha").budget == {2025: 100, 2026: 100, 2027: 100}
    assert _pool(scenario, "apbd_alpha").budget_in(2024) == 400  # base year: the base amount


def test_selector_compares_booleans_as_yaml_writes_them(tmp_path: Path) -> None:
    text = TINY.read_text(encoding="utf-8").replace("    source: DAK\n",
                                                     "    source: DAK\n    firm: false\n")
    path = tmp_path / "firm.yaml"
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path, ("pools[firm=false].budget*=0.5",)).scenario
    assert _pool(scenario, "dak_alpha").budget == {2025: 50, 2026: 50, 2027: 60}
    assert _pool(scenario, "dd_alpha").budget == {2025: 50, 2026: 50, 2027: 50}


def test_overrides_apply_in_order() -> None:
    first = _load("programs.tangki.quantity=10", "programs.tangki.quantity*=3")
    second = _load("programs.tangki.quantity*=3", "programs.tangki.quantity=10")
    assert (_program(first, "tangki").quantity, _program(second, "tangki").quantity) == (30, 10)


def test_values_are_read_as_yaml() -> None:
    scenario = _load("programs.stbm.sources=[APBD_KAB]", "description=DAK cut 30%",
                     "objective.hard_targets=true", "pools.dd_alpha.budget={2025: 7}")
    assert _program(scenario, "stbm").sources == ("APBD_KAB",)
    assert scenario.description == "DAK cut 30%"
    assert scenario.objective.hard_targets is True
    assert _pool(scenario, "dd_alpha").budget == {2025: 7}


def test_format_keys_missing_from_the_file_may_be_set() -> None:
    """tiny.yaml has no `rules:` block and no `objective.mode`: both are scenario keys."""
    scenario = _load("rules.bantuan_keuangan=true", "rules.eligibility.APBN.kinds=[study]",
                     "objective.mode=weighted", "horizon.1=2027")
    assert scenario.rules.bantuan_keuangan is True
    assert scenario.rules.eligibility["APBN"].kinds == ("study",)
    assert scenario.rules.eligibility["APBN"].scales == ("komunal", "permukiman", "perkotaan",
                                                         "regional")
    assert scenario.objective.mode == "weighted"


def test_the_overrides_are_recorded() -> None:
    overrides = ("pools.dak_alpha.budget.2027=0", "pools[source=DAK].budget*=0.7")
    loaded = load_scenario(TINY, overrides)
    assert loaded.overrides == overrides


@pytest.mark.parametrize(("override", "message"), [
    ("pools.dak_alfa.budget.2027=0", "pools has no 'dak_alfa' (did you mean 'dak_alpha'?)"),
    ("pools.dak_alpha.budjet.2027=0", "pools.dak_alpha has no 'budjet' (did you mean 'budget'?)"),
    ("programz.tangki.quantity=1", "the top level has no 'programz' (did you mean 'programs'?)"),
    ("pools[source=HIBAH].budget*=0.5", "selector [source=HIBAH] matches nothing"),
    ("pools.dak_alpha.budget*=half", "*= needs a number, got 'half'"),
    ("pools.dak_alpha.budget", "expected PATH=VALUE, PATH*=FACTOR or PATH+=AMOUNT"),
    ("=3", "expected PATH=VALUE"),
    ("programs.stbm.min_quantity+=1", "+= needs an existing value"),  # not in the file
    ("programs.tangki.quantity.x=1", "programs.tangki.quantity is a single value"),
    ("description[x=1]=a", "[x=1] selects items of a list"),
    ("programs.stbm.sources=[a, b", "cannot read the value '[a, b'"),
    ("description=!!binary aGVsbG8=", "is not allowed"),
])
def test_override_errors(override: str, message: str) -> None:
    errors = _errors(override)
    assert len(errors) == 1, errors
    assert message in errors[0]
    assert errors[0].startswith(f"--set {override} (command line): ")


def test_every_bad_override_is_reported_at_once() -> None:
    errors = _errors("pools.nope.budget=1", "programs.tangki.quantity=2", "regions.beta.desa=1")
    assert len(errors) == 2
    assert "pools has no 'nope'" in errors[0] and "regions has no 'beta'" in errors[1]


def test_a_value_that_fails_validation_points_at_its_override() -> None:
    errors = _errors("programs.tangki.quantity=-1")
    assert errors == ["programs.tangki.quantity (--set programs.tangki.quantity=-1): "
                      "must be >= 0.001, got -1 (money, counts and shares cannot be negative)"]


def test_a_typo_in_a_new_final_key_is_still_caught_by_validation() -> None:
    errors = _errors("programs.tangki.prioriti=5")
    assert len(errors) == 1
    assert "unknown key 'prioriti' (did you mean 'priority'?)" in errors[0]
    assert "--set programs.tangki.prioriti=5" in errors[0]


def test_apply_overrides_on_plain_data() -> None:
    data: dict[str, Any] = {"pools": [{"id": "a", "source": "DAK", "budget": {2025: 10}},
                                      {"id": "b", "source": "CSR",
                                       "base": {"year": 2024, "amount": 4}}]}
    locations: dict[tuple[str | int, ...], tuple[str, int, int]] = {}
    apply_overrides(data, locations, ("pools[*].budget*=2", "pools.a.budget.2026=1"))
    assert data["pools"][0]["budget"] == {2025: 20, 2026: 1}
    assert data["pools"][1]["base"] == {"year": 2024, "amount": 8}
    assert locations[("pools", "b", "base", "amount")] == ("--set pools[*].budget*=2", 0, 0)
