"""Hypothesis strategy for small, random, valid and feasible scenario dicts (YAML-ready).

Shape: 1-2 regions, 2-6 pools of mixed source types (DAK, APBD_KAB, DANA_DESA, MASYARAKAT,
RETRIBUSI, CSR, and sometimes APBD_PROV, APBN, HIBAH) held by a region, the province or
``national``; 2-8 programmes of mixed kinds, scales, sub-sectors and locations with random
``requires`` (acyclic: a programme only requires earlier ones), O&M rates, ``serves``, targets
(half of them yearly, ``trajectory: linear``); sometimes per-year or growing unit costs (and a
scenario ``cost_growth``), an O&M handover cap, windows, ``divisible: false``, matching rules,
amended shares, a per-region ceiling on a shared pool, baseline O&M, ``min_quantity`` and
``locked`` money, ``max_per_year``, ``max_years`` and ``capex_growth`` (no committed money where
they apply); issue 9 keys (``excludes`` between uncommitted programmes, ``recipients`` on
provincial APBD_PROV pools, ``requires`` on pools no commitment uses, ``desa_share``); horizon 1-4
years.

Every scenario is feasible by construction, so the model must reach ``optimal``: committed money
(``min_quantity``, ``locked``, baseline O&M) is only placed where it cannot conflict with another
rule. It sits on the programme region's own APBD_KAB pool (or, for a lock, a DAK pool on an
air_limbah construction programme when no matching rule applies to DAK), on programmes without
prerequisites or O&M, and within 80% of the pool-year budget in total.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

START = 2025
SOURCES_COMMON = ("DAK", "APBD_KAB", "DANA_DESA", "MASYARAKAT", "RETRIBUSI", "CSR")
SOURCES_RARE = ("APBD_PROV", "APBN", "HIBAH")
KINDS = ("construction", "study", "land", "promotion", "institutional", "supporting", "om")
SCALES = ("individual", "komunal", "desa", "permukiman", "perkotaan", "regional")
SUBSECTORS = ("air_limbah", "persampahan", "drainase", "higiene", "air_minum")
LOCATIONS = ("desa", "kelurahan", "kumuh", "stunting", "perkotaan")
INDICATORS = ("akses_layak", "akses_aman")
PROVINCE = "prov"


def _budget_in(pool: dict[str, Any], year: int) -> float:
    if "budget" in pool:
        return float(pool["budget"].get(year, 0.0))
    base = pool["base"]
    return float(base["amount"] * (1.0 + pool.get("growth", 0.0)) ** (year - base["year"]))


def _cost_in(program: dict[str, Any], year: int, cost_growth: float = 0.0) -> float:
    cost = program["unit_cost"]
    if isinstance(cost, dict) and "base" in cost:  # {base, year[, growth]}: grows from its year
        growth = cost.get("growth", cost_growth)
        return float(cost["base"] * (1.0 + growth) ** (year - cost["year"]))
    if isinstance(cost, dict):
        return float(cost[year])
    return float(cost * (1.0 + cost_growth) ** (year - START))


def _window(program: dict[str, Any], years: list[int]) -> tuple[int, int]:
    return tuple(program["years"]) if "years" in program else (years[0], years[-1])  # type: ignore[return-value]


def _names(program: dict[str, Any], source: str) -> bool:
    return "sources" not in program or source in program["sources"]


@st.composite
def _region(draw: st.DrawFn, index: int, years: list[int]) -> dict[str, Any]:
    households = draw(st.integers(200, 5000))
    region: dict[str, Any] = {
        "id": f"r{index}", "province": PROVINCE, "households": {START: households},
        "household_growth": draw(st.sampled_from([0.0, 0.01, 0.03])),
        "desa": draw(st.sampled_from([0, 3, 20])),
    }
    indicators = draw(st.lists(st.sampled_from(INDICATORS), max_size=2, unique=True))
    if indicators:
        region["baseline"] = {k: draw(st.integers(0, households // 2)) for k in indicators}
        region["targets"] = {
            k: {year: draw(st.sampled_from([0.3, 0.6, 0.8, 0.95]))
                for year in draw(st.lists(st.sampled_from(years), min_size=1, max_size=2,
                                          unique=True))}
            for k in indicators}
        for target in region["targets"].values():  # yearly targets (target trajectories)
            if draw(st.booleans()):
                target["trajectory"] = "linear"
    if draw(st.integers(0, 3)) == 0:  # issue 9: capital spending grows at most this share a year
        region["capex_growth"] = draw(st.sampled_from([0.0, 0.1, 0.5]))
    return region


@st.composite
def _pool(draw: st.DrawFn, index: int, years: list[int], regions: list[str]) -> dict[str, Any]:
    source = draw(st.sampled_from(SOURCES_COMMON + ("DAK", "APBD_KAB") + SOURCES_RARE))
    holder = draw(st.sampled_from(regions * 3 + [PROVINCE, "national"]))
    pool: dict[str, Any] = {"id": f"b{index}_{source.lower()}", "source": source, "holder": holder}
    if draw(st.integers(0, 4)) == 0:
        pool["base"] = {"year": START - 1, "amount": draw(st.integers(50, 1000))}
        pool["growth"] = draw(st.sampled_from([0.0, 0.05]))
    else:
        pool["budget"] = {year: draw(st.sampled_from([0, 50, 100, 300, 300, 700, 1000]))
                          for year in years}
    if draw(st.booleans()):
        pool["firm"] = False
    if holder in (PROVINCE, "national") and draw(st.integers(0, 2)) == 0:
        pool["per_region"] = {"max": draw(st.sampled_from([10, 50, 200]))}
    return pool


@st.composite
def _program(draw: st.DrawFn, index: int, years: list[int], regions: list[str],
             earlier: list[str]) -> dict[str, Any]:
    divisible = draw(st.integers(0, 3)) > 0
    quantity = draw(st.integers(1, 5)) if not divisible else draw(
        st.sampled_from([1, 2.5, 10, 40]))
    program: dict[str, Any] = {
        "id": f"p{index}",
        "region": draw(st.sampled_from(regions)),
        "subsector": draw(st.sampled_from(SUBSECTORS)),
        "kind": draw(st.sampled_from(KINDS + ("construction",) * 3)),
        "scale": draw(st.sampled_from(SCALES + ("individual", "komunal"))),
        "quantity": quantity,
        "priority": draw(st.integers(1, 5)),
        "locations": draw(st.lists(st.sampled_from(LOCATIONS), max_size=3, unique=True)),
    }
    if draw(st.integers(0, 2)) == 0 and len(years) > 1:
        first = draw(st.sampled_from(years))
        last = draw(st.sampled_from([y for y in years if y >= first]))
        program["years"] = [first, last]
    window = _window(program, years)
    form = draw(st.integers(0, 5))
    if form == 0:
        program["unit_cost"] = {year: draw(st.sampled_from([2, 5, 20, 60]))
                                for year in range(window[0], window[1] + 1)}
    elif form == 1:  # a growing cost, with its own growth or the scenario's cost_growth
        program["unit_cost"] = {"base": draw(st.sampled_from([2, 7.5, 30])),
                                "year": draw(st.sampled_from([START - 1, START + 1]))}
        if draw(st.booleans()):
            program["unit_cost"]["growth"] = draw(st.sampled_from([-0.1, 0.05, 0.3]))
    else:
        program["unit_cost"] = draw(st.sampled_from([0.5, 2, 7.5, 30, 150]))
    if not divisible:
        program["divisible"] = False
    if draw(st.booleans()):
        program["serves"] = {k: draw(st.sampled_from([0, 1, 5, 25]))
                             for k in draw(st.lists(st.sampled_from(INDICATORS), min_size=1,
                                                    max_size=2, unique=True))}
    if draw(st.booleans()):
        program["om_rate"] = draw(st.sampled_from([0.02, 0.1, 0.3]))
    if earlier and draw(st.booleans()):
        program["requires"] = draw(st.lists(st.sampled_from(earlier), min_size=1, max_size=2,
                                            unique=True))
    if draw(st.integers(0, 3)) == 0:
        program["sources"] = draw(st.lists(st.sampled_from(SOURCES_COMMON + SOURCES_RARE),
                                           min_size=1, max_size=4, unique=True))
    if draw(st.integers(0, 4)) == 0:  # issue 9: implementation capacity, multi-year contracts
        program["max_per_year"] = draw(st.sampled_from([1, 2, 5]))
    if not divisible and draw(st.booleans()):
        program["max_years"] = draw(st.integers(2, 3))
    return program


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A small random scenario dict that validates and has a feasible allocation."""
    years = list(range(START, START + draw(st.integers(1, 4))))
    regions = [draw(_region(i, years)) for i in range(draw(st.integers(1, 2)))]
    region_ids = [r["id"] for r in regions]
    pools = [draw(_pool(i, years, region_ids)) for i in range(draw(st.integers(2, 6)))]
    if draw(st.booleans()):  # often the regency's own APBD: the pool that may take commitments
        pools[0] = {"id": "b0_apbd_kab", "source": "APBD_KAB", "holder": region_ids[0],
                    "budget": {year: draw(st.sampled_from([100, 300, 1000])) for year in years}}
    programs: list[dict[str, Any]] = []
    for i in range(draw(st.integers(2, 8))):
        programs.append(draw(_program(i, years, region_ids, [p["id"] for p in programs])))
    rules: dict[str, Any] = {}
    if draw(st.integers(0, 2)) == 0:
        rules["matching"] = [{
            "source": draw(st.sampled_from(["DAK", "CSR", "DANA_DESA"])),
            "partners": draw(st.sampled_from([["APBD_KAB"], ["APBD_KAB", "MASYARAKAT"]])),
            "share": draw(st.sampled_from([0.1, 0.5])),
        }]
    if draw(st.integers(0, 3)) == 0:
        rules["masyarakat_share"] = draw(st.sampled_from([0.1, 0.5]))
    if draw(st.integers(0, 3)) == 0:
        rules["dak_supporting_share"] = draw(st.sampled_from([0.02, 0.2]))
    if draw(st.integers(0, 4)) == 0:
        rules["bantuan_keuangan"] = True
    if draw(st.integers(0, 3)) == 0:  # never infeasible: O&M-bearing programmes carry no commitment
        rules["om_handover_cap"] = draw(st.sampled_from([0.0, 0.2, 1.0]))
    if draw(st.integers(0, 3)) == 0:
        rules["om_handover_warning"] = draw(st.sampled_from([0.0, 0.5]))
    cost_growth = draw(st.sampled_from([0.0, 0.0, 0.04, 0.2]))
    _commit_money(draw, years, regions, pools, programs, rules, cost_growth)
    _issue9_keys(draw, years, region_ids, pools, programs)
    scenario: dict[str, Any] = {
        "scenario": "generated", "horizon": [years[0], years[-1]], "money_unit": "juta",
        "regions": regions, "pools": pools, "programs": programs,
        "solver": {"time_limit": 60},
    }
    if cost_growth:
        scenario["cost_growth"] = cost_growth
    if rules:
        scenario["rules"] = rules
    objective: dict[str, Any] = {}
    if draw(st.integers(0, 3)) == 0:
        objective["source_preference"] = draw(st.permutations(SOURCES_COMMON + SOURCES_RARE))
    if draw(st.integers(0, 9)) == 0:
        objective["mode"] = "weighted"
    if objective:
        scenario["objective"] = objective
    return scenario


def _commit_money(draw: st.DrawFn, years: list[int], regions: list[dict[str, Any]],
                  pools: list[dict[str, Any]], programs: list[dict[str, Any]],
                  rules: dict[str, Any], cost_growth: float = 0.0) -> None:
    """Baseline O&M, min_quantity and locked money, each within a ledger of pool-year room."""
    room = {(p["id"], y): 0.8 * _budget_in(p, y) for p in pools for y in years}
    for region in regions:
        payers = [p for p in pools if p["source"] == "APBD_KAB" and p["holder"] == region["id"]]
        if payers and draw(st.booleans()):
            amounts = {}
            for year in years:
                share = draw(st.sampled_from([0.0, 0.1, 0.2]))
                amount = round(share * sum(_budget_in(p, year) for p in payers), 3)
                if amount > 0:
                    amounts[year] = amount
                    _take(room, payers, year, amount)
            if amounts:
                region["baseline_om"] = amounts
    dak_matched = any(rule["source"] == "DAK" for rule in rules.get("matching", []))
    limited = {r["id"] for r in regions if "capex_growth" in r}
    for program in programs:
        if program.get("requires") or draw(st.booleans()):
            continue
        if "max_per_year" in program or program["region"] in limited:
            continue  # committed money could exceed what capacity allows: not a generated case
        payers = _committed_payers(program, pools, dak_matched)
        if not payers:
            continue
        pool = draw(st.sampled_from(payers))
        start, end = _window(program, years)
        year = draw(st.integers(start, end))
        cost = _cost_in(program, year, cost_growth)
        free = room[(pool["id"], year)] * draw(st.sampled_from([0.3, 0.6]))
        affordable = min(program["quantity"], free / cost)
        if program.get("divisible", True) is False:
            affordable = float(int(affordable))
        if affordable <= 0:
            continue
        program.pop("om_rate", None)  # committed assets without O&M: nothing else to pay
        if pool["source"] == "APBD_KAB" and draw(st.booleans()):
            program["min_quantity"] = round(affordable * draw(st.sampled_from([0.5, 1.0])), 6) \
                if program.get("divisible", True) else int(affordable)
            amount = program["min_quantity"] * cost
        elif program.get("divisible", True):
            # rounded down: a grown cost (2 x 1.04^3 = 2.2497) rounded up would lock more than
            # the quantity costs
            amount = math.floor(affordable * cost * draw(st.sampled_from([0.5, 1.0])) * 1000) / 1000
            if amount <= 0:
                continue
            program["locked"] = {year: {pool["id"]: amount}}
        else:
            continue
        room[(pool["id"], year)] -= amount * (1 + 1e-9)


def _issue9_keys(draw: st.DrawFn, years: list[int], region_ids: list[str], pools: list[dict[str, Any]],
                 programs: list[dict[str, Any]]) -> None:
    """Alternatives, bantuan keuangan khusus, pools that open with a programme, desa shares; each
    only where no commitment (min_quantity, locked, baseline O&M) can depend on it."""
    free = [p["id"] for p in programs if "min_quantity" not in p and "locked" not in p]
    if len(free) >= 2 and draw(st.integers(0, 2)) == 0:
        first, second = draw(st.lists(st.sampled_from(free), min_size=2, max_size=2, unique=True))
        next(p for p in programs if p["id"] == first)["excludes"] = [second]
    for pool in pools:
        if pool["source"] == "APBD_PROV" and pool["holder"] == PROVINCE and "per_region" not in pool \
                and draw(st.booleans()):
            chosen = draw(st.lists(st.sampled_from(region_ids), min_size=1, unique=True))
            pool["recipients"] = {r: draw(st.sampled_from([0, 20, 100])) if draw(st.booleans())
                                  else {y: draw(st.sampled_from([0, 30])) for y in years[:1]}
                                  for r in chosen}
        if pool["source"] in ("RETRIBUSI", "CSR", "HIBAH", "APBN") and draw(st.integers(0, 2)) == 0:
            pool["requires"] = [draw(st.sampled_from([p["id"] for p in programs]))]
    for program in programs:
        if draw(st.integers(0, 5)) == 0:
            program["desa_share"] = draw(st.sampled_from([0.0, 0.3, 1.0]))


def _committed_payers(program: dict[str, Any], pools: list[dict[str, Any]],
                      dak_matched: bool) -> list[dict[str, Any]]:
    """Pools that may certainly take committed money of ``program`` with no other rule binding."""
    payers = []
    for pool in pools:
        if pool["holder"] != program["region"] or "per_region" in pool:
            continue
        if pool["source"] == "APBD_KAB" and program["scale"] != "regional" and \
                _names(program, "APBD_KAB"):
            payers.append(pool)
        elif (pool["source"] == "DAK" and not dak_matched and program["kind"] == "construction"
              and program["subsector"] == "air_limbah" and program["scale"] != "regional"
              and _names(program, "DAK")):
            payers.append(pool)
    return payers


def _take(room: dict[tuple[str, int], float], payers: list[dict[str, Any]], year: int,
          amount: float) -> None:
    """Charge ``amount`` to the payers' room in proportion to their budgets."""
    total = sum(_budget_in(p, year) for p in payers)
    for pool in payers:
        room[(pool["id"], year)] -= amount * _budget_in(pool, year) / total


def write_yaml(data: dict[str, Any], path: Path) -> Path:
    """Write a scenario dict as YAML (PyYAML, or ruamel.yaml where PyYAML is missing)."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - depends on the installed YAML library
        from ruamel.yaml import YAML

        writer = YAML(typ="safe", pure=True)
        writer.default_flow_style = False
        with open(path, "w", encoding="utf-8") as handle:
            writer.dump(data, handle)
        return path
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
