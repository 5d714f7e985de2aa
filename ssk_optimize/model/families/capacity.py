"""Families about implementation capacity: units a programme can deliver in one year, and how fast
a region's capital spending can grow (formulation.md section 12.2).

Notation as in :mod:`ssk_optimize.model.families.delivery`: ``s[p,t]`` the share of programme p's
quantity ``Q[p]`` delivered in year t, ``F[p,b,t]`` capital money in ``money_scale`` units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ssk_optimize.model.builder import LpBuilder, labels
from ssk_optimize.model.families.common import program_ids, region_ids, years_of
from ssk_optimize.model.index import ProblemIndex, _ranges


def add_max_per_year(lp: LpBuilder, ix: ProblemIndex) -> None:
    """``max_per_year[program,year]``: ``Q[p] * s[p,t] <= max_per_year[p]`` (units delivered, or for
    a whole-unit programme units paid for, in one year), for every year of the window of a
    programme with ``max_per_year``."""
    limit = ix.programs["max_per_year"].to_numpy(dtype=float)
    rows = ix.share[np.isfinite(limit[ix.share["program_row"].to_numpy()])].reset_index(drop=True)
    if rows.empty:
        return
    p = rows["program_row"].to_numpy()
    lp.add_rows(
        "max_per_year", labels("max_per_year", program_ids(ix, p), years_of(ix, rows["t"])),
        -np.inf, limit[p],
        np.arange(len(rows)), rows["col"].to_numpy(),
        ix.programs["quantity"].to_numpy(dtype=float)[p],
        keys=rows[["program_row", "t"]],
    )


def add_capex_growth(lp: LpBuilder, ix: ProblemIndex) -> None:
    """``capex_growth[region,year]``: ``C[r,t] - (1 + g[r]) * C[r,t-1] <= 0``, with
    ``C[r,t] = sum_{p in r, b} F[p,b,t]`` the capital money of the region's programmes.

    Rows exist for the years after the region's first money year ``f[r]``: the first year in
    which one of its programmes may take capital money from a pool with a budget. That year (and
    any before it) is free: the rule limits growth, not the start. A region that then spends
    nothing in a year may spend nothing after it (0 grows to 0); the optimiser sees this.
    """
    growth = ix.regions["capex_growth"].to_numpy(dtype=float)
    if not np.isfinite(growth).any():
        return
    region_of = ix.programs["region"].map(
        {r: i for i, r in enumerate(ix.regions["region"])}).to_numpy(dtype=np.int64)
    fund = ix.fund.assign(region_row=region_of[ix.fund["program_row"].to_numpy()])
    fund = fund[np.isfinite(growth[fund["region_row"].to_numpy()])]
    money = fund[ix.budget[fund["pool_row"].to_numpy(), fund["t"].to_numpy()] > 0]
    first = money.groupby("region_row")["t"].min()
    if first.empty:
        return
    regions = first.index.to_numpy(dtype=np.int64)
    counts = np.clip(ix.n_years - 1 - first.to_numpy(dtype=np.int64), 0, None)
    region_rows = np.repeat(regions, counts)
    years = np.repeat(first.to_numpy(dtype=np.int64), counts) + 1 + _ranges(counts)
    row_of = np.full((len(ix.regions), ix.n_years), -1, dtype=np.int64)
    row_of[region_rows, years] = np.arange(len(region_rows))
    r, t = fund["region_row"].to_numpy(), fund["t"].to_numpy()
    now = row_of[r, t]  # F[p,b,t] in the row of year t
    after = row_of[r, np.minimum(t + 1, ix.n_years - 1)]  # ... and in the row of year t + 1
    after = np.where(t + 1 < ix.n_years, after, -1)
    cols = fund["col"].to_numpy()
    lp.add_rows(
        "capex_growth", labels("capex_growth", region_ids(ix, region_rows), years_of(ix, years)),
        -np.inf, 0.0,
        np.concatenate([now[now >= 0], after[after >= 0]]),
        np.concatenate([cols[now >= 0], cols[after >= 0]]),
        np.concatenate([np.ones(int((now >= 0).sum())), -(1.0 + growth[r[after >= 0]])]),
        keys=pd.DataFrame({"region_row": region_rows, "t": years}),
    )

