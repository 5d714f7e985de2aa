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
- :func:`om_handover`: per region, the yearly O&M the plan's assets leave to the next plan beside
  the programme O&M paid in the last horizon year, and whether the first exceeds the second by
  more than ``rules.om_handover_warning`` (formulation.md, "O&M after the plan").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ssk_optimize.results.tables import RunTables
from ssk_optimize.scenario.schema import RuleTable
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


#: Relative slack before the O&M handover warning fires (solver dust is not an increase).
HANDOVER_TOLERANCE = 1e-9


def om_handover(tables: RunTables, rules: RuleTable) -> pd.DataFrame:
    """O&M left to the next plan vs programme O&M paid in the last year, per region.

    ``om_after_horizon`` is the sum of ``programs.om_after_horizon`` (om_rate x all capital built
    in the horizon); ``om_paid_last_year`` the ``om`` allocations of the horizon's last year
    (baseline O&M of existing assets is in neither); ``increase`` = after / paid - 1 (NaN when
    nothing is paid); ``warn`` when after > (1 + ``rules.om_handover_warning``) x paid (relative
    slack 1e-9); ``limit`` = (1 + warning share) x paid. Only regions with either figure
    non-zero, by region id.
    """
    columns = ["region", "last_year", "om_paid_last_year", "om_after_horizon", "increase", "limit",
               "warn"]
    years = years_of(tables)
    if tables.programs.empty or not years:
        return pd.DataFrame(columns=columns)
    last = years[-1]
    programs = tables.programs.assign(region=tables.programs["region"].astype(object))
    after = programs.groupby("region")["om_after_horizon"].sum()
    money = tables.allocations
    paid_rows = money[(money["purpose"].astype(object) == "om") & (money["year"].astype(int) == last)]
    paid = paid_rows.assign(region=paid_rows["region"].astype(object)).groupby("region")["amount"].sum()
    regions = sorted(set(after.index) | set(paid.index))
    frame = pd.DataFrame({"region": regions})
    frame["last_year"] = last
    frame["om_paid_last_year"] = paid.reindex(regions, fill_value=0.0).to_numpy(dtype=float)
    frame["om_after_horizon"] = after.reindex(regions, fill_value=0.0).to_numpy(dtype=float)
    frame = frame[(frame["om_paid_last_year"] > 0) | (frame["om_after_horizon"] > 0)]
    paid_now = frame["om_paid_last_year"].to_numpy()
    left = frame["om_after_horizon"].to_numpy()
    frame["increase"] = np.where(paid_now > 0, left / np.where(paid_now > 0, paid_now, 1.0) - 1.0,
                                 np.nan)
    frame["limit"] = (1.0 + rules.om_handover_warning) * paid_now
    frame["warn"] = left - frame["limit"].to_numpy() > HANDOVER_TOLERANCE * left
    return frame[columns].reset_index(drop=True)


def om_handover_warnings(handover: pd.DataFrame, rules: RuleTable, money_unit: str) -> list[str]:
    """One sentence per region of :func:`om_handover` whose handover is above the warning share."""
    warnings = []
    for row in handover[handover["warn"]].itertuples():
        paid, left = float(row.om_paid_last_year), float(row.om_after_horizon)  # type: ignore[arg-type]
        compared = (f"{float(row.increase):.0%} more than the {paid:,.2f} it pays in {row.last_year}"  # type: ignore[arg-type]
                    if paid > 0 else f"and pays no programme O&M in {row.last_year}")
        warnings.append(
            f"om_handover[{row.region}]: the plan leaves {left:,.2f} {money_unit} a year of O&M to the "
            f"next plan, {compared} (above rules.om_handover_warning {rules.om_handover_warning:g}; "
            f"rules.om_handover_cap makes it a limit)")
    return warnings
