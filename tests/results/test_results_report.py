"""The HTML report (results/report.py): SSK tables equal the aggregates, words in the reader's
language, scenario text escaped, nothing fetched from the network, charts drawn in a real browser.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ssk_optimize import api
from ssk_optimize.errors import UsageError
from ssk_optimize.results import aggregates
from ssk_optimize.results.labels import label, number, percent
from ssk_optimize.results.reader import Run, read_run
from ssk_optimize.results.report import MARKER, build_report, script_json
from ssk_optimize.results.summary import waiting_list

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
EVIL = "<script>alert(1)</script>"
RENAMED = "Tangki septik individual, desa hulu (Kec. Lamandau, Belantikan Raya, Delang, Batangkawa)"

MILIAR = (Path(__file__).resolve().parents[1] / "data" / "units" / "tiny_miliar.yaml").read_text(
    encoding="utf-8")  # a tiny run in miliar


class Page(HTMLParser):
    """Tables by id as {data-row: [cell texts]}, every tag's attributes, and script elements."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, list[str]]] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[dict[str, str | None]] = []
        self._table: str | None = None
        self._row: str | None = None
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "script":
            self.scripts.append(attributes)
        elif tag == "table":
            self._table = str(attributes.get("id"))
            self.tables[self._table] = {}
        elif tag == "tr" and self._table is not None and "data-row" in attributes:
            self._row = str(attributes["data-row"])
            self.tables[self._table][self._row] = []
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._table and self._row is not None:
            self.tables[self._table][self._row].append("".join(self._cell))
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Run]:
    root = tmp_path_factory.mktemp("report-runs")
    api.solve_file(SCENARIOS / "lamandau.yaml", output=root / "lamandau")
    api.solve_file(SCENARIOS / "lamandau-dak-cut.yaml", output=root / "dak-cut")
    return [read_run(root / "lamandau"), read_run(root / "dak-cut")]


@pytest.fixture(scope="module")
def html_id(runs: list[Run]) -> str:
    return build_report(runs, "id")


@pytest.fixture(scope="module")
def evil_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Lamandau with a waiting programme (largest gap) named as a script."""
    root = tmp_path_factory.mktemp("report-evil")
    text = (SCENARIOS / "lamandau.yaml").read_text(encoding="utf-8")
    assert text.count(f"name: {RENAMED}\n") == 1
    path = root / "evil.yaml"
    path.write_text(text.replace(f"name: {RENAMED}\n", f"name: '{EVIL} & co'\n"), encoding="utf-8")
    api.solve_file(path, output=root / "evil")
    return read_run(root / "evil")


def test_indonesian_by_default(runs: list[Run], html_id: str) -> None:
    assert '<html lang="id">' in html_id
    assert MARKER in html_id[:2000]
    for key in ("funding_source", "need", "gap", "waiting_list", "tabel_5_1", "tabel_5_2", "comparison"):
        assert label(key, "id") in html_id, key
    assert label("funding_source", "en") not in html_id
    total = float(runs[0].tables.allocations["amount"].sum())
    assert total > 1000
    assert f">{number(total, 'id')}<" in html_id
    assert re.fullmatch(r"\d{1,3}(\.\d{3})+", number(total, "id"))  # 88.923-style, no decimals


def test_english_on_request(runs: list[Run]) -> None:
    page = build_report(runs, "en")
    assert '<html lang="en">' in page
    for key in ("funding_source", "need", "waiting_list", "tabel_5_1", "comparison"):
        assert label(key, "en") in page, key
    assert label("funding_source", "id") not in page
    total = float(runs[0].tables.allocations["amount"].sum())
    assert f">{number(total, 'en')}<" in page and "," in number(total, "en")


def test_tabel_5_1_and_5_2_equal_the_aggregates(runs: list[Run], html_id: str) -> None:
    tables = Page(html_id).tables
    for index, run in enumerate(runs):
        grid = aggregates.tabel_5_1(run.tables)
        shown = tables[f"tabel-5-1-{index}"]
        assert list(shown) == [str(k) for k in grid.index]
        for key in grid.index:
            assert shown[str(key)] == [number(float(v), "id") for v in grid.loc[key]], key
        grid2 = aggregates.tabel_5_2(run.tables)
        shown2 = tables[f"tabel-5-2-{index}"]
        for group, key in grid2.index:
            row = f"{group}:{key}" if group else str(key)
            assert shown2[row] == [number(float(v), "id") for v in grid2.loc[(group, key)]], row
        # both tables' grand totals are all allocated money
        money = number(float(run.tables.allocations["amount"].sum()), "id")
        assert shown["total"][-3] == shown2["total"][-1] == money
        assert shown2["gap"][-1] == number(float(run.tables.programs["gap"].sum()), "id")


def test_waiting_list_in_words(runs: list[Run], html_id: str) -> None:
    shown = Page(html_id).tables["waiting-0"]
    count, expected = waiting_list(runs[0].tables.programs, 1000)
    assert count > 0 and len(shown) == count
    for row in expected.itertuples(index=False):
        assert shown[row.program] == [percent(row.funded_share, "id"), number(row.gap, "id"),
                                      label(row.limiting_reason, "id"), row.detail]
    assert label("pool_exhausted", "id") in html_id


def test_comparison_of_runs(runs: list[Run], html_id: str) -> None:
    tables = Page(html_id).tables
    base, cut = (run.tables.allocations for run in runs)

    def dak(allocations: pd.DataFrame) -> float:
        return float(allocations.loc[allocations["source"].astype(str) == "DAK", "amount"].sum())

    assert dak(cut) < dak(base)
    assert tables["compare-sources"]["DAK"] == [number(dak(base), "id"), number(dak(cut), "id"),
                                                number(dak(cut) - dak(base), "id")]
    shortfalls = [float(run.manifest.objective["stage1_shortfall"]) for run in runs]
    assert tables["compare-totals"]["shortfall"] == [
        number(shortfalls[0], "id"), number(shortfalls[1], "id"), number(shortfalls[1] - shortfalls[0], "id")]
    gaps = [float(run.tables.programs["gap"].sum()) for run in runs]
    assert tables["compare-totals"]["gap"][:2] == [number(g, "id") for g in gaps]
    assert tables["compare-years"]["total"][:2] == [number(float(a["amount"].sum()), "id")
                                                    for a in (base, cut)]
    statuses = [run.tables.programs.set_index("program")["waiting_list"] for run in runs]
    moved = set(statuses[0].index[statuses[0] != statuses[1].reindex(statuses[0].index)])
    if moved:  # the DAK cut moves a programme onto the waiting list (Lamandau's Bulik tanks)
        assert set(tables["waiting-changes"]) == moved
    else:
        assert label("no_waiting_changes", "id") in html_id


def test_waiting_status_changes_listed(runs: list[Run]) -> None:
    """One run against a copy of itself with one programme taken off the waiting list and one
    removed: exactly those two rows."""
    programs = runs[0].tables.programs.copy()
    flip = programs.index[programs["waiting_list"]][0]
    program = str(programs.loc[flip, "program"])
    programs.loc[flip, ["waiting_list", "gap", "funded_share"]] = [False, 0.0, 1.0]
    dropped = str(programs.loc[~programs["waiting_list"], "program"].iloc[-1])
    programs = programs[programs["program"] != dropped]
    changed = dataclasses.replace(runs[0], tables=dataclasses.replace(runs[0].tables, programs=programs),
                                  folder=runs[0].folder.with_name("changed"))
    rows = Page(build_report([runs[0], changed], "en")).tables["waiting-changes"]
    reason = label(str(runs[0].tables.programs.set_index("program").loc[program, "limiting_reason"]), "en")
    assert rows == {program: [f"{label('on_waiting_list', 'en')}: {reason}", label("fully_funded", "en")],
                    dropped: [label("fully_funded", "en"), label("absent", "en")]}


def test_runs_with_one_folder_name_are_told_apart(runs: list[Run]) -> None:
    page = build_report([runs[0], runs[0]], "en")
    assert '<th scope="col">lamandau (1)</th><th scope="col">lamandau (2)</th>' in page
    assert Page(page).tables["compare-totals"]["gap"][2] == "0"


def test_single_run_has_no_comparison(runs: list[Run]) -> None:
    page = build_report(runs[:1], "id")
    assert 'id="comparison"' not in page and 'id="run-0"' in page
    assert len(re.findall(r'<div class="chart"', page)) == 4


def test_scenario_text_is_data_not_markup(evil_run: Run) -> None:
    page = build_report([evil_run], "id")
    assert EVIL not in page and "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page  # in the waiting list
    # in chart JSON (need chart): JSON escapes, and entity-escaped for Plotly's text markup
    assert "\\u0026lt;script\\u0026gt;alert(1)\\u0026lt;\\u002fscript\\u0026gt; \\u0026amp; co" in page
    assert page.count("</script>") == len(Page(page).scripts)


def test_script_json_cannot_close_its_element() -> None:
    text = json.dumps({"name": "</script><!-- & \u2028"})
    safe = script_json(text)
    assert not set("<>&") & set(safe) and "\u2028" not in safe
    assert json.loads(safe) == json.loads(text)


def test_nothing_external(html_id: str) -> None:
    page = Page(html_id)
    assert page.scripts and all("src" not in s for s in page.scripts)
    for tag, attributes in page.tags:
        for name in ("src", "href", "data"):
            value = (attributes.get(name) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//")), (tag, attributes)
        assert not (tag == "link" and attributes.get("rel") == "stylesheet"), attributes
    assert "@import" not in html_id.split("<script", 1)[0]


def test_money_units_must_agree(runs: list[Run], tmp_path: Path) -> None:
    (tmp_path / "miliar.yaml").write_text(MILIAR, encoding="utf-8")
    api.solve_file(tmp_path / "miliar.yaml", output=tmp_path / "miliar")
    other = read_run(tmp_path / "miliar")
    with pytest.raises(UsageError, match="different money units.*juta.*miliar"):
        build_report([runs[0], other], "id")
    with pytest.raises(UsageError, match="at least one run"):
        build_report([], "id")
    total = number(float(other.tables.allocations["amount"].sum()), "id", 2)
    assert re.fullmatch(r"0,\d\d", total) and total != "0,00"
    assert f">{total}<" in build_report([other], "id")  # miliar figures keep two decimals


def wait_for_charts(driver: Any, charts: int, seconds: float = 60.0) -> None:
    """Wait until Plotly has drawn ``charts`` charts (on a loaded machine drawing the page's
    nine charts can outlast the load event); returns after ``seconds`` either way, so the
    assertions that follow say what was missing."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    script = "return document.querySelectorAll('.js-plotly-plot').length"
    try:
        WebDriverWait(driver, seconds).until(lambda d: d.execute_script(script) >= charts)
    except TimeoutException:
        pass


@pytest.mark.skipif(shutil.which("chromedriver") is None or shutil.which("chromium") is None,
                    reason="needs chromium and chromedriver (CI installs them)")
def test_charts_render_in_a_browser(html_id: str, tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    path = tmp_path / "report.html"
    path.write_text(html_id, encoding="utf-8")
    charts = len(re.findall(r'<div class="chart" id="', html_id))
    assert charts == 9  # 4 per run (money, need, coverage, prices) and the comparison's
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.binary_location = str(shutil.which("chromium"))
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(shutil.which("chromedriver"))), options=options)
    try:
        driver.get(path.as_uri())
        wait_for_charts(driver, charts)
        drawn = driver.execute_script("return document.querySelectorAll('.js-plotly-plot').length")
        bars = driver.execute_script(
            "return document.querySelectorAll('#chart-0-money .trace.bars').length")
        fetched = driver.execute_script(
            "return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
        severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    finally:
        driver.quit()
    assert drawn == charts
    assert bars == runs_sources(html_id)
    assert [url for url in fetched if not url.startswith(("file:", "data:", "blob:"))] == []
    assert severe == []


def runs_sources(page: str) -> int:
    """The sources of the first run's Tabel 5.2: one bar trace each in its money chart."""
    return sum(1 for row in Page(page).tables["tabel-5-2-0"] if row.startswith("group_")
               and not row.endswith(":subtotal") and ":" in row)
