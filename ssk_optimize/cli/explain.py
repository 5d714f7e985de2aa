"""``ssk-opt explain``: why a programme of a run is not fully funded, and what would fund it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ssk_optimize import api
from ssk_optimize.cli.render import handle_errors, out
from ssk_optimize.results.explain import explanation_json
from ssk_optimize.results.labels import Lang


@click.command("explain")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--program", "program", metavar="ID", help="Explain this programme only "
              "(default: every programme on the waiting list, by gap).")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Indonesian or English text.")
@click.option("--solver", metavar="NAME", help="Solver for the funding LP and the re-solves "
              "(default: highs).")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@handle_errors
def explain_command(run_dir: Path, program: str | None, lang: Lang, solver: str | None,
                    as_json: bool) -> None:
    """Explain the waiting list of RUN_DIR: who may fund each programme, how full its pools
    are, its limit, and the cheapest budget change (as --set overrides) that funds it, checked
    by a re-solve.

    Exit 0, or 2 when RUN_DIR is not a run folder, the run has no feasible plan, or --program
    names a programme the run does not have (the closest ids are suggested).

    Example: ssk-opt explain results/katingan-baseline --program ktg_ipal_lanting --lang en
    """
    result = api.explain_run(run_dir, program=program, lang=lang, solver=solver)
    if as_json:
        click.echo(json.dumps(explanation_json(result.programmes, result.run), ensure_ascii=False,
                              indent=2))
        return
    for line in result.text:
        out.print(line, markup=False)
