"""The ten-second summary of a run: need/funded/gap, sources, coverage, waiting list."""

from __future__ import annotations

import pandas as pd
from rich.table import Table

from ssk_optimize.api import RunResult
from ssk_optimize.cli.render import money, out


def render_run(result: RunResult, top: int = 10) -> None:
    """Print the run summary tables to stdout."""
    manifest = result.manifest
    unit = f"Rp {manifest['money_unit']}"
    objective = manifest["objective"]
    assert isinstance(objective, dict)
    out.print(f"[bold]{manifest['scenario']}[/]: {manifest['status']} "
              f"(shortfall {objective['stage1_shortfall'] or 0:,.0f} households, "
              f"solver {result.solution.solver})")
    tables = result.tables
    if tables.programs.empty:
        return
    _by_subsector(tables.allocations, tables.programs, unit)
    _by_source(tables.pools, unit)
    _coverage(tables.coverage)
    _waiting(tables.programs, unit, top)


def _by_subsector(allocations: pd.DataFrame, programs: pd.DataFrame, unit: str) -> None:
    capex = allocations[allocations["purpose"] == "capex"]
    funded = capex.pivot_table(index="subsector", columns="year", values="amount", aggfunc="sum",
                               fill_value=0.0)
    sums = programs.groupby("subsector")[["need", "funded", "gap"]].sum()
    table = Table(title=f"Investment by sub-sector ({unit}): funded per year, need and gap")
    table.add_column("sub-sector")
    for year in funded.columns:
        table.add_column(str(year), justify="right")
    for column in ("funded", "need", "gap"):
        table.add_column(column, justify="right")
    for subsector, row in sums.iterrows():
        years = funded.loc[[subsector]].iloc[0] if subsector in funded.index else None
        cells = [money(float(years[y])) if years is not None else "0" for y in funded.columns]
        table.add_row(str(subsector), *cells, money(row["funded"]), money(row["need"]),
                      money(row["gap"]))
    table.add_row("total", *[money(float(funded[y].sum())) for y in funded.columns],
                  money(sums["funded"].sum()), money(sums["need"].sum()), money(sums["gap"].sum()),
                  style="bold")
    out.print(table)


def _by_source(pools: pd.DataFrame, unit: str) -> None:
    grouped = pools.groupby("source").agg(budget=("budget", "sum"), used=("used", "sum"),
                                          price=("shadow_price_targets", "max"))
    table = Table(title=f"Use of each source ({unit}, whole horizon)")
    for column in ("source", "budget", "used", "used %", "max households per extra unit"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for source, row in grouped.iterrows():
        share = row["used"] / row["budget"] * 100 if row["budget"] > 0 else 0.0
        price = "" if pd.isna(row["price"]) else f"{row['price']:.3f}"
        table.add_row(str(source), money(float(row["budget"])), money(float(row["used"])),
                      f"{share:.0f}%", price)
    out.print(table)


def _coverage(coverage: pd.DataFrame) -> None:
    targeted = coverage[coverage["target_share"].notna()]
    if targeted.empty:
        return
    table = Table(title="Coverage against targets")
    for column in ("region", "indicator", "year", "share", "target", "shortfall (households)"):
        table.add_column(column, justify="right" if column not in ("region", "indicator") else "left")
    for row in targeted.itertuples():
        table.add_row(str(row.region), str(row.indicator), str(row.year), f"{row.share:.1%}",
                      f"{row.target_share:.1%}", f"{row.shortfall:,.0f}")
    out.print(table)


def _waiting(programs: pd.DataFrame, unit: str, top: int = 10) -> None:
    waiting = programs[programs["waiting_list"]].sort_values(["gap", "program"],
                                                              ascending=[False, True])
    if waiting.empty:
        out.print("Every programme is fully funded.")
        return
    table = Table(title=f"Waiting list (daftar tunggu): {len(waiting)} programmes, "
                        f"top {min(top, len(waiting))} by gap ({unit})")
    for column in ("programme", "funded", "gap", "reason", "detail"):
        table.add_column(column, justify="right" if column in ("funded", "gap") else "left")
    for row in waiting.head(top).itertuples():
        table.add_row(str(row.program), f"{row.funded_share:.0%}", money(float(row.gap)),  # type: ignore[arg-type]
                      str(row.limiting_reason), str(row.limiting_detail))
    out.print(table)
