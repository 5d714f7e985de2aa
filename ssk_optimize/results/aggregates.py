"""The SSK's own summary tables and the run summary's aggregations, from a run's tables.

One implementation for the terminal summary, ``compare``, the HTML report and the workbook.
All money is in the run's money unit. Rows and columns are in a fixed order (sub-sectors and
sources in vocabulary order, years ascending), so two runs give comparable frames.

- :func:`tabel_5_1`: rows = sub-sectors (capital money, ``capex``) and one O&M row (programme O&M
  and baseline O&M); columns = years and ``total``; then ``need`` and ``gap`` (per sub-sector,
  from the programmes table; capital only) and the SSK's two memo rows: money from
  ``APBD_KAB`` ("APBD murni") and from firm pools ("komitmen pendanaan").
- :func:`tabel_5_2`: rows = sources grouped as SSK Tabel 5.2 does: A. Pemerintah (APBN, DAK,
  APBD_PROV, APBD_KAB, DANA_DESA, RETRIBUSI) and B. Non-pemerintah (CSR, MASYARAKAT, HIBAH), with
  a subtotal per group, a total, and a Gap row (capital still needed; the programmes table has no
  year for it, so it sits in the ``total`` column). Money is all allocated money (capital, O&M,
  baseline O&M), so the totals of the two tables are equal.
- :func:`source_use`: budget, used and unused per source over the horizon.
- :func:`subsector_need`: need, funded and gap per sub-sector.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ssk_optimize.results.tables import RunTables
from ssk_optimize.scenario.vocabulary import SOURCE_TYPES, SUBSECTORS

GOVERNMENT = ("APBN", "DAK", "APBD_PROV", "APBD_KAB", "DANA_DESA", "RETRIBUSI")
NON_GOVERNMENT = ("CSR", "MASYARAKAT", "HIBAH")
GROUPS = {"group_government": GOVERNMENT, "group_non_government": NON_GOVERNMENT}
assert set(GOVERNMENT) | set(NON_GOVERNMENT) == set(SOURCE_TYPES)

OM_ROW = "om"


def years_of(tables: RunTables) -> list[int]:
    """The horizon years (from the pools table, which has every pool-year)."""
    return sorted(int(y) for y in pd.unique(tables.pools["year"]))


def _by_year(frame: pd.DataFrame, key: str, keys: list[str], years: list[int]) -> pd.DataFrame:
    """``key`` x year sums of ``amount``, every key and year present (0 where none), plus total."""
    text = frame.assign(_k=frame[key].astype(object), _y=frame["year"].astype(int))
    grid = text.pivot_table(index="_k", columns="_y", values="amount", aggfunc="sum",
                            fill_value=0.0, observed=True)
    grid = grid.reindex(index=keys, columns=years, fill_value=0.0).astype(float)
    grid.index.name, grid.columns.name = key, "year"
    grid["total"] = grid.sum(axis=1)
    return grid


def tabel_5_1(tables: RunTables) -> pd.DataFrame:
    """Money by sub-sector x year (module docstring). Index: sub-sector ids, ``om``, ``total``;
    memo rows ``apbd_murni``, ``commitment``; columns: years, ``total``, ``need``, ``gap``."""
    years = years_of(tables)
    money = tables.allocations
    capex = money[money["purpose"].astype(object) == "capex"]
    present = set(capex["subsector"].astype(object)) | set(tables.programs["subsector"].astype(object))
    subsectors = [s for s in SUBSECTORS if s in present]
    grid = _by_year(capex, "subsector", subsectors, years)
    upkeep = money[money["purpose"].astype(object) != "capex"].assign(subsector=OM_ROW)
    grid = pd.concat([grid, _by_year(upkeep, "subsector", [OM_ROW], years)])
    grid.loc["total"] = grid.sum(axis=0)
    need = subsector_need(tables)
    grid["need"] = need["need"].reindex(grid.index)
    grid["gap"] = need["gap"].reindex(grid.index)
    grid.loc["total", ["need", "gap"]] = need[["need", "gap"]].sum().to_numpy()
    apbd = _by_year(money[money["source"].astype(object) == "APBD_KAB"].assign(_r="apbd_murni"),
                    "_r", ["apbd_murni"], years)
    firm = _by_year(money[money["firm"].astype(bool)].assign(_r="commitment"), "_r",
                    ["commitment"], years)
    grid = pd.concat([grid, apbd, firm])
    grid.index.name = "row"
    return grid


def tabel_5_2(tables: RunTables) -> pd.DataFrame:
    """Money by source x year, grouped (module docstring). Index: (group, row) where row is a
    source id, ``subtotal``, or for the group ``""`` the rows ``total`` and ``gap``."""
    years = years_of(tables)
    grid = _by_year(tables.allocations, "source", list(SOURCE_TYPES), years)
    used = set(tables.pools["source"].astype(object))
    parts = []
    for group, sources in GROUPS.items():
        rows = grid.loc[[s for s in sources if s in used]]
        block = pd.concat([rows, rows.sum(axis=0).to_frame("subtotal").T])
        block.index = pd.MultiIndex.from_product([[group], block.index], names=["group", "row"])
        parts.append(block)
    frame = pd.concat(parts)
    total = grid.sum(axis=0)
    gap = pd.Series(np.nan, index=grid.columns)
    gap["total"] = float(tables.programs["gap"].sum())
    tail = pd.DataFrame([total, gap], index=pd.MultiIndex.from_tuples([("", "total"), ("", "gap")],
                                                                         names=["group", "row"]))
    return pd.concat([frame, tail])


def subsector_need(tables: RunTables) -> pd.DataFrame:
    """Need, funded and gap per sub-sector (index in vocabulary order, only those present)."""
    programs = tables.programs.assign(subsector=tables.programs["subsector"].astype(object))
    sums = programs.groupby("subsector")[["need", "funded", "gap"]].sum()
    return sums.reindex([s for s in SUBSECTORS if s in sums.index])


def source_use(tables: RunTables) -> pd.DataFrame:
    """Budget, used, unused and used share per source type over the horizon (sources with pools)."""
    pools = tables.pools.assign(source=tables.pools["source"].astype(object))
    sums = pools.groupby("source")[["budget", "used", "unused"]].sum()
    sums = sums.reindex([s for s in SOURCE_TYPES if s in sums.index])
    sums["used_share"] = np.where(sums["budget"] > 0, sums["used"] / sums["budget"].where(
        sums["budget"] > 0, 1.0), 0.0)
    return sums
