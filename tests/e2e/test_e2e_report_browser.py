"""The HTML report in a real browser (issue 8, Done when 3 and 4): Debian's Chromium and
chromedriver (installed by .ci/run), driven by Selenium, with every network request blocked.

The page must show Tabel 5.1 and 5.2, draw every chart (an SVG with at least one trace), show
totals equal to the Parquet totals, run no script written by a planner (a programme named
``<script>alert(1)</script>``, another ``<img src=x onerror=...>``), and leave a screenshot in
``test-artifacts/`` (or ``$SSK_TEST_ARTIFACTS``) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ssk_optimize.cli import cli
from ssk_optimize.results.labels import number
from ssk_optimize.results.reader import read_run
from tests.results.test_results_report import wait_for_charts

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
ARTIFACTS = Path(os.environ.get("SSK_TEST_ARTIFACTS", ROOT / "test-artifacts"))
SCRIPT = "<script>window.__owned = 1; alert(1)</script>"
IMAGE = "<img src=x onerror=\"window.__owned = 2\">"
WAITING = ("Sel baru dan peningkatan TPA Nanga Bulik menjadi controlled landfill",
           "Drainase lingkungan kawasan kumuh Nanga Bulik")

pytestmark = pytest.mark.skipif(shutil.which("chromedriver") is None or shutil.which("chromium") is None,
                                reason="needs Debian's chromium and chromedriver (CI installs them)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000"):
        options.add_argument(argument)
    options.binary_location = str(shutil.which("chromium"))
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(shutil.which("chromedriver"))), options=options)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*",
                                                                "wss://*", "ftp://*"]})
    try:
        yield driver
    finally:
        driver.quit()


def _solve(scenario: Path, folder: Path) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["solve", str(scenario), "-o", str(folder)])
    assert result.exit_code == 0, result.output


def _report(folders: list[Path], out: Path) -> Path:
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["report", *map(str, folders), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("browser")
    folders = [root / "lamandau", root / "dak-cut"]
    _solve(SCENARIOS / "lamandau.yaml", folders[0])
    _solve(SCENARIOS / "lamandau-dak-cut.yaml", folders[1])
    return folders


def test_the_report_renders_offline_with_the_parquet_totals(browser: Any, runs: list[Path],
                                                            tmp_path: Path) -> None:
    page = _report(runs, tmp_path / "report.html")
    browser.get(page.as_uri())
    wait_for_charts(browser, page.read_text(encoding="utf-8").count('<div class="chart" id="'))
    found = browser.execute_script("""
        const total = id => {
          const row = document.querySelector('#' + id + ' tr[data-row="total"]');
          return row ? Array.from(row.querySelectorAll('td')).map(c => c.textContent.trim()) : null; };
        const charts = Array.from(document.querySelectorAll('div.chart'));
        return {
          tabel51: total('tabel-5-1-0'), tabel52: total('tabel-5-2-0'),
          tabel52cut: total('tabel-5-2-1'),
          charts: charts.length,
          drawn: charts.filter(c => c.querySelector('svg.main-svg') && c.querySelectorAll(
                                    '.trace, .scatterlayer path, .barlayer path').length > 0).length,
          external: performance.getEntriesByType('resource').map(e => e.name)
                      .filter(u => !/^(file|data|blob):/.test(u)),
        }; """)
    assert found["charts"] >= 8 and found["drawn"] == found["charts"]  # every chart drawn
    assert found["external"] == []
    base, cut = read_run(runs[0]), read_run(runs[1])
    # total column of the "Jumlah" rows (the last year column before it is checked by the unit tests)
    for shown, run in ((found["tabel51"], base), (found["tabel52"], base), (found["tabel52cut"], cut)):
        assert shown is not None
        money = float(run.tables.allocations["amount"].sum())
        assert number(money, "id", 0) in shown, (shown, money)
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report-lamandau-vs-dak-cut.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


def test_planner_text_runs_no_script(browser: Any, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    text = (SCENARIOS / "lamandau.yaml").read_text(encoding="utf-8")
    for name, evil in ((WAITING[0], SCRIPT), (WAITING[1], IMAGE)):  # both on the waiting list
        assert text.count(f"    name: {name}\n") == 1
        text = text.replace(f"    name: {name}\n", f"    name: '{evil}'\n")
    scenario = tmp_path / "evil.yaml"
    scenario.write_text(text, encoding="utf-8")
    _solve(scenario, tmp_path / "evil")
    page = _report([tmp_path / "evil"], tmp_path / "evil.html")
    browser.get(page.as_uri())
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is what raises
    assert browser.execute_script("return window.__owned === undefined") is True
    body = browser.execute_script("return document.body.innerText")
    assert SCRIPT in body and IMAGE in body  # shown as the planner typed them, as text
