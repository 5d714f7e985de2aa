"""``ssk-opt``: a thin shell over :mod:`ssk_optimize.api`. Commands parse, call, render, exit."""

from __future__ import annotations

import sys

import click

from ssk_optimize import __version__
from ssk_optimize.cli.compare import compare_command
from ssk_optimize.cli.explain import explain_command
from ssk_optimize.cli.export import export_command
from ssk_optimize.cli.report import report_command
from ssk_optimize.cli.solve import solve_command
from ssk_optimize.cli.validate import init_command, validate_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="ssk-opt")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for unexpected errors.")
@click.pass_context
def cli(context: click.Context, debug: bool) -> None:
    """Funding scenario optimisation for sanitation strategies (SSK).

    Exit codes: 0 ok, 1 invalid scenario, 2 usage error (including an output folder that is
    not a previous run), 3 infeasible or not proved optimal, 4 solver not available, 70 internal
    error (please report), 130 interrupted (Ctrl-C), 141 standard output closed early.

    Example: ssk-opt validate scenarios/lamandau.yaml
    """
    context.ensure_object(dict)
    context.obj["debug"] = debug


cli.add_command(validate_command)
cli.add_command(init_command)
cli.add_command(solve_command)
cli.add_command(compare_command)
cli.add_command(report_command)
cli.add_command(export_command)
cli.add_command(explain_command)


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(prog_name="ssk-opt", standalone_mode=True))
