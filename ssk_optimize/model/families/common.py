"""Small helpers the constraint families share: column lookups and year labels."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from ssk_optimize.model.index import ProblemIndex

IntArray = npt.NDArray[np.int64]


def share_grid(ix: ProblemIndex) -> IntArray:
    """programme x year matrix of ``share`` column ids (-1 outside the window)."""
    grid = np.full((len(ix.programs), ix.n_years), -1, dtype=np.int64)
    grid[ix.share["program_row"].to_numpy(), ix.share["t"].to_numpy()] = ix.share["col"].to_numpy()
    return grid


def done_grid(ix: ProblemIndex) -> IntArray:
    """programme x year matrix of ``done`` column ids (whole units complete by the end of the year):
    -1 before the window and for divisible programmes; after the window, its last year's column."""
    grid = np.full((len(ix.programs), ix.n_years), -1, dtype=np.int64)
    grid[ix.done["program_row"].to_numpy(), ix.done["t"].to_numpy()] = ix.done["col"].to_numpy()
    end = ix.programs["end"].to_numpy() - int(ix.years[0])
    rows = ix.done["program_row"].unique()
    after = np.arange(ix.n_years)[None, :] > end[rows][:, None]
    filled = np.where(after, grid[rows, end[rows]][:, None], grid[rows])
    grid[rows] = filled
    return grid


def years_of(ix: ProblemIndex, t: pd.Series | IntArray) -> IntArray:
    """Calendar years of year positions."""
    return ix.years[np.asarray(t, dtype=np.int64)]


def program_ids(ix: ProblemIndex, rows: pd.Series | IntArray) -> npt.NDArray[np.object_]:
    """Programme ids of programme rows."""
    return ix.programs["program"].to_numpy(dtype=object)[np.asarray(rows, dtype=np.int64)]


def pool_ids(ix: ProblemIndex, rows: pd.Series | IntArray) -> npt.NDArray[np.object_]:
    """Pool ids of pool rows."""
    return ix.pools["pool"].to_numpy(dtype=object)[np.asarray(rows, dtype=np.int64)]


def region_ids(ix: ProblemIndex, rows: pd.Series | IntArray) -> npt.NDArray[np.object_]:
    """Region ids of region rows."""
    return ix.regions["region"].to_numpy(dtype=object)[np.asarray(rows, dtype=np.int64)]


def capital_per_share(ix: ProblemIndex, program_rows: IntArray, t: IntArray) -> npt.NDArray[np.float64]:
    """Scaled capital cost of delivering the whole quantity in year t: cost / M * quantity."""
    quantity = ix.programs["quantity"].to_numpy(dtype=float)[program_rows]
    return ix.cost_scaled[program_rows, t] * quantity


def group_rows(keys: pd.DataFrame, by: list[str]) -> tuple[pd.DataFrame, IntArray]:
    """Unique key rows (sorted) and, for every input row, the position of its group."""
    codes = keys.groupby(by, sort=True).ngroup().to_numpy(dtype=np.int64)
    uniques = keys[by].drop_duplicates().sort_values(by).reset_index(drop=True)
    return uniques, np.asarray(codes, dtype=np.int64)
