"""``ssk-opt report RUN_DIR... -o FILE``: writes one HTML file atomically, replaces only its own
earlier report, and refuses (exit 2, nothing touched) a foreign file, a path inside a run folder,
runs in different money units and folders that are not runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ssk_optimize import api
from ssk_optimize.cli.report import report_command
from ssk_optimize.results.labels import label
from ssk_optimize.results.report import MARKER

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
MILIAR = (Path(__file__).resolve().parents[1] / "data" / "units" / "tiny_miliar.yaml").read_text(
    encoding="utf-8")  # a tiny run in miliar


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cli-report-runs")
    api.solve_file(SCENARIOS / "lamandau.yaml", output=root / "lamandau")
    api.solve_file(SCENARIOS / "lamandau-dak-cut.yaml", output=root / "dak-cut")
    return root / "lamandau", root / "dak-cut"


def report(*arguments: str | Path) -> Result:
    return CliRunner().invoke(report_command, [str(a) for a in arguments])


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_writes_an_indonesian_report(runs: tuple[Path, Path], tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"  # a missing folder is made
    result = report(*runs, "-o", target)
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and MARKER in page[:4096]
    assert '<html lang="id">' in page and label("funding_source", "id") in page
    assert 'id="comparison"' in page
    assert os.listdir(target.parent) == ["report.html"]  # no temporary file left behind
    assert target.stat().st_mode & 0o044  # readable by others as umask allows, not mkstemp's 0600


def test_english_and_replacing_its_own_report(runs: tuple[Path, Path], tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    assert report(runs[0], "-o", target).exit_code == 0
    result = report(runs[0], "-o", target, "--lang", "en")
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    assert '<html lang="en">' in page and label("waiting_list", "en") in page
    assert 'id="comparison"' not in page


def test_refuses_a_foreign_file(runs: tuple[Path, Path], tmp_path: Path) -> None:
    target = tmp_path / "notes.html"
    target.write_text("<html><body>my own notes</body></html>", encoding="utf-8")
    result = report(runs[0], "-o", target)
    assert result.exit_code == 2
    assert "not a report written by 'ssk-opt report'" in result.output
    assert target.read_text(encoding="utf-8") == "<html><body>my own notes</body></html>"
    assert sorted(os.listdir(tmp_path)) == ["notes.html"]
    (tmp_path / "folder.html").mkdir()
    assert report(runs[0], "-o", tmp_path / "folder.html").exit_code == 2


def test_refuses_a_path_inside_a_run_folder(runs: tuple[Path, Path]) -> None:
    before = tree(runs[1])
    for target in (runs[1] / "manifest.json", runs[1] / "report.html"):
        result = report(*runs, "-o", target)
        assert result.exit_code == 2, result.output
        assert "inside the run folder" in result.output
    assert tree(runs[1]) == before


def test_refuses_runs_in_different_money_units(runs: tuple[Path, Path], tmp_path: Path) -> None:
    (tmp_path / "miliar.yaml").write_text(MILIAR, encoding="utf-8")
    api.solve_file(tmp_path / "miliar.yaml", output=tmp_path / "miliar")
    target = tmp_path / "report.html"
    result = report(runs[0], tmp_path / "miliar", "-o", target)
    assert result.exit_code == 2
    assert "different money units" in result.output and "miliar" in result.output
    assert not target.exists()


def test_refuses_what_is_not_a_run(runs: tuple[Path, Path], tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = report(runs[0], tmp_path / "empty", "-o", tmp_path / "report.html")
    assert result.exit_code == 2 and "not a complete run folder" in result.output
    assert report("-o", tmp_path / "report.html").exit_code == 2  # no run given
    assert report(runs[0], "-o", tmp_path / "r.html", "--lang", "fr").exit_code == 2
    assert sorted(os.listdir(tmp_path)) == ["empty"]
