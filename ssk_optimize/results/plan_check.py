"""Post-solve plan check: the reported plan against every rule family, in the scenario's money.

Independent of the LP (no matrix, row bounds or money scale): each rule is recomputed from the Scenario
model and the reported plan (the allocations table, the units per programme-year ``Values.units``, the
pools and coverage tables); eligibility uses the model's own rule evaluation (``eligible_pairs``).
Tolerances: budgets 1e-9 relative (plus 1e-9 rupiah); programme money 1e-6 of its full cost plus half a
rupiah (smaller amounts are dropped); units 1e-6 of the quantity plus what dropped amounts buy;
households 1e-6 of the region's. A plan breaking a rule is reported as an error (:func:`mark`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ssk_optimize.scenario.eligibility import dana_desa_shares, eligible_pairs
from ssk_optimize.scenario.schema import Scenario
from ssk_optimize.scenario.vocabulary import RUPIAH_PER_UNIT
from ssk_optimize.solve.solution import Solution
from ssk_optimize.solve.status import SolveStatus

if TYPE_CHECKING:  # tables.py imports this module to check what it tabulates
    from ssk_optimize.results.tables import RunTables

REL, BUDGET_REL = 1e-6, 1e-9  # programme money / units / households; pool budgets
MANIFEST_LIMIT = 50  # violations written into the manifest
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Violation:
    """One broken rule: which, where, and by how much (money unit, units, share or households)."""

    rule: str
    magnitude: float
    program: str = ""
    pool: str = ""
    region: str = ""
    year: int | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The fields that are set, for the manifest."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v not in ("", None)}


@dataclass(frozen=True)
class PlanCheck:
    """Every violation found in one plan (none: the plan keeps every rule)."""

    violations: tuple[Violation, ...]

    @property
    def passed(self) -> bool:
        """True when no rule is broken."""
        return not self.violations

    def manifest_entry(self) -> dict[str, Any]:
        """``{passed, count, violations: [the first 50]}``."""
        return {"passed": self.passed, "count": len(self.violations),
                "violations": [v.as_dict() for v in self.violations[:MANIFEST_LIMIT]]}


#: Units paid to within this of a whole number count as that many (whole-unit completion); the
#: model keeps a paid-but-unfinished unit at least 1e-3 short (delivery.COMPLETE_GAP).
COMPLETE_TOL = 1e-4


def completed_units(units: FloatArray, divisible: BoolArray) -> FloatArray:
    """Units complete by the end of each year (programme x year): what was delivered so far, for a
    whole-unit programme only its fully paid units (``floor`` of the units paid so far)."""
    cumulative = np.cumsum(units, axis=1)
    whole = np.floor(cumulative + COMPLETE_TOL)
    return np.where(np.asarray(divisible, dtype=bool)[:, None], cumulative, whole)


def served_units(units: FloatArray, divisible: BoolArray) -> FloatArray:
    """Units that serve households in each year: delivered by its end (divisible), or, for a
    whole-unit programme, complete by the end of the year before (formulation.md 12.1)."""
    done = completed_units(units, divisible)
    before = np.concatenate([np.zeros((done.shape[0], 1)), done[:, :-1]], axis=1)
    return np.where(np.asarray(divisible, dtype=bool)[:, None], done, before)


def completion_capital(cost: FloatArray, units: FloatArray, divisible: BoolArray) -> FloatArray:
    """Capital per programme-year on which O&M is due from the next year: unit_cost x units
    (divisible), or unit_cost x units completed that year (whole units, at the completion year's
    cost)."""
    done = completed_units(units, divisible)
    completed = np.diff(done, axis=1, prepend=0.0)
    price = np.nan_to_num(cost)
    return np.where(np.asarray(divisible, dtype=bool)[:, None], price * units, price * completed)


def mark(solution: Solution, check: PlanCheck) -> Solution:
    """A plan breaking a rule makes the solution ERROR (``failed_stage: plan_check``), with a note."""
    if check.passed:
        return solution
    first = check.violations[0]
    where = "/".join(str(x) for x in (first.program, first.pool, first.region, first.year) if x)
    note = (f"plan check failed: {len(check.violations)} violation(s), first {first.rule} {where} "
            f"by {first.magnitude:.6g} ({first.detail})")
    if not solution.status.has_solution:  # no feasible point anyway: keep the status
        return dataclasses.replace(solution, notes=solution.notes + (note,))
    return dataclasses.replace(solution, status=SolveStatus.ERROR, failed_stage="plan_check",
                               notes=solution.notes + (note,))


def check_plan(scenario: Scenario, tables: RunTables, units: FloatArray) -> PlanCheck:
    """Run every rule family on the reported plan."""
    plan = _Plan(scenario, tables, np.asarray(units, dtype=float))
    families = (check_money_rows, check_pool_budgets, check_eligibility, check_year_windows, check_cost,
                check_quantity, check_max_years, check_capacity, check_readiness, check_om,
                check_om_handover, check_matching, check_share_caps, check_coverage, check_locked,
                check_alternatives, check_recipients, check_pool_requires, check_desa_share)
    return PlanCheck(tuple(v for family in families for v in family(plan)))


class _Plan:
    """The plan as matrices over scenario programmes (rows) and horizon years (columns)."""

    def __init__(self, scenario: Scenario, tables: RunTables, units: FloatArray) -> None:
        s = self.s = scenario
        self.tables = tables
        self.years = np.array(s.years, dtype=np.int64)
        n_years = len(s.years)
        self.program_ids = pd.Index([p.id for p in s.programs])
        self.pool_ids = pd.Index([b.id for b in s.pools])
        self.source = np.array([b.source for b in s.pools], dtype=object)
        self.region_of = np.array([p.region for p in s.programs], dtype=object)
        self.start = np.array([s.window(p)[0] for p in s.programs], dtype=np.int64)
        self.half = 0.5 / RUPIAH_PER_UNIT[s.money_unit]
        self.quantity = np.array([p.quantity for p in s.programs], dtype=float)
        self.cost = np.array([[s.cost_of(p, y) if s.window(p)[0] <= y <= s.window(p)[1] else np.nan
                               for y in s.years] for p in s.programs]).reshape(-1, n_years)
        self.in_window = np.isfinite(self.cost)
        self.budget = np.array([[b.budget_in(y) for y in s.years] for b in s.pools]).reshape(-1, n_years)
        if units.shape != self.cost.shape:
            raise ValueError(f"units have shape {units.shape}, expected {self.cost.shape}")
        self.units = units
        self.built = np.nan_to_num(self.cost) * units  # unit_cost x units, per programme-year
        self.divisible = np.array([p.divisible for p in s.programs], dtype=bool)
        self.served = served_units(units, self.divisible)
        self.completed = completion_capital(self.cost, units, self.divisible)
        full = np.max(np.where(self.in_window, self.cost, 0.0), axis=1, initial=0.0)
        self.money_tol = REL * full * self.quantity + self.half
        cheapest = np.min(np.where(self.in_window, self.cost, np.inf), axis=1, initial=np.inf)
        self.unit_tol = REL * self.quantity + n_years * len(s.pools) * self.half / cheapest
        a = tables.allocations
        a = self.alloc = a.assign(p=_positions(self.program_ids, a["program"]),
                                  b=_positions(self.pool_ids, a["pool"]),
                                  t=a["year"].to_numpy(dtype=np.int64) - int(self.years[0]),
                                  amount=a["amount"].to_numpy(dtype=float))
        u = self.usable = a[(a["b"] >= 0) & a["t"].between(0, n_years - 1) & np.isfinite(a["amount"])]
        self.capex_rows = u[(u["purpose"] == "capex") & (u["p"] >= 0)]
        self.capex = self._matrix(self.capex_rows)
        self.om = self._matrix(u[(u["purpose"] == "om") & (u["p"] >= 0)])

    @functools.cached_property
    def pairs(self) -> pd.DataFrame:
        """The scenario's eligible (programme, pool) pairs."""
        return eligible_pairs(self.s)

    def _matrix(self, rows: pd.DataFrame) -> FloatArray:
        out = np.zeros(self.cost.shape)
        np.add.at(out, (rows["p"].to_numpy(), rows["t"].to_numpy()), rows["amount"].to_numpy())
        return out

    def grid(self, rule: str, bad: BoolArray, size: FloatArray, detail: str) -> list[Violation]:
        """Violations of a programme x year mask (a NaN ``size``, e.g. a missing row, shows 0)."""
        return [Violation(rule, float(np.nan_to_num(size[r, t])), program=str(self.program_ids[int(r)]),
                          year=int(self.years[t]), detail=detail) for r, t in np.argwhere(bad)]

    def per_program(self, rule: str, bad: BoolArray, size: FloatArray, detail: str) -> list[Violation]:
        """Violations of a programme mask."""
        return [Violation(rule, float(np.nan_to_num(size[r])), program=str(self.program_ids[int(r)]),
                          detail=detail) for r in np.flatnonzero(bad)]


def _positions(ids: pd.Index, values: pd.Series) -> npt.NDArray[np.int64]:
    """Positions of ``values`` in ``ids`` (-1 where absent)."""
    return np.asarray(ids.get_indexer(pd.Index(values.astype(object))), dtype=np.int64)


def _rows(rule: str, frame: pd.DataFrame, size: Any, detail: str) -> list[Violation]:
    """Violations of allocation-like rows (columns program, pool, region, year where present)."""
    sizes = np.nan_to_num(np.asarray(size, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)
    text = {c: [str(v or "") for v in frame.get(c, pd.Series([""] * len(frame))).tolist()]
            for c in ("program", "pool", "region")}
    return [Violation(rule, float(sizes[i]), program=text["program"][i], pool=text["pool"][i],
                      region=text["region"][i], year=int(year), detail=detail)
            for i, year in enumerate(frame["year"].tolist())]


def check_money_rows(plan: _Plan) -> list[Violation]:
    """Every allocation names a known pool and programme, a horizon year, a finite amount >= 0."""
    a, found = plan.alloc, []
    amount = a["amount"].to_numpy()
    unknown = (a["b"] < 0) | ((a["p"] < 0) & (a["purpose"] != "baseline_om"))
    for bad, what in ((~np.isfinite(amount) | (amount < 0), "amount not finite and >= 0"),
                      (unknown, "unknown programme or pool"),
                      (~a["purpose"].isin(["capex", "om", "baseline_om"]), "unknown purpose")):
        found += _rows("money", a[bad], amount[bad], what)
    outside = ~a["t"].between(0, len(plan.years) - 1)
    return found + _rows("year_window", a[outside], amount[outside], "year outside the horizon")


def check_pool_budgets(plan: _Plan) -> list[Violation]:
    """Capital + O&M + baseline O&M money of a pool-year <= its budget (1e-9 relative); the pools
    table shows the scenario's budgets and what the allocations use."""
    u, used = plan.usable, np.zeros(plan.budget.shape)
    np.add.at(used, (u["b"].to_numpy(), u["t"].to_numpy()), u["amount"].to_numpy())
    floor = 1e-9 / RUPIAH_PER_UNIT[plan.s.money_unit]
    over = used - plan.budget
    found = [Violation("pool_budget", float(over[b, t]), pool=str(plan.pool_ids[int(b)]),
                       year=int(plan.years[t]), detail=f"used {used[b, t]:.12g} > {plan.budget[b, t]:.12g}")
             for b, t in np.argwhere(over > BUDGET_REL * plan.budget + floor)]
    table = plan.tables.pools
    b = _positions(plan.pool_ids, table["pool"])
    t = np.clip(table["year"].to_numpy(dtype=np.int64) - int(plan.years[0]), 0, len(plan.years) - 1)
    budget, mine = plan.budget[b, t], used[b, t]
    gap = np.maximum(np.abs(table["used"].to_numpy() - mine), np.abs(table["budget"].to_numpy() - budget))
    wrong = (gap > BUDGET_REL * np.maximum(budget, mine) + floor) | (b < 0)
    if len(table) != plan.budget.size:
        found.append(Violation("pool_budget", 0.0, detail="pools table rows are not the pool-years"))
    return found + _rows("pool_budget", table[wrong], gap[wrong], "pools table budget/used wrong")


def check_eligibility(plan: _Plan) -> list[Violation]:
    """No money on a pair the rules forbid, capital and O&M separately; baseline O&M only from the
    region's own pools of the ``baseline_om_sources`` types."""
    u, pairs = plan.usable, plan.pairs
    found: list[Violation] = []
    for purpose in ("capex", "om"):
        rows = u[u["purpose"] == purpose]
        allowed = pd.MultiIndex.from_frame(pairs.loc[pairs[purpose], ["program", "pool"]])
        bad = ~pd.MultiIndex.from_arrays([rows["program"], rows["pool"]]).isin(allowed)
        found += _rows("eligibility", rows[bad], rows["amount"].to_numpy()[bad],
                       f"{purpose} money on a pair the rules forbid")
    base = u[u["purpose"] == "baseline_om"]
    holder = np.array([b.holder for b in plan.s.pools], dtype=object)[base["b"].to_numpy()]
    bad = (holder != base["region"].to_numpy(dtype=object)) | ~np.isin(
        plan.source[base["b"].to_numpy()], list(plan.s.rules.baseline_om_sources))
    return found + _rows("eligibility", base[bad], base["amount"].to_numpy()[bad],
                         "baseline O&M paid by a pool the region may not use for it")


def check_year_windows(plan: _Plan) -> list[Violation]:
    """Capital money and units only inside the programme's years; O&M only after its first."""
    outside = ~plan.in_window
    early = plan.years[None, :] <= plan.start[:, None]
    return (plan.grid("year_window", outside & (plan.capex > plan.half), plan.capex,
                      "capital money outside its years")
            + plan.grid("year_window", outside & (plan.units > 0), plan.units, "units outside its years")
            + plan.grid("year_window", early & (plan.om > plan.half), plan.om, "O&M before any asset"))


def check_cost(plan: _Plan) -> list[Violation]:
    """Capital money = unit_cost x units per programme-year."""
    gap = np.abs(plan.capex - plan.built)
    return plan.grid("cost", plan.in_window & (gap > plan.money_tol[:, None]), gap,
                     "capital money != unit_cost x units")


def check_quantity(plan: _Plan) -> list[Violation]:
    """min_quantity <= units over the horizon <= quantity; whole units for divisible: false."""
    total, q = plan.units.sum(axis=1), plan.quantity
    minimum = np.array([p.min_quantity for p in plan.s.programs], dtype=float)
    whole = np.array([not p.divisible for p in plan.s.programs], dtype=bool)
    fraction = np.abs(total - np.round(total))
    return (plan.per_program("quantity", total > q * (1 + 1e-9), total - q, "above quantity")
            + plan.per_program("quantity", total < minimum - plan.unit_tol, minimum - total,
                               "below min_quantity")
            + plan.per_program("quantity", whole & (fraction > 1e-6), fraction, "not whole units"))


def check_max_years(plan: _Plan) -> list[Violation]:
    """Whole units: each one's payments lie within ``max_years`` consecutive years. Units paid by
    the end of t are complete (whole) by the end of t + max_years - 1 (or the window's end), and
    with max_years 1 every year pays for whole units only."""
    found: list[Violation] = []
    paid = np.cumsum(plan.units, axis=1)
    done = completed_units(plan.units, plan.divisible)
    for p, program in enumerate(plan.s.programs):
        if program.divisible:
            continue
        span = program.payment_years
        end = plan.s.window(program)[1] - int(plan.years[0])
        due = np.minimum(np.arange(len(plan.years)) + span - 1, end)
        late = paid[p] - done[p, due]
        found += [Violation("max_years", float(late[t]), program=program.id, year=int(plan.years[t]),
                            detail=f"units paid by then not complete within {span} year(s)")
                  for t in np.flatnonzero(late > COMPLETE_TOL)]
    return found


def check_capacity(plan: _Plan) -> list[Violation]:
    """``max_per_year``: units of a programme in one year; ``capex_growth``: a region's capital
    money in year t <= (1 + g) x its capital money in t - 1, for the years after the first year
    in which one of its programmes may take capital money from a pool with a budget."""
    found: list[Violation] = []
    for p, program in enumerate(plan.s.programs):
        if program.max_per_year is not None:
            over = plan.units[p] - program.max_per_year
            found += [Violation("capacity", float(over[t]), program=program.id, year=int(plan.years[t]),
                                detail=f"max_per_year {program.max_per_year:g}")
                      for t in np.flatnonzero(over > plan.unit_tol[p])]
    open_money = _open_money_years(plan)
    for region in plan.s.regions:
        if region.capex_growth is None or region.id not in open_money:
            continue
        mine = plan.region_of == region.id
        spent = plan.capex[mine].sum(axis=0)
        tol = REL * plan.budget.sum(axis=0) + plan.half * len(plan.s.pools) * max(int(mine.sum()), 1)
        for t in range(open_money[region.id] + 1, len(plan.years)):
            over = spent[t] - (1.0 + region.capex_growth) * spent[t - 1]
            if over > tol[t]:
                found.append(Violation("capacity", float(over), region=region.id, year=int(plan.years[t]),
                                       detail=f"capex_growth {region.capex_growth:g}: {spent[t]:.12g} "
                                              f"after {spent[t - 1]:.12g}"))
    return found


def _open_money_years(plan: _Plan) -> dict[str, int]:
    """Per region with programmes: the first year position in which one of them may take capital
    money from a pool with a budget that year (the eligible pairs, inside the window)."""
    pairs = plan.pairs[plan.pairs["capex"]]
    p = _positions(plan.program_ids, pairs["program"])
    b = _positions(plan.pool_ids, pairs["pool"])
    may = plan.in_window[p] & (plan.budget[b] > 0)
    first: dict[str, int] = {}
    for i in np.flatnonzero(may.any(axis=1)):
        region, t = str(plan.region_of[p[i]]), int(np.flatnonzero(may[i])[0])
        first[region] = min(first.get(region, t), t)
    return first


def check_readiness(plan: _Plan) -> list[Violation]:
    """Share of p delivered by t <= share of each prerequisite completed by t-1 (whole units:
    complete units only)."""
    share = np.cumsum(plan.units, axis=1) / plan.quantity[:, None]
    complete = completed_units(plan.units, plan.divisible) / plan.quantity[:, None]
    slack = plan.unit_tol / plan.quantity
    found: list[Violation] = []
    for p, program in enumerate(plan.s.programs):
        for needed in program.requires:
            q = plan.program_ids.get_loc(needed)
            over = share[p] - np.concatenate([[0.0], complete[q, :-1]])
            found += [Violation("readiness", float(over[t]), program=program.id,
                                year=int(plan.years[t]), detail=f"ahead of {needed}")
                      for t in np.flatnonzero(over > slack[p] + slack[q])]
    return found


def check_om(plan: _Plan) -> list[Violation]:
    """O&M money = om_rate x build-year cost of the units built before t (whole units: of the units
    complete before t, at their completion year's cost); baseline O&M in full."""
    rate = np.array([p.om_rate for p in plan.s.programs], dtype=float)
    gap = np.abs(plan.om - rate[:, None] * (np.cumsum(plan.completed, axis=1) - plan.completed))
    found = plan.grid("om", gap > plan.money_tol[:, None], gap, "O&M money != om_rate x earlier cost")
    base = plan.usable[plan.usable["purpose"] == "baseline_om"]
    paid = base.groupby(["region", "t"])["amount"].sum()
    for region in plan.s.regions:
        for t, year in enumerate(plan.years):
            need = float(region.baseline_om.get(int(year), 0.0))
            got = float(paid.get((region.id, t), 0.0))
            if abs(got - need) > REL * need + plan.half:
                found.append(Violation("om", abs(got - need), region=region.id, year=int(year),
                                       detail=f"baseline O&M paid {got:.12g}, needed {need:.12g}"))
    return found


def check_om_handover(plan: _Plan) -> list[Violation]:
    """With ``rules.om_handover_cap``, per region: O&M left to the next plan (om_rate x all
    capital built in the horizon) <= (1 + cap) x programme O&M money paid in the last year.

    Tolerance: 1e-6 of the region's yearly O&M of every programme's whole quantity at its dearest
    cost, plus half a rupiah per programme.
    """
    cap = plan.s.rules.om_handover_cap
    if cap is None:
        return []
    rate = np.array([p.om_rate for p in plan.s.programs], dtype=float)
    after = rate * plan.built.sum(axis=1)
    paid = plan.om[:, -1]
    full = rate * np.max(np.where(plan.in_window, plan.cost, 0.0), axis=1, initial=0.0) * plan.quantity
    found = []
    for region in plan.s.regions:
        mine = plan.region_of == region.id
        left, last = float(after[mine].sum()), float(paid[mine].sum())
        excess = left - (1.0 + cap) * last
        if excess > REL * float(full[mine].sum()) + plan.half * int(mine.sum()):
            found.append(Violation("om_handover", excess, region=region.id, year=int(plan.years[-1]),
                                   detail=f"O&M left to the next plan {left:.12g} > (1 + {cap:g}) x "
                                          f"{last:.12g} paid in the last year"))
    return found


def _capex_by_source(plan: _Plan) -> pd.DataFrame:
    """Capital money per (programme row, year position) (index) and source type (columns)."""
    capex = plan.capex_rows
    if capex.empty:
        return pd.DataFrame(index=pd.MultiIndex.from_arrays([[], []], names=["p", "t"]))
    return capex.assign(source=plan.source[capex["b"].to_numpy()]).pivot_table(
        index=["p", "t"], columns="source", values="amount", aggfunc="sum", fill_value=0.0)


def check_matching(plan: _Plan) -> list[Violation]:
    """Per rule: partner money >= share x money of the source, per programme-year (capital)."""
    money = _capex_by_source(plan)
    p = money.index.get_level_values("p").to_numpy(dtype=np.int64)
    t = money.index.get_level_values("t").to_numpy(dtype=np.int64)
    found: list[Violation] = []
    for rule in plan.s.rules.matching:
        if rule.source in money.columns:
            partner = money.reindex(columns=list(rule.partners), fill_value=0.0).sum(axis=1)
            short = rule.share * money[rule.source].to_numpy() - partner.to_numpy()
            found += [Violation("matching", float(short[i]), program=str(plan.program_ids[p[i]]),
                                year=int(plan.years[t[i]]),
                                detail=f"{list(rule.partners)} below {rule.share} x {rule.source}")
                      for i in np.flatnonzero(short > plan.money_tol[p])]
    return found


def check_share_caps(plan: _Plan) -> list[Violation]:
    """Masyarakat capital <= share x unit_cost x units; DAK supporting money <= share of the DAK
    pool's capital spending in the year; ``per_region`` floors and ceilings."""
    s, found = plan.s, []
    money = _capex_by_source(plan)
    if "MASYARAKAT" in money.columns:
        community = np.zeros(plan.cost.shape)
        community[money.index.get_level_values("p"), money.index.get_level_values("t")] = money["MASYARAKAT"]
        over = community - s.rules.masyarakat_share * plan.built
        found += plan.grid("share_cap", over > plan.money_tol[:, None], over, "masyarakat_share")
    dak = plan.capex_rows[plan.source[plan.capex_rows["b"].to_numpy()] == "DAK"]
    supporting = np.array([p.kind == "supporting" for p in s.programs], dtype=bool)
    total = dak.groupby(["b", "t"])["amount"].sum()
    support = dak[supporting[dak["p"].to_numpy()]].groupby(["b", "t"])["amount"].sum()
    over_dak = support - s.rules.dak_supporting_share * total.reindex(support.index)
    found += [Violation("share_cap", float(excess), pool=str(plan.pool_ids[b]), year=int(plan.years[t]),
                        detail="dak_supporting_share")
              for (b, t), excess in over_dak.items() if excess > REL * plan.budget[b, t] + plan.half]
    return found + _per_region(plan)


def _per_region(plan: _Plan) -> list[Violation]:
    """Capital + O&M money of a region's programmes from a pool with ``per_region``; the floor
    applies in the years the region may take money from the pool."""
    u = plan.usable
    money = u[u["purpose"].isin(["capex", "om"]) & (u["p"] >= 0)]
    taken = money.assign(r=plan.region_of[money["p"].to_numpy()]).groupby(["b", "r", "t"])["amount"].sum()
    found: list[Violation] = []
    for b, pool in enumerate(plan.s.pools):
        if pool.per_region is None:
            continue
        mine = plan.pairs[plan.pairs["pool"] == pool.id]
        rows = _positions(plan.program_ids, mine["program"])
        may = (plan.in_window[rows] & mine["capex"].to_numpy()[:, None]) | (
            (plan.years[None, :] > plan.start[rows][:, None]) & mine["om"].to_numpy()[:, None])
        high, low = pool.per_region.max, pool.per_region.min
        for region in plan.s.regions:
            open_years = may[plan.region_of[rows] == region.id].any(axis=0)
            got = np.array([taken.get((b, region.id, t), 0.0) for t in range(len(plan.years))])
            tol = REL * plan.budget[b] + plan.half
            over = got - high - tol if high is not None else np.full(len(got), -1.0)
            under = np.where(open_years, low - got - tol, -1.0) if low is not None else np.full(len(got), -1.)
            found += [Violation("share_cap", float(size[t] + tol[t]), pool=pool.id, region=region.id,
                                year=int(plan.years[t]), detail=what)
                      for size, what in ((over, "per_region.max"), (under, "per_region.min"))
                      for t in np.flatnonzero(size > 0)]
    return found


def check_coverage(plan: _Plan) -> list[Violation]:
    """covered = baseline + serves x units delivered so far (whole units: complete by the year
    before); shortfall = max(target - covered, 0); with ``hard_targets`` no shortfall at all."""
    cumulative = plan.served
    none = np.zeros(len(plan.years))
    served: dict[tuple[str, str], FloatArray] = {}
    slack: dict[tuple[str, str], float] = {}
    for p, program in enumerate(plan.s.programs):
        for k, v in program.serves.items():
            served[(program.region, k)] = served.get((program.region, k), none) + v * cumulative[p]
            slack[(program.region, k)] = slack.get((program.region, k), 0.0) + v * plan.unit_tol[p]
    regions = {r.id: r for r in plan.s.regions}
    targets = {r.id: r.target_shares(plan.s.horizon) for r in plan.s.regions}
    found: list[Violation] = []
    table = plan.tables.coverage
    for name, indicator, year, shown, shown_short, shown_target in zip(
            table["region"].astype(str).tolist(), table["indicator"].astype(str).tolist(),
            table["year"].astype(int).tolist(), table["covered"].astype(float).tolist(),
            table["shortfall"].astype(float).tolist(), table["target_share"].astype(float).tolist(),
            strict=True):
        t, key, region = year - int(plan.years[0]), (name, indicator), regions.get(name)
        if region is None or not 0 <= t < len(plan.years):
            found.append(Violation("coverage", 0.0, region=name, year=year, detail="unknown region or year"))
            continue
        households = region.households_in(year)
        covered = region.baseline.get(indicator, 0.0) + served.get(key, none)[t]
        tol = REL * households + slack.get(key, 0.0)
        target = targets[name].get(indicator, {}).get(year)  # every year with a trajectory
        short = max(target * households - covered, 0.0) if target is not None else 0.0
        target_gap = abs(shown_target - target) if target is not None else (
            0.0 if math.isnan(shown_target) else 1.0)
        checks = ((abs(shown - covered) > tol, abs(shown - covered), "covered != baseline + served"),
                  (not target_gap <= 1e-9, target_gap, "target_share != the scenario's target"),
                  (target is not None and abs(shown_short - short) > tol, abs(shown_short - short),
                   "shortfall != target - covered"),
                  (plan.s.objective.hard_targets and short > tol, short, "shortfall under hard_targets"))
        found += [Violation("coverage", float(size), region=name, year=year, detail=f"{indicator}: {what}")
                  for bad, size, what in checks if bad]
    return found


def check_locked(plan: _Plan) -> list[Violation]:
    """Capital money of each locked (programme, pool, year) >= the locked amount."""
    got = plan.capex_rows.groupby(["program", "pool", "year"])["amount"].sum()
    return [Violation("locked", short, program=program.id, pool=pool, year=int(year))
            for p, program in enumerate(plan.s.programs)
            for year, by_pool in program.locked.items() for pool, amount in by_pool.items()
            if (short := amount - float(got.get((program.id, pool, int(year)), 0.0))) > plan.money_tol[p]
            ]


def check_alternatives(plan: _Plan) -> list[Violation]:
    """``excludes``: of two excluded programmes at most one delivers anything."""
    built = plan.units.sum(axis=1) > plan.unit_tol
    found: list[Violation] = []
    seen: set[tuple[str, str]] = set()
    for p, program in enumerate(plan.s.programs):
        for other in program.excludes:
            pair = (min(program.id, other), max(program.id, other))
            if other not in plan.program_ids or pair in seen:
                continue
            seen.add(pair)
            q = plan.program_ids.get_loc(other)
            if built[p] and built[q]:
                found.append(Violation("excludes", float(min(plan.units[p].sum(), plan.units[q].sum())),
                                       program=program.id, detail=f"built together with {other}"))
    return found


def check_recipients(plan: _Plan) -> list[Violation]:
    """Bantuan keuangan khusus: capital money of a ``recipients`` pool to the programmes it may fund
    only as aid (``aid`` pairs), per region and year, <= the recipient's amount."""
    aid = plan.pairs[plan.pairs["aid"]]
    if aid.empty:
        return []
    allowed = pd.MultiIndex.from_frame(aid[["program", "pool"]])
    rows = plan.capex_rows[pd.MultiIndex.from_arrays([plan.capex_rows["program"],
                                                      plan.capex_rows["pool"]]).isin(allowed)]
    given = rows.assign(r=plan.region_of[rows["p"].to_numpy()]).groupby(["b", "r", "t"])["amount"].sum()
    found: list[Violation] = []
    for (b, region, t), amount in given.items():
        pool = plan.s.pools[int(b)]
        limit = pool.recipient_amount(str(region), int(plan.years[t]))
        if amount > limit + REL * plan.budget[b, t] + plan.half:
            found.append(Violation("recipients", float(amount - limit), pool=pool.id, region=str(region),
                                   year=int(plan.years[t]),
                                   detail=f"aid {amount:.12g} > amount {limit:.12g}"))
    return found


def check_pool_requires(plan: _Plan) -> list[Violation]:
    """``pools[].requires``: no money from the pool before the year after every required programme
    is complete (its units over the years before reach the quantity)."""
    done = np.cumsum(plan.units, axis=1) >= plan.quantity[:, None] - plan.unit_tol[:, None]
    u = plan.usable
    used = np.zeros(plan.budget.shape)
    np.add.at(used, (u["b"].to_numpy(), u["t"].to_numpy()), u["amount"].to_numpy())
    found: list[Violation] = []
    for b, pool in enumerate(plan.s.pools):
        for needed in pool.requires:
            if needed not in plan.program_ids:
                continue
            q = plan.program_ids.get_loc(needed)
            open_years = np.concatenate([[False], done[q, :-1]])
            bad = ~open_years & (used[b] > REL * plan.budget[b] + plan.half)
            found += [Violation("pool_requires", float(used[b, t]), pool=pool.id, year=int(plan.years[t]),
                                detail=f"money before {needed} is complete")
                      for t in np.flatnonzero(bad)]
    return found


def check_desa_share(plan: _Plan) -> list[Violation]:
    """Dana Desa money of a programme-year <= its desa share x unit_cost x units."""
    share = dana_desa_shares(plan.s)
    money = _capex_by_source(plan)
    if "DANA_DESA" not in money.columns or not np.isfinite(share).any():
        return []
    village = np.zeros(plan.cost.shape)
    village[money.index.get_level_values("p"), money.index.get_level_values("t")] = money["DANA_DESA"]
    limited = np.isfinite(share)
    over = village - np.where(limited, share, 1.0)[:, None] * plan.built
    return plan.grid("desa_share", limited[:, None] & (over > plan.money_tol[:, None]), over,
                     "Dana Desa above the desa share")
