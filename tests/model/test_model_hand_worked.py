"""Tiny scenarios whose optimal allocation is worked out by hand, solved on every backend.

Each test's docstring derives the optimum from the three stages of domain.md section 4:
(1) least weighted shortfall, (2) most ``priority * e[t] * share`` with
``e[t] = 1 + 0.1 (T1 - t) / (T1 - T0)``, (3) cheapest by source rank (default preference
DAK 1, DANA_DESA 2, APBN 3, HIBAH 4, APBD_PROV 5, CSR 6, APBD_KAB 7, MASYARAKAT 8, RETRIBUSI 9).
The test then asserts the solver's allocation table equals that optimum, row for row, and that
the run folder passes every invariant.

Amounts are compared to 1e-6 relative: each stage is held to 1e-7 of its value (domain.md), so a
later stage may trade that much of an earlier one (e.g. 99.99999 units instead of 100).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from invariants import check_run_folder

from ssk_optimize.api import RunResult, solve_file
from ssk_optimize.errors import NotOptimal

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"
REL = 1e-6

Key = tuple[str, str, int, str]



def solve_tiny(name: str, folder: Path, solver: str, *overrides: str,
               path: Path | None = None) -> RunResult:
    """Solve ``tests/data/tiny/<name>.yaml`` (or ``path``) into ``folder/<name>`` with mip_gap 0.

    Shared by the other hand-worked model tests (they import it from here)."""
    return solve_file(path or TINY / f"{name}.yaml", overrides=("solver.mip_gap=0", *overrides),
                      output=folder / name, solver=solver)


def money(result: RunResult) -> dict[Key, float]:
    """The allocation table as {(program, pool, year, purpose): amount}."""
    frame = result.tables.allocations
    return {(r.program, r.pool, int(r.year), r.purpose): float(r.amount)
            for r in frame.itertuples(index=False)}


def assert_allocation(result: RunResult, expected: dict[Key, float]) -> None:
    """The run is optimal, sound, and its allocation rows are exactly ``expected``."""
    assert result.solution.is_optimal, result.solution.notes
    assert result.folder is not None
    assert check_run_folder(result.folder) == []
    found = money(result)
    assert set(found) == set(expected), f"rows differ: {sorted(found)} vs {sorted(expected)}"
    for key, amount in expected.items():
        assert found[key] == pytest.approx(amount, rel=REL, abs=REL), key


def program_row(result: RunResult, program: str) -> dict[str, object]:
    frame = result.tables.programs
    return frame[frame["program"] == program].iloc[0].to_dict()


def test_single_pool_funds_the_higher_priority_first(tmp_path: Path, solver: str) -> None:
    """One APBD pool of 100, two studies of 6 units x 10 (60 each), priorities 5 and 2.

    No targets, one year (e = 1). Stage 2 maximises 5 s_hi + 2 s_lo subject to
    60 s_hi + 60 s_lo <= 100, s <= 1: priority per rupiah is 5/60 > 2/60, so s_hi = 1 (60) and
    the remaining 40 buys 4 of lo's 6 units. lo waits: the pool is exhausted.
    """
    result = solve_tiny("priority_single_pool", tmp_path, solver)
    assert_allocation(result, {("hi", "apbd", 2025, "capex"): 60.0,
                               ("lo", "apbd", 2025, "capex"): 40.0})
    lo = program_row(result, "lo")
    assert lo["units_delivered"] == pytest.approx(4.0, rel=REL)
    assert lo["waiting_list"] and lo["limiting_reason"] == "pool_exhausted"
    assert "apbd" in str(lo["limiting_detail"])
    assert not program_row(result, "hi")["waiting_list"]


def test_dak_pays_persampahan_only_in_kumuh(tmp_path: Path, solver: str) -> None:
    """DAK 100 and APBD 100; two waste programmes of 5 x 10, one in a desa, one in a kumuh area.

    Both are fully fundable, so stages 1-2 fund both in full (50 each). Stage 3 prefers DAK
    (rank 1) to APBD (rank 7), but the DAK rule allows persampahan only with location kumuh or
    stunting: sampah_kumuh takes 50 from DAK, sampah_desa 50 from APBD. The regional study may be
    funded only by APBD_PROV or APBN, which this regency does not hold: no_eligible_source.
    """
    result = solve_tiny("dak_persampahan_kumuh", tmp_path, solver)
    assert_allocation(result, {("sampah_kumuh", "dak", 2025, "capex"): 50.0,
                               ("sampah_desa", "apbd", 2025, "capex"): 50.0})
    regional = program_row(result, "fs_regional")
    assert regional["limiting_reason"] == "no_eligible_source"
    assert "APBD_KAB" in str(regional["limiting_detail"])
    assert any("fs_regional" in w for w in result.manifest["warnings"])  # type: ignore[union-attr]


def test_readiness_delays_construction_a_year_after_its_ded(tmp_path: Path, solver: str) -> None:
    """2025-2027, APBD 1000 a year; a DED (10) and the IPAL (100) that requires it.

    e = (1.1, 1.05, 1.0). Stage 2 wants both as early as possible. The DED can be done in
    2025 (3 x 1.1). The IPAL may deliver by the end of t only the share the DED finished by
    t-1: nothing in 2025, all of it in 2026 (3 x 1.05 beats 3 x 1.0 in 2027). Money is ample.
    """
    result = solve_tiny("readiness_after_ded", tmp_path, solver)
    assert_allocation(result, {("ded", "apbd", 2025, "capex"): 10.0,
                               ("ipal", "apbd", 2026, "capex"): 100.0})


def test_om_of_this_year_eats_next_years_apbd(tmp_path: Path, solver: str) -> None:
    """2025-2026, APBD 100 each year. ``build`` (2025 only, 10 x 10, priority 5, O&M 20%) and
    ``later`` (2026 only, 10 x 10, priority 1).

    Stage 2: build at share a gives 5 x 1.1 x a and costs 100a in 2025 plus O&M 20a in 2026,
    leaving 100 - 20a for later (priority 1, e = 1): total 5.5a + (100 - 20a)/100, increasing in
    a, so a = 1: build 100 in 2025, its O&M 20 in 2026, later gets the remaining 80 (8 units).
    """
    result = solve_tiny("om_next_year", tmp_path, solver)
    assert_allocation(result, {("build", "apbd", 2025, "capex"): 100.0,
                               ("build", "apbd", 2026, "om"): 20.0,
                               ("later", "apbd", 2026, "capex"): 80.0})
    build = program_row(result, "build")
    assert build["om_funded"] == pytest.approx(20.0, rel=REL)
    assert build["om_after_horizon"] == pytest.approx(20.0, rel=REL)
    assert program_row(result, "later")["units_delivered"] == pytest.approx(8.0, rel=REL)


def test_community_money_capped_at_20_percent(tmp_path: Path, solver: str) -> None:
    """MASYARAKAT 100 and APBD 50 for 100 septic tanks at 1 each.

    Community capital may pay at most 20% of the cost: m <= 0.2 u and a <= 50 with u = a + m,
    so u <= 50 / 0.8 = 62.5 units: APBD 50, masyarakat 12.5 (not the 100 it holds).
    """
    result = solve_tiny("masyarakat_cap", tmp_path, solver)
    assert_allocation(result, {("tangki", "apbd", 2025, "capex"): 50.0,
                               ("tangki", "masy", 2025, "capex"): 12.5})
    assert program_row(result, "tangki")["limiting_reason"] == "share_cap"


def test_dak_needs_ten_percent_apbd_matching(tmp_path: Path, solver: str) -> None:
    """DAK 100, APBD 5, matching rule DAK -> APBD_KAB 0.10; 200 tanks at 1.

    Without the rule 105 units. With it a >= 0.1 d and a <= 5, so d <= 50: 55 units, DAK 50 and
    APBD 5. Half the DAK pool stays unused for want of matching money.
    """
    result = solve_tiny("dak_matching", tmp_path, solver)
    assert_allocation(result, {("tangki", "dak", 2025, "capex"): 50.0,
                               ("tangki", "apbd", 2025, "capex"): 5.0})
    pools = result.tables.pools.set_index("pool")
    assert pools.loc["dak", "unused"] == pytest.approx(50.0, rel=REL)


def test_coverage_target_takes_the_cheaper_household_first(tmp_path: Path, solver: str) -> None:
    """1000 households, 500 covered, target 90% in 2025: 400 short. APBD 600.

    cheap: 2 per household, priority 1; dear: 5 per household, priority 5. Stage 1 minimises the
    shortfall 400 - c - d subject to 2c + 5d <= 600: all money to cheap (300 households), a
    shortfall of 100. Stage 2 (priority prefers dear) cannot move money without raising the
    shortfall, so dear gets nothing.
    """
    result = solve_tiny("coverage_cheapest_first", tmp_path, solver)
    assert_allocation(result, {("cheap", "apbd", 2025, "capex"): 600.0})
    coverage = result.tables.coverage.iloc[0]
    assert coverage["covered"] == pytest.approx(800.0, rel=REL)
    assert coverage["shortfall"] == pytest.approx(100.0, rel=1e-5)
    assert result.manifest["objective"]["stage1_shortfall"] == pytest.approx(100.0, rel=1e-5)  # type: ignore[index]


def test_stage_three_spends_dak_before_apbd(tmp_path: Path, solver: str) -> None:
    """DAK 60 and APBD 100 may both pay 100 tanks at 1. Stages 1-2 fund all 100.

    Stage 3 minimises 1 x DAK + 7 x APBD: DAK in full (60), APBD the rest (40).
    """
    result = solve_tiny("source_preference", tmp_path, solver)
    assert_allocation(result, {("tangki", "dak", 2025, "capex"): 60.0,
                               ("tangki", "apbd", 2025, "capex"): 40.0})
    assert result.manifest["objective"]["stage3_preference"] == pytest.approx(  # type: ignore[index]
        60 * 1 + 40 * 7, rel=REL)


def test_source_preference_can_be_reordered(tmp_path: Path, solver: str) -> None:
    """The same scenario with ``source_preference: [APBD_KAB, DAK]``: APBD (now rank 1) pays
    all 100 and DAK (rank 2) nothing."""
    result = solve_tiny("source_preference", tmp_path, solver,
                        "objective.source_preference=[APBD_KAB, DAK]")
    assert_allocation(result, {("tangki", "apbd", 2025, "capex"): 100.0})


def test_locked_money_stays_where_it_was_committed(tmp_path: Path, solver: str) -> None:
    """DAK 100 and APBD 100; 100 tanks at 1 with 30 from APBD locked in the 2025 DPA.

    Stage 3 would take all 100 from DAK; the lock keeps APBD >= 30, so DAK 70, APBD 30.
    """
    result = solve_tiny("locked_money", tmp_path, solver)
    assert_allocation(result, {("tangki", "dak", 2025, "capex"): 70.0,
                               ("tangki", "apbd", 2025, "capex"): 30.0})


def test_whole_unit_programme_gets_one_plant_over_two_years(tmp_path: Path, solver: str) -> None:
    """Two plants of 200, divisible: false; APBD 150 in 2025 and 150 in 2026 (300 in all).

    The LP relaxation would buy 1.5 plants; whole units allow 1 (2 would need 400). One plant's
    cost may spread over a multi-year contract: stage 2 weighs 2025 by e = 1.1 and 2026 by 1.0,
    so the first year takes what it can (150) and 2026 the remaining 50.
    """
    result = solve_tiny("whole_unit", tmp_path, solver)
    assert_allocation(result, {("plant", "apbd", 2025, "capex"): 150.0,
                               ("plant", "apbd", 2026, "capex"): 50.0})
    plant = program_row(result, "plant")
    assert plant["units_delivered"] == 1.0  # exactly whole
    assert plant["waiting_list"]
    assert result.manifest["integers"]["whole_unit_programs"] == 1  # type: ignore[index]


def test_hard_targets_that_cannot_be_met_are_infeasible(tmp_path: Path, solver: str) -> None:
    """Target 900 of 1000 households with 500 covered, APBD 100 at 1 per household: at most 600
    covered, and ``hard_targets`` fixes the shortfall at 0, so no allocation is feasible.

    The run still writes its folder, with empty tables and status ``infeasible`` in the
    manifest; the CLI turns a non-optimal result into NotOptimal (exit code 3).
    """
    result = solve_tiny("hard_targets_infeasible", tmp_path, solver)
    assert not result.solution.is_optimal
    assert result.solution.status.value == "infeasible"
    assert result.folder is not None
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert manifest["status"] == "infeasible" and manifest["optimal"] is False
    assert len(result.tables.allocations) == 0
    assert check_run_folder(result.folder) == []
    assert NotOptimal("infeasible").exit_code == 3
    relaxed = solve_tiny("hard_targets_infeasible", tmp_path / "relaxed", solver,
                         "objective.hard_targets=false")
    assert relaxed.solution.is_optimal  # the same model with soft targets: 300 short
    assert relaxed.manifest["objective"]["stage1_shortfall"] == pytest.approx(300.0, rel=1e-5)  # type: ignore[index]


def test_per_region_ceiling_on_a_shared_csr_pool(tmp_path: Path, solver: str) -> None:
    """A provincial CSR pool of 100 with ``per_region: {max: 30}``; one 100-tank programme in
    each of two regencies. Each regency takes at most 30: 30 + 30, and 40 stays unused."""
    result = solve_tiny("per_region_csr", tmp_path, solver)
    assert_allocation(result, {("tangki_alpha", "csr_prov", 2025, "capex"): 30.0,
                               ("tangki_beta", "csr_prov", 2025, "capex"): 30.0})
    assert result.tables.pools.iloc[0]["unused"] == pytest.approx(40.0, rel=REL)
    assert program_row(result, "tangki_beta")["limiting_reason"] == "share_cap"


def test_dak_supporting_costs_capped_at_5_percent(tmp_path: Path, solver: str) -> None:
    """DAK 100; supervision (supporting, 50 x 1, priority 5) and 40 tanks at 1 (priority 1).

    Supporting money s may be at most 5% of the pool's spending: s <= 0.05 (s + t), i.e.
    s <= t / 19. Stage 2 maximises 5 s / 50 + t / 40: both grow with t, so t = 40 (its
    quantity) and s = 40 / 19 = 2.105..., far below the 100 the pool holds.
    """
    result = solve_tiny("dak_supporting_cap", tmp_path, solver)
    assert_allocation(result, {("tangki", "dak", 2025, "capex"): 40.0,
                               ("pengawasan", "dak", 2025, "capex"): 40.0 / 19.0})
    supporting = program_row(result, "pengawasan")
    assert supporting["limiting_reason"] == "share_cap"
    assert "supporting" in str(supporting["limiting_detail"])


def test_cheap_commitment_is_delivered_exactly(tmp_path: Path, solver: str) -> None:
    """Regression: p4 commits 1 unit of 2 juta (min_quantity 1) beside pools of hundreds
    (money_scale 100). DAK (rank 1) pays it in 2025 (e = 1.1): exactly 1 unit for exactly 2.

    With the cost row written in money units the solver's 1e-7 row tolerance was 1e-5 juta here,
    so it delivered 0.9999989 units (below min_quantity) for 1.9999978 juta. p3 names only DAK,
    which does not fund higiene: no eligible source.
    """
    result = solve_tiny("tolerance_cheap_commitment", tmp_path, solver)
    assert_allocation(result, {("p4", "dak", 2025, "capex"): 2.0})
    p4 = program_row(result, "p4")
    assert p4["units_delivered"] == pytest.approx(1.0, rel=1e-9)
    assert p4["funded"] == pytest.approx(2.0, rel=1e-9)
    assert program_row(result, "p3")["limiting_reason"] == "no_eligible_source"
