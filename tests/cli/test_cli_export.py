"""``ssk-opt export RUN_DIR --xlsx FILE``: writes the workbook atomically, replaces only a workbook
it wrote itself (anything else is refused with exit 2 and left byte-identical), never writes into
the run folder, and LibreOffice opens what it writes."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook, load_workbook

from ssk_optimize.api import solve_file
from ssk_optimize.cli.export import export_command
from ssk_optimize.results.aggregates import tabel_5_1
from ssk_optimize.results.reader import read_run

ROOT = Path(__file__).resolve().parents[2]
LAMANDAU = ROOT / "scenarios" / "lamandau.yaml"


HYPERLINK = '=HYPERLINK("http://x","y")'
WAITING_NAME = "Sel baru dan peningkatan TPA Nanga Bulik menjadi controlled landfill"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Lamandau, with a waiting programme whose name is a formula (for the LibreOffice check)."""
    folder = tmp_path_factory.mktemp("export")
    text = LAMANDAU.read_text(encoding="utf-8")
    assert text.count(f"name: {WAITING_NAME}\n") == 1
    scenario = folder / "lamandau.yaml"
    scenario.write_text(text.replace(f"name: {WAITING_NAME}\n", f"name: '{HYPERLINK}'\n"), encoding="utf-8")
    solve_file(scenario, output=folder / "lamandau")
    return folder / "lamandau"


def export(*arguments: str | Path) -> Result:
    return CliRunner().invoke(export_command, [str(a) for a in arguments])


def test_export_writes_a_workbook_and_replaces_its_own(run_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "lamandau.xlsx"  # the folder is made
    result = export(run_dir, "--xlsx", target)
    assert result.exit_code == 0, result.output
    assert f"Workbook written to {target}" in result.output
    assert load_workbook(target).sheetnames[0] == "Tabel 5.1"
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    result = export(run_dir, "--xlsx", target, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert load_workbook(target).sheetnames[0] == "Table 5.1"
    assert sorted(p.name for p in target.parent.iterdir()) == ["lamandau.xlsx"]  # no temporary left


@pytest.mark.parametrize("content", ["workbook", "text"])
def test_a_file_it_did_not_write_is_refused_and_left_as_it_was(run_dir: Path, tmp_path: Path,
                                                               content: str) -> None:
    target = tmp_path / "planner.xlsx"
    if content == "workbook":
        book = Workbook()
        book.active["A1"] = "the Pokja's own figures"
        book.save(target)
    else:
        target.write_bytes(b"not a workbook at all")
    before = target.read_bytes()
    result = export(run_dir, "--xlsx", target)
    assert result.exit_code == 2, result.output
    assert str(target) in result.output and "not written by 'ssk-opt export'" in result.output
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["planner.xlsx"]


def test_refusals_write_nothing(run_dir: Path, tmp_path: Path) -> None:
    before = sorted(p.name for p in run_dir.iterdir())
    inside = run_dir / "lamandau.xlsx"
    result = export(run_dir, "--xlsx", inside)
    assert result.exit_code == 2 and str(inside) in result.output and "inside the run folder" in result.output
    assert sorted(p.name for p in run_dir.iterdir()) == before
    result = export(run_dir, "--xlsx", tmp_path / "lamandau.csv")
    assert result.exit_code == 2 and ".xlsx" in result.output
    (tmp_path / "folder.xlsx").mkdir()
    result = export(run_dir, "--xlsx", tmp_path / "folder.xlsx")
    assert result.exit_code == 2 and "folder.xlsx" in result.output
    result = export(tmp_path / "no-run", "--xlsx", tmp_path / "x.xlsx")
    assert result.exit_code == 2 and "no-run" in result.output
    result = export(run_dir, "--xlsx", tmp_path / "x.xlsx", "--lang", "fr")
    assert result.exit_code == 2
    result = export(run_dir)
    assert result.exit_code == 2 and "--xlsx" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.xlsx"]
    assert list((tmp_path / "folder.xlsx").iterdir()) == []


def test_a_failed_write_leaves_the_earlier_workbook(run_dir: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "lamandau.xlsx"
    assert export(run_dir, "--xlsx", target).exit_code == 0
    before = target.read_bytes()

    def explode(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("ssk_optimize.results.workbook.Workbook.save", explode)
    result = export(run_dir, "--xlsx", target)
    assert result.exit_code == 70 and "disk full" in result.output
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lamandau.xlsx"]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_workbook(run_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "lamandau.xlsx"
    assert export(run_dir, "--xlsx", target).exit_code == 0
    profile = tmp_path / f"lo-profile-{uuid.uuid4().hex}"
    # UTF-8, first line 1, values not as shown (full precision), -1: every sheet in its own file
    options = "44,34,76,1,,0,false,true,false,false,false,-1"
    completed = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", f"csv:Text - txt - csv (StarCalc):{options}", "--outdir", str(tmp_path / "csv"),
         str(target)],
        capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    sheets = sorted(p.name for p in (tmp_path / "csv").iterdir())
    first = tmp_path / "csv" / "lamandau-Tabel 5.1.csv"
    if not first.exists():  # LibreOffice before 7.2 writes the first sheet only, to lamandau.csv
        first = tmp_path / "csv" / "lamandau.csv"
    assert first.exists(), sheets
    with first.open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[2][0] == "Sub-sektor" and table[2][-3:] == ["Jumlah", "Kebutuhan", "Kesenjangan (Gap)"]
    total = next(row for row in table if row and row[0] == "Jumlah")
    expected = tabel_5_1(read_run(run_dir).tables).at["total", "total"]
    assert float(total[6]) == pytest.approx(expected, rel=1e-9)
    if len(sheets) > 1:  # LibreOffice shows the formula-like name as text, it does not run it
        assert "lamandau-Keterangan.csv" in sheets
        with (tmp_path / "csv" / "lamandau-Daftar Tunggu.csv").open(encoding="utf-8", newline="") as handle:
            waiting = list(csv.reader(handle))
        names = [row[1] for row in waiting[1:]]
        assert "'" + HYPERLINK in names and "y" not in names


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
