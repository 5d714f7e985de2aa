"""A run as an SSK-style Excel workbook, for planners who work in spreadsheets.

Sheets: Tabel 5.1 and 5.2 (:mod:`ssk_optimize.results.aggregates`), the allocations as tidy rows,
the waiting list, the pools with their shadow prices, and an about sheet from the manifest.
Headings come from :mod:`ssk_optimize.results.labels` (Indonesian or English); money is in the
run's money unit with ``#,##0``, shares ``0.0%``, years plain integers.

Every text cell goes through :func:`text_cell`: a text that a spreadsheet would read as a formula
(starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) gets a leading ``'``, as the
OWASP CSV-injection advice says, so a programme named ``=HYPERLINK(...)`` stays a name.

:data:`CREATOR` and the custom property :data:`MARKER` mark a file as written here; the CLI only
overwrites files that carry both (:func:`is_own_workbook`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ssk_optimize.results.aggregates import GROUPS, tabel_5_1, tabel_5_2
from ssk_optimize.results.labels import Lang, label
from ssk_optimize.results.reader import Run
from ssk_optimize.results.summary import programme_labels, waiting_list

CREATOR = "ssk-opt"
MARKER = "ssk_optimize.workbook"
"""Name of the custom document property that marks a workbook written by this module."""

MONEY = "#,##0"
SHARE = "0.0%"
YEAR = "0"
PRICE = "0.0000"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=12)
INDENT = Alignment(indent=1)
MAX_WIDTH = 60

Row = Sequence[Any]


def text_cell(value: object) -> str:
    """``value`` as text that no spreadsheet evaluates (module docstring).

    Characters XML 1.0 cannot carry (control characters other than tab and newline) are dropped,
    since openpyxl refuses them and a planner's stray control character must not stop the export.
    """
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def money_unit_text(unit: str) -> str:
    """``juta`` as ``Rp juta``; ``rupiah`` as ``Rp``."""
    return "Rp" if unit == "rupiah" else f"Rp {unit}"


def write_workbook(run: Run, path: Path, lang: Lang = "id") -> None:
    """Write ``run`` as a workbook at ``path`` (replaced if present; the CLI decides whether it may)."""
    book = Workbook()
    unit = money_unit_text(run.manifest.money_unit)
    _tabel_5_1(book.active, run, lang, unit)
    _tabel_5_2(book.create_sheet(), run, lang, unit)
    _allocations(book.create_sheet(), run, lang, unit)
    _waiting(book.create_sheet(), run, lang, unit)
    _pools(book.create_sheet(), run, lang, unit)
    _about(book.create_sheet(), run, lang, unit)
    book.properties.creator = CREATOR
    book.properties.lastModifiedBy = CREATOR
    book.properties.title = text_cell(f"SSK {run.manifest.scenario}")
    book.custom_doc_props.append(StringProperty(name=MARKER, value=run.manifest.engine_version))
    book.save(path)


def is_own_workbook(path: Path) -> bool:
    """Whether ``path`` is a workbook :func:`write_workbook` wrote (creator and marker)."""
    try:
        book = load_workbook(path, read_only=False)
    except Exception:  # noqa: BLE001 - any file openpyxl cannot read is not ours
        return False
    try:
        names = {prop.name for prop in book.custom_doc_props.props}
        return book.properties.creator == CREATOR and MARKER in names
    finally:
        book.close()


# --- sheets ----------------------------------------------------------------------------------


def _tabel_5_1(sheet: Worksheet, run: Run, lang: Lang, unit: str) -> None:
    sheet.title = label("sheet_tabel_5_1", lang)
    grid = tabel_5_1(run.tables)
    years = [c for c in grid.columns if not isinstance(c, str)]
    columns = [*years, "total", "need", "gap"]
    header = [label("subsector", lang), *(int(y) for y in years),
              *(label(c, lang) for c in columns[len(years):])]
    _title(sheet, label("tabel_5_1", lang), unit)
    _header(sheet, header)
    for key in grid.index:
        if key == "apbd_murni":
            sheet.append([])  # the SSK shows its two memo rows apart from the table
        values = [_number(grid.at[key, c]) for c in columns]
        _row(sheet, [label(str(key), lang), *values], MONEY, bold=key == "total")
    _finish(sheet, header_row=3)


def _tabel_5_2(sheet: Worksheet, run: Run, lang: Lang, unit: str) -> None:
    sheet.title = label("sheet_tabel_5_2", lang)
    grid = tabel_5_2(run.tables)
    years = [c for c in grid.columns if c != "total"]
    header = [label("funding_source", lang), *(int(y) for y in years), label("total", lang)]
    _title(sheet, label("tabel_5_2", lang), unit)
    _header(sheet, header)
    current = None
    for group, key in grid.index.tolist():
        if group in GROUPS and group != current:
            current = group
            _row(sheet, [label(group, lang)], MONEY, bold=True)
        numbers = [_number(grid.at[(group, key), c]) for c in [*years, "total"]]
        summed = key in ("subtotal", "total")
        _row(sheet, [label(str(key), lang), *numbers], MONEY, bold=summed,
             indent=group in GROUPS and not summed)
    _finish(sheet, header_row=3)


def _allocations(sheet: Worksheet, run: Run, lang: Lang, unit: str) -> None:
    sheet.title = label("sheet_allocations", lang)
    money = run.tables.allocations
    programs = run.tables.programs
    names = dict(zip(programs["program"].astype(str), programme_labels(programs), strict=True))
    header = [label("programme", lang), label("program_id", lang), label("code", lang),
              label("subsector", lang), label("region", lang), label("funding_source", lang),
              label("pool", lang), label("firmness", lang), label("year", lang),
              label("purpose", lang), f"{label('amount', lang)} ({unit})"]
    _header(sheet, header)
    text = money.astype({c: object for c in ("program", "code", "subsector", "region", "source",
                                             "pool", "purpose")})
    for row in _records(text):
        program = _optional(row["program"])
        shown = label("baseline_om", lang) if program is None else names.get(program, program)
        subsector = _optional(row["subsector"])
        _row(sheet, [shown, program, _optional(row["code"]),
                     None if subsector is None else label(subsector, lang),
                     _optional(row["region"]), label(str(row["source"]), lang), str(row["pool"]),
                     label("firm" if row["firm"] else "indicative", lang), int(row["year"]),
                     label(str(row["purpose"]), lang), _number(row["amount"])],
             formats={8: YEAR, 10: MONEY})
    total = [label("total", lang), *([None] * 9), _number(money["amount"].sum())]
    _row(sheet, total, MONEY, bold=True)
    _finish(sheet, header_row=1, freeze_column=True)


def _waiting(sheet: Worksheet, run: Run, lang: Lang, unit: str) -> None:
    sheet.title = label("waiting_list", lang)
    programs = run.tables.programs
    _, frame = waiting_list(programs, top=len(programs))
    header = [label("row_number", lang), label("programme", lang), label("program_id", lang),
              label("funded_share", lang), f"{label('gap', lang)} ({unit})", label("reason", lang),
              label("detail", lang)]
    _header(sheet, header)
    for number, row in enumerate(_records(frame), start=1):
        _row(sheet, [number, str(row["label"]), str(row["program"]), _number(row["funded_share"]),
                     _number(row["gap"]), label(str(row["limiting_reason"]), lang),
                     _optional(row["detail"])],
             formats={0: YEAR, 3: SHARE, 4: MONEY})
    if len(frame):
        _row(sheet, [None, label("total", lang), None, None, _number(frame["gap"].sum())],
             MONEY, bold=True)
    _finish(sheet, header_row=1, freeze_column=False)


def _pools(sheet: Worksheet, run: Run, lang: Lang, unit: str) -> None:
    sheet.title = label("sheet_pools", lang)
    pools = run.tables.pools
    header = [label("pool", lang), label("funding_source", lang), label("firmness", lang),
              label("year", lang), *(f"{label(c, lang)} ({unit})" for c in ("budget", "used", "unused")),
              label("used_share", lang), label("shadow_price_targets", lang),
              label("shadow_price_priority", lang),
              *(f"{label(c, lang)} ({unit})" for c in ("range_low", "range_high"))]
    _header(sheet, header)
    formats = {3: YEAR, 4: MONEY, 5: MONEY, 6: MONEY, 7: SHARE, 8: PRICE, 9: PRICE, 10: MONEY,
               11: MONEY}
    text = pools.astype({"pool": object, "source": object})
    for row in _records(text):
        budget = float(row["budget"])
        share = float(row["used"]) / budget if budget > 0 else None
        _row(sheet, [str(row["pool"]), label(str(row["source"]), lang),
                     label("firm" if row["firm"] else "indicative", lang), int(row["year"]),
                     *(_number(row[c]) for c in ("budget", "used", "unused")), _number(share),
                     *(_number(row[c]) for c in ("shadow_price_targets", "shadow_price_priority",
                                                 "range_low", "range_high"))], formats=formats)
    sums = [_number(pools[c].sum()) for c in ("budget", "used", "unused")]
    budget = float(pools["budget"].sum())
    share = float(pools["used"].sum()) / budget if budget > 0 else None
    _row(sheet, [label("total", lang), None, None, None, *sums, _number(share)], formats=formats,
         bold=True)
    _finish(sheet, header_row=1, freeze_column=True)


def _about(sheet: Worksheet, run: Run, lang: Lang, unit: str) -> None:
    sheet.title = label("sheet_about", lang)
    manifest = run.manifest
    solver = " ".join(str(manifest.solver.get(k, "")) for k in ("name", "version")).strip()
    rows: list[tuple[str, Any]] = [
        ("scenario", manifest.scenario), ("run_folder", run.name), ("money_unit", unit),
        ("status", manifest.status), ("solver", solver), ("engine_version", manifest.engine_version),
        ("scenario_sha256", manifest.scenario_sha256),
    ]
    rows += _listed("overrides", manifest.overrides, lang)
    rows += _listed("warnings", manifest.warnings, lang)
    _header(sheet, [label("item", lang), label("value", lang)])
    for key, value in rows:
        sheet.append([text_cell(label(key, lang)) if key else None, text_cell(value)])
        sheet.cell(sheet.max_row, 1).font = BOLD
    _finish(sheet, header_row=1, freeze_column=False)


def _listed(key: str, values: Iterable[str], lang: Lang) -> list[tuple[str, Any]]:
    """One row per value, the item named on the first only; ``(none)`` when there are none."""
    items = list(values) or [label("none", lang)]
    return [(key if i == 0 else "", v) for i, v in enumerate(items)]


# --- cells -----------------------------------------------------------------------------------


def _title(sheet: Worksheet, title: str, unit: str) -> None:
    sheet.append([text_cell(title)])
    sheet.cell(1, 1).font = TITLE
    sheet.append([text_cell(f"({unit})")])


def _header(sheet: Worksheet, header: Row) -> None:
    """The bold heading row; numeric headings (years) stay numbers, shown without separators."""
    sheet.append([v if isinstance(v, int) else text_cell(v) for v in header])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
        if isinstance(cell.value, int):
            cell.number_format = YEAR
            cell.alignment = Alignment(horizontal="right")


def _row(sheet: Worksheet, values: Row, number_format: str | None = None, *,
         formats: dict[int, str] | None = None, bold: bool = False, indent: bool = False) -> None:
    """Append ``values``: text made safe, numbers as numbers in ``formats`` (by 0-based column)
    or else ``number_format``."""
    sheet.append([text_cell(v) if isinstance(v, str) else v for v in values])
    for column, value in enumerate(values):
        cell = sheet.cell(sheet.max_row, column + 1)
        if isinstance(value, int | float) and not isinstance(value, bool):
            chosen = (formats or {}).get(column, number_format)
            if chosen:
                cell.number_format = chosen
        if bold:
            cell.font = BOLD
    if indent:
        sheet.cell(sheet.max_row, 1).alignment = INDENT


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts (text columns already ``object``), for cell-by-cell writing."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _number(value: Any) -> float | None:
    """A finite Python float, or None (an empty cell) for NaN, None and infinities."""
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _optional(value: Any) -> str | None:
    return None if value is None or pd.isna(value) or str(value) == "" else str(value)


def _shown_width(value: Any, number_format: str) -> int:
    """How many characters ``value`` takes when shown in ``number_format`` (roughly)."""
    if value is None:
        return 0
    if isinstance(value, float | int) and not isinstance(value, bool):
        if number_format == MONEY:
            return len(f"{value:,.0f}")
        if number_format == SHARE:
            return len(f"{value * 100:.1f}%")
        if number_format == PRICE:
            return len(f"{value:.4f}")
        return len(str(int(value))) if float(value).is_integer() else len(f"{value:.6g}")
    return max((len(line) for line in str(value).splitlines()), default=0)


def _finish(sheet: Worksheet, header_row: int, freeze_column: bool = True) -> None:
    """Freeze the heading rows (and the first column), fit column widths to what is shown.

    Widths ignore the title rows above the heading, so a long title does not widen column A.
    """
    sheet.freeze_panes = sheet.cell(header_row + 1, 2 if freeze_column else 1).coordinate
    widths: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=header_row):
        for cell in row:
            width = _shown_width(cell.value, cell.number_format)
            widths[cell.column] = max(widths.get(cell.column, 0), width)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), MAX_WIDTH)
