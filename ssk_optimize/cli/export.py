"""``ssk-opt export``: a run folder as an SSK-style Excel workbook."""

from __future__ import annotations

from pathlib import Path

import click

from ssk_optimize.cli.render import handle_errors, out
from ssk_optimize.errors import UsageError
from ssk_optimize.results.files import replace_file
from ssk_optimize.results.labels import LANGS, Lang
from ssk_optimize.results.reader import Run, read_run
from ssk_optimize.results.workbook import is_own_workbook, write_workbook


@click.command("export")
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path))
@click.option("--xlsx", "xlsx", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE",
              help="Workbook to write (.xlsx, replaced atomically). An existing file is replaced only "
                   "when this command wrote it; anything else is refused (exit 2).")
@click.option("--lang", type=click.Choice(LANGS), default="id", show_default=True,
              help="Language of headings and labels: id (Indonesian) or en (English).")
@handle_errors
def export_command(run_dir: Path, xlsx: Path, lang: Lang) -> None:
    """Write a run as a workbook: Tabel 5.1 and 5.2, allocations, waiting list, pools, about.

    Money is in the run's money unit (e.g. Rp juta). Opens in Excel and LibreOffice.

    Example: ssk-opt export results/lamandau-baseline --xlsx lamandau.xlsx
    """
    run = read_run(run_dir)
    target = check_target(xlsx, run)
    replace_file(target, lambda path: write_workbook(run, path, lang), option="--xlsx")
    out.print(f"Workbook written to {target}", markup=False)


def check_target(path: Path, run: Run) -> Path:
    """``path`` if a workbook may be written there, else UsageError naming it.

    Refused: a name not ending in ``.xlsx`` (Excel will not open it), a place inside the run
    folder (the folder stays what ``solve`` wrote), and an existing file this command did not
    write, so a planner's own workbook is never replaced.
    """
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"{path}: the workbook's name must end in .xlsx")
    resolved = path.resolve()
    if resolved.is_relative_to(run.folder.resolve()):
        raise UsageError(f"{path}: inside the run folder {run.folder}; write the workbook elsewhere")
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise UsageError(f"{path}: exists and is not a plain file; choose another name")
    if path.exists() and not is_own_workbook(path):
        raise UsageError(f"{path}: exists and was not written by 'ssk-opt export'; it is left as "
                         f"it is (remove it or choose another name)")
    return path
