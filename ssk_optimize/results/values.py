"""Solution vector -> values in the scenario's own units, cleaned so every budget row holds.

The solver works on scaled variables (shares of quantity, money / money_scale, shortfall as a
share of households). Here they become units, money and households again; tiny negative noise is
clipped, and any pool-year whose spending exceeds its budget by solver tolerance is scaled down so
that ``used <= budget`` holds to 1e-9 relative (money below half a rupiah is dropped). Units are
then read from the cleaned capital money (``money = unit_cost x units``), capped at the quantity
and, for whole-unit programmes, scaled to the integer the solver chose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ssk_optimize.model.formulation import BuiltModel
from ssk_optimize.scenario.vocabulary import RUPIAH_PER_UNIT

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Values:
    """Primal values in scenario units."""

    units: FloatArray  # programme x year
    money: pd.DataFrame  # program_row (-1 baseline), region_row, pool_row, t, purpose, amount
    used: FloatArray  # pool x year
    shortfall: FloatArray  # per ix.shortfall row, households


def extract_values(model: BuiltModel, x: FloatArray) -> Values:
    """Unscale and clean the primal point ``x``."""
    ix = model.index
    x = np.where(np.abs(x) < 1e-12, 0.0, x)
    money = _money(model, x)
    used, money = _clean_budgets(model, money)
    quantity = ix.programs["quantity"].to_numpy(dtype=float)
    units = _within_quantity(_units_bought(model, money), quantity)
    units = _whole_units(model, x, units)
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


def _whole_units(model: BuiltModel, x: FloatArray, units: FloatArray) -> FloatArray:
    """Whole-unit programmes: make the horizon total exactly the integer the solver chose."""
    ix = model.index
    if len(ix.whole) == 0:
        return units
    rows = ix.whole["program_row"].to_numpy()
    whole = np.round(x[ix.whole["col"].to_numpy()])
    totals = units[rows].sum(axis=1)
    factor = np.divide(whole, totals, out=np.zeros_like(whole), where=totals > 0)
    units[rows] = units[rows] * factor[:, None]
    return units


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
