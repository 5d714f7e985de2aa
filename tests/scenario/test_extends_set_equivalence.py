"""``extends`` + ``--set`` give exactly the scenario a planner would write out by hand.

``tests/data/extends/variant.yaml`` extends ``base.yaml``; with the overrides below it must equal
``variant_by_hand.yaml``: the same frozen :class:`Scenario`, the same hash, and a resolved YAML
that loads back to the same scenario.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ssk_optimize.scenario import Scenario, load_scenario

EXTENDS = Path(__file__).resolve().parents[1] / "data" / "extends"
OVERRIDES = (
    "pools[source=DAK].budget*=0.7",         # a selector: a listed budget and a `base` pool
    "pools.apbd_alpha.budget.2027=0",        # one value, a year key
    "programs.ipal_beta.quantity+=1",
    "programs[kind=promotion].priority=5",   # a selector on an item that came from the variant
)


def test_extends_and_set_equal_the_file_written_by_hand() -> None:
    built = load_scenario(EXTENDS / "variant.yaml", OVERRIDES)
    by_hand = load_scenario(EXTENDS / "variant_by_hand.yaml")
    assert built.scenario == by_hand.scenario
    assert built.sha256 == by_hand.sha256
    assert built.resolved_yaml == by_hand.resolved_yaml


def test_the_overrides_did_what_they_say() -> None:
    """Guards the test above against passing because nothing was applied."""
    plain = load_scenario(EXTENDS / "variant.yaml").scenario
    built = load_scenario(EXTENDS / "variant.yaml", OVERRIDES).scenario
    pools = {pool.id: pool for pool in built.pools}
    assert pools["dak_alpha"].budget == {2025: 70.0, 2026: 70.0, 2027: 84.0}
    assert pools["dak_beta"].base is not None and pools["dak_beta"].base.amount == 210.0
    assert pools["dak_beta"].budget_in(2025) == pytest.approx(210 * 1.05)
    assert pools["apbd_alpha"].budget == {2025: 200.0, 2026: 200.0, 2027: 0.0}
    assert pools["prov_pool"] == {pool.id: pool for pool in plain.pools}["prov_pool"]
    assert built != plain
    assert load_scenario(EXTENDS / "variant.yaml").sha256 != load_scenario(
        EXTENDS / "variant.yaml", OVERRIDES).sha256


def test_the_merge_kept_the_base_and_applied_the_variant() -> None:
    loaded = load_scenario(EXTENDS / "variant.yaml")
    scenario = loaded.scenario
    assert scenario.scenario == "ext-variant"
    assert [p.id for p in scenario.programs] == ["tangki_alpha", "ipal_beta", "iplt_regional",
                                                 "stbm_alpha"]
    tangki = scenario.programs[0]
    assert (tangki.quantity, tangki.locations, tangki.om_rate) == (150, ("desa", "stunting"), 0.02)
    beta = scenario.regions[1]
    assert beta.targets["akses_layak"].shares == {2027: 0.75} and beta.kelurahan == 5
    assert list(beta.targets) == ["akses_layak"]
    assert {p.id: p.budget for p in scenario.pools}["apbd_alpha"] == {2025: 200, 2026: 200,
                                                                       2027: 260}
    assert [path.name for path in loaded.files] == ["variant.yaml", "base.yaml"]
    assert loaded.overrides == ()


@pytest.mark.parametrize("name", ["variant.yaml", "variant_by_hand.yaml", "base.yaml"])
def test_resolved_yaml_loads_back_to_the_same_scenario(name: str, tmp_path: Path) -> None:
    loaded = load_scenario(EXTENDS / name, OVERRIDES if name == "variant.yaml" else ())
    resolved = tmp_path / "scenario.resolved.yaml"
    resolved.write_text(loaded.resolved_yaml, encoding="utf-8")
    again = load_scenario(resolved)
    assert isinstance(again.scenario, Scenario)
    assert again.scenario == loaded.scenario
    assert again.sha256 == loaded.sha256
    assert again.resolved_yaml == loaded.resolved_yaml
