"""Cross-reference checks: ids, references, cycles, years, holders, and the eligibility warning.

:func:`check_references` runs on whatever items were structurally sound, so it can report its
problems together with the type errors of other items. :func:`check_warnings` needs the complete
frozen scenario (it evaluates the rule table).
"""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from typing import Any

from pydantic import BaseModel

from ssk_optimize.errors import Issue
from ssk_optimize.scenario.eligibility import eligible_pairs, pool_frame, program_frame
from ssk_optimize.scenario.loading import location_of
from ssk_optimize.scenario.schema import Pool, Program, Region, Scenario
from ssk_optimize.scenario.vocabulary import NATIONAL
from ssk_optimize.scenario.yamlio import Locations, PathKey


def check_references(data: dict[str, Any], items: dict[str, list[BaseModel]],
                     raw_ids: dict[str, list[str]], locations: Locations) -> list[Issue]:
    """Duplicate ids, unknown regions / pools / holders / prerequisites, cycles, years."""
    issues: list[Issue] = []
    report = _reporter(issues, locations)
    for section, ids in raw_ids.items():
        for duplicate in sorted(k for k, n in Counter(ids).items() if n > 1):
            report((section, duplicate, "id"), f"duplicate id '{duplicate}' in {section}",
                   "ids must be unique; entries from `extends` merge by id")
    regions: list[Region] = items["regions"]  # type: ignore[assignment]
    pools: list[Pool] = items["pools"]  # type: ignore[assignment]
    programs: list[Program] = items["programs"]  # type: ignore[assignment]
    region_ids = set(raw_ids["regions"])
    # read from the raw items, so a region that failed validation still declares its province
    holders = region_ids | _raw_names(data, "regions", "province") | {NATIONAL}
    horizon = _horizon(data)
    province_of = {region.id: region.province for region in regions}
    program_ids = set(raw_ids["programs"])
    for pool in pools:
        _known(report, ("pools", pool.id, "holder"), pool.holder, holders, "holder",
               "a holder is a region id, a province id (regions[].province) or `national`")
        if horizon and pool.budget:
            _years(report, ("pools", pool.id, "budget"), pool.budget, horizon)
        _check_recipients(report, pool, region_ids, province_of, horizon)
        for index, needed in enumerate(pool.requires):
            _known(report, ("pools", pool.id, "requires", index), needed, program_ids, "programme",
                   "a pool opens the year after the programmes it requires are complete")
    for region in regions:
        if horizon:
            _years(report, ("regions", region.id, "baseline_om"), region.baseline_om, horizon)
            for indicator, target in region.targets.items():
                _years(report, ("regions", region.id, "targets", indicator), target.shares, horizon)
    pool_ids = set(raw_ids["pools"])
    for program in programs:
        _check_program(report, program, region_ids, pool_ids, program_ids, horizon)
    _check_cycles(report, programs)
    _check_exclusive_minimums(report, programs)
    _check_indicators(report, data)
    return issues


def _check_recipients(report: Any, pool: Pool, region_ids: set[str], province_of: dict[str, str],
                      horizon: tuple[int, int] | None) -> None:
    """Bantuan keuangan khusus: known regions inside the pool holder's province, horizon years."""
    for region, amount in pool.recipients.items():
        at: PathKey = ("pools", pool.id, "recipients", region)
        if region not in region_ids:
            _known(report, at, region, region_ids, "recipient region")
        elif region in province_of and province_of[region] != pool.holder:
            report(at, f"recipient '{region}' lies in province '{province_of[region]}', outside "
                   f"the pool holder '{pool.holder}'", "a province gives bantuan keuangan only to "
                   "its own kab/kota")
        if horizon and isinstance(amount, dict):
            _years(report, at, amount, horizon)


def _check_program(report: Any, program: Program, region_ids: set[str], pool_ids: set[str],
                   program_ids: set[str], horizon: tuple[int, int] | None) -> None:
    at: PathKey = ("programs", program.id)
    _known(report, at + ("region",), program.region, region_ids, "region")
    for index, other in enumerate(program.excludes):
        if other == program.id:
            report(at + ("excludes", index), "a programme cannot exclude itself", "remove it")
        else:
            _known(report, at + ("excludes", index), other, program_ids, "programme",
                   "`excludes` names alternatives of which at most one is built")
    for index, needed in enumerate(program.requires):
        if needed == program.id:
            report(at + ("requires", index), "a programme cannot require itself", "remove it")
        else:
            _known(report, at + ("requires", index), needed, program_ids, "programme")
    for year, by_pool in program.locked.items():
        for pool in by_pool:
            _known(report, at + ("locked", year, pool), pool, pool_ids, "pool")
    if program.divisible and program.max_years is not None:
        report(at + ("max_years",), "max_years applies to whole-unit programmes only "
               "(divisible: false): a divisible programme's units are paid year by year",
               "remove max_years, or set divisible: false")
    if not program.divisible and program.payment_years == 1 and program.max_per_year is not None \
            and program.max_per_year < 1:
        report(at + ("max_per_year",),
               f"max_per_year {program.max_per_year:g} is less than one whole unit, and each unit "
               "is paid within one year (max_years 1): nothing could be built",
               "raise max_per_year to at least 1, or allow a multi-year contract with max_years")
    if horizon is None:
        return
    window = program.years or horizon
    if program.years and (window[0] < horizon[0] or window[1] > horizon[1]):
        report(at + ("years",), f"years {list(window)} fall outside the horizon {list(horizon)}",
               "keep `years` inside `horizon`")
    _years(report, at + ("locked",), program.locked, window, "the programme's years")
    if isinstance(program.unit_cost, dict):
        missing = [y for y in range(window[0], window[1] + 1) if y not in program.unit_cost]
        if missing:
            report(at + ("unit_cost",), f"unit_cost has no figure for {missing}",
                   "give a cost for every year of the programme's window, or one figure")


def _check_exclusive_minimums(report: Any, programs: list[Program]) -> None:
    """Two alternatives (``excludes``) that both need ``min_quantity > 0`` cannot both be built."""
    minimum = {p.id: p.min_quantity for p in programs}
    for program in programs:
        for index, other in enumerate(program.excludes):
            if other != program.id and minimum.get(other, 0.0) > 0 and program.min_quantity > 0:
                report(("programs", program.id, "excludes", index), f"'{program.id}' and '{other}' "
                       "both have min_quantity > 0 but at most one of them may be built",
                       "drop one min_quantity, or the exclusion")


def _check_cycles(report: Any, programs: list[Program]) -> None:
    graph = {p.id: [q for q in p.requires if q != p.id] for p in programs}
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    for start in sorted(graph):
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node, index = stack.pop()
            if index == 0:
                if state.get(node) == 2:
                    continue
                state[node] = 1
                path.append(node)
            children = graph.get(node, [])
            if index < len(children):
                stack.append((node, index + 1))
                child = children[index]
                if state.get(child) == 1:
                    cycle = path[path.index(child):] + [child]
                    report(("programs", child, "requires"), "cycle in `requires`: "
                           + " -> ".join(cycle), "a programme cannot wait for itself; remove a link")
                    state[child] = 2
                elif state.get(child) != 2 and child in graph:
                    stack.append((child, 0))
            else:
                state[node] = 2
                path.pop()


def _raw_names(data: dict[str, Any], section: str, field: str) -> set[str]:
    """Text values of ``field`` in the raw items of ``section``, or the text keys when it is a
    mapping: what the file declares, valid or not, so one bad item causes no echo errors."""
    names: set[str] = set()
    items = data.get(section)
    for item in items if isinstance(items, list) else []:
        value = item.get(field) if isinstance(item, dict) else None
        if isinstance(value, str):
            names.add(value)
        elif isinstance(value, dict):
            names |= {key for key in value if isinstance(key, str)}
    return names


def _check_indicators(report: Any, data: dict[str, Any]) -> None:
    known = _raw_names(data, "regions", "targets") | _raw_names(data, "regions", "baseline")
    known |= _raw_names(data, "programs", "serves")
    objective = data.get("objective")
    weights = objective.get("weights") if isinstance(objective, dict) else None
    for indicator in weights if isinstance(weights, dict) else {}:
        if indicator not in known:
            _known(report, ("objective", "weights", indicator), indicator, known, "indicator")


def check_warnings(scenario: Scenario, locations: Locations) -> list[Issue]:
    """Programmes no pool may fund (a warning naming the rule that excludes each source)."""
    issues: list[Issue] = []
    report = _reporter(issues, locations)
    pairs = eligible_pairs(scenario, program_frame(scenario))
    fundable = set(pairs.loc[pairs["capex"], "program"])
    pools = pool_frame(scenario)
    by_id = {p.id: p for p in scenario.programs}
    for program in scenario.programs:
        if program.id in fundable:
            continue
        mine = pairs[pairs["program"] == program.id]
        reasons = dict(zip(mine["source"], mine["capex_reason"], strict=False))
        missing = sorted(set(pools["source"]) - set(reasons))
        parts = [f"{s}: {r}" for s, r in sorted(reasons.items())]
        parts += [f"{s}: no pool held by {program.region}, its province or national" for s in missing]
        at = ("programs", program.id)
        severity = "error" if by_id[program.id].min_quantity > 0 else "warning"
        text = "no pool may legally fund this programme; " + "; ".join(parts or ["no pools"])
        if severity == "error":
            text = "min_quantity > 0 but " + text
        report(at, text, "check kind/scale/locations/sources, or add a pool", severity)
    _check_locked(report, scenario, pairs)
    _check_baseline_om(report, scenario)
    _check_dana_desa(report, scenario)
    return issues


def _check_dana_desa(report: Any, scenario: Scenario) -> None:
    """A Dana Desa pool held by a region without desa can fund nothing (a warning)."""
    desa = {region.id: region.desa for region in scenario.regions}
    for pool in scenario.pools:
        if pool.source == "DANA_DESA" and desa.get(pool.holder) == 0:
            report(("pools", pool.id), f"Dana Desa pool held by '{pool.holder}', which has desa: 0 "
                   "(only desa receive Dana Desa; this pool can fund nothing)",
                   "set regions[].desa, or remove the pool", "warning")


def _check_baseline_om(report: Any, scenario: Scenario) -> None:
    """Existing assets' O&M must be payable from the region's own O&M pools, year by year."""
    sources = scenario.rules.baseline_om_sources
    for region in scenario.regions:
        payers = [b for b in scenario.pools if b.holder == region.id and b.source in sources]
        for year, amount in sorted(region.baseline_om.items()):
            if amount <= 0:
                continue
            at = ("regions", region.id, "baseline_om", year)
            if not payers:
                report(at, f"baseline O&M {amount:g} needs a pool of {' or '.join(sources)} "
                       f"held by {region.id}, and there is none",
                       "add such a pool, or amend rules.baseline_om_sources")
                break
            budget = sum(b.budget_in(year) for b in payers)
            if amount > budget * (1 + 1e-9):
                names = ", ".join(b.id for b in payers)
                report(at, f"baseline O&M {amount:g} in {year} exceeds the budgets of {names} "
                       f"({budget:g})", "raise those budgets or lower the baseline O&M")


def _check_locked(report: Any, scenario: Scenario, pairs: Any) -> None:
    allowed = set(zip(pairs.loc[pairs["capex"], "program"], pairs.loc[pairs["capex"], "pool"],
                      strict=True))
    pools = {p.id: p for p in scenario.pools}
    spent: dict[tuple[str, int], float] = defaultdict(float)
    for program in scenario.programs:
        for year, by_pool in program.locked.items():
            for pool, amount in by_pool.items():
                spent[(pool, year)] += amount
                if amount > 0 and (program.id, pool) not in allowed:
                    report(("programs", program.id, "locked", year, pool),
                           f"locked money on pool '{pool}', which may not fund this programme",
                           "lock money only on an eligible pool")
        units = sum(sum(by_pool.values()) / scenario.cost_of(program, year)
                    for year, by_pool in program.locked.items())
        if units > program.quantity * (1 + 1e-9):
            report(("programs", program.id, "locked"), f"locked money pays for {units:g} units "
                   f"at the unit cost, more than quantity {program.quantity:g}",
                   "lower the locked amounts or raise `quantity`")
    for (pool, year), amount in sorted(spent.items()):
        budget = pools[pool].budget_in(year)
        if amount > budget * (1 + 1e-9):
            report(("pools", pool), f"locked money {amount:g} in {year} exceeds the budget "
                   f"{budget:g}", "raise the budget or lower the locked amounts")


def _horizon(data: dict[str, Any]) -> tuple[int, int] | None:
    value = data.get("horizon")
    if (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)
            and value[0] <= value[1]):
        return value[0], value[1]
    return None


def _years(report: Any, at: PathKey, by_year: dict[int, Any], window: tuple[int, int],
           what: str = "the horizon") -> None:
    for year in by_year:
        if not window[0] <= year <= window[1]:
            report(at + (year,), f"year {year} is outside {what} {list(window)}",
                   "remove it or widen the window")


def _known(report: Any, at: PathKey, value: str, known: set[str], what: str, fix: str = "") -> None:
    if value in known:
        return
    close = difflib.get_close_matches(value, sorted(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    report(at, f"unknown {what} '{value}'{hint}", fix)


def _reporter(issues: list[Issue], locations: Locations) -> Any:
    def report(at: PathKey, message: str, fix: str = "", severity: str = "error") -> None:
        file, line, _ = location_of(locations, at)
        issues.append(Issue(".".join(str(p) for p in at), message, file=file, line=line, fix=fix,
                            severity=severity))
    return report
