"""``ssk-opt report``: one self-contained HTML file from one or more run folders."""

from __future__ import annotations

from pathlib import Path

import click

from ssk_optimize.cli.render import handle_errors, out
from ssk_optimize.errors import UsageError
from ssk_optimize.results.files import replace_file
from ssk_optimize.results.labels import LANGS, Lang
from ssk_optimize.results.reader import read_run
from ssk_optimize.results.report import MARKER, build_report

MARKER_WITHIN = 4096
"""The marker sits in the head, before Plotly's bundle: a report is told apart by its first bytes."""


@click.command("report")
@click.argument("runs", nargs=-1, required=True,
                type=click.Path(file_okay=False, path_type=Path), metavar="RUN_DIR...")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="HTML file to write (replaced atomically). An existing file is replaced only "
                   "when it is a report written by this command; anything else is refused (exit 2), "
                   "as is a path inside a run folder.")
@click.option("--lang", type=click.Choice(LANGS), default="id", show_default=True,
              help="Language of the labels and numbers: id (Indonesian, 1.234,5) or en (1,234.5).")
@handle_errors
def report_command(runs: tuple[Path, ...], output: Path, lang: Lang) -> None:
    """Write an HTML report of RUN_DIR... (Tabel 5.1 and 5.2, charts, the waiting list).

    The file opens offline (all JavaScript is inside it). With several runs the first is the
    base and a comparison section follows; the runs must share a money unit (else exit 2).

    Example: ssk-opt report results/lamandau results/lamandau-dak-cut -o report.html
    """
    check_report_target(output, runs)
    page = build_report([read_run(folder) for folder in runs], lang)
    check_report_target(output, runs)  # again: a file may have appeared there while we built
    replace_file(output, lambda path: path.write_text(page, encoding="utf-8"))
    out.print(f"Report written to {output}", markup=False)


def check_report_target(output: Path, runs: tuple[Path, ...]) -> None:
    """UsageError unless ``output`` is absent or a report of this command, outside the runs."""
    target = output.resolve()
    for folder in runs:
        # a foreign file in a run folder would stop 'ssk-opt solve' from replacing that run later
        if target.is_relative_to(folder.resolve()):
            raise UsageError(f"{output} is inside the run folder {folder}; write the report "
                             f"elsewhere, e.g. -o {folder.name}-report.html")
    if output.is_symlink():
        raise UsageError(f"{output} is a symbolic link; give the path of the file itself")
    if not output.exists():
        return
    if not output.is_file():
        raise UsageError(f"{output} exists and is not a file; choose another -o")
    try:
        with output.open("rb") as handle:
            head = handle.read(MARKER_WITHIN)
    except OSError as error:
        raise UsageError(f"{output} cannot be read ({error.strerror}); choose another -o") from None
    if MARKER.encode() not in head:
        raise UsageError(f"{output} exists and is not a report written by 'ssk-opt report'; it is "
                         f"left as it is: choose another -o or remove it yourself")
