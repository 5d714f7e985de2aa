"""What would fund a programme: the cheapest budget change on its pools (formulation.md, Explain).

:func:`funding_change` works on the elastic program (:mod:`ssk_optimize.model.elastic`) of a built
model. Every elastic column is fixed at 0 (every rule hard) except those of the ``pool_budget``
rows of the pools the programme may use (capital or O&M), each priced 1 per scaled money unit.
Every other programme is held at least at the share it had in the run, year by year
(``held_shares``, a lower bound per ``share`` column; the caller reads them from the run's
allocations). Then, with ``s`` the programme's shares and ``e`` the budget elastics:

1. *reach*: ``max sum_t s[p,t]`` with ``e`` free and unpriced: the most money can buy;
2. *obstacles* (only when the reach is short of full): ``min sum price * e'`` over the elastics
   of every other rule side with ``sum_t s[p,t] >= 1``: the rules that stop it (the ones relaxed);
3. *cost*: ``min sum e`` with ``sum_t s[p,t] >= reach``: the least added budget.

Integrality is kept (a whole-unit programme is raised by whole units), so on a MILP these are
small MILPs; the model is the same everywhere else. Money comes back in the scenario's unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ssk_optimize.model.elastic import ElasticProgram, elastic_program
from ssk_optimize.model.formulation import BuiltModel
from ssk_optimize.model.relaxation import to_step
from ssk_optimize.solve.base import SolverOptions, StageResult
from ssk_optimize.solve.registry import get_backend

FloatArray = npt.NDArray[np.float64]
FULL_TOL = 1e-6  # a share within this of full is full (formulation.md section 9)
HOLD_REL = 1e-7  # held shares are loosened by this (run amounts are rounded to the rupiah)
ACTIVE = 1e-7  # an elastic column above this (scaled units) is a rule that gave
EARMARK_FLOOR = 1e-4  # earmarks below this share of the programme's full cost are dropped
TIE = 1e-4  # equal money in two pools: the preferred source (objective.source_preference) first


@dataclass(frozen=True)
class FundingChange:
    """The answer of :func:`funding_change` for one programme.

    ``run_share``: its share in the run; ``reach``: the most it can reach with unlimited money on
    its pools (1: full); ``status``: ``funded`` (money takes it to ``reach`` > run share),
    ``money_cannot_help`` (``reach`` is not above the run share) or ``not_solved`` (a solve
    failed; ``detail`` says which). ``added``: pool, year, budget, added (money unit, > 0 only);
    ``earmarks``: pool, year, amount, the programme's capital money per pool-year in the cheapest
    plan (money unit, floored to the cent); ``obstacles``: the origins (family, rule, program,
    pool, region, year, other_program, path) of the rules that stop it from being full even
    with unlimited money.
    """

    program: str
    run_share: float
    reach: float
    status: str
    added: pd.DataFrame
    earmarks: pd.DataFrame
    obstacles: pd.DataFrame
    detail: str = ""


def run_shares(model: BuiltModel, allocations: pd.DataFrame, factor: float = 1.0) -> FloatArray:
    """Per ``share`` column, the share the run delivered: capital money / (unit cost x quantity).

    Read from the run's allocations (``purpose == capex``), not from re-solving: it is the plan
    the planner saw. ``factor`` converts the run's money to the model's unit.
    """
    ix = model.index
    capex = allocations[allocations["purpose"].astype(str) == "capex"]
    money = capex.groupby([capex["program"].astype(str), capex["year"].astype(int)],
                          observed=True)["amount"].sum() * factor
    share = ix.share
    program = ix.programs["program"].to_numpy(dtype=object)[share["program_row"].to_numpy()]
    year = ix.years[share["t"].to_numpy()]
    keys = pd.MultiIndex.from_arrays([program.astype(str), year.astype(int)])
    amount = money.reindex(keys).fillna(0.0).to_numpy(dtype=float)
    cost = ix.cost[share["program_row"].to_numpy(), share["t"].to_numpy()]
    quantity = ix.programs["quantity"].to_numpy(dtype=float)[share["program_row"].to_numpy()]
    return np.clip(amount / (cost * quantity), 0.0, 1.0)


def programme_pools(model: BuiltModel, program_row: int) -> npt.NDArray[np.int64]:
    """Rows of the pools the programme may use for capital or O&M money (``ix.pairs``)."""
    pairs = model.index.pairs
    mine = pairs[(pairs["program_row"] == program_row) & (pairs["capex"] | pairs["om"])]
    return np.unique(mine["pool_row"].to_numpy(dtype=np.int64))


def funding_change(model: BuiltModel, program: str, held_shares: FloatArray,
                   solver: str | None = None, elastic: ElasticProgram | None = None) -> FundingChange:
    """The cheapest budget change that funds ``program`` as far as money can (module docstring).

    ``held_shares``: per ``share`` column (``model.index.share`` order) the run's share; every
    other programme keeps at least that. ``elastic``: a prebuilt elastic program of ``model`` (to
    explain several programmes without rebuilding it).
    """
    ix = model.index
    p = int(np.flatnonzero(ix.programs["program"].to_numpy(dtype=object) == program)[0])
    ep = elastic if elastic is not None else elastic_program(model)
    lp = ep.lp
    share = ix.share
    mine = share["program_row"].to_numpy() == p
    my_cols = share["col"].to_numpy(dtype=np.int64)[mine]
    run_share = float(held_shares[mine].sum())
    pools = programme_pools(model, p)
    el = ep.elastics
    group_pool = ep.groups["pool"].to_numpy(dtype=object)[el["group"].to_numpy()]
    pool_row = pd.Series(np.arange(len(ix.pools)), index=ix.pools["pool"]).reindex(group_pool)
    is_budget = (el["lever"] == "budget").to_numpy()
    budget_e = is_budget & np.isin(pool_row.fillna(-1).to_numpy(dtype=np.int64), pools)
    quantity_row = int(model.family_rows["quantity"][p])
    own_target = (el["row"].to_numpy() == quantity_row)  # p's own commitment elastic never gives

    col_lower, col_upper = lp.col_lower.copy(), lp.col_upper.copy()
    others = share["col"].to_numpy(dtype=np.int64)[~mine]
    held = held_shares[~mine]
    col_lower[others] = np.maximum(col_lower[others],
                                   np.minimum(held * (1 - HOLD_REL) - 1e-9, col_upper[others]))
    col_lower[others] = np.maximum(col_lower[others], 0.0)
    e_cols = ep.cols
    row_lower = lp.row_lower.copy()
    session = get_backend(solver or "highs").open(lp, SolverOptions(name=solver or "highs"))
    try:
        def solve(free: npt.NDArray[np.bool_], cost: FloatArray, target: float | None) -> StageResult:
            upper = col_upper.copy()
            upper[e_cols[~free]] = 0.0
            session.set_col_bounds(np.arange(lp.n_cols), col_lower, upper)
            lower = row_lower.copy()
            if target is not None:
                lower[quantity_row] = max(lower[quantity_row], target)
            session.set_row_bounds(np.array([quantity_row]), lower[[quantity_row]],
                                   lp.row_upper[[quantity_row]])
            session.set_objective(cost, "min")
            return session.solve()

        zero = np.zeros(lp.n_cols)
        reach_cost = zero.copy()
        reach_cost[my_cols] = -1.0
        first = solve(budget_e, reach_cost, None)
        if not first.status.is_optimal or first.x is None:
            return _empty(program, run_share, "not_solved",
                          f"reach: {first.status.value} {first.detail}".strip())
        reach = float(first.x[my_cols].sum())
        reach = 1.0 if reach >= 1 - FULL_TOL else reach
        obstacles = _no_obstacles()
        if reach < 1.0:
            relax = ~own_target & ~(is_budget & ~budget_e)
            price = zero.copy()
            price[e_cols] = np.where(budget_e, 0.0, el["price"].to_numpy(dtype=float))
            stopped = solve(relax, price, 1.0)
            if stopped.status.is_optimal and stopped.x is not None:
                gave = (stopped.x[e_cols] > ACTIVE) & ~budget_e
                obstacles = ep.groups.iloc[el["group"].to_numpy()[gave]].drop_duplicates()
        if reach <= run_share + FULL_TOL:
            return FundingChange(program, run_share, reach, "money_cannot_help", _no_added(),
                                 _no_earmarks(), obstacles)
        money_cost = zero.copy()
        money_cost[e_cols[budget_e]] = 1.0 + TIE * _ranks(model)[pool_row.to_numpy()[budget_e]
                                                               .astype(np.int64)]
        # a share a hair below the reach: the reach LP's point may sit on tolerances
        best = solve(budget_e, money_cost, reach if reach == 1.0 else reach - FULL_TOL)
        if not best.status.is_optimal or best.x is None:
            return _empty(program, run_share, "not_solved",
                          f"cost: {best.status.value} {best.detail}".strip())
    finally:
        session.close()
    added = _added(model, ep, best.x, budget_e)
    earmarks = _earmarks(model, p, best.x)
    return FundingChange(program, run_share, reach, "funded", added, earmarks, obstacles)


def _ranks(model: BuiltModel) -> FloatArray:
    """Per pool, its source's rank in ``objective.source_preference`` over the largest rank: the
    tie-break that puts added money where stage 3 would look first (a planner's order, not 1:1)."""
    ix = model.index
    order = list(ix.scenario.objective.source_preference)
    rank = ix.pools["source"].map(lambda s: order.index(s) + 1 if s in order else len(order) + 1)
    return rank.to_numpy(dtype=float) / float(len(order) + 1)


def _added(model: BuiltModel, ep: ElasticProgram, x: FloatArray,
           budget_e: npt.NDArray[np.bool_]) -> pd.DataFrame:
    """Added budget per pool-year (money unit), from the budget elastics that are positive."""
    ix = model.index
    el = ep.elastics[budget_e]
    value = x[el["col"].to_numpy(dtype=np.int64)] * ix.money_scale
    groups = ep.groups.iloc[el["group"].to_numpy()]
    frame = pd.DataFrame({"pool": groups["pool"].to_numpy(dtype=object),
                          "year": groups["year"].to_numpy(dtype=np.int64), "added": value})
    frame = frame[frame["added"] > ACTIVE * ix.money_scale]
    pool_row = pd.Series(np.arange(len(ix.pools)), index=ix.pools["pool"])
    t = frame["year"].to_numpy(dtype=np.int64) - int(ix.years[0])
    budget = ix.budget[pool_row.loc[frame["pool"]].to_numpy(dtype=np.int64), t] if len(frame) else []
    return frame.assign(budget=np.asarray(budget, dtype=float))[["pool", "year", "budget", "added"]] \
        .sort_values(["pool", "year"]).reset_index(drop=True)


def _earmarks(model: BuiltModel, p: int, x: FloatArray) -> pd.DataFrame:
    """The programme's capital money per pool-year in the cheapest plan, floored to the cent.

    Every pool-year of its plan, not only the new money: earmarking only the new money let the
    lexicographic re-solve move its other money to programmes ranked first (Katingan's drainase
    kumuh fell from 98% to 97%).
    """
    ix = model.index
    fund = ix.fund[ix.fund["program_row"] == p]
    amount = x[fund["col"].to_numpy(dtype=np.int64)] * ix.money_scale
    # down to the cent (solver tolerance is not a cent less): 0.00 is no earmark
    frame = pd.DataFrame({"pool": ix.pools["pool"].to_numpy(dtype=object)[fund["pool_row"].to_numpy()],
                          "year": ix.years[fund["t"].to_numpy()].astype(np.int64),
                          "amount": to_step(amount, up=False)})
    # an earmark below 1e-4 of the programme's full cost is solver dust, not advice
    full = float(np.nanmax(ix.cost[p]) * ix.programs["quantity"].to_numpy(dtype=float)[p])
    keep = (frame["amount"] > 0) & (frame["amount"] >= EARMARK_FLOOR * full)
    return frame[keep].sort_values(["pool", "year"]).reset_index(drop=True)


def _no_added() -> pd.DataFrame:
    return pd.DataFrame({"pool": pd.Series(dtype=object), "year": pd.Series(dtype=np.int64),
                         "budget": pd.Series(dtype=float), "added": pd.Series(dtype=float)})


def _no_earmarks() -> pd.DataFrame:
    return pd.DataFrame({"pool": pd.Series(dtype=object), "year": pd.Series(dtype=np.int64),
                         "amount": pd.Series(dtype=float)})


def _no_obstacles() -> pd.DataFrame:
    return pd.DataFrame(columns=["family", "rule", "program", "pool", "region", "year",
                                 "other_program", "indicator", "path"])


def _empty(program: str, run_share: float, status: str, detail: str) -> FundingChange:
    return FundingChange(program, run_share, float("nan"), status, _no_added(), _no_earmarks(),
                         _no_obstacles(), detail)
