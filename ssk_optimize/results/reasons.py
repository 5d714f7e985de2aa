"""Why a programme is on the waiting list (daftar tunggu): one reason from a fixed vocabulary.

The rules are those of ``docs/formulation.md`` section 9. In short: every year of a waiting
programme's window is examined for what stopped it taking more capital money in that year, and
the years' findings are ranked:

1. ``fully_funded``        delivered in full (not on the waiting list);
2. ``no_eligible_source``  no pool may legally fund it (the rule excluding each source is named);
3. ``readiness``           in some year money was open to it, but a prerequisite it could still have
                           waited on (not complete, able to start earlier) held it back; or a
                           prerequisite can never be done before its window closes; or the only
                           pools with money had not opened yet (``pools[].requires``);
4. ``om_burden``           in some year capital money was open, but the O&M of a unit built then
                           finds no O&M pool with room in a later horizon year (or none may pay it),
                           or, in the last year, the region's ``om_handover`` cap binds;
5. ``share_cap``           in some year its pools had money, but only behind a share rule of the
                           programme (per-region ceiling of a pool it may use, masyarakat share,
                           matching, DAK supporting cap, a used-up bantuan keuangan khusus
                           ``recipients`` amount);
   ``capacity``          in some year an implementation capacity limit held it: its own
                           ``max_per_year`` row, or its region's ``capex_growth`` row, binds there
                           (ranked after ``readiness``, before ``om_burden``);
6. ``year_window``         its pools are fully used in every open year of its window while eligible
                           money is left outside it;
7. ``pool_exhausted``      its pools are fully used in every open year (the money went to programmes
                           ranked higher), or, for whole-unit programmes, what is left is too little
                           for the next unit;
8. ``alternative``         nothing of it was built because a programme it excludes
                           (``programs[].excludes``) was chosen instead; checked right after
                           ``no_eligible_source``, the detail names the chosen alternative.

``limiting_detail`` starts with the programme's name (``name``, else its id) and names the
pools, years, prerequisites or rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ssk_optimize.model.formulation import BuiltModel
from ssk_optimize.results.plan_check import completed_units
from ssk_optimize.results.values import Values
from ssk_optimize.solve.solution import Solution

REASONS = ("fully_funded", "no_eligible_source", "readiness", "pool_exhausted", "om_burden",
           "share_cap", "year_window", "capacity", "alternative")
LIMIT_REL = 1e-5  # money left under a limit (budget, per_region max) below this share of it ...
ROOM_SHARE = 1e-5  # ... or below this share of the programme's own yearly cost is no room
SHARE_TOL = 1e-6  # shares of a programme (readiness, masyarakat, matching rows)
BINDING = 1e-7  # scaled slack of a DAK supporting row
TOO_LITTLE = "remaining eligible money is too little for the next unit"
HANDOVER = "handover"  # an om_burden finding: the region's om_handover cap binds in the last year


@dataclass
class _Facts:
    """Per-run arrays the yearly checks read."""

    free: np.ndarray  # pool x year: budget - used
    limit: np.ndarray  # pool x year: budget
    left: np.ndarray  # pool x region x year: per_region max - the region's money (inf: no max)
    high: np.ndarray  # pool: per_region max (NaN: none)
    cum: np.ndarray  # programme x year: share delivered by the end of the year
    done: np.ndarray  # programme x year: share complete by the end of the year (whole: paid units)
    masyarakat: set[tuple[int, int]]  # (program_row, t) whose masyarakat row binds
    matching: dict[tuple[int, int], set[str]]  # (program_row, t) -> sources whose rule binds
    supporting: set[tuple[int, int]]  # (pool_row, t) DAK supporting caps at work
    prereqs: dict[int, list[int]]  # program_row -> prerequisite rows (matched by id)
    region_of: np.ndarray  # program_row -> region row
    partners: dict[str, set[str]]  # matching source -> partner source types
    handover: set[int]  # region rows whose om_handover row binds (rules.om_handover_cap)
    per_year: set[tuple[int, int]]  # (program_row, t) whose max_per_year row binds
    growth: set[tuple[int, int]]  # (region_row, t) whose capex_growth row binds
    aid_full: set[tuple[int, int, int]]  # (pool_row, region, t): bantuan keuangan khusus used up
    aid_pairs: set[tuple[int, int]]  # (program_row, pool_row) funded only as bantuan keuangan
    closed_pools: dict[tuple[int, int], list[int]]  # (pool_row, t) not open -> incomplete programmes


def limiting_reasons(model: BuiltModel, values: Values, solution: Solution,
                     waiting: npt.NDArray[np.bool_]) -> tuple[np.ndarray, np.ndarray]:
    """``(limiting_reason, limiting_detail)`` arrays, one entry per programme (scenario order)."""
    ix = model.index
    n = len(ix.programs)
    reason = np.where(waiting, "", "fully_funded").astype(object)
    detail = np.full(n, "", dtype=object)
    assert solution.x is not None
    slack = _slack(model, solution.x)
    names = _names(model)
    for row, text in _no_source(model, waiting).items():
        reason[row], detail[row] = "no_eligible_source", f"{names[row]}: {text}"
    for row, text in _alternatives(model, values, waiting & (reason == "")).items():
        reason[row], detail[row] = "alternative", f"{names[row]}: {text}"
    facts = _facts(model, values, slack)
    fund = _by_program(ix.fund)
    om = _by_program(ix.om)
    for row in np.flatnonzero(waiting & (reason == "")).tolist():
        found, text = _explain(model, facts, row, fund.get(row), om.get(row), names)
        reason[row], detail[row] = found, f"{names[row]}: {text}"
    return reason, detail


def _alternatives(model: BuiltModel, values: Values, waiting: npt.NDArray[np.bool_]) -> dict[int, str]:
    """Waiting programmes with nothing built whose excluded alternative was built."""
    ix = model.index
    if ix.exclusions.empty:
        return {}
    delivered = values.units.sum(axis=1) > 0
    ids = ix.programs["program"].to_numpy(dtype=object)
    chosen: dict[int, list[str]] = {}
    for p, q in zip(ix.exclusions["p"].tolist(), ix.exclusions["q"].tolist(), strict=True):
        for mine, other in ((p, q), (q, p)):
            if waiting[mine] and not delivered[mine] and delivered[other]:
                chosen.setdefault(mine, []).append(str(ids[other]))
    return {row: f"alternative {', '.join(sorted(others))} chosen instead (excludes: at most one "
            "of them is built)" for row, others in chosen.items()}


def _names(model: BuiltModel) -> np.ndarray:
    programs = model.index.programs
    ids = programs["program"].to_numpy(dtype=object)
    given = programs["name"].to_numpy(dtype=object)
    return np.array([str(g) if isinstance(g, str) and g.strip() else str(i)
                     for g, i in zip(given, ids, strict=True)], dtype=object)


def _by_program(frame: pd.DataFrame) -> dict[int, pd.DataFrame]:
    return {_int(row): group[["pool_row", "t"]] for row, group in frame.groupby("program_row")}


def _slack(model: BuiltModel, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Distance of each row's activity from its nearest finite bound (scaled units)."""
    activity = model.lp.matrix @ x
    upper = np.where(np.isfinite(model.lp.row_upper), model.lp.row_upper - activity, np.inf)
    lower = np.where(np.isfinite(model.lp.row_lower), activity - model.lp.row_lower, np.inf)
    return np.minimum(upper, lower)


def _has_room(left: float, limit: float, own: float) -> bool:
    """Money left under a limit counts only above ``LIMIT_REL`` of the limit and ``ROOM_SHARE``
    of the programme's own money that year (``own``): the stage holds let a later stage trade
    that much away, and less than that is noise, not money the programme was refused."""
    return bool(left > max(LIMIT_REL * limit, ROOM_SHARE * own) + 1e-9)


def _facts(model: BuiltModel, values: Values, slack: np.ndarray) -> _Facts:
    ix = model.index
    high = ix.pools["per_region_max"].to_numpy(dtype=float)
    left = np.full((len(ix.pools), len(ix.regions), ix.n_years), np.inf)
    left[np.isfinite(high)] = high[np.isfinite(high), None, None]
    money = values.money[(values.money["program_row"] >= 0)
                         & np.isfinite(high[values.money["pool_row"].to_numpy()])]
    if len(money):
        totals = money.groupby(["pool_row", "region_row", "t"])["amount"].sum()
        for (b, r, t), amount in totals.items():
            left[b, r, t] = high[b] - amount
    quantity = ix.programs["quantity"].to_numpy(dtype=float)
    cum = np.cumsum(values.units, axis=1) / np.where(quantity > 0, quantity, 1.0)[:, None]
    done = completed_units(values.units, ix.programs["divisible"].to_numpy(dtype=bool)) / \
        np.where(quantity > 0, quantity, 1.0)[:, None]
    masyarakat: set[tuple[int, int]] = set()
    keys = model.family_keys.get("masyarakat_share")
    if keys is not None:
        bind = keys[slack[keys["row"].to_numpy()] <= SHARE_TOL]
        masyarakat = {(_int(p), _int(t)) for p, t in zip(bind["program_row"], bind["t"], strict=True)}
    matching: dict[tuple[int, int], set[str]] = {}
    keys = model.family_keys.get("matching")
    if keys is not None:
        bind = keys[slack[keys["row"].to_numpy()] <= SHARE_TOL]
        for p, t, s in zip(bind["program_row"], bind["t"], bind["source"], strict=True):
            matching.setdefault((_int(p), _int(t)), set()).add(str(s))
    supporting: set[tuple[int, int]] = set()
    keys = model.family_keys.get("dak_supporting")
    if keys is not None and len(keys):
        # a cap binds only where its pool spends money that year (0 <= 0 is not a cap at work)
        spends = values.used[keys["pool_row"].to_numpy(), keys["t"].to_numpy()] > 0
        bind = keys[(slack[keys["row"].to_numpy()] <= BINDING) & spends]
        supporting = {(_int(b), _int(t)) for b, t in zip(bind["pool_row"], bind["t"], strict=True)}
    positions = {p: i for i, p in enumerate(ix.programs["program"])}
    # by id: the index's rows need not follow the scenario's list order
    prereqs = {positions[p.id]: sorted(positions[q] for q in p.requires)
               for p in ix.scenario.programs}
    regions = {r: i for i, r in enumerate(ix.regions["region"])}
    region_of = np.array([regions[r] for r in ix.programs["region"]], dtype=np.int64)
    partners = {str(m.source): {str(s) for s in m.partners} for m in ix.scenario.rules.matching}
    handover: set[int] = set()
    keys = model.family_keys.get("om_handover")
    if keys is not None:
        handover = {_int(r) for r in keys.loc[slack[keys["row"].to_numpy()] <= SHARE_TOL, "region_row"]}
    per_year: set[tuple[int, int]] = set()
    keys = model.family_keys.get("max_per_year")
    if keys is not None:
        limit = ix.programs["max_per_year"].to_numpy(dtype=float)[keys["program_row"].to_numpy()]
        bind = keys[slack[keys["row"].to_numpy()] <= SHARE_TOL * np.maximum(limit, 1.0)]
        per_year = {(_int(p), _int(t)) for p, t in zip(bind["program_row"], bind["t"], strict=True)}
    growth: set[tuple[int, int]] = set()
    keys = model.family_keys.get("capex_growth")
    if keys is not None:
        # the region's capital money in t, scaled as the row is: binding within 1e-5 of it
        capex = values.money[(values.money["purpose"] == "capex") & (values.money["program_row"] >= 0)]
        spent = np.zeros((len(ix.regions), ix.n_years))
        np.add.at(spent, (capex["region_row"].to_numpy(dtype=np.int64), capex["t"].to_numpy()),
                  capex["amount"].to_numpy(dtype=float) / ix.money_scale)
        room = LIMIT_REL * spent[keys["region_row"].to_numpy(), keys["t"].to_numpy()] + 1e-9
        bind = keys[slack[keys["row"].to_numpy()] <= room]
        growth = {(_int(r), _int(t)) for r, t in zip(bind["region_row"], bind["t"], strict=True)}
    aid_full: set[tuple[int, int, int]] = set()
    keys = model.family_keys.get("recipients")
    if keys is not None and len(keys):
        bind = keys[slack[keys["row"].to_numpy()] <= BINDING]
        aid_full = {(_int(b), regions[str(r)], _int(t))
                    for b, r, t in zip(bind["pool_row"], bind["region"], bind["t"], strict=True)}
    aid = ix.pairs[ix.pairs["aid"]]
    aid_pairs = {(_int(p), _int(b)) for p, b in zip(aid["program_row"], aid["pool_row"], strict=True)}
    closed_pools: dict[tuple[int, int], list[int]] = {}
    for b, pool in enumerate(ix.scenario.pools):  # pools with requires only; no variables
        needed = sorted(positions[q] for q in set(pool.requires) if q in positions)
        for t in range(ix.n_years):
            waiting = [q for q in needed if t == 0 or cum[q, t - 1] < 1 - SHARE_TOL]
            if waiting:
                closed_pools[(b, t)] = waiting
    return _Facts(ix.budget - values.used, ix.budget, left, high, cum, done, masyarakat, matching,
                  supporting, prereqs, region_of, partners, handover, per_year, growth, aid_full,
                  aid_pairs, closed_pools)


def _explain(model: BuiltModel, facts: _Facts, row: int, fund: pd.DataFrame | None,
             om: pd.DataFrame | None, names: np.ndarray) -> tuple[str, str]:
    """The reason and detail (without the name) of one waiting programme with fund columns."""
    ix = model.index
    first, last = int(ix.years[0]), ix.n_years - 1
    program = ix.programs.iloc[row]
    start, end = _int(program["start"]) - first, _int(program["end"]) - first
    pool_ids = ix.pools["pool"].to_numpy(dtype=object)
    sources = ix.pools["source"].to_numpy(dtype=object)
    region = _int(facts.region_of[row])
    prereqs = facts.prereqs[row]
    q_start = {q: _int(ix.programs["start"].iat[q]) - first for q in prereqs}
    partners = facts.partners
    assert fund is not None
    caps = _pools_by_year(fund)
    oms = _pools_by_year(om) if om is not None else {}
    om_rate = float(ix.programs["om_rate"].to_numpy(dtype=float)[row])
    quantity = float(ix.programs["quantity"].to_numpy(dtype=float)[row])
    whole_cost = float(np.nanmax(ix.cost[row])) * quantity

    def room(b: int, t: int, own: float = whole_cost) -> bool:
        return _has_room(facts.free[b, t], facts.limit[b, t], own)

    def capped(b: int, t: int, own: float = whole_cost) -> bool:
        if not np.isfinite(facts.high[b]):
            return False
        return not _has_room(facts.left[b, region, t], facts.high[b], own)

    # readiness rows at work: the prerequisite could have delivered before t and is not complete
    waits: dict[int, set[int]] = {}
    for t in range(start, end + 1):
        for q in prereqs:
            done = facts.done[q, t - 1] if t > 0 else 0.0
            if q_start[q] < t and done < 1 - SHARE_TOL and facts.cum[row, t] >= done - SHARE_TOL:
                waits.setdefault(t, set()).add(q)
    closed = [t for t in range(start, end + 1) if any(q_start[q] >= t for q in prereqs)]
    kinds: dict[str, list[tuple[int, Any]]] = {}
    full_years: list[tuple[int, int]] = []  # (pool_row, t) fully used in open years
    for t in range(start, end + 1):
        if t in closed:
            continue
        if (row, t) in facts.per_year:
            limit = float(program["max_per_year"])
            kinds.setdefault("capacity", []).append((t, f"max_per_year {limit:g} {program['unit']}"))
            continue
        if (region, t) in facts.growth:
            growth = float(ix.regions["capex_growth"].to_numpy(dtype=float)[region])
            kinds.setdefault("capacity", []).append(
                (t, f"capex_growth {growth:g} of {program['region']}"))
            continue
        pools = caps.get(t, [])
        with_room = [b for b in pools if room(b, t)]
        full_years += [(b, t) for b in pools if not room(b, t)]
        if not with_room:
            kinds.setdefault("pool", []).append((t, None))
            continue
        rules: list[str] = []
        open_pools = []
        pool_waits: set[int] = set()
        for b in with_room:
            if (b, t) in facts.closed_pools:
                pool_waits |= set(facts.closed_pools[(b, t)])
                closed_names = f"{pool_ids[b]} opens only the year after " + ", ".join(
                    str(names[q]) for q in facts.closed_pools[(b, t)]) + " is complete"
                kinds.setdefault("pool_closed", []).append((t, closed_names))
            elif (row, b) in facts.aid_pairs and (b, region, t) in facts.aid_full:
                rules.append(f"bantuan keuangan khusus of {pool_ids[b]} for {program['region']} "
                             "used up (recipients)")
            elif capped(b, t):
                rules.append(f"per_region limit of {pool_ids[b]} reached by {program['region']}")
            elif sources[b] == "MASYARAKAT" and (row, t) in facts.masyarakat:
                rules.append(f"masyarakat_share rule binds on {pool_ids[b]}")
            elif (program["kind"] == "supporting" and sources[b] == "DAK"
                  and (b, t) in facts.supporting):
                rules.append(f"DAK supporting-cost cap of {pool_ids[b]} binds")
            else:
                open_pools.append(b)
        for s in facts.matching.get((row, t), set()):
            if not any(sources[b] in partners.get(s, set()) for b in open_pools):
                dropped = [b for b in open_pools if sources[b] == s]
                rules += [f"matching rule binds: {pool_ids[b]} ({s}) needs "
                          f"{', '.join(sorted(partners.get(s, set())))} money" for b in dropped]
                open_pools = [b for b in open_pools if sources[b] != s]
        if not open_pools and not rules and pool_waits:
            continue  # only pools that have not opened yet had money: reason pool_closed
        if not open_pools:
            kinds.setdefault("share_cap", []).append((t, rules))
            continue
        held = set().union(*[waits[u] for u in waits if u >= t]) if waits else set()
        if held:
            kinds.setdefault("readiness", []).append((t, held))
            continue
        burden = _om_blocked(t, last, om_rate, oms, om is None,
                             lambda b, u: room(b, u, om_rate * whole_cost)
                             and not capped(b, u, om_rate * whole_cost))
        if burden is not None:
            kinds.setdefault("om_burden", []).append((t, burden))
            continue
        if t == last and om_rate > 0 and region in facts.handover:
            kinds.setdefault("om_burden", []).append((t, HANDOVER))
            continue
        kinds.setdefault("free", []).append((t, open_pools))

    years = ix.years
    if "readiness" in kinds:
        found = sorted({names[q] for _, held in kinds["readiness"] for q in held})
        binding = sorted({int(years[u]) for u in waits})
        return "readiness", f"waits for {', '.join(found)} (binding in {_span(binding)})"
    if not any(kinds.values()):  # every year closed by a prerequisite that cannot finish earlier
        found = sorted({names[q] for q in prereqs if q_start[q] >= end})
        earliest = max(q_start[q] for q in prereqs) + first
        return "readiness", (f"waits for {', '.join(found)}, which cannot be complete before "
                             f"the end of {earliest}, while its own years end in {_int(program['end'])}")
    if "pool_closed" in kinds and not kinds.get("free") and not kinds.get("share_cap"):
        texts = sorted({text for _, text in kinds["pool_closed"]})
        spans = _span(sorted({int(years[t]) for t, _ in kinds["pool_closed"]}))
        return "readiness", f"{'; '.join(texts)} (closed in {spans})"
    if "capacity" in kinds:
        rules = sorted({text for _, text in kinds["capacity"]})
        spans = _span(sorted(int(years[t]) for t, _ in kinds["capacity"]))
        return "capacity", f"capacity limit binds: {'; '.join(rules)} in {spans}"
    if "om_burden" in kinds:
        texts = [text for _, text in kinds["om_burden"]]
        if any(text == "" for text in texts):
            return "om_burden", "no pool may pay the O&M of its assets (om rules)"
        cells = sorted({cell for text in texts if text != HANDOVER for cell in text})
        handover = (f"rules.om_handover_cap binds for {program['region']} in {int(years[last])} "
                    "(the O&M left to the next plan is at its limit)") if HANDOVER in texts else ""
        return "om_burden", "; ".join(filter(None, [
            "O&M pools fully used: " + _pool_years(cells, pool_ids, years) if cells else "", handover]))
    if "share_cap" in kinds:
        rules = sorted({text for _, texts in kinds["share_cap"] for text in texts})
        spans = _span(sorted(int(years[t]) for t, _ in kinds["share_cap"]))
        return "share_cap", f"{'; '.join(rules)} in {spans}"
    used_up = _pool_years(sorted(set(full_years)), pool_ids, years)
    if "free" in kinds:
        left = sorted({(b, t) for t, pools in kinds["free"] for b in pools})
        where = _pool_years(left, pool_ids, years).replace("fully used", "has money left")
        if not bool(program["divisible"]):
            return "pool_exhausted", f"{TOO_LITTLE} ({where})"
        return "pool_exhausted", "; ".join(filter(None, [used_up, f"{where}, no rule found "
                                                                  "that keeps it from the programme"]))
    window = set(range(start, end + 1))
    eligible = sorted({b for pools in caps.values() for b in pools})
    outside = [(b, u) for b in eligible for u in range(ix.n_years)
               if u not in window and room(b, u)]
    if outside:
        span = _span(list(range(_int(program["start"]), _int(program["end"]) + 1)))
        where = _pool_years(outside, pool_ids, years).replace("fully used", "has money")
        return "year_window", (f"eligible money is left only outside its years {span}: {where}; "
                               f"inside: {used_up}")
    return "pool_exhausted", used_up


def _pools_by_year(frame: pd.DataFrame) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for b, t in zip(frame["pool_row"].tolist(), frame["t"].tolist(), strict=True):
        found.setdefault(int(t), []).append(int(b))
    return found


def _om_blocked(t: int, last: int, om_rate: float, oms: dict[int, list[int]], no_columns: bool,
                open_cell: Callable[[int, int], bool]) -> list[tuple[int, int]] | str | None:
    """O&M of a unit built in year t: ``""`` when no pool may pay it, the full (pool, year) cells
    of the first later year without room, or None when every later year has room."""
    if om_rate <= 0 or t >= last:
        return None
    if no_columns:
        return ""
    for u in range(t + 1, last + 1):
        pools = oms.get(u, [])
        if not any(open_cell(b, u) for b in pools):
            return [(b, v) for v in range(t + 1, last + 1) for b in oms.get(v, [])
                    if not open_cell(b, v)]
    return None


def _no_source(model: BuiltModel, waiting: npt.NDArray[np.bool_]) -> dict[int, str]:
    ix = model.index
    funded = set(ix.fund["program_row"].unique().tolist())
    found = {}
    for row in np.flatnonzero(waiting).tolist():
        if row in funded:
            continue
        mine = ix.pairs[ix.pairs["program_row"] == row]
        texts = [f"{s}: {r}" for s, r in zip(mine["source"], mine["capex_reason"], strict=True)]
        missing = sorted(set(ix.pools["source"]) - set(mine["source"]))
        texts += [f"{s}: no pool covers its region" for s in missing]
        found[row] = "; ".join(sorted(set(texts))) or "no pools in the scenario"
    return found


def _pool_years(cells: list[tuple[int, int]], pool_names: np.ndarray, years: np.ndarray) -> str:
    """``dak_x, apbd_x fully used in 2025-2029; csr_x fully used in 2027``: pools grouped by span."""
    by_pool: dict[int, list[int]] = {}
    for b, t in cells:
        by_pool.setdefault(b, []).append(int(years[t]))
    by_span: dict[str, list[str]] = {}
    for b in sorted(by_pool):
        by_span.setdefault(_span(sorted(set(by_pool[b]))), []).append(str(pool_names[b]))
    return "; ".join(f"{', '.join(pools)} fully used in {span}" for span, pools in by_span.items())


def _span(years: list[int]) -> str:
    if not years:
        return ""
    if years == list(range(years[0], years[-1] + 1)) and len(years) > 1:
        return f"{years[0]}-{years[-1]}"
    return ", ".join(str(y) for y in years)


def _int(value: Any) -> int:
    """Group keys from pandas are typed as Hashable; they are integer row numbers here."""
    return int(value)
