"""Minimal-change re-plans: a last stage keeping a variant's plan near a base run's allocations.

``ssk-opt solve VARIANT --near BASE_RUN`` (domain.md section 5a, "Negotiation"). After the
lexicographic stages, with their values held, the variant's money moves as little as possible
from the base run's allocations, so a comparison shows only the changes the variant forces, not
money that merely moved between equally good pools and years.

Maths (money columns ``x_j``: ``fund``, ``om`` and ``base_om``, in ``money_scale`` units;
``b_j`` the base run's amount for the same programme, pool, year, purpose and region, 0 where the
base has none; money of the base with no column in the variant cannot be matched and is left out):

    near:  min sum_j m_j
           x_j - m_j <= b_j       rows near_above[j]
           x_j + m_j >= b_j       rows near_below[j]
           m_j >= 0

so ``m_j >= |x_j - b_j|`` and the optimum is the L1 distance, reported in money
(``StageObjective.scale = money_scale``) as ``money_moved``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ssk_optimize.model.formulation import BuiltModel
from ssk_optimize.model.lp import LinearProgram, StageObjective

KEY = ["program", "pool", "year", "purpose", "region"]


def money_columns(model: BuiltModel) -> pd.DataFrame:
    """Every money column with its allocation key (program null for baseline O&M)."""
    ix = model.index
    programs = ix.programs["program"].to_numpy(dtype=object)
    program_region = ix.programs["region"].to_numpy(dtype=object)
    regions = ix.regions["region"].to_numpy(dtype=object)
    pools = ix.pools["pool"].to_numpy(dtype=object)
    parts = []
    for frame, purpose in ((ix.fund, "capex"), (ix.om, "om")):
        rows = frame["program_row"].to_numpy()
        parts.append(pd.DataFrame({"program": programs[rows], "pool": pools[frame["pool_row"].to_numpy()],
                                   "year": ix.years[frame["t"].to_numpy()], "purpose": purpose,
                                   "region": program_region[rows], "col": frame["col"].to_numpy()}))
    base = ix.base_om
    parts.append(pd.DataFrame({"program": None, "pool": pools[base["pool_row"].to_numpy()],
                               "year": ix.years[base["t"].to_numpy()], "purpose": "baseline_om",
                               "region": regions[base["region_row"].to_numpy()],
                               "col": base["col"].to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def amounts_by_key(allocations: pd.DataFrame) -> pd.Series:
    """An allocation table's money summed per (program, pool, year, purpose, region); baseline
    O&M's null programme is ``""``. Also what ``results.compare.money_moved`` compares."""
    plain = allocations.astype({c: object for c in KEY}).astype({"year": int})
    return plain.fillna({"program": ""}).groupby(KEY)["amount"].sum()


def base_amounts(model: BuiltModel, allocations: pd.DataFrame, factor: float = 1.0) -> np.ndarray:
    """``b_j`` in scaled units for every money column (``factor`` converts the base's money unit)."""
    columns = money_columns(model)
    wanted = columns.assign(program=columns["program"].where(columns["program"].notna(), ""))
    index = pd.MultiIndex.from_frame(wanted[KEY].astype({"year": int}))
    amounts = amounts_by_key(allocations).reindex(index).fillna(0.0).to_numpy(dtype=float)
    return amounts * factor / model.index.money_scale


def with_near_stage(model: BuiltModel, allocations: pd.DataFrame, factor: float = 1.0) -> BuiltModel:
    """``model`` with the ``near`` stage (module docstring) after its own stages."""
    lp = model.lp
    columns = money_columns(model)
    cols = columns["col"].to_numpy(dtype=np.int64)
    target = base_amounts(model, allocations, factor)
    n, k = lp.n_cols, len(cols)
    moved = n + np.arange(k)
    ones = np.ones(k)
    rows = np.arange(2 * k)
    extra = sp.csr_matrix((np.concatenate([ones, -ones, ones, ones]),
                           (np.concatenate([rows[:k], rows[:k], rows[k:], rows[k:]]),
                            np.concatenate([cols, moved, cols, moved]))), shape=(2 * k, n + k))
    matrix = sp.vstack([sp.hstack([lp.matrix, sp.csr_matrix((lp.n_rows, k))]), extra]).tocsr()
    money = pd.Series(lp.col_names[cols], dtype=object)  # rows and columns named after the money
    names = pd.concat(["near_above[" + money + "]", "near_below[" + money + "]"]).to_numpy(dtype=object)
    objectives = tuple(StageObjective(o.name, np.concatenate([o.coefficients, np.zeros(k)]), o.sense,
                                      o.offset, o.scale) for o in lp.objectives)
    near = StageObjective("near", np.concatenate([np.zeros(n), ones]), "min", 0.0, model.index.money_scale)
    new_lp = LinearProgram(
        matrix=matrix,
        row_lower=np.concatenate([lp.row_lower, np.full(k, -np.inf), target]),
        row_upper=np.concatenate([lp.row_upper, target, np.full(k, np.inf)]),
        col_lower=np.concatenate([lp.col_lower, np.zeros(k)]),
        col_upper=np.concatenate([lp.col_upper, np.full(k, np.inf)]),
        integrality=np.concatenate([lp.integrality, np.zeros(k, dtype=bool)]),
        col_names=np.concatenate([lp.col_names, ("moved[" + money + "]").to_numpy(dtype=object)]),
        row_names=np.concatenate([lp.row_names, names]),
        objectives=objectives + (near,),
        row_families=np.concatenate([lp.row_families, np.array(["near"] * (2 * k), dtype=object)]),
    )
    family_rows = dict(model.family_rows)
    family_rows["near"] = lp.n_rows + rows
    return BuiltModel(new_lp, model.index, family_rows, dict(model.family_keys))
