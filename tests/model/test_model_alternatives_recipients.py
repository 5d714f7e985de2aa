"""Issue 9 (D): mutually exclusive alternatives, bantuan keuangan khusus, pools that open with a
programme, Dana Desa that follows the desa. Tiny scenarios worked out by hand, solved on every
backend (stage notation as in ``test_model_hand_worked.py``), each run folder checked by the
independent invariant checker; then each rule is broken on purpose, for the plan check and for the
checker, to show both can fail; and "key absent: model unchanged" for each key.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from invariants import check_run_folder
from mutation import mutated_folder
from test_model_hand_worked import assert_allocation, money, solve_tiny
from test_model_hand_worked import program_row as row

from ssk_optimize.api import RunResult, solve_file
from ssk_optimize.model.formulation import build_model
from ssk_optimize.results.plan_check import check_plan
from ssk_optimize.results.values import extract_values
from ssk_optimize.scenario import load_scenario

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"
REL = 1e-6
Key = tuple[str, str, int, str]


def without(name: str, folder: Path, drop: dict[str, dict[str, str]]) -> Path:
    """The tiny scenario with keys removed: ``{section: {item id: key}}``."""
    data = yaml.safe_load((TINY / f"{name}.yaml").read_text(encoding="utf-8"))
    for section, by_id in drop.items():
        for item in data[section]:
            if item["id"] in by_id:
                del item[by_id[item["id"]]]
    path = folder / f"{name}_without.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- excludes


def test_excludes_builds_one_alternative_and_says_which(tmp_path: Path, solver: str) -> None:
    """APBD 100 in one year; iplt 1 whole unit x 60 (priority 5), lltt 3 x 10 (priority 3,
    ``excludes: [iplt]``, declared on one side only), other 1 x 10 (priority 1).

    Without the exclusion all three fit (60 + 30 + 10 = 100). With it, at most one of iplt and
    lltt is built: stage 2 compares 5 x 1 (iplt, 60) with 3 x 1 (lltt, 30); with iplt the
    remaining 40 still buy other (1), 5 + 1 = 6 > 3 + 1 = 4, so iplt 60, other 10, lltt nothing
    (not even a share: ``sum_t s <= built``). lltt waits with reason ``alternative`` naming iplt.
    """
    result = solve_tiny("excludes_alternatives", tmp_path, solver)
    assert_allocation(result, {("iplt", "apbd", 2025, "capex"): 60.0,
                               ("other", "apbd", 2025, "capex"): 10.0})
    lltt = row(result, "lltt")
    assert lltt["waiting_list"] and lltt["limiting_reason"] == "alternative"
    assert lltt["limiting_detail"].startswith("Perluasan LLTT: alternative iplt chosen")
    names = set(result.model.lp.row_names)
    assert {"excludes[iplt,lltt]", "excludes_built[iplt]", "excludes_built[lltt]"} <= names
    free = solve_tiny("excludes_alternatives", tmp_path / "free", solver,
                      path=without("excludes_alternatives", tmp_path, {"programs": {"lltt": "excludes"}}))
    assert_allocation(free, {("iplt", "apbd", 2025, "capex"): 60.0,
                             ("lltt", "apbd", 2025, "capex"): 30.0,
                             ("other", "apbd", 2025, "capex"): 10.0})
    assert not any(name.startswith("excludes") for name in free.model.lp.row_names)
    assert free.model.index.built.empty


def test_excludes_broken_is_caught(tmp_path: Path) -> None:
    result = solve_file(TINY / "excludes_alternatives.yaml", output=tmp_path / "run")
    scenario = result.loaded.scenario
    ids = [p.id for p in scenario.programs]
    values = extract_values(result.model, result.solution.x)  # type: ignore[arg-type]
    units = values.units.copy()
    units[ids.index("lltt"), 0] = 3.0
    assert any(v.rule == "excludes" for v in check_plan(scenario, result.tables, units).violations)
    messages = _mutated(result, tmp_path / "both", lambda t: _move(t, "other", "lltt"))
    assert any(m.startswith("excludes: iplt and lltt are both built") for m in messages), messages


# --------------------------------------------------------------------------- recipients


def test_recipients_fund_only_listed_regions_up_to_their_amounts(tmp_path: Path, solver: str) -> None:
    """APBD_PROV 100 a year (2025-2026) held by the province; ``recipients: {alpha: 30, beta:
    {2026: 20}}``; tangki septik (individual, 100 x 1) in alpha, beta and gamma; a regional TPA
    (10) in alpha. ``rules.bantuan_keuangan`` is off.

    The pool funds individual-scale works only as bantuan keuangan khusus: alpha at most 30 a
    year, beta 0 in 2025 and 20 in 2026, gamma nothing (not a recipient). Budgets never bind
    (at most 30 + 10 in 2025, 30 + 20 in 2026), so stage 2 takes every capped amount: alpha 30 +
    30, beta 20 in 2026; the TPA (scale regional: the pool's own rule, no cap) 10 in 2025 (earlier
    counts more). gamma has no eligible source; alpha and beta wait on the recipients amount
    (share_cap).
    """
    result = solve_tiny("recipients_bantuan", tmp_path, solver)
    assert_allocation(result, {("tangki_a", "prov_apbd", 2025, "capex"): 30.0,
                               ("tangki_a", "prov_apbd", 2026, "capex"): 30.0,
                               ("tangki_b", "prov_apbd", 2026, "capex"): 20.0,
                               ("tpa_regional", "prov_apbd", 2025, "capex"): 10.0})
    assert row(result, "tangki_g")["limiting_reason"] == "no_eligible_source"
    assert "only to its recipients [alpha, beta]" in row(result, "tangki_g")["limiting_detail"]
    assert row(result, "tangki_a")["limiting_reason"] == "share_cap"
    assert "bantuan keuangan khusus of prov_apbd for alpha" in row(result, "tangki_a")["limiting_detail"]
    assert "recipients[prov_apbd,alpha,2025]" in set(result.model.lp.row_names)


def test_recipients_broken_is_caught(tmp_path: Path) -> None:
    result = solve_file(TINY / "recipients_bantuan.yaml", output=tmp_path / "run")
    more = _mutated(result, tmp_path / "more", lambda t: _scale(t, "tangki_a", 2025, 40.0))
    assert any(m.startswith("recipients: prov_apbd/alpha/2025") for m in more), more
    tables = result.tables
    alloc = tables.allocations.copy()
    alloc.loc[(alloc["program"] == "tangki_a") & (alloc["year"] == 2025), "amount"] = 40.0
    units = extract_values(result.model, result.solution.x).units.copy()  # type: ignore[arg-type]
    units[[p.id for p in result.loaded.scenario.programs].index("tangki_a"), 0] = 40.0
    check = check_plan(result.loaded.scenario, dataclasses.replace(tables, allocations=alloc), units)
    assert any(v.rule == "recipients" and v.region == "alpha" and v.year == 2025 for v in check.violations)


def test_recipients_absent_leave_the_provincial_pool_to_regional_works(tmp_path: Path) -> None:
    """Without ``recipients`` (and bantuan_keuangan off) the pool funds only the regional TPA."""
    path = without("recipients_bantuan", tmp_path, {"pools": {"prov_apbd": "recipients"}})
    result = solve_file(path, output=tmp_path / "run")
    assert money(result) == {("tpa_regional", "prov_apbd", 2025, "capex"): 10.0}
    assert check_run_folder(result.folder) == []  # type: ignore[arg-type]


# --------------------------------------------------------------------------- pools.requires


def test_pool_opens_the_year_after_its_perda(tmp_path: Path, solver: str) -> None:
    """APBD 10 in 2025 only; RETRIBUSI 50 a year, ``requires: [perda]``; perda (institutional,
    1 x 10); iplt_om (kind om, 15 x 10, priority 5), which only RETRIBUSI or APBD may fund.

    If APBD pays perda in 2025, retribusi opens in 2026: 50 + 50 buy 10 units of iplt_om; stage 2
    value 1.1 (perda) + 5 (1.05 x 5 + 1.0 x 5) / 15 = 4.52. Any other use of the 10 (iplt_om, 1
    unit in 2025) keeps retribusi closed: 5 x 1.1 / 15 = 0.37. So perda 10 (2025), iplt_om 50
    (2026) + 50 (2027) from retribusi; without ``requires``, retribusi would pay 50 in 2025 too.
    """
    result = solve_tiny("pool_requires_perda", tmp_path, solver)
    assert_allocation(result, {("perda", "apbd", 2025, "capex"): 10.0,
                               ("iplt_om", "retribusi", 2026, "capex"): 50.0,
                               ("iplt_om", "retribusi", 2027, "capex"): 50.0})
    waiting = row(result, "iplt_om")
    assert waiting["limiting_reason"] == "readiness"
    assert "retribusi opens only the year after Perda tarif retribusi is complete" in \
        waiting["limiting_detail"]
    free = solve_tiny("pool_requires_perda", tmp_path / "free", solver,
                      path=without("pool_requires_perda", tmp_path, {"pools": {"retribusi": "requires"}}))
    assert free.tables.programs.set_index("program").loc["iplt_om", "units_delivered"] == \
        pytest.approx(15.0, rel=REL)


def test_pool_requires_broken_is_caught(tmp_path: Path) -> None:
    result = solve_file(TINY / "pool_requires_perda.yaml", output=tmp_path / "run")

    def early(tables: dict[str, pd.DataFrame]) -> None:
        alloc = tables["allocations"]
        alloc.loc[(alloc["program"] == "iplt_om") & (alloc["year"] == 2026), "year"] = 2025
        tables["allocations"] = alloc.sort_values(["program", "pool", "year"]).reset_index(drop=True)

    messages = _mutated(result, tmp_path / "early", early)
    assert any(m.startswith("pool_requires: retribusi/2025") for m in messages), messages
    alloc = result.tables.allocations.copy()
    alloc.loc[(alloc["program"] == "iplt_om") & (alloc["year"] == 2026), "year"] = 2025
    units = extract_values(result.model, result.solution.x).units.copy()  # type: ignore[arg-type]
    position = [p.id for p in result.loaded.scenario.programs].index("iplt_om")
    units[position, 0], units[position, 1] = units[position, 1], 0.0
    check = check_plan(result.loaded.scenario, dataclasses.replace(result.tables, allocations=alloc), units)
    assert any(v.rule == "pool_requires" and v.year == 2025 for v in check.violations)


# --------------------------------------------------------------------------- desa_share


def test_dana_desa_pays_only_the_desa_share(tmp_path: Path, solver: str) -> None:
    """Dana Desa 100 and APBD 100 (one year); 6 desa, 4 kelurahan. tangki (100 x 1) lies in desa
    and kelurahan: Dana Desa at most 0.6 x 100 = 60. jamban (40 x 1, locations [desa]) has an
    explicit ``desa_share: 0.25``: at most 10. Both are delivered in full (200 of money for 140);
    stage 3 prefers Dana Desa (rank 2) to APBD_KAB (rank 7), up to the caps: tangki 60 + 40,
    jamban 10 + 30.
    """
    result = solve_tiny("desa_share", tmp_path, solver)
    assert_allocation(result, {("tangki", "dd", 2025, "capex"): 60.0,
                               ("tangki", "apbd", 2025, "capex"): 40.0,
                               ("jamban", "dd", 2025, "capex"): 10.0,
                               ("jamban", "apbd", 2025, "capex"): 30.0})
    assert {"desa_share[tangki,2025]", "desa_share[jamban,2025]"} <= set(result.model.lp.row_names)


def test_desa_share_broken_is_caught(tmp_path: Path) -> None:
    result = solve_file(TINY / "desa_share.yaml", output=tmp_path / "run")

    def shift(tables: dict[str, pd.DataFrame]) -> None:
        alloc = tables["allocations"]
        jamban = alloc["program"] == "jamban"
        alloc.loc[jamban & (alloc["pool"] == "dd"), "amount"] = 40.0
        tables["allocations"] = alloc[~(jamban & (alloc["pool"] == "apbd"))].reset_index(drop=True)

    messages = _mutated(result, tmp_path / "shift", shift)
    assert any(m.startswith("desa_share: jamban/2025") for m in messages), messages
    alloc = result.tables.allocations.copy()
    jamban = alloc["program"] == "jamban"
    alloc.loc[jamban & (alloc["pool"] == "dd"), "amount"] = 40.0
    alloc = alloc[~(jamban & (alloc["pool"] == "apbd"))]
    units = extract_values(result.model, result.solution.x).units  # type: ignore[arg-type]
    check = check_plan(result.loaded.scenario, dataclasses.replace(result.tables, allocations=alloc), units)
    assert any(v.rule == "desa_share" and v.program == "jamban" for v in check.violations)


def test_dana_desa_is_unlimited_for_a_programme_only_in_desa(tmp_path: Path) -> None:
    """Without ``desa_share`` jamban (locations [desa]) may take Dana Desa for all of its cost;
    tangki (desa and kelurahan) stays at 0.6."""
    path = without("desa_share", tmp_path, {"programs": {"jamban": "desa_share"}})
    found = money(solve_file(path, output=tmp_path / "run"))
    assert found[("tangki", "dd", 2025, "capex")] == pytest.approx(60.0, rel=REL)
    assert found[("jamban", "dd", 2025, "capex")] == pytest.approx(40.0, rel=REL)


def test_a_dana_desa_pool_in_a_region_without_desa_is_a_warning(tmp_path: Path) -> None:
    data = yaml.safe_load((TINY / "desa_share.yaml").read_text(encoding="utf-8"))
    data["regions"][0]["desa"] = 0
    path = tmp_path / "no_desa.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    loaded = load_scenario(path)
    warnings = [w for w in loaded.warnings if w.path == "pools.dd"]
    assert warnings and "desa: 0" in warnings[0].message and warnings[0].severity == "warning"


def test_absent_keys_add_no_rows_or_columns() -> None:
    """katingan (none of these keys) builds no row or column of these families."""
    model = build_model(load_scenario(Path(__file__).resolve().parents[2] / "scenarios"
                                      / "katingan.yaml").scenario)
    families = set(model.family_rows)
    assert not families & {"excludes", "excludes_built", "recipients", "pool_open", "pool_requires",
                           "desa_share"}
    assert model.index.built.empty and model.index.pool_open.empty


# --------------------------------------------------------------------------- helpers


def _mutated(result: RunResult, folder: Path, change: Any) -> list[str]:
    assert result.folder is not None
    return mutated_folder(result.folder, folder, change)


def _move(tables: dict[str, pd.DataFrame], source: str, target: str) -> None:
    """Give ``target`` the allocation rows of ``source``."""
    alloc = tables["allocations"]
    alloc.loc[alloc["program"] == source, "program"] = target


def _scale(tables: dict[str, pd.DataFrame], program: str, year: int, amount: float) -> None:
    alloc = tables["allocations"]
    alloc.loc[(alloc["program"] == program) & (alloc["year"] == year), "amount"] = amount
