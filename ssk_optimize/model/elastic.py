"""The elastic program: the funding LP with a priced violation column on every rule that may give.

For a row ``l <= a x <= u`` of a rule family, an elastic column ``e >= 0`` enters the row with
``+1`` on its lower side (``a x + e >= l``) or ``-1`` on its upper side (``a x - e <= u``); a
column bound the scenario sets (locked money, minimum whole units, hard targets) is freed to its
natural bound and becomes a row ``x_j + e >= l_j`` (or ``x_j - e <= u_j``) with its own elastic
column. Fixing an elastic column at 0 makes its rule hard again; leaving it free drops the rule.
So one built program answers every question the diagnosis asks (formulation.md, Diagnosis):

- ``minimise sum price * e`` over the *levers* (budgets, committed minimums, locked money, hard
  targets, capacity) with every other elastic fixed at 0: the cheapest change that restores
  feasibility, each ``e`` in the units of its row (scaled money, shares, units);
- the elastic and deletion filters over *groups* (one rule instance: a row, or a column bound)
  to find an irreducible set of clashing rules (:mod:`ssk_optimize.solve.conflict`).

Definitions (``cost``, ``whole``, ``completion``, ``excludes_built``) never give: they say what a
share, a unit or a choice is, not what a planner decided. Neither do the driver's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from ssk_optimize.model.formulation import BuiltModel
from ssk_optimize.model.lp import LinearProgram, StageObjective
from ssk_optimize.model.origins import column_bounds, row_origins

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Row families that define quantities rather than state a rule: never relaxed, never reported.
DEFINITIONS = frozenset({"cost", "whole", "completion", "excludes_built"})

#: Levers: rule sides whose value a planner may change, by (family or column rule, side).
#: ``lower``: the lower bound may fall (a commitment); ``upper``: the upper bound may rise.
LEVERS: dict[tuple[str, str], str] = {
    ("pool_budget", "upper"): "budget",
    ("quantity", "lower"): "commitment",
    ("programs.min_quantity", "lower"): "commitment",
    ("programs.locked", "lower"): "commitment",
    ("per_region", "lower"): "commitment",
    ("objective.hard_targets", "upper"): "target",
    ("max_per_year", "upper"): "capacity",
    # rules a planner may drop or facts that may be wrong: tried only when nothing above helps
    ("readiness", "upper"): "rule",
    ("excludes", "upper"): "rule",
    ("pool_open", "upper"): "rule",
    ("pool_requires", "upper"): "rule",
    ("baseline_om", "lower"): "rule",
}


@dataclass(frozen=True)
class ElasticProgram:
    """The elastic LP and, per elastic column, what it relaxes.

    ``elastics`` has one line per elastic column: ``col`` (in ``lp``), ``lp_row`` (the row
    of ``lp`` it enters), ``group`` (position in ``groups``), ``side`` (lower|upper),
    ``lever`` (budget, commitment, target, capacity, rule or None), ``price`` (scaled money
    per unit of violation), ``row`` (the original row it enters, -1 for a column bound) and
    ``bound_col`` (the original column whose bound it replaces, -1 for a row). ``groups`` is
    the origins table of the relaxable rows and column bounds
    (:func:`~ssk_optimize.model.origins.row_origins` / ``column_bounds`` columns plus ``kind``
    row|column and ``index``), one line per group.
    """

    lp: LinearProgram
    n_original_cols: int
    elastics: pd.DataFrame
    groups: pd.DataFrame

    @property
    def cols(self) -> IntArray:
        """Elastic column ids."""
        return self.elastics["col"].to_numpy(dtype=np.int64)


def elastic_program(model: BuiltModel) -> ElasticProgram:
    """The model's LP with an elastic column on every relaxable rule side (module docstring)."""
    lp = model.lp
    rows = row_origins(model)
    rows = rows[~rows["family"].isin(DEFINITIONS)].reset_index(drop=True)
    bounds = column_bounds(model)
    groups = pd.concat([
        rows.rename(columns={"row": "index"}).assign(kind="row", bound=None),
        bounds.drop(columns="value").rename(columns={"col": "index"}).assign(
            kind="column", family=bounds["rule"]),
    ], ignore_index=True)
    row_ids = rows["row"].to_numpy(dtype=np.int64)
    sides = []
    for side, finite in (("lower", np.isfinite(lp.row_lower[row_ids])),
                         ("upper", np.isfinite(lp.row_upper[row_ids]))):
        keep = finite & ~((rows["family"].to_numpy() == "quantity") & (side == "upper"))
        sides.append(pd.DataFrame({"group": np.flatnonzero(keep), "side": side,
                                   "row": row_ids[keep], "bound_col": -1}))
    n_rows = len(rows)
    bound_cols = bounds["col"].to_numpy(dtype=np.int64)
    sides.append(pd.DataFrame({"group": n_rows + np.arange(len(bounds)), "side": bounds["bound"],
                               "row": -1, "bound_col": bound_cols}))
    elastics = pd.concat(sides, ignore_index=True).sort_values(["group", "side"]).reset_index(drop=True)
    family = groups["family"].to_numpy(dtype=object)[elastics["group"].to_numpy()]
    elastics["lever"] = [LEVERS.get((f, s)) for f, s in zip(family, elastics["side"], strict=True)]
    elastics["price"] = _prices(model, groups, elastics)
    elastics["col"] = lp.n_cols + np.arange(len(elastics), dtype=np.int64)
    on_row = elastics["row"].to_numpy() >= 0
    lp_row = elastics["row"].to_numpy(dtype=np.int64).copy()
    lp_row[~on_row] = lp.n_rows + np.arange(int((~on_row).sum()), dtype=np.int64)
    elastics["lp_row"] = lp_row  # the row of the elastic LP it enters (a bound's new row)
    return ElasticProgram(_augment(lp, elastics), lp.n_cols, elastics, groups)


def _augment(lp: LinearProgram, elastics: pd.DataFrame) -> LinearProgram:
    """The LP with the elastic columns appended and each relaxed column bound as a new row."""
    n_e = len(elastics)
    sign = np.where(elastics["side"].to_numpy() == "lower", 1.0, -1.0)
    on_row = elastics["row"].to_numpy() >= 0
    bound_cols = elastics["bound_col"].to_numpy(dtype=np.int64)[~on_row]
    n_new = int((~on_row).sum())
    new_rows = lp.n_rows + np.arange(n_new, dtype=np.int64)
    target_rows = np.empty(n_e, dtype=np.int64)
    target_rows[on_row] = elastics["row"].to_numpy(dtype=np.int64)[on_row]
    target_rows[~on_row] = new_rows
    elastic_block = sp.csr_matrix((sign, (target_rows, np.arange(n_e))), shape=(lp.n_rows + n_new, n_e))
    bound_block = sp.csr_matrix((np.ones(n_new), (np.arange(n_new), bound_cols)),
                                shape=(n_new, lp.n_cols))
    matrix = sp.hstack([sp.vstack([lp.matrix, bound_block]), elastic_block], format="csr")
    lower_side = elastics["side"].to_numpy()[~on_row] == "lower"
    new_lower = np.where(lower_side, lp.col_lower[bound_cols], -np.inf)
    new_upper = np.where(lower_side, np.inf, lp.col_upper[bound_cols])
    col_lower, col_upper = lp.col_lower.copy(), lp.col_upper.copy()
    col_lower[bound_cols[lower_side]] = 0.0  # locked money, minimum whole units: natural 0
    col_upper[bound_cols[~lower_side]] = np.inf  # hard targets: shortfall free
    names = np.array([f"elastic_{s}[{n}]" for s, n in zip(
        elastics["side"], _relaxed_names(lp, elastics), strict=True)], dtype=object)
    n_cols = lp.n_cols + n_e
    objective = StageObjective("relaxation", np.concatenate([np.zeros(lp.n_cols),
                                                             elastics["price"].to_numpy(dtype=float)]))
    return replace(
        lp, matrix=matrix,
        row_lower=np.concatenate([lp.row_lower, new_lower]),
        row_upper=np.concatenate([lp.row_upper, new_upper]),
        col_lower=np.concatenate([col_lower, np.zeros(n_e)]),
        col_upper=np.concatenate([col_upper, np.full(n_e, np.inf)]),
        integrality=np.concatenate([lp.integrality, np.zeros(n_e, dtype=bool)]),
        col_names=np.concatenate([lp.col_names, names]),
        row_names=np.concatenate([lp.row_names, np.array(
            [f"bound[{n}]" for n in lp.col_names[bound_cols]], dtype=object)]),
        row_families=np.concatenate([lp.row_families, np.full(n_new, "bound", dtype=object)]),
        objectives=(objective,),
    ) if n_cols else lp


def _relaxed_names(lp: LinearProgram, elastics: pd.DataFrame) -> npt.NDArray[np.object_]:
    row = elastics["row"].to_numpy(dtype=np.int64)
    col = elastics["bound_col"].to_numpy(dtype=np.int64)
    return np.where(row >= 0, lp.row_names[np.maximum(row, 0)], lp.col_names[np.maximum(col, 0)])


def _prices(model: BuiltModel, groups: pd.DataFrame, elastics: pd.DataFrame) -> FloatArray:
    """Scaled money per unit of violation, so levers compare in one currency (formulation.md).

    Budgets, locked money and per-region floors are money (1). A committed share of a programme
    costs its whole quantity at its cheapest unit cost; a whole unit or a unit of capacity one
    unit at that cost. A hard target's share of households costs ten times every budget and
    every programme's full cost together: a target gives only when nothing cheaper can.
    Non-levers get 1 (the filters' weight).
    """
    ix = model.index
    cheapest = np.nanmin(np.where(np.isfinite(ix.cost_scaled), ix.cost_scaled, np.nan), axis=1)
    cheapest = np.nan_to_num(cheapest, nan=1.0)
    quantity = ix.programs["quantity"].to_numpy(dtype=float)
    row_of = pd.Series(np.arange(len(ix.programs)), index=ix.programs["program"])
    program = groups["program"].to_numpy(dtype=object)[elastics["group"].to_numpy()]
    p = row_of.reindex(program).fillna(-1).to_numpy(dtype=np.int64)
    unit = np.where(p >= 0, cheapest[np.maximum(p, 0)], 1.0)
    lever = elastics["lever"].to_numpy(dtype=object)
    family = groups["family"].to_numpy(dtype=object)[elastics["group"].to_numpy()]
    price = np.ones(len(elastics))
    price[family == "quantity"] = (unit * quantity[np.maximum(p, 0)])[family == "quantity"]
    per_unit = (family == "programs.min_quantity") | (family == "max_per_year")
    price[per_unit] = unit[per_unit]
    full_cost = np.nanmax(np.where(np.isfinite(ix.cost_scaled), ix.cost_scaled, np.nan), axis=1)
    everything = float(np.nansum(ix.budget_scaled)) + float(np.nansum(full_cost * quantity))
    price[lever == "target"] = 10.0 * max(everything, 1.0)
    price[lever == "rule"] = 100.0 * max(everything, 1.0)
    return price
