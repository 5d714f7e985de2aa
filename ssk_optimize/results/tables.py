"""Solution -> the four tidy result tables of domain.md section 6, sorted by their keys."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ssk_optimize.model.formulation import BuiltModel
from ssk_optimize.results.plan_check import PlanCheck, check_plan, completion_capital, mark, served_units
from ssk_optimize.results.reasons import limiting_reasons
from ssk_optimize.results.schemas import KEYS, SCHEMAS, TABLES
from ssk_optimize.results.values import POLISH_LEVELS, Values, extract_values
from ssk_optimize.solve.solution import Solution

FULL = 1.0 - 1e-6  # a programme delivered to this share of its quantity is fully funded


@dataclass(frozen=True)
class RunTables:
    """The result tables of one run."""

    allocations: pd.DataFrame
    programs: pd.DataFrame
    pools: pd.DataFrame
    coverage: pd.DataFrame


def build_tables(model: BuiltModel, solution: Solution, values: Values | None = None) -> RunTables:
    """Tables for a solution that has a primal point (optimal or stopped).

    ``values`` are ``extract_values(model, solution.x)`` when the caller has them already.
    """
    if solution.x is None:
        raise ValueError("no primal point to tabulate")
    if values is None:
        values = extract_values(model, solution.x)
    return RunTables(
        allocations=_no_negative_zero(allocation_table(model, values)),
        programs=_no_negative_zero(program_table(model, values, solution)),
        pools=_no_negative_zero(pool_table(model, values, solution)),
        coverage=_no_negative_zero(coverage_table(model, values)),
    )


def _none_if_empty(values: np.ndarray) -> np.ndarray:
    """A code the planner did not give is null ("does not apply"), not ``''``."""
    return np.where(values == "", np.full(len(values), None, dtype=object), values)


def _no_negative_zero(frame: pd.DataFrame) -> pd.DataFrame:
    """``-0.0`` becomes ``0.0`` in every float column (``x + 0.0`` keeps NaN and infinities)."""
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].to_numpy() + 0.0
    return frame


def tabulate(model: BuiltModel, solution: Solution) -> tuple[RunTables, Solution, PlanCheck | None]:
    """Result tables of a solve, their plan check, and the solution as it must be reported.

    Every caller that turns a solve into tables goes through here, so no plan reaches a reader
    unchecked: a plan breaking a rule turns the solution into an ERROR
    (:func:`ssk_optimize.results.plan_check.mark`). Without a primal point: empty tables and no
    check.
    """
    if solution.x is None:
        return empty_tables(), solution, None
    for level in POLISH_LEVELS:  # the polished plan, unless it breaks a rule the plain one keeps
        values = extract_values(model, solution.x, polish=level)
        tables = build_tables(model, solution, values)
        check = check_plan(model.index.scenario, tables, values.units)
        if check.passed:
            break
    return tables, mark(solution, check), check


def allocation_table(model: BuiltModel, values: Values) -> pd.DataFrame:
    """One row per programme x pool x year x purpose with money (baseline O&M: null programme)."""
    ix = model.index
    money = values.money
    programme = money["program_row"].to_numpy()
    has = programme >= 0
    rows = np.where(has, programme, 0)
    nothing = np.full(len(money), None, dtype=object)  # baseline O&M: no programme (null)
    column = lambda name: np.where(has, ix.programs[name].to_numpy(dtype=object)[rows], nothing)  # noqa: E731
    frame = pd.DataFrame({
        "scenario": ix.scenario.scenario,
        "program": column("program"),
        "code": _none_if_empty(column("code")),
        "region": ix.regions["region"].to_numpy(dtype=object)[money["region_row"].to_numpy()],
        "province": ix.regions["province"].to_numpy(dtype=object)[money["region_row"].to_numpy()],
        "subsector": column("subsector"),
        "kind": column("kind"),
        "scale": column("scale"),
        "source": ix.pools["source"].to_numpy(dtype=object)[money["pool_row"].to_numpy()],
        "pool": ix.pools["pool"].to_numpy(dtype=object)[money["pool_row"].to_numpy()],
        "holder": ix.pools["holder"].to_numpy(dtype=object)[money["pool_row"].to_numpy()],
        "firm": ix.pools["firm"].to_numpy(dtype=bool)[money["pool_row"].to_numpy()],
        "year": ix.years[money["t"].to_numpy()],
        "purpose": money["purpose"].to_numpy(dtype=object),
        "amount": money["amount"].to_numpy(dtype=float),
    })
    return frame.sort_values(list(KEYS["allocations"])).reset_index(drop=True)


def program_table(model: BuiltModel, values: Values, solution: Solution) -> pd.DataFrame:
    """One row per programme: delivery, need, funding, gap, O&M and the waiting-list reason."""
    ix = model.index
    programs = ix.programs
    n = len(programs)
    quantity = programs["quantity"].to_numpy(dtype=float)
    delivered = values.units.sum(axis=1)
    # a sum of yearly units one rounding error off its quantity or integer is that figure
    delivered = np.where(np.abs(delivered - quantity) <= 1e-12 * quantity, quantity, delivered)
    whole = ~programs["divisible"].to_numpy(dtype=bool)
    nearest = np.round(delivered)
    delivered = np.where(whole & (np.abs(delivered - nearest) <= 1e-12 * np.maximum(nearest, 1.0)),
                         nearest, delivered)
    money = values.money[values.money["program_row"] >= 0]
    capex = money[money["purpose"] == "capex"]
    funded = np.bincount(capex["program_row"], weights=capex["amount"], minlength=n)
    soft = capex[~ix.pools["firm"].to_numpy(dtype=bool)[capex["pool_row"].to_numpy()]]
    funded_indicative = np.bincount(soft["program_row"], weights=soft["amount"], minlength=n)
    upkeep = money[money["purpose"] == "om"]
    om_funded = np.bincount(upkeep["program_row"], weights=upkeep["amount"], minlength=n)
    last_cost = ix.cost[np.arange(n), programs["end"].to_numpy() - int(ix.years[0])]
    remaining = np.clip(quantity - delivered, 0.0, None)
    need = funded + remaining * last_cost
    capital_by_year = completion_capital(ix.cost, values.units, ~whole)
    om_after = programs["om_rate"].to_numpy(dtype=float) * capital_by_year.sum(axis=1)
    share = np.clip(delivered / quantity, 0.0, 1.0)
    waiting = share < FULL
    reason, detail = limiting_reasons(model, values, solution, waiting)
    frame = pd.DataFrame({
        "scenario": ix.scenario.scenario,
        "program": programs["program"].to_numpy(dtype=object),
        "name": programs["name"].to_numpy(dtype=object),
        "code": _none_if_empty(programs["code"].to_numpy(dtype=object)),
        "region": programs["region"].to_numpy(dtype=object),
        "subsector": programs["subsector"].to_numpy(dtype=object),
        "kind": programs["kind"].to_numpy(dtype=object),
        "scale": programs["scale"].to_numpy(dtype=object),
        "priority": programs["priority"].to_numpy(dtype=float),
        "quantity": quantity,
        "units_delivered": delivered,
        "need": need,
        "funded": funded,
        "funded_indicative": funded_indicative,
        "gap": need - funded,
        "funded_share": share,
        "om_funded": om_funded,
        "om_after_horizon": om_after,
        "waiting_list": waiting,
        "limiting_reason": reason,
        "limiting_detail": detail,
    })
    return frame.sort_values(list(KEYS["programs"])).reset_index(drop=True)


def pool_table(model: BuiltModel, values: Values, solution: Solution) -> pd.DataFrame:
    """One row per pool x year: budget, use and the two shadow prices with their range.

    Shadow prices are per extra money unit: ``shadow_price_targets`` in (weighted) households of
    shortfall avoided, ``shadow_price_priority`` in priority-weighted completion (stage 1 held).
    """
    ix = model.index
    n_pools, n_years = ix.budget.shape
    rows = model.budget_rows
    scale = ix.money_scale
    targets = _dual(solution, "targets", rows, -1.0 / scale)
    priority = _dual(solution, "priority", rows, 1.0 / scale)
    low, high = _range(solution, rows, scale)
    pool_row = np.repeat(np.arange(n_pools), n_years)
    budget = ix.budget.reshape(-1)
    used = values.used.reshape(-1)
    frame = pd.DataFrame({
        "scenario": ix.scenario.scenario,
        "pool": ix.pools["pool"].to_numpy(dtype=object)[pool_row],
        "source": ix.pools["source"].to_numpy(dtype=object)[pool_row],
        "holder": ix.pools["holder"].to_numpy(dtype=object)[pool_row],
        "firm": ix.pools["firm"].to_numpy(dtype=bool)[pool_row],
        "year": np.tile(ix.years, n_pools),
        "budget": budget,
        "used": used,
        "unused": _unused(budget, used),
        "shadow_price_targets": targets,
        "shadow_price_priority": priority,
        "range_low": low,
        "range_high": high,
    })
    return frame.sort_values(list(KEYS["pools"])).reset_index(drop=True)


def _unused(budget: np.ndarray, used: np.ndarray) -> np.ndarray:
    """``budget - used``, exactly 0 where within 1e-9 relative (solver tolerance, not money)."""
    left = np.clip(budget - used, 0.0, None)
    return np.where(left <= 1e-9 * np.abs(budget), 0.0, left)


def _dual(solution: Solution, stage: str, rows: np.ndarray, factor: float) -> np.ndarray:
    duals = solution.duals.get(stage)
    if duals is None:
        return np.full(len(rows), np.nan)
    value = duals[rows] * factor
    return np.where(np.abs(value) < 1e-12, 0.0, value) + 0.0  # no negative zeros


def _range(solution: Solution, rows: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Budget levels over which the reported prices hold.

    Where the targets price is non-zero it leads (the stage-1 ranging: stage 1 re-optimises as the
    budget moves); elsewhere the priority price's ranging applies. Ranging of the priority stage
    alone is not used where stage 1 binds, because the stage-1 hold row pins it to a sliver.
    NaN where the backend gives no ranging (PuLP solvers).
    """
    nan = np.full(len(rows), np.nan)
    targets, priority = solution.ranging.get("targets"), solution.ranging.get("priority")
    duals = solution.duals.get("targets")
    if targets is None or duals is None:
        return nan, nan.copy()
    low, high = targets.low[rows] * scale, targets.high[rows] * scale
    if priority is not None:
        leads = np.abs(duals[rows]) > 1e-12
        low = np.where(leads, low, priority.low[rows] * scale)
        high = np.where(leads, high, priority.high[rows] * scale)
    return low + 0.0, high + 0.0  # no negative zeros in the table


def coverage_table(model: BuiltModel, values: Values) -> pd.DataFrame:
    """Region x indicator x year: households covered (baseline + delivered), against targets.

    Whole-unit programmes serve with the units complete by the end of the year before.

    Indicators per region: those with a baseline or target there, or served by its programmes.
    """
    ix = model.index
    years = ix.years
    region_row = {r: i for i, r in enumerate(ix.regions["region"])}
    serves = pd.DataFrame(
        [(row, region_row[p.region], k, v) for row, p in enumerate(ix.scenario.programs)
         for k, v in p.serves.items()],
        columns=["program_row", "region_row", "indicator", "serves"])
    stated = pd.DataFrame(
        [(row, k, r.baseline.get(k, 0.0)) for row, r in enumerate(ix.scenario.regions)
         for k in set(r.baseline) | set(r.targets)],
        columns=["region_row", "indicator", "baseline"])
    # typed even when empty (no programme serves, no region states a baseline or target)
    serves = serves.astype({"program_row": np.int64, "region_row": np.int64, "serves": float})
    stated = stated.astype({"region_row": np.int64, "baseline": float})
    keys = pd.concat([stated[["region_row", "indicator"]], serves[["region_row", "indicator"]]])
    keys = keys.drop_duplicates().sort_values(["region_row", "indicator"]).reset_index(drop=True)
    keys = keys.merge(stated, on=["region_row", "indicator"], how="left").fillna({"baseline": 0.0})
    position = pd.Series(np.arange(len(keys)),
                         index=pd.MultiIndex.from_frame(keys[["region_row", "indicator"]]))
    covered = np.repeat(keys["baseline"].to_numpy(dtype=float)[:, None], len(years), axis=1)
    if len(serves):
        divisible = ix.programs["divisible"].to_numpy(dtype=bool)
        cumulative = served_units(values.units, divisible)[serves["program_row"].to_numpy()]
        where = position.loc[pd.MultiIndex.from_frame(serves[["region_row", "indicator"]])]
        np.add.at(covered, where.to_numpy(), serves["serves"].to_numpy()[:, None] * cumulative)
    targets = {(row, k, y): share for row, r in enumerate(ix.scenario.regions)
               for k, by_year in r.target_shares(ix.scenario.horizon).items()
               for y, share in by_year.items()}
    n = len(keys)
    frame = pd.DataFrame({
        "scenario": ix.scenario.scenario,
        "region": np.repeat(ix.regions["region"].to_numpy(dtype=object)[keys["region_row"]],
                            len(years)),
        "indicator": np.repeat(keys["indicator"].to_numpy(dtype=object), len(years)),
        "year": np.tile(years, n),
        "households": ix.households[np.repeat(keys["region_row"].to_numpy(), len(years)),
                                    np.tile(np.arange(len(years)), n)] if n else np.zeros(0),
        "covered": covered.reshape(-1),
    })
    lookup = pd.Series(targets, dtype=float)
    wanted = pd.MultiIndex.from_arrays([np.repeat(keys["region_row"].to_numpy(), len(years)),
                                        frame["indicator"], frame["year"]])
    frame["target_share"] = lookup.reindex(wanted).to_numpy() if len(lookup) else np.nan
    frame["share"] = frame["covered"] / frame["households"]
    frame["target_households"] = frame["target_share"] * frame["households"]
    shortfall = np.clip(frame["target_households"] - frame["covered"], 0.0, None)
    frame["shortfall"] = np.where(shortfall < 1e-6, 0.0, shortfall)  # solver noise, not households
    columns = ["scenario", "region", "indicator", "year", "households", "covered", "share",
               "target_share", "target_households", "shortfall"]
    return frame[columns].sort_values(list(KEYS["coverage"])).reset_index(drop=True)


def empty_tables() -> RunTables:
    """Tables with no rows (a run that found no feasible point still writes its folder)."""
    frames = {name: SCHEMAS[name].empty_table().to_pandas() for name in TABLES}
    return RunTables(**frames)
