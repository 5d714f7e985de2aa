"""``ssk-opt compare``: the effect of a change beside its cause, against a base run."""

from __future__ import annotations

import math
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from ssk_optimize.cli.render import handle_errors, money, out
from ssk_optimize.results.compare import DIMENSIONS, Comparison, compare_runs
from ssk_optimize.results.compare_output import comparison_json, money_pivot, write_comparison
from ssk_optimize.results.reader import read_run

CHANGES_SHOWN = {"newly_funded", "dropped", "onto_waiting_list", "off_waiting_list", "more", "less",
                 "new_programme"}


@click.command("compare")
@click.argument("runs", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--base", metavar="NAME", help="The run the others are compared with (its folder "
              "name); default: the first.")
@click.option("--by", default="source,year", show_default=True, metavar="DIMS",
              help=f"Money by these comma-separated dimensions: {', '.join(DIMENSIONS)}.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the money table, one row per key and run, to FILE.parquet or FILE.csv.")
@click.option("--json", "as_json", is_flag=True, help="Print every comparison table as JSON.")
@click.option("--align", is_flag=True, help="Compare runs in different money units (converted to "
              "the base's) or horizons (the years they share).")
@handle_errors
def compare_command(runs: tuple[Path, ...], base: str | None, by: str, output: Path | None,
                    as_json: bool, align: bool) -> None:
    """Compare run folders: money by source and year, programmes, coverage, prices, inputs.

    Exit 0, or 2 when a folder is not a run, the runs cannot be compared (different money unit
    or horizon without --align), or -o names a file this tool did not write.

    Example: ssk-opt compare results/lamandau results/lamandau-dak-cut
    """
    dims = tuple(d.strip() for d in by.split(",") if d.strip())
    comparison = compare_runs([read_run(r) for r in runs], base=base, by=dims, align=align)
    if output is not None:
        write_comparison(comparison, output)
    if as_json:
        click.echo(comparison_json(comparison))
        return
    _render(comparison)
    if output is not None:
        out.print(f"Money table written to {output}", markup=False)


def _render(c: Comparison) -> None:
    unit = f"Rp {c.money_unit}"
    out.print(f"Base: {escape(c.base)}; compared: {escape(', '.join(c.runs[1:]))} ({unit})")
    for name, near in c.near.items():
        if near:
            out.print(f"{name} was re-planned near {near.get('base_run')} "
                      f"(scenario {str(near.get('base_scenario_sha256', ''))[:12]}): only the changes "
                      "the variant forces are shown", markup=False)
    _totals(c, unit)
    _money(c, unit)
    _programmes(c, unit)
    _inputs(c)
    _prices(c, unit)


def _totals(c: Comparison, unit: str) -> None:
    table = Table(title=f"Totals ({unit}; shortfall in households)")
    for column in ("run", "money", "funded", "gap", "shortfall", "waiting list"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for row in c.totals.to_dict("records"):
        table.add_row(escape(str(row["run"])), _with_delta(row["money"], row["delta_money"]),
                      _with_delta(row["funded"], row["delta_funded"]),
                      _with_delta(row["gap"], row["delta_gap"]),
                      _with_delta(row["shortfall"], row["delta_shortfall"]),
                      f"{int(row['waiting'])} ({int(row['delta_waiting']):+d})")
    out.print(table)


def _with_delta(value: float, delta: float) -> str:
    if delta == 0:
        return money(float(value))
    return f"{money(float(value))} ({'+' if delta > 0 else '-'}{money(abs(float(delta)))})"


def _money(c: Comparison, unit: str) -> None:
    wide = money_pivot(c)
    table = Table(title=f"Money by {', '.join(c.by)} ({unit})")
    for key in c.by:
        table.add_column(key)
    for column in wide.columns:
        table.add_column(escape(str(column)), justify="right")
    values = wide.to_numpy(dtype=float)
    for i, key in enumerate(wide.index.tolist()):
        keys = key if isinstance(key, tuple) else (key,)
        table.add_row(*[escape(str(k)) for k in keys],
                      *[money(float(v)) if not math.isnan(float(v)) else "" for v in values[i]])
    out.print(table)


def _programmes(c: Comparison, unit: str) -> None:
    changed = c.programmes[(c.programmes["run"] != c.base) & c.programmes["change"].isin(CHANGES_SHOWN)]
    if changed.empty:
        out.print("No programme's funding changed.")
        return
    table = Table(title=f"Programmes whose funding changed ({unit})")
    for column in ("programme", "run", "change", "funded", "base", "delta", "reason"):
        table.add_column(column, justify="right" if column in ("funded", "base", "delta") else "left")
    for row in changed.sort_values(["delta_funded", "program"]).itertuples():
        name = row.name if isinstance(row.name, str) and row.name.strip() else row.program
        table.add_row(escape(str(name)), escape(str(row.run)), str(row.change).replace("_", " "),
                      money(float(row.funded)), money(float(row.base_funded or 0.0)),  # type: ignore[arg-type]
                      money(float(row.delta_funded)), escape(str(row.limiting_reason)))  # type: ignore[arg-type]
    out.print(table)


def _inputs(c: Comparison) -> None:
    if c.inputs.empty:
        out.print("The inputs are the same (the resolved scenarios differ in no figure or rule).")
        return
    table = Table(title="What differs in the inputs")
    for column in ("run", "input", "base", "run's value"):
        table.add_column(column)
    for row in c.inputs.itertuples():
        table.add_row(escape(str(row.run)), escape(str(row.input)), escape(str(row.base_value)),
                      escape(str(row.value)))
    out.print(table)


def _prices(c: Comparison, unit: str) -> None:
    checks = c.price_checks
    if checks.empty:
        return
    for row in checks.to_dict("records"):
        where = (f"{row['pool']} {row['year']}: budget {money(float(row['base_budget']))} -> "
                 f"{money(float(row['budget']))} {c.money_unit}")
        if not row["range_known"]:
            out.print(f"  {where}: the base run's solver gave no range for its price", markup=False)
        elif row["within_range"]:
            out.print(f"  {where}: inside the range where the base price holds; it predicts "
                      f"{float(row['predicted_shortfall_change']):+,.0f} households of shortfall",
                      markup=False)
        else:
            out.print(f"  {where}: outside the range {money(float(row['range_low']))}-"
                      f"{money(float(row['range_high']))} where the base price holds, so the price does "
                      "not predict the effect", markup=False)
