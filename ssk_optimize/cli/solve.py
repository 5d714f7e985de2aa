"""``ssk-opt solve``: run the funding LP and print what a planner reads in ten seconds."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ssk_optimize import api
from ssk_optimize.cli.options import overrides_option, scenario_argument
from ssk_optimize.cli.render import err, handle_errors, out, print_warnings, quiet_stdout
from ssk_optimize.cli.summary import render_run
from ssk_optimize.errors import Interrupted, NotOptimal
from ssk_optimize.results.diagnosis import diagnosis_text
from ssk_optimize.results.labels import LANGS, Lang
from ssk_optimize.results.output import overrides_hash


@click.command("solve")
@scenario_argument
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Run folder to write (replaced atomically). Only an absent or empty folder, or "
                   "a previous run folder, is replaced; anything else is refused (exit 2). "
                   "Default: results/<scenario id>, or results/<scenario id>-<hash of the --set "
                   "texts> with overrides.")
@overrides_option
@click.option("--solver", metavar="NAME",
              help="highs (default), cbc, or pulp:NAME for any solver PuLP knows.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Limit for the whole solve (all stages).")
@click.option("--near", type=click.Path(file_okay=False, path_type=Path), metavar="BASE_RUN",
              help="Re-plan near this run folder: after the usual stages, move as little money as "
                   "possible from its allocations, so a comparison shows only what the change forces.")
@click.option("--lang", type=click.Choice(LANGS), default="id", show_default=True,
              help="Language of the diagnosis of an infeasible scenario (id or en).")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON instead.")
@click.option("--top", default=10, show_default=True, help="Waiting-list rows to show.")
@handle_errors
def solve_command(scenario: Path, output: Path | None, overrides: tuple[str, ...],
                  solver: str | None, time_limit: float | None, near: Path | None, lang: Lang,
                  as_json: bool, top: int) -> None:
    """Allocate every pool to programmes and write the results.

    Writes allocations, programs, pools and coverage as Parquet, with manifest.json and the
    resolved scenario. Exit 0 when optimal, 3 when infeasible or not proved optimal (results
    still written, marked in the manifest), 4 when the solver is not available, 130 on Ctrl-C
    (nothing written, an earlier run left as it was). An infeasible scenario is diagnosed: the
    clashing rules with their YAML lines and the smallest changes that restore feasibility, as
    --set texts, printed and written to diagnosis.txt and diagnosis.parquet.

    Example: ssk-opt solve scenarios/lamandau.yaml -o results/lamandau
    """
    quiet = as_json or not err.is_terminal
    try:
        with err.status("Starting", spinner="dots") if not quiet else _Null() as status:
            def progress(message: str) -> None:
                if status is not None:
                    status.update(message)
            result = api.solve_file(scenario, overrides, output, solver, time_limit, progress,
                                    default_output=True, near=near, lang=lang)
    except KeyboardInterrupt:
        raise Interrupted("interrupted (Ctrl-C) before the run finished; no results were written "
                          "and an earlier run in the output folder is left as it was") from None
    written = f"Results written to {result.folder}"
    if output is None and overrides:
        written += (f" (named after the scenario id and {overrides_hash(overrides)}, a hash of "
                    f"the --set overrides, so a variant never replaces its base run; -o chooses "
                    f"the folder)")
    try:
        print_warnings(result.loaded.warnings)
        if as_json:
            click.echo(json.dumps(result.manifest, indent=2, default=str))
            if output is None and overrides:
                err.print(written, markup=False)
        else:
            render_run(result, top)
            near_entry = result.manifest.get("near")
            if isinstance(near_entry, dict):
                out.print(f"Re-planned near {near_entry['base_run']}: "
                          f"{near_entry['money_moved'] or 0:,.2f} {result.manifest['money_unit']} moved "
                          "from its allocations (the least any equally good plan moves)", markup=False)
            if result.diagnosis is not None:
                out.print(diagnosis_text(result.diagnosis, lang), markup=False)
            out.print(written, markup=False)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted (Ctrl-C); the results are complete in {result.folder}") \
            from None
    except BrokenPipeError:  # the reader left (`| head`); a non-optimal run still says so
        if result.solution.is_optimal:
            raise
        quiet_stdout()
    if not result.solution.is_optimal:
        raise NotOptimal(f"the solve ended '{result.solution.status.value}'"
                         + (f" in stage {result.solution.failed_stage}"
                            if result.solution.failed_stage else "")
                         + f"; results in {result.folder} are marked so in manifest.json")


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None

