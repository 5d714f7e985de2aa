"""The ten-second summary of a run: need/funded/gap, sources, coverage, waiting list.

It renders what :mod:`ssk_optimize.results.summary` computes; user text (programme names, pool
ids, details) is printed as written, never read as rich markup.
"""

from __future__ import annotations

import math

import pandas as pd
from rich.markup import escape
from rich.table import Table

from ssk_optimize.api import RunResult
from ssk_optimize.cli.render import err, money, out
from ssk_optimize.results.aggregates import (
    om_handover,
    om_handover_warnings,
    source_use,
    subsector_need,
    tabel_5_1,
)
from ssk_optimize.results.summary import (
    IndicativeMoney,
    indicative_money,
    top_prices,
    waiting_list,
)
from ssk_optimize.results.tables import RunTables

PRICES_SHOWN = 5  # pool-years whose shadow prices are put in words


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
    indicative = indicative_money(tables.allocations, tables.pools)
    _by_subsector(tables, unit)
    _by_source(tables, unit, indicative)
    _indicative(indicative, str(manifest["money_unit"]))
    _prices(tables.pools, str(manifest["money_unit"]), _weighted(result))
    _coverage(tables.coverage)
    _handover(result, unit)
    _waiting(tables.programs, unit, top)


def _handover(result: RunResult, unit: str) -> None:
    """O&M left to the next plan beside the programme O&M paid in the last year, per region;
    a warning on stderr where the first exceeds the second by more than the warning share."""
    rules = result.loaded.scenario.rules
    handover = om_handover(result.tables, rules)
    if handover.empty:
        return
    last = int(handover["last_year"].iloc[0])
    table = Table(title=f"O&M after the plan ({unit} a year): left to the next plan vs paid in {last}")
    for column in ("region", f"paid in {last}", "left to the next plan", "increase"):
        table.add_column(column, justify="left" if column == "region" else "right")
    for row in handover.itertuples():
        increase = "" if math.isnan(float(row.increase)) else f"{float(row.increase):+.0%}"  # type: ignore[arg-type]
        table.add_row(escape(str(row.region)), money(float(row.om_paid_last_year)),  # type: ignore[arg-type]
                      money(float(row.om_after_horizon)), increase,  # type: ignore[arg-type]
                      style="bold" if row.warn else None)
    out.print(table)
    for warning in om_handover_warnings(handover, rules, str(result.manifest["money_unit"])):
        err.print(f"Warning: {warning}", markup=False)


def _by_subsector(tables: RunTables, unit: str) -> None:
    grid = tabel_5_1(tables)
    years = [c for c in grid.columns if isinstance(c, int)]
    table = Table(title=f"Investment by sub-sector ({unit}): funded per year, need and gap")
    table.add_column("sub-sector")
    for year in years:
        table.add_column(str(year), justify="right")
    for column in ("funded", "need", "gap"):
        table.add_column(column, justify="right")
    need = subsector_need(tables)
    for subsector, row in need.iterrows():
        line = grid.loc[str(subsector)].to_numpy(dtype=float)
        cells = [money(float(line[grid.columns.get_loc(y)])) for y in years]
        table.add_row(escape(str(subsector)), *cells, money(float(row["funded"])),
                      money(float(row["need"])), money(float(row["gap"])))
    capex = grid.loc[list(need.index)]
    table.add_row("total", *[money(float(capex[y].sum())) for y in years],
                  money(float(need["funded"].sum())), money(float(need["need"].sum())),
                  money(float(need["gap"].sum())), style="bold")
    out.print(table)


def _by_source(tables: RunTables, unit: str, indicative: IndicativeMoney) -> None:
    grouped = source_use(tables)
    table = Table(title=f"Use of each source ({unit}, whole horizon)")
    columns = ["source", "budget", "used", "used %"]
    if indicative.has_indicative_pools:
        columns.append("of which indicative")
    for column in columns:
        table.add_column(column, justify="left" if column == "source" else "right")
    for source, row in grouped.iterrows():
        cells = [escape(str(source)), money(float(row["budget"])), money(float(row["used"])),
                 f"{row['used_share'] * 100:.0f}%"]
        if indicative.has_indicative_pools:
            soft = indicative.by_source.get(str(source))
            cells.append("" if soft is None else money(soft))
        table.add_row(*cells)
    out.print(table)


def _indicative(indicative: IndicativeMoney, money_unit: str) -> None:
    """One line: the money resting on pools marked ``firm: false``, pool by pool."""
    if not indicative.has_indicative_pools:
        return
    if indicative.amount > 0:
        pools = ", ".join(f"{row.pool} ({row.source}) {_amount(float(row.amount))}"  # type: ignore[arg-type]
                          for row in indicative.by_pool.itertuples())
        out.print(f"Rp {_amount(indicative.amount)} {money_unit} ({indicative.share:.1%} of the money "
                  f"allocated) rests on indicative pools not yet committed: {pools}.",
                  markup=False)
    if indicative.unused_pools:
        out.print(f"Indicative pools not drawn on: {', '.join(indicative.unused_pools)}.",
                  markup=False)


def _prices(pools: pd.DataFrame, unit: str, weighted: bool) -> None:
    """The highest shadow prices, in words, each with the budget range where it holds."""
    priced = top_prices(pools, None)
    if priced.empty:
        return
    households = "weighted households" if weighted else "households"
    shown = priced.head(PRICES_SHOWN)
    out.print(f"What one more {unit} would buy (top {len(shown)} of {len(priced)} pool-years "
              f"with a non-zero shadow price):", markup=False)
    for row in shown.itertuples():
        effects = []
        if row.shadow_price_targets:
            value = float(row.shadow_price_targets)  # type: ignore[arg-type]
            noun = households[:-1] if _number(value) == "1" else households
            effects.append(f"avoids {_number(value)} {noun} of shortfall")
        if row.shadow_price_priority:
            value = float(row.shadow_price_priority)  # type: ignore[arg-type]
            effects.append(f"adds {_number(value)} to priority-weighted completion")
        validity = _validity(float(row.range_low), float(row.range_high), unit)  # type: ignore[arg-type]
        out.print(f"  1 {unit} more in {row.pool} {row.year} {' and '.join(effects)}, "
                  f"{validity}", markup=False)


def _validity(low: float, high: float, unit: str) -> str:
    if math.isnan(low) or math.isnan(high):
        return "(this solver gives no range over which the price holds)"
    if math.isinf(low) and math.isinf(high):
        return "at any budget level"
    if math.isinf(high):
        return f"valid while its budget stays from {_amount(low)} {unit} upward"
    if math.isinf(low):
        return f"valid while its budget stays up to {_amount(high)} {unit}"
    return f"valid while its budget stays between {_amount(low)} and {_amount(high)} {unit}"


def _amount(value: float) -> str:
    """Money in a sentence: as in the tables, without a bare ``.00``."""
    text = money(value)
    return text[:-3] if text.endswith(".00") else text


def _number(value: float) -> str:
    """Three significant digits, no exponent down to 0.0001."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) < 1e-4:
        return f"{value:.2e}"
    text = f"{value:.3g}"
    return text if "e" not in text else f"{value:f}".rstrip("0").rstrip(".")


def _weighted(result: RunResult) -> bool:
    """Whether stage 1 counts households with weights other than 1 (``objective.weights``)."""
    weights = result.loaded.scenario.objective.weights
    return any(float(w) != 1.0 for w in weights.values())


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
    count, waiting = waiting_list(programs, top)
    if count == 0:
        out.print("Every programme is fully funded.")
        return
    table = Table(title=f"Waiting list (daftar tunggu): {count} programmes, "
                        f"top {len(waiting)} by gap ({unit})")
    for column in ("programme", "funded", "gap", "reason", "detail"):
        table.add_column(column, justify="right" if column in ("funded", "gap") else "left")
    for row in waiting.itertuples():
        table.add_row(escape(str(row.label)), f"{row.funded_share:.0%}", money(float(row.gap)),  # type: ignore[arg-type]
                      escape(str(row.limiting_reason)), escape(str(row.detail)))
    out.print(table)
