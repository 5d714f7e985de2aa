"""The SSK workbook (results/workbook.py), read back with openpyxl: sheets and headings in both
languages, Tabel 5.1 and 5.2 equal to the aggregates, numbers stored as numbers in a planner's
formats, frozen headings, and scenario text that looks like a formula kept as text."""

from __future__ import annotations

import dataclasses
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from ssk_optimize.api import solve_file
from ssk_optimize.results.aggregates import tabel_5_1, tabel_5_2
from ssk_optimize.results.labels import label
from ssk_optimize.results.reader import Run, read_run
from ssk_optimize.results.workbook import (
    CREATOR,
    MARKER,
    is_own_workbook,
    text_cell,
    write_workbook,
)

ROOT = Path(__file__).resolve().parents[2]
LAMANDAU = ROOT / "scenarios" / "lamandau.yaml"
HYPERLINK = '=HYPERLINK("http://x","y")'
AT_SUM = "@SUM(1)"
OVERRIDE = "pools.lmd_dak.budget.2025=5200"  # the value it has: the plan stays Lamandau's
SHEETS_ID = ["Tabel 5.1", "Tabel 5.2", "Alokasi", "Daftar Tunggu", "Pos Anggaran", "Keterangan"]
SHEETS_EN = ["Table 5.1", "Table 5.2", "Allocations", "Waiting list", "Pools", "About"]


def hostile_lamandau(folder: Path) -> Path:
    """Lamandau with two waiting programmes renamed to formula-like text: one unfunded, one
    partly funded (so it is in the allocations too)."""
    text = LAMANDAU.read_text(encoding="utf-8")
    renames = {
        "Tangki septik individual, desa hulu (Kec. Lamandau, Belantikan Raya, Delang, Batangkawa)":
            HYPERLINK,
        "Drainase lingkungan kawasan kumuh Nanga Bulik": AT_SUM,
    }
    for old, new in renames.items():
        line = f"    name: {old}\n"
        assert text.count(line) == 1, old
        text = text.replace(line, f"    name: '{new}'\n")
    path = folder / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("workbook")
    solve_file(hostile_lamandau(folder), overrides=(OVERRIDE,), output=folder / "run")
    return read_run(folder / "run")


@pytest.fixture(scope="module")
def books(run: Run, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("books")
    paths = {lang: folder / f"ssk-{lang}.xlsx" for lang in ("id", "en")}
    for lang, path in paths.items():
        write_workbook(run, path, lang)  # type: ignore[arg-type]
    return paths


def rows(sheet: Worksheet) -> list[tuple[Any, ...]]:
    return list(sheet.iter_rows(values_only=True))


def row_by_first(sheet: Worksheet, first: str) -> int:
    """The 1-based row whose first cell is ``first`` (exactly one)."""
    found = [r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == first]
    assert len(found) == 1, (first, found)
    return found[0]


def same(cell: Any, value: float) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return cell is None
    return isinstance(cell, int | float) and cell == pytest.approx(value, rel=1e-12, abs=1e-9)


def test_sheets_and_headings_in_indonesian_and_english(books: dict[str, Path], run: Run) -> None:
    years = list(run.years)
    book = load_workbook(books["id"])
    assert book.sheetnames == SHEETS_ID
    assert rows(book["Tabel 5.1"])[2] == ("Sub-sektor", *years, "Jumlah", "Kebutuhan", "Kesenjangan (Gap)")
    assert rows(book["Tabel 5.2"])[2] == ("Sumber Pendanaan", *years, "Jumlah")
    assert rows(book["Daftar Tunggu"])[0][:3] == ("No.", "Program/Kegiatan", "ID program")
    assert rows(book["Pos Anggaran"])[0][:4] == ("Pos anggaran", "Sumber Pendanaan", "Kepastian", "Tahun")
    english = load_workbook(books["en"])
    assert english.sheetnames == SHEETS_EN
    assert rows(english["Table 5.1"])[2] == ("Sub-sector", *years, "Total", "Need", "Gap")
    assert rows(english["Table 5.2"])[2] == ("Funding source", *years, "Total")
    assert rows(english["Allocations"])[0][-2:] == ("Purpose", "Amount (Rp juta)")
    assert english["Table 5.1"]["A1"].value.startswith("Table 5.1")
    assert rows(english["About"])[0] == ("Item", "Value")


def test_tabel_5_1_is_the_aggregate(books: dict[str, Path], run: Run) -> None:
    grid = tabel_5_1(run.tables)
    sheet = load_workbook(books["id"])["Tabel 5.1"]
    for key in grid.index:
        row = row_by_first(sheet, label(str(key), "id"))
        cells = [sheet.cell(row, c).value for c in range(2, len(grid.columns) + 2)]
        for cell, value in zip(cells, grid.loc[key].to_numpy(dtype=float), strict=True):
            assert same(cell, value), (key, cells, grid.loc[key].tolist())
    total = row_by_first(sheet, "Jumlah")
    assert sheet.cell(total, 7).value == pytest.approx(grid.at["total", "total"])
    assert all(sheet.cell(total, c).font.b for c in range(1, 10))
    assert not sheet.cell(row_by_first(sheet, label("air_limbah", "id")), 2).font.b
    assert sheet["A1"].font.b and sheet.freeze_panes == "B4"


def test_tabel_5_2_is_the_aggregate_with_groups_subtotals_and_gap(books: dict[str, Path], run: Run) -> None:
    grid = tabel_5_2(run.tables)
    sheet = load_workbook(books["id"])["Tabel 5.2"]
    shown = [r[0] for r in rows(sheet)[3:]]
    expected: list[str] = []
    for group, key in grid.index.tolist():
        if group and label(group, "id") not in expected:
            expected.append(label(group, "id"))
        expected.append(label(key, "id"))
    assert shown == expected
    assert shown[0] == "A. Pemerintah" and "B. Non-pemerintah" in shown
    assert shown.count("Sub-jumlah") == 2 and shown[-2:] == ["Jumlah", "Kesenjangan (Gap)"]
    values = [r for r in rows(sheet)[3:] if r[0] not in ("A. Pemerintah", "B. Non-pemerintah")]
    for cells, (_, numbers) in zip(values, grid.iterrows(), strict=True):
        for cell, value in zip(cells[1:], numbers.to_numpy(dtype=float), strict=True):
            assert same(cell, value), (cells, numbers.tolist())
    total, gap = values[-2], values[-1]
    assert total[-1] == pytest.approx(tabel_5_1(run.tables).at["total", "total"])
    assert gap[1:-1] == (None,) * len(run.years)
    assert gap[-1] == pytest.approx(float(run.tables.programs["gap"].sum()))
    for row in range(1, sheet.max_row + 1):
        first = sheet.cell(row, 1)
        assert first.font.b == (first.value in ("A. Pemerintah", "B. Non-pemerintah", "Sub-jumlah",
                                                "Jumlah", "Sumber Pendanaan") or row == 1), first.value
    assert sheet.cell(row_by_first(sheet, "DAK"), 1).alignment.indent == 1


def test_numbers_are_numbers_in_a_planners_formats(books: dict[str, Path]) -> None:
    book = load_workbook(books["id"])
    for sheet in (book["Tabel 5.1"], book["Tabel 5.2"]):
        for cell in sheet[3][1:-1 if sheet.title == "Tabel 5.2" else 6]:  # the year headings
            assert isinstance(cell.value, int) and cell.number_format == "0"
        for row in sheet.iter_rows(min_row=4, min_col=2):
            for cell in row:
                if cell.value is not None:
                    assert cell.data_type == "n" and cell.number_format == "#,##0", cell.coordinate
    money = book["Alokasi"]
    year, amount = 9, 11
    for row in range(2, money.max_row):
        assert isinstance(money.cell(row, year).value, int) and money.cell(row, year).number_format == "0"
        assert isinstance(money.cell(row, amount).value, float | int)
        assert money.cell(row, amount).number_format == "#,##0"
    waiting = book["Daftar Tunggu"]
    assert waiting.cell(2, 4).number_format == "0.0%" and waiting.cell(2, 5).number_format == "#,##0"
    pools = book["Pos Anggaran"]
    header = [c.value for c in pools[1]]
    assert pools.cell(2, header.index("Porsi terpakai") + 1).number_format == "0.0%"
    assert pools.cell(2, header.index("Tahun") + 1).number_format == "0"
    assert pools.cell(2, header.index("Pagu (Rp juta)") + 1).number_format == "#,##0"


def test_allocations_waiting_list_and_pools_hold_the_run(books: dict[str, Path], run: Run) -> None:
    book = load_workbook(books["id"])
    money = book["Alokasi"]
    allocations = run.tables.allocations
    body = rows(money)[1:-1]
    assert len(body) == len(allocations)
    assert sum(r[10] for r in body) == pytest.approx(float(allocations["amount"].sum()))
    assert rows(money)[-1][0] == "Jumlah" and money.cell(money.max_row, 11).font.b
    assert rows(money)[-1][10] == pytest.approx(float(allocations["amount"].sum()))
    baseline = allocations["program"].isna().sum()
    assert baseline > 0 and sum(r[0] == label("baseline_om", "id") and r[1] is None for r in body) == baseline
    assert {r[9] for r in body} == {label(p, "id") for p in allocations["purpose"].astype(str).unique()}
    assert money.freeze_panes == "B2" and all(c.font.b for c in money[1])

    waiting = book["Daftar Tunggu"]
    body = rows(waiting)[1:-1]
    count = int(run.tables.programs["waiting_list"].sum())
    assert len(body) == count and [r[0] for r in body] == list(range(1, count + 1))
    gaps = [r[4] for r in body]
    assert gaps == sorted(gaps, reverse=True)
    assert {r[5] for r in body} <= {label(k, "id") for k in ("pool_exhausted", "no_eligible_source",
                                                             "readiness", "om_burden", "share_cap",
                                                             "year_window", "capacity")}
    assert rows(waiting)[-1][4] == pytest.approx(float(run.tables.programs["gap"].sum()))
    assert waiting.freeze_panes == "A2"

    pools = book["Pos Anggaran"]
    body = rows(pools)[1:-1]
    assert len(body) == len(run.tables.pools)
    assert [r[0] for r in body] == run.tables.pools["pool"].astype(str).tolist()
    assert [r[3] for r in body] == run.tables.pools["year"].tolist()
    prices = run.tables.pools["shadow_price_targets"].to_numpy(dtype=float)
    assert [r[8] for r in body] == pytest.approx(prices.tolist())
    # An unbounded range (lmd_retribusi_tinja's price holds for any larger budget) is an empty cell.
    highs = [x if math.isfinite(x) else None for x in run.tables.pools["range_high"].tolist()]
    assert None in highs and [r[11] for r in body] == [pytest.approx(x) if x is not None else None
                                                       for x in highs]
    assert pools.freeze_panes == "B2"


def test_missing_and_infinite_figures_are_empty_cells(run: Run, tmp_path: Path) -> None:
    pools = run.tables.pools.copy()
    pools.loc[0, "range_low"] = np.nan
    pools.loc[0, "range_high"] = np.inf
    pools.loc[1, "shadow_price_targets"] = np.nan
    changed = dataclasses.replace(run, tables=dataclasses.replace(run.tables, pools=pools))
    write_workbook(changed, tmp_path / "nan.xlsx")
    sheet = load_workbook(tmp_path / "nan.xlsx")["Pos Anggaran"]
    assert sheet.cell(2, 11).value is None and sheet.cell(2, 12).value is None
    assert sheet.cell(3, 9).value is None and isinstance(sheet.cell(3, 10).value, float)
    # openpyxl would write NaN and infinities as an empty <v/>, which Excel reports as damage
    with zipfile.ZipFile(tmp_path / "nan.xlsx") as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name).decode()
                assert "<v />" not in xml and "<v/>" not in xml, name


def test_about_sheet_is_the_manifest(books: dict[str, Path], run: Run) -> None:
    about = dict(r for r in rows(load_workbook(books["id"])["Keterangan"])[1:] if r[0])
    manifest = run.manifest
    assert about["Skenario"] == "lamandau-baseline" == manifest.scenario
    assert about["Satuan uang"] == "Rp juta"
    assert about["Status"] == manifest.status == "optimal"
    assert about["Solver"].startswith(str(manifest.solver["name"]))
    assert about["Versi ssk-opt"] == manifest.engine_version
    assert about["Hash skenario (SHA-256)"] == manifest.scenario_sha256
    assert about["Perubahan (--set)"] == OVERRIDE
    english = dict(r for r in rows(load_workbook(books["en"])["About"])[1:] if r[0])
    assert english["Money unit"] == "Rp juta" and english["Overrides (--set)"] == OVERRIDE


def test_formula_like_names_stay_text(books: dict[str, Path]) -> None:
    for path in books.values():
        book = load_workbook(path)
        seen = set()
        for sheet in book:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), cell.value
                        if cell.value in ("'" + HYPERLINK, "'" + AT_SUM):
                            seen.add((sheet.title, cell.value))
        titles = {title for title, _ in seen}
        assert {v for _, v in seen} == {"'" + HYPERLINK, "'" + AT_SUM}
        assert len(titles) == 2  # in the allocations (the one funded) and in the waiting list


def test_text_cell_neutralises_every_formula_start() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert text_cell(f"{start}1+1") == f"'{start}1+1"
    assert text_cell("IPAL komunal") == "IPAL komunal"
    assert text_cell("a\x07b") == "ab"  # XML cannot carry it; openpyxl would refuse the cell
    assert text_cell(2025) == "2025"


def test_column_widths_fit_the_content(books: dict[str, Path]) -> None:
    book = load_workbook(books["id"])
    money = book["Alokasi"]
    longest = max(len(str(r[0])) for r in rows(money))
    assert money.column_dimensions["A"].width == min(longest + 2, 60)
    table = book["Tabel 5.1"]
    # the title in A1 is long, but column A fits the row labels, not the title
    labels = [str(r[0]) for r in rows(table)[2:] if r[0]]
    assert table.column_dimensions["A"].width == max(len(t) for t in labels) + 2
    assert 8 <= table.column_dimensions["B"].width <= 14


def test_the_workbook_is_marked_as_ours(books: dict[str, Path], tmp_path: Path) -> None:
    book = load_workbook(books["id"])
    assert book.properties.creator == CREATOR
    assert MARKER in book.custom_doc_props.names
    assert is_own_workbook(books["id"])
    foreign = Workbook()
    foreign.properties.creator = CREATOR  # the creator alone does not make it ours
    foreign.save(tmp_path / "foreign.xlsx")
    assert not is_own_workbook(tmp_path / "foreign.xlsx")
    (tmp_path / "text.xlsx").write_text("not a workbook")
    assert not is_own_workbook(tmp_path / "text.xlsx")


def test_every_heading_is_a_label_in_both_languages(books: dict[str, Path]) -> None:
    """A key missing from LABELS would show as the raw key (``sheet_pools``): none does."""
    for lang, path in books.items():
        book = load_workbook(path)
        headings = [c.value for s in book for c in s[3 if s.title.startswith("Tab") else 1]]
        raw = [h for h in headings if isinstance(h, str) and "_" in h and " " not in h]
        assert raw == [], (lang, raw)
        assert pd.Series(book.sheetnames).str.len().max() <= 31
