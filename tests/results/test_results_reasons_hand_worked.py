"""Waiting-list reasons on tiny scenarios whose limit is worked out by hand, on every backend.

Each docstring derives the plan from the three stages of domain.md section 4 (stage 2 weights
``e[t] = 1 + 0.1 (T1 - t) / (T1 - T0)``) and then the reason from the rules of
docs/formulation.md section 9: each open year of the programme's window is checked for what kept
more capital money from it, and the years' findings rank readiness, om_burden, share_cap, then
year_window / pool_exhausted. Amounts are compared loosely (the stage holds let a later stage
trade 1e-7 of an earlier one); reasons exactly, details by substring.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from invariants import check_run_folder

from ssk_optimize.api import RunResult, solve_file

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"
TOO_LITTLE = "too little for the next unit"



def solve_tiny(name: str, folder: Path, solver: str) -> RunResult:
    result = solve_file(TINY / f"{name}.yaml", overrides=("solver.mip_gap=0",),
                        output=folder / name, solver=solver)
    assert result.solution.is_optimal, result.solution.notes
    assert result.folder is not None
    assert check_run_folder(result.folder) == []
    assert_no_divisible_too_little(result)
    assert_details_start_with_the_name(result)
    return result


def row(result: RunResult, program: str) -> dict[str, object]:
    frame = result.tables.programs
    return frame[frame["program"] == program].iloc[0].to_dict()


def assert_reason(result: RunResult, program: str, reason: str, *parts: str,
                  absent: tuple[str, ...] = ()) -> None:
    found = row(result, program)
    detail = str(found["limiting_detail"])
    assert found["limiting_reason"] == reason, (found["limiting_reason"], detail)
    for part in parts:
        assert part in detail, (part, detail)
    for part in absent:
        assert part not in detail, (part, detail)


def assert_no_divisible_too_little(result: RunResult) -> None:
    """'too little for the next unit' only ever describes whole-unit programmes."""
    frame = result.tables.programs
    divisible = {p.id: p.divisible for p in result.loaded.scenario.programs}
    for program, detail in zip(frame["program"], frame["limiting_detail"], strict=True):
        if divisible[program]:
            assert TOO_LITTLE not in str(detail), (program, detail)


def assert_details_start_with_the_name(result: RunResult) -> None:
    """Every waiting programme's detail starts with its name as written (the id without one)."""
    frame = result.tables.programs
    names = {p.id: p.name or p.id for p in result.loaded.scenario.programs}
    for program, waiting, detail in zip(frame["program"], frame["waiting_list"],
                                        frame["limiting_detail"], strict=True):
        if waiting:
            assert str(detail).startswith(f"{names[program]}: "), (program, detail)
        else:
            assert detail == "", (program, detail)


# --- readiness ----------------------------------------------------------------------------


def test_prerequisite_done_in_the_first_year_is_not_readiness(tmp_path: Path,
                                                              solver: str) -> None:
    """2025-2027; APBD 100 in 2025, 0 in 2026-2027. ``ded`` (2025 only, 10) and ``ipal`` (100,
    requires ded).

    The DED is paid in full in 2025 (10 of 100). The IPAL's 2025 readiness row reads
    ``s_ipal[2025] <= 0`` (the DED cannot deliver before 2025): it always binds and is not a
    limit any plan could move, so 2025 is a closed year for the IPAL. In 2026 and 2027 the DED is
    complete (the rows have slack 1) but APBD has 0: the IPAL waits because its only pool is
    fully used in its open years: ``pool_exhausted`` (it was ``readiness`` before).
    """
    result = solve_tiny("reason_readiness_first_year", tmp_path, solver)
    assert row(result, "ipal")["units_delivered"] == pytest.approx(0.0, abs=1e-6)
    assert_reason(result, "ipal", "pool_exhausted", "IPAL komunal Bulik",
                  "apbd fully used in 2026-2027", absent=("waits", TOO_LITTLE))
    assert_reason(result, "ded", "fully_funded")


def test_half_finished_ded_holds_the_ipal_back(tmp_path: Path, solver: str) -> None:
    """2025-2026; APBD 5 in 2025, 1000 in 2026. ``ded`` (10) and ``ipal`` (100, requires ded).

    2025 buys half the DED (5). The IPAL may deliver by the end of 2026 only the share the DED
    finished by the end of 2025: 0.5 (50 of money), with 945 of APBD left in 2026. The 2026
    readiness row binds while the DED could have started earlier and was not complete:
    ``readiness``, naming the DED and 2026.
    """
    result = solve_tiny("reason_readiness_partial_ded", tmp_path, solver)
    assert row(result, "ipal")["units_delivered"] == pytest.approx(0.5, rel=1e-5)
    assert_reason(result, "ipal", "readiness", "IPAL komunal Nanga", "waits for ded",
                  "binding in 2026")


def test_construction_in_the_year_of_its_ded_can_never_be_ready(tmp_path: Path,
                                                                solver: str) -> None:
    """2025-2026, APBD 1000 a year; ``ipal`` may build only in 2025 and requires ``ded``.

    The DED cannot deliver before 2025, so the IPAL's only year is closed by readiness: it gets
    nothing although money is ample. No open year is left: ``readiness`` (cannot be complete in
    time).
    """
    result = solve_tiny("reason_readiness_same_year", tmp_path, solver)
    assert row(result, "ipal")["units_delivered"] == pytest.approx(0.0, abs=1e-6)
    assert_reason(result, "ipal", "readiness", "ipal: ", "waits for ded",
                  "cannot be complete before the end of 2025")


# --- om_burden ----------------------------------------------------------------------------


def test_retribusi_too_small_for_more_om_in_2026_2027(tmp_path: Path, solver: str) -> None:
    """2025-2028; DAK 1000, 1000, 300, 300; RETRIBUSI 0, 10, 10, 1000. IPAL 10 x 100, O&M 10%
    (10 a unit a year), which only RETRIBUSI may pay (DAK does not pay O&M).

    Units built before 2026 and before 2027 each cost 10 a year of O&M there, so at most 1 unit
    is built in 2025-2026 (in 2025: e = 1.1). In 2027 DAK's 300 buys 3 units (O&M 30 of 1000 in
    2028), in 2028 another 3: 7 of 10. In 2025 and 2026 DAK still has money, but a unit built
    then needs O&M in 2026-2027, where RETRIBUSI is full: ``om_burden`` naming retribusi and
    2026-2027 (it was ``pool_exhausted`` with dak 2027-2028 before).
    """
    result = solve_tiny("reason_om_retribusi", tmp_path, solver)
    assert row(result, "ipal")["units_delivered"] == pytest.approx(7.0, rel=1e-5)
    assert_reason(result, "ipal", "om_burden", "IPAL komunal Kota",
                  "retribusi fully used in 2026-2027")


def test_no_pool_may_pay_the_om(tmp_path: Path, solver: str) -> None:
    """2025-2026; DAK 1000 and 50; IPAL 2 x 100 with O&M 10%; no O&M-eligible pool.

    A unit built in 2025 would need O&M in 2026 that no pool may pay, so nothing is built in
    2025; in 2026 (no O&M inside the horizon) DAK's 50 buys half a unit. 2025 had capital money
    and O&M blocked it: ``om_burden``.
    """
    result = solve_tiny("reason_om_no_pool", tmp_path, solver)
    assert row(result, "ipal")["units_delivered"] == pytest.approx(0.5, rel=1e-5)
    assert_reason(result, "ipal", "om_burden", "ipal: ", "no pool may pay the O&M")


# --- share_cap ----------------------------------------------------------------------------


def test_per_region_ceiling_shaved_by_the_tie_break(tmp_path: Path, solver: str) -> None:
    """2025; CSR (provincial) 1000 with per_region max 300; APBD alpha 200; APBD beta 1000.
    ``tangki_alpha`` (1000 x 1, CSR only), ``plant_alpha`` (perkotaan, one whole unit of 250,
    not CSR-eligible), ``tangki_beta`` (100 x 1, CSR only), ten beta studies (10 x 1,
    priority 5, APBD beta).

    Stage 2 fills alpha's CSR ceiling (300) and beta's 100; every study in full. The plant
    cannot be bought whole with APBD alpha's 200. Stage 3 (least rank x money) may give up 1e-7
    of the large stage-2 value and drops the money with the best rank-money per priority lost:
    tangki_alpha ends a little under 300 (about 299.998). The ceiling is what limits it (CSR
    still has about 600): ``share_cap``, not "too little for the next unit" (a divisible
    programme). The plant: ``pool_exhausted``, too little for a whole unit.
    """
    result = solve_tiny("reason_per_region_ceiling", tmp_path, solver)
    assert row(result, "tangki_alpha")["units_delivered"] == pytest.approx(300.0, rel=1e-4)
    assert_reason(result, "tangki_alpha", "share_cap", "Tangki septik Alpha",
                  "per_region limit of csr_prov", "alpha in 2025", absent=(TOO_LITTLE,))
    assert_reason(result, "plant_alpha", "pool_exhausted", "IPLT Alpha", TOO_LITTLE,
                  "apbd_alpha")
    assert_reason(result, "tangki_beta", "fully_funded")


def test_per_region_ceiling_is_not_charged_to_ineligible_programmes(tmp_path: Path,
                                                                    solver: str) -> None:
    """2025; CSR 100 with per_region max 30; APBD alpha 200. ``tangki_alpha`` (100 x 1, CSR
    only); ``plant_alpha`` (perkotaan: CSR may not fund it; one whole unit of 250).

    tangki_alpha takes its 30 of CSR and waits on the binding ceiling: ``share_cap``. The plant
    may not use CSR at all, so alpha's CSR ceiling is no reason of its; APBD's 200 cannot buy a
    whole plant: ``pool_exhausted``, too little for the next unit (it was ``share_cap``).
    """
    result = solve_tiny("reason_per_region_ineligible", tmp_path, solver)
    assert_reason(result, "tangki_alpha", "share_cap", "tangki_alpha: ",
                  "per_region limit of csr_prov")
    assert_reason(result, "plant_alpha", "pool_exhausted", "IPLT Alpha", TOO_LITTLE,
                  absent=("per_region",))


def test_masyarakat_share_caps_community_money(tmp_path: Path, solver: str) -> None:
    """``masyarakat_cap``: MASYARAKAT 100, APBD 50, 100 tanks at 1.

    With u units, APBD pays at least 0.8 u, so u <= 62.5 (APBD 50, masyarakat 12.5). MASYARAKAT
    still has 87.5, held back by the 20% rule: ``share_cap``.
    """
    result = solve_tiny("masyarakat_cap", tmp_path, solver)
    assert row(result, "tangki")["units_delivered"] == pytest.approx(62.5, rel=1e-5)
    assert_reason(result, "tangki", "share_cap", "masyarakat_share", "masy")


def test_matching_needs_partner_money(tmp_path: Path, solver: str) -> None:
    """``dak_matching``: DAK 100, APBD 5, each rupiah of DAK needs 0.10 of APBD; 200 tanks at 1.

    DAK d and APBD a with a >= 0.1 d and a <= 5: d = 50, a = 5, 55 tanks. DAK has 50 left,
    unusable without partner money: ``share_cap`` (matching).
    """
    result = solve_tiny("dak_matching", tmp_path, solver)
    assert row(result, "tangki")["units_delivered"] == pytest.approx(55.0, rel=1e-5)
    assert_reason(result, "tangki", "share_cap", "matching rule binds", "dak")


def test_dak_supporting_cap(tmp_path: Path, solver: str) -> None:
    """``dak_supporting_cap``: DAK 100; supervision (priority 5) and 40 tanks (priority 1).

    Supporting money s <= 0.05 (s + c) with c <= 40: s = 40/19 = 2.105. DAK has money left, but
    only behind the 5% cap: ``share_cap``.
    """
    result = solve_tiny("dak_supporting_cap", tmp_path, solver)
    assert row(result, "pengawasan")["units_delivered"] == pytest.approx(40 / 19, rel=1e-5)
    assert_reason(result, "pengawasan", "share_cap", "DAK supporting-cost cap of dak")


# --- year_window --------------------------------------------------------------------------


def test_money_only_before_the_window(tmp_path: Path, solver: str) -> None:
    """2025-2026; APBD 100 in 2025, 10 in 2026; a 2026-only TPS3R of 50 x 1.

    It buys 10 in 2026; the 100 of 2025 is outside its years: ``year_window``.
    """
    result = solve_tiny("reason_year_window_late", tmp_path, solver)
    assert row(result, "tpst")["units_delivered"] == pytest.approx(10.0, rel=1e-5)
    assert_reason(result, "tpst", "year_window", "TPS3R Desa Melata",
                  "outside its years 2026", "apbd has money in 2025")


def test_money_only_after_the_window(tmp_path: Path, solver: str) -> None:
    """2025-2027; DAK 20 (2025), 500 (2027); APBD 10 (2025), 500 (2026); 2025-only tanks, 100 x 1.

    2025 buys 30 (DAK 20, APBD 10); both pools have money only in later years: ``year_window``.
    """
    result = solve_tiny("reason_year_window_early", tmp_path, solver)
    assert row(result, "tangki")["units_delivered"] == pytest.approx(30.0, rel=1e-5)
    assert_reason(result, "tangki", "year_window", "outside its years 2025",
                  "apbd has money in 2026", "dak has money in 2027")


# --- pool_exhausted -----------------------------------------------------------------------


def test_money_went_to_the_higher_priority(tmp_path: Path, solver: str) -> None:
    """``priority_single_pool``: APBD 100, hi and lo 60 each, priority 5 and 2.

    hi gets 60, lo the remaining 40 (4 of 6 units); APBD is fully used: ``pool_exhausted``.
    hi is ``fully_funded``.
    """
    result = solve_tiny("priority_single_pool", tmp_path, solver)
    assert_reason(result, "lo", "pool_exhausted", "lo: ", "apbd fully used in 2025",
                  absent=(TOO_LITTLE,))
    assert_reason(result, "hi", "fully_funded")


def test_om_of_another_programme_used_the_pool(tmp_path: Path, solver: str) -> None:
    """``om_next_year``: build (2025) leaves O&M 20 in 2026; later (2026 only) gets 80 of 100.

    APBD is fully used in 2026, later's only year: ``pool_exhausted`` (its own O&M is not
    involved: it has none).
    """
    result = solve_tiny("om_next_year", tmp_path, solver)
    assert_reason(result, "later", "pool_exhausted", "apbd fully used in 2026")


def test_whole_unit_left_with_too_little(tmp_path: Path, solver: str) -> None:
    """``whole_unit``: two plants of 200, APBD 150 a year: one plant over two years (300), 0 left
    in 2025 and 100 left in 2026 - too little for a second whole plant: ``pool_exhausted``.
    """
    result = solve_tiny("whole_unit", tmp_path, solver)
    assert_reason(result, "plant", "pool_exhausted", TOO_LITTLE, "apbd has money left in 2026")


# --- fully_funded, no_eligible_source -----------------------------------------------------


def test_ample_money_funds_both_and_names_no_reason(tmp_path: Path, solver: str) -> None:
    """``readiness_after_ded``: APBD 1000 a year, DED in 2025, IPAL in 2026: both in full."""
    result = solve_tiny("readiness_after_ded", tmp_path, solver)
    for program in ("ded", "ipal"):
        assert_reason(result, program, "fully_funded")
        assert row(result, program)["limiting_detail"] == ""


def test_no_pool_may_fund_a_regional_study(tmp_path: Path, solver: str) -> None:
    """``dak_persampahan_kumuh``: the regional study may be funded only by APBD_PROV or APBN,
    which the regency does not hold; APBD_KAB and DAK refuse it by their rule rows."""
    result = solve_tiny("dak_persampahan_kumuh", tmp_path, solver)
    assert_reason(result, "fs_regional", "no_eligible_source", "fs_regional: ", "APBD_KAB",
                  "DAK")
    assert_reason(result, "sampah_kumuh", "fully_funded")


def test_sources_list_excludes_every_pool(tmp_path: Path, solver: str) -> None:
    """``tolerance_cheap_commitment``: p3's ``sources`` names no pool's source type it may use."""
    result = solve_tiny("tolerance_cheap_commitment", tmp_path, solver)
    assert_reason(result, "p3", "no_eligible_source", "sources")
