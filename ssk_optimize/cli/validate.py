"""``ssk-opt validate`` and ``ssk-opt init``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from ssk_optimize import api
from ssk_optimize.cli.options import overrides_option, scenario_argument
from ssk_optimize.cli.render import handle_errors, money, out, print_warnings
from ssk_optimize.scenario.summary import ScenarioSummary


@click.command("validate")
@scenario_argument
@overrides_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@handle_errors
def validate_command(scenario: Path, overrides: tuple[str, ...], as_json: bool) -> None:
    """Check a scenario file and print a short summary.

    Reports every problem at once, each with its key path, file and line. Exit 1 when invalid.

    Example: ssk-opt validate scenarios/lamandau.yaml --set 'pools[source=DAK].budget*=0.7'
    """
    result = api.validate_file(scenario, overrides)
    print_warnings(result.loaded.warnings)
    if as_json:
        click.echo(json.dumps(_summary_dict(result.summary), indent=2))
        return
    render_summary(result.summary)


@click.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing scenario.yaml.")
@handle_errors
def init_command(folder: Path, force: bool) -> None:
    """Write a starter scenario a planner can edit.

    Refuses (exit 2, a usage error) when FOLDER already holds a scenario.yaml, unless --force.

    Example: ssk-opt init my-kabupaten && ssk-opt validate my-kabupaten/scenario.yaml
    """
    path = api.init_folder(folder, force)
    out.print(f"Wrote {path}. Edit it, then run: ssk-opt validate {path}", markup=False)


def render_summary(summary: ScenarioSummary) -> None:
    """The validate summary as a planner reads it."""
    start, end = summary.horizon
    out.print(f"[bold]{summary.name}[/]: valid. {summary.regions} region(s), {summary.pools} pools, "
              f"{summary.programs} programmes, years {start}-{end} ({end - start + 1}), "
              f"{summary.eligible_pairs} eligible programme-pool pairs "
              f"({summary.om_pairs} for O&M).")
    table = Table(title=f"Need vs budget by source (Rp {summary.money_unit}, whole horizon)")
    for column in ("source", "pools", "budget", "eligible need", "programmes"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for row in summary.by_source.itertuples():
        table.add_row(str(row.source), str(row.pools), money(float(row.budget)),  # type: ignore[arg-type]
                      money(float(row.eligible_need)),  # type: ignore[arg-type]
                      str(row.eligible_programs))
    table.add_row("total", "", money(summary.total_budget), money(summary.total_need), "",
                  style="bold")
    out.print(table)
    gap = summary.total_need - summary.total_budget
    verdict = f"need exceeds budget by {money(gap)}" if gap > 0 else \
        f"budget exceeds need by {money(-gap)} (authority rules may still leave gaps)"
    out.print(f"Total need {money(summary.total_need)}, total budget {money(summary.total_budget)}: "
              f"{verdict}.", markup=False)


def _summary_dict(summary: ScenarioSummary) -> dict[str, object]:
    return {
        "scenario": summary.name, "money_unit": summary.money_unit,
        "horizon": list(summary.horizon), "regions": summary.regions, "pools": summary.pools,
        "programs": summary.programs, "eligible_pairs": summary.eligible_pairs,
        "om_pairs": summary.om_pairs, "total_need": summary.total_need,
        "total_budget": summary.total_budget,
        "by_source": summary.by_source.to_dict(orient="records"),
    }
