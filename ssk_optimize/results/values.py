"""Solution vector -> values in the scenario's own units, cleaned so every budget row holds.

The solver works on scaled variables (shares of quantity, money / money_scale, shortfall as a
share of households). Here they become units, money and households again; tiny negative noise is
clipped, and any pool-year whose spending exceeds its budget by solver tolerance is scaled down so
that ``used <= budget`` holds to 1e-9 relative (money below half a rupiah is dropped). Units are
then read from the cleaned capital money (``money = unit_cost x units``), capped at the quantity
and, for whole-unit programmes, scaled to the integer the solver chose.

Polish (``_polish``, formulation.md section 8.1): programme money that exists only because of
solver tolerances is dropped (``DUST_REL`` of the programme's full cost, at most that much per
programme), so is a divisible programme buying fewer than ``DUST_UNITS`` units, and a programme
whose money buys within ``SNAP_REL`` of its quantity, or is a whole-unit programme, gets its money
scaled so that ``money = unit_cost x units`` for exactly the
whole number / full quantity, when the pools that funded it have room; otherwise only the units
are rescaled (as before) and the plan check judges the rest. ``tables.tabulate`` falls back to
less polish (``POLISH_LEVELS``) when the polished plan breaks a rule the plain one keeps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ssk_optimize.model.formulation import BuiltModel
from ssk_optimize.model.snap import SNAP_REL
from ssk_optimize.scenario.vocabulary import RUPIAH_PER_UNIT

FloatArray = npt.NDArray[np.float64]

DUST_REL = 1e-7  # programme money below this share of its full cost (cumulative) is solver dust
DUST_UNITS = 1e-4  # a divisible programme delivering less than this many units in all is dropped
ROOM_REL = 1e-10  # a snap may take a pool-year this far past its budget before _give_back
READ_REL = 1e-7  # a complete programme's money may be this short of its cost: CBC's printed digits


@dataclass(frozen=True)
class Values:
    """Primal values in scenario units."""

    units: FloatArray  # programme x year
    money: pd.DataFrame  # program_row (-1 baseline), region_row, pool_row, t, purpose, amount
    used: FloatArray  # pool x year
    shortfall: FloatArray  # per ix.shortfall row, households


POLISH_LEVELS = (2, 1, 0)  # tried in this order by tables.tabulate until the plan check passes


def extract_values(model: BuiltModel, x: FloatArray, polish: int = 2) -> Values:
    """Unscale and clean the primal point ``x``.

    ``polish`` 2: drop dust money and programmes delivering less than ``DUST_UNITS`` of a unit,
    snap whole and near-complete programmes; 1: the same without dropping programmes; 0: only
    the budget clean-up, and whole-unit programmes' units rescaled to their integer.
    """
    ix = model.index
    x = np.where(np.abs(x) < 1e-12, 0.0, x)
    money = _money(model, x)
    used, money = _clean_budgets(model, money)
    if polish >= 1:
        money = _drop_dust(model, money)
    if polish >= 2:
        money = _drop_tiny_programmes(model, money)
    money, units = _polish(model, x, money, _units_bought(model, money), snap=polish >= 1)
    if polish >= 1:
        partial = _partial(model, units)
        money = _to_rupiah(model, money, partial)
        units = _units_follow(model, money, units, partial)
    used = _used(model, money)
    shortfall = np.clip(x[ix.shortfall["col"].to_numpy()], 0.0, None) * \
        ix.shortfall["households"].to_numpy(dtype=float)
    return Values(units, money, used, shortfall)


def _units_bought(model: BuiltModel, money: pd.DataFrame) -> FloatArray:
    """Units per programme-year from the cleaned capital money (cost row: money = cost x units).

    Derived from money rather than from the solver's shares so the report keeps the cost row
    exactly: the solver's absolute feasibility tolerance on a money row (1e-7 x money_scale)
    buys a visible share of a cheap programme (1e-7 x 100 of a 2-juta unit is 5e-6 units), which
    the budget clean-up then takes away from the money but not from the share.
    """
    ix = model.index
    capex = money[money["purpose"] == "capex"]
    spent = np.zeros((len(ix.programs), ix.n_years))
    np.add.at(spent, (capex["program_row"].to_numpy(), capex["t"].to_numpy()),
              capex["amount"].to_numpy(dtype=float))
    cost = np.where(np.isfinite(ix.cost), ix.cost, np.inf)
    return spent / cost


def _within_quantity(units: FloatArray, quantity: FloatArray) -> FloatArray:
    """Scale a programme's years down where their total passes its quantity by solver tolerance.

    The quantity row holds to the solver's feasibility tolerance (CBC: 2600.0000208 of 2600),
    so without this ``units_delivered`` could exceed ``quantity`` and disagree with
    ``funded_share`` (clipped to 1).
    """
    totals = units.sum(axis=1)
    over = totals > quantity
    units[over] *= (quantity[over] / totals[over])[:, None]
    return units


def _full_cost(model: BuiltModel) -> FloatArray:
    """Each programme's full cost: its dearest unit cost in the window times its quantity."""
    ix = model.index
    cost = np.where(np.isfinite(ix.cost), ix.cost, 0.0)
    return np.max(cost, axis=1, initial=0.0) * ix.programs["quantity"].to_numpy(dtype=float)


def _used(model: BuiltModel, money: pd.DataFrame) -> FloatArray:
    ix = model.index
    key = money["pool_row"].to_numpy() * ix.n_years + money["t"].to_numpy()
    used = np.bincount(key, weights=money["amount"].to_numpy(), minlength=ix.budget.size)
    return np.asarray(used, dtype=np.float64).reshape(ix.budget.shape)


def _drop_dust(model: BuiltModel, money: pd.DataFrame) -> pd.DataFrame:
    """Drop a programme's smallest amounts while together they stay within ``DUST_REL`` of its
    full cost (the 0.00115 juta a solver leaves on a programme it did not fund)."""
    programme = money["program_row"].to_numpy()
    if not (programme >= 0).any():
        return money
    full = _full_cost(model)
    order = np.lexsort((money["amount"].to_numpy(), programme))
    ordered = money.iloc[order]
    running = ordered.assign(p=ordered["program_row"].clip(lower=0)).groupby("p")["amount"].cumsum()
    limit = DUST_REL * full[ordered["program_row"].clip(lower=0).to_numpy()]
    dust = (ordered["program_row"].to_numpy() >= 0) & (running.to_numpy() <= limit)
    return money.drop(index=ordered.index[dust]).reset_index(drop=True)


def _drop_tiny_programmes(model: BuiltModel, money: pd.DataFrame) -> pd.DataFrame:
    """A divisible programme whose capital buys less than ``DUST_UNITS`` of one unit in all (the
    0.00115 juta of a Rp 100 juta study) loses its money; its pools keep it unused."""
    ix = model.index
    bought = _units_bought(model, money).sum(axis=1)
    divisible = ix.programs["divisible"].to_numpy(dtype=bool)
    tiny = np.flatnonzero(divisible & (bought > 0) & (bought < DUST_UNITS))
    if len(tiny) == 0:
        return money
    return money[~money["program_row"].isin(tiny)].reset_index(drop=True)


def _polish(model: BuiltModel, x: FloatArray, money: pd.DataFrame,
            bought: FloatArray, snap: bool = True) -> tuple[pd.DataFrame, FloatArray]:
    """Units per programme-year from ``bought`` (what the money buys), snapped where they should be.

    Targets: a whole-unit programme's integer; a divisible programme within ``SNAP_REL`` of its
    quantity, or above it by solver tolerance, its quantity. The programme's capital and O&M
    money are scaled by ``target / bought`` (O&M is a rate of earlier capital, so it scales alike;
    see :func:`_spread` where a pool has no room), so ``money = unit_cost x units`` exactly. Where
    that cannot be done (or ``snap`` is off), units are capped at the quantity and whole-unit
    programmes' units rescaled to their integer (money stays within the plan check's tolerance).
    """
    ix = model.index
    quantity = ix.programs["quantity"].to_numpy(dtype=float)
    capped = _within_quantity(bought.copy(), quantity)
    units = capped.copy()
    totals = bought.sum(axis=1)
    near = (totals >= quantity * (1 - SNAP_REL)) & (totals != quantity)
    target = np.where(near & snap, quantity, totals)
    whole_rows = np.zeros(len(quantity), dtype=bool)
    if len(ix.whole):
        rows = ix.whole["program_row"].to_numpy()
        whole_rows[rows] = True
        target[rows] = np.round(x[ix.whole["col"].to_numpy()])
    snapped = np.zeros(len(quantity), dtype=bool)
    change = np.flatnonzero(target != totals)
    if len(change) == 0:
        return money, units
    amount = money["amount"].to_numpy(dtype=float).copy()
    programme = money["program_row"].to_numpy()
    key = money["pool_row"].to_numpy() * ix.n_years + money["t"].to_numpy()
    budget = ix.budget.reshape(-1)
    used = _used(model, money).reshape(-1)
    purpose = money["purpose"].to_numpy()
    years = money["t"].to_numpy()
    rate = ix.programs["om_rate"].to_numpy(dtype=float)
    partial = ~whole_rows & (totals < quantity * (1 - SNAP_REL))  # may give money back (_give_back)
    free = (programme >= 0) & (purpose == "capex") & partial[np.clip(programme, 0, None)]
    spare = 0.5 * np.bincount(key[free], weights=amount[free], minlength=budget.size)
    for p in change:
        if totals[p] <= 0:
            continue  # nothing bought: a whole target above 0 cannot be read from money
        factor = target[p] / totals[p]
        mine = np.flatnonzero(programme == p)
        room = budget * (1.0 + ROOM_REL) - used + spare
        added = _spread(amount, mine, factor, key, purpose, years, room, float(rate[p]),
                        ix.n_years) if snap else None
        if added is not None:
            amount[mine] += added
            np.add.at(used, key[mine], added)
            snapped[p] = True
        elif whole_rows[p] or abs(factor - 1.0) <= READ_REL:
            have = capped[p].sum()
            units[p] = capped[p] * (target[p] / have if have > 0 else 0.0)
        else:
            continue  # no room: leave the plan as the solver and clean-up made it
        last = np.flatnonzero(units[p] > 0)
        if len(last):
            units[p, last[-1]] += target[p] - units[p].sum()  # the sum exactly the target
    fixed = ~partial
    money = money.assign(amount=_give_back(money, amount, key, budget, used, fixed))
    money = money[money["amount"] > 0].reset_index(drop=True)
    fresh = _units_bought(model, money)
    for p in np.flatnonzero(snapped):  # units follow the money (a spread may move it across years)
        units[p] = fresh[p]
        last = np.flatnonzero(units[p] > 0)
        if len(last):
            units[p, last[-1]] += target[p] - units[p].sum()
    fresh = _within_quantity(fresh, quantity)
    units[~fixed] = fresh[~fixed]  # programmes that gave money back
    return money, units


def _spread(amount: FloatArray, rows: npt.NDArray[np.int64], factor: float, key: npt.NDArray[np.int64],
            purpose: npt.NDArray[np.object_], years: npt.NDArray[np.int64], room: FloatArray,
            rate: float, n_years: int) -> FloatArray | None:
    """What to add to ``amount[rows]`` (one programme's rows) to scale its money by ``factor``.

    Every row scaled alike where the pools have room; else the capital increase is taken from
    whichever of the programme's capital rows have room, earliest year first, and the O&M it
    brings (``rate`` x earlier capital) from the programme's O&M rows of each later year, as far
    as they have room. None when the capital rows have too little.
    """
    added = (factor - 1.0) * amount[rows]
    if factor <= 1.0:
        return added
    room = room.copy()
    np.subtract.at(room, key[rows], added)
    if np.all(room >= 0):
        return added
    np.add.at(room, key[rows], added)
    added = np.zeros(len(rows))
    capex = np.flatnonzero(purpose[rows] == "capex")
    need = (factor - 1.0) * amount[rows[capex]].sum()
    more = np.zeros(n_years)
    for i in capex[np.argsort(years[rows[capex]], kind="stable")]:
        take = min(need, max(room[key[rows[i]]], 0.0))
        added[i], need = take, need - take
        room[key[rows[i]]] -= take
        more[years[rows[i]]] += take
    if need > 0:
        return None
    upkeep = rate * (np.cumsum(more) - more)  # O&M of the extra capital, from the next year on
    for t in np.flatnonzero(upkeep > 0):
        need = upkeep[t]
        for i in np.flatnonzero((purpose[rows] == "om") & (years[rows] == t)):
            take = min(need, max(room[key[rows[i]]], 0.0))
            added[i], need = added[i] + take, need - take
            room[key[rows[i]]] -= take
        # O&M without room stays short by om_rate x the increase (< 1e-6 of the full cost)
    return added


def _give_back(money: pd.DataFrame, amount: FloatArray, key: npt.NDArray[np.int64], budget: FloatArray,
               used: FloatArray, fixed: npt.NDArray[np.bool_]) -> FloatArray:
    """A pool-year the snap took past its budget (by at most ``ROOM_REL``) takes the excess back from
    the capital money of divisible programmes it funds that were not snapped (their units follow
    the money); where they have too little, the excess (within the 1e-9 budget rule) stays."""
    programme = money["program_row"].to_numpy()
    free = (programme >= 0) & (money["purpose"].to_numpy() == "capex")
    free &= ~fixed[np.clip(programme, 0, None)]
    for k in np.flatnonzero(used > budget):
        rows = free & (key == k)
        pot = amount[rows].sum()
        excess = used[k] - budget[k]
        if pot > excess:
            amount[rows] *= 1.0 - excess / pot
    return amount


def _money(model: BuiltModel, x: FloatArray) -> pd.DataFrame:
    ix = model.index
    scale = ix.money_scale
    parts = [
        ix.fund.assign(purpose="capex", region_row=-1),
        ix.om.assign(purpose="om", region_row=-1),
        ix.base_om.assign(purpose="baseline_om", program_row=-1),
    ]
    frame = pd.concat([p[["program_row", "region_row", "pool_row", "t", "purpose", "col"]]
                       for p in parts], ignore_index=True)
    frame["amount"] = np.clip(x[frame["col"].to_numpy()], 0.0, None) * scale
    region_of = ix.programs["region"].map({r: i for i, r in enumerate(ix.regions["region"])})
    programme = frame["program_row"].to_numpy() >= 0
    frame.loc[programme, "region_row"] = region_of.to_numpy()[frame.loc[programme, "program_row"]]
    return frame.drop(columns="col")


def _clean_budgets(model: BuiltModel, money: pd.DataFrame) -> tuple[FloatArray, pd.DataFrame]:
    ix = model.index
    n_years = ix.n_years
    key = money["pool_row"].to_numpy() * n_years + money["t"].to_numpy()
    used = np.bincount(key, weights=money["amount"].to_numpy(), minlength=ix.budget.size)
    budget = ix.budget.reshape(-1)
    over = used > budget
    factor = np.ones_like(used)
    factor[over] = np.divide(budget[over], used[over]) * (1.0 - 1e-12)
    money = money.assign(amount=money["amount"].to_numpy() * factor[key])
    half_rupiah = 0.5 / RUPIAH_PER_UNIT[ix.scenario.money_unit]
    money = money[money["amount"] >= half_rupiah].reset_index(drop=True)
    key = money["pool_row"].to_numpy() * n_years + money["t"].to_numpy()
    used = np.bincount(key, weights=money["amount"].to_numpy(), minlength=ix.budget.size)
    return np.asarray(used, dtype=np.float64).reshape(ix.budget.shape), money


def _partial(model: BuiltModel, units: FloatArray) -> npt.NDArray[np.bool_]:
    """Divisible programmes short of their quantity: their units follow their money."""
    quantity = model.index.programs["quantity"].to_numpy(dtype=float)
    divisible = model.index.programs["divisible"].to_numpy(dtype=bool)
    return np.asarray(divisible & (units.sum(axis=1) < quantity * (1 - SNAP_REL)), dtype=bool)


def _to_rupiah(model: BuiltModel, money: pd.DataFrame, partial: npt.NDArray[np.bool_]) -> pd.DataFrame:
    """Every amount to the whole rupiah (the solver's digits below it are tolerance, not money),
    without passing a budget: a pool-year the rounding takes over its budget gives the excess
    back, whole rupiah by whole rupiah, from the capital of its partially funded programmes
    first (``partial``: their units follow the money), then from programme O&M, then from its
    largest amounts; a complete programme's capital rows are rounded together
    (:func:`_largest_remainder`), so ``money = unit_cost x units`` holds to the rupiah for it.
    Sums of the amounts then differ from their decimal value by float rounding only (1e-13
    relative), not by solver tolerance."""
    ix = model.index
    per_unit = RUPIAH_PER_UNIT[ix.scenario.money_unit]
    exact = money["amount"].to_numpy(dtype=float) * per_unit
    rupiah = np.round(exact)
    key = money["pool_row"].to_numpy() * ix.n_years + money["t"].to_numpy()
    budget = np.floor(ix.budget.reshape(-1) * per_unit * (1 + 1e-15))
    programme = money["program_row"].to_numpy()
    capex = (programme >= 0) & (money["purpose"].to_numpy() == "capex")
    follows = capex & partial[np.clip(programme, 0, None)]
    complete = capex & ~follows
    rupiah[complete] = _largest_remainder(exact[complete], programme[complete])
    used = np.bincount(key, weights=rupiah, minlength=budget.size)
    # who gives a rupiah back: partial programmes' capital, then O&M (a rate of earlier capital,
    # inexact below the rupiah anyway), then the largest amounts
    turn = np.where(follows, 0, np.where(money["purpose"].to_numpy() == "om", 1, 2))
    for k in np.flatnonzero(used > budget):  # at most half a rupiah per row over: few pool-years
        rows = np.flatnonzero(key == k)
        excess = used[k] - budget[k]
        for i in rows[np.lexsort((-rupiah[rows], turn[rows]))]:
            take = min(excess, rupiah[i])
            rupiah[i] -= take
            excess -= take
            if excess <= 0:
                break
    money = money.assign(amount=rupiah / per_unit)
    return money[money["amount"] > 0].reset_index(drop=True)


def _largest_remainder(exact: FloatArray, group: npt.NDArray[np.int64]) -> FloatArray:
    """Whole rupiah per row whose sum per group is the group's total rounded: each row rounded
    down, and the rupiah short given to the rows with the largest remainders (a complete
    programme's capital stays ``unit_cost x quantity`` to the rupiah, where rounding each of its
    rows alone could lose half a rupiah a row)."""
    if len(exact) == 0:
        return exact
    floor = np.floor(exact)
    remainder = exact - floor
    groups, inverse = np.unique(group, return_inverse=True)
    short = np.round(np.bincount(inverse, weights=exact)) - np.bincount(inverse, weights=floor)
    order = np.lexsort((-remainder, inverse))
    starts = np.searchsorted(inverse[order], np.arange(len(groups)))
    rank = np.empty(len(exact), dtype=np.int64)
    rank[order] = np.arange(len(exact)) - starts[inverse[order]]
    return floor + (rank < short[inverse])


def _units_follow(model: BuiltModel, money: pd.DataFrame, units: FloatArray,
                  partial: npt.NDArray[np.bool_]) -> FloatArray:
    """After rounding to the rupiah, a partially funded divisible programme's units (``partial``,
    :func:`_partial`) are again what its money buys; complete and whole-unit programmes keep their
    snapped units (their money moved by under a rupiah a row, inside the cost rule's tolerance)."""
    quantity = model.index.programs["quantity"].to_numpy(dtype=float)
    fresh = _within_quantity(_units_bought(model, money), quantity)
    units = units.copy()
    units[partial] = fresh[partial]
    return units
