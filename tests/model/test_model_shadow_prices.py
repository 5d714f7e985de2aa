"""Shadow prices of pool budgets mean what negotiators read them as.

``shadow_price_targets`` is d(stage-1 shortfall)/d(budget) with the sign flipped (households of
shortfall avoided per extra money unit); ``shadow_price_priority`` is d(stage-2 value)/d(budget)
with stage 1 held. Within ``[range_low, range_high]`` both hold, so re-solving with the budget
moved by ``delta`` inside the range must move the stage values by ``price x delta``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ssk_optimize.api import RunResult, solve_file

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny"
LAMANDAU = ROOT / "scenarios" / "lamandau.yaml"
NO_TARGETS = tuple(f"regions.lamandau.targets.{k}*=0"
                   for k in ("akses_layak", "akses_aman", "sampah_terkelola", "genangan_tertangani"))


def pool_row(result: RunResult, pool: str, year: int) -> pd.Series:
    pools = result.tables.pools
    return pools[(pools["pool"] == pool) & (pools["year"] == year)].iloc[0]


def stage(result: RunResult, name: str) -> float:
    value = result.manifest["objective"][name]  # type: ignore[index]
    assert isinstance(value, float)
    return value


def test_hand_worked_prices_with_matching() -> None:
    """tiny dak_matching: 200 tanks at 1 (priority 3), DAK 100, APBD 5, DAK needs 10% APBD.

    One more juta of APBD unlocks 10 of DAK: 11 more tanks, 3 x 11 / 200 = 0.165 of stage 2.
    This holds until APBD reaches 10 (DAK then runs out): range [0, 10]. DAK is not binding
    (half unused): price 0, and it stays 0 down to the 50 actually used.
    """
    result = solve_file(TINY / "dak_matching.yaml")
    apbd, dak = pool_row(result, "apbd", 2025), pool_row(result, "dak", 2025)
    assert apbd["shadow_price_targets"] == 0.0 and dak["shadow_price_targets"] == 0.0
    assert apbd["shadow_price_priority"] == pytest.approx(0.165, rel=1e-6)
    assert (apbd["range_low"], apbd["range_high"]) == pytest.approx((0.0, 10.0), abs=1e-6)
    assert dak["shadow_price_priority"] == 0.0
    assert dak["range_low"] == pytest.approx(50.0, rel=1e-6)


def test_hand_worked_prices_with_a_coverage_target() -> None:
    """tiny coverage_cheapest_first: 100 households short, cheap access costs 2 per household.

    Stage 1: one more juta covers half a household: price 0.5, until the budget reaches 800
    (the target is then met): range [0, 800]. Stage 2 with stage 1 held: the best use of an
    extra juta swaps cheap units (priority 1) for dear ones (priority 5) at 3 juta more each,
    gaining (5 - 1) / 1000 per unit: 4 / 3000 per juta.
    """
    result = solve_file(TINY / "coverage_cheapest_first.yaml")
    apbd = pool_row(result, "apbd", 2025)
    assert apbd["shadow_price_targets"] == pytest.approx(0.5, rel=1e-6)
    assert apbd["shadow_price_priority"] == pytest.approx(4 / 3000, rel=1e-6)
    assert (apbd["range_low"], apbd["range_high"]) == pytest.approx((0.0, 800.0), abs=1e-6)


@pytest.mark.parametrize(("pool", "year", "fraction"), [
    ("lmd_dak", 2027, 0.01), ("lmd_dak", 2027, 0.5), ("lmd_dana_desa", 2026, 0.5),
    ("lmd_masyarakat", 2029, 0.5)])
def test_targets_price_predicts_the_stage1_change(pool: str, year: int, fraction: float) -> None:
    """Raise a binding Lamandau pool-year by ``fraction`` of the way to range_high (at most 1%
    of its budget): stage 1 falls by shadow_price_targets x delta (1e-4 relative)."""
    base = solve_file(LAMANDAU)
    row = pool_row(base, pool, year)
    assert row["unused"] <= 1e-6 * row["budget"], "the pool-year must be binding"
    assert row["shadow_price_targets"] > 0
    assert row["range_low"] <= row["budget"] <= row["range_high"]
    delta = min(fraction * (row["range_high"] - row["budget"]), 0.01 * row["budget"])
    moved = solve_file(LAMANDAU, overrides=(f"pools.{pool}.budget.{year}={float(row['budget'] + delta)!r}",))
    change = stage(moved, "stage1_shortfall") - stage(base, "stage1_shortfall")
    assert change == pytest.approx(-row["shadow_price_targets"] * delta, rel=1e-4)


def test_targets_price_holds_downward_too() -> None:
    base = solve_file(LAMANDAU)
    row = pool_row(base, "lmd_dak", 2026)
    delta = min(0.5 * (row["budget"] - row["range_low"]), 0.01 * row["budget"])
    moved = solve_file(LAMANDAU, overrides=(f"pools.lmd_dak.budget.2026={float(row['budget'] - delta)!r}",))
    change = stage(moved, "stage1_shortfall") - stage(base, "stage1_shortfall")
    assert change == pytest.approx(row["shadow_price_targets"] * delta, rel=1e-4)


@pytest.mark.parametrize(("pool", "year"), [("lmd_dak", 2026), ("lmd_csr", 2028)])
def test_priority_price_predicts_stage2_when_targets_are_met(pool: str, year: int) -> None:
    """Lamandau with every target set to 0: stage 1 is 0 and its prices are 0, so the priority
    price alone says what one more juta is worth: stage 2 rises by price x delta."""
    base = solve_file(LAMANDAU, overrides=NO_TARGETS)
    assert stage(base, "stage1_shortfall") == 0.0
    row = pool_row(base, pool, year)
    assert row["shadow_price_targets"] == 0.0
    assert row["shadow_price_priority"] > 0
    delta = min(0.5 * (row["range_high"] - row["budget"]), 0.01 * row["budget"])
    moved = solve_file(LAMANDAU, overrides=NO_TARGETS + (
        f"pools.{pool}.budget.{year}={float(row['budget'] + delta)!r}",))
    assert stage(moved, "stage1_shortfall") == 0.0
    change = stage(moved, "stage2_priority") - stage(base, "stage2_priority")
    assert change == pytest.approx(row["shadow_price_priority"] * delta, rel=1e-4)
