"""The HTML report of one or more runs: SSK tables, charts, the waiting list, a comparison.

:func:`build_report` returns one self-contained HTML text: Plotly's JavaScript is inlined once, each
chart is a JSON block drawn by a few lines of script, so the file opens with no network. The page
comes from the Jinja2 template ``templates/report.html.j2`` with autoescaping on: everything a
planner wrote (programme names, pool and region ids, details) is data, never markup. Chart JSON is
escaped for a ``<script>`` element (``<``, ``>``, ``&`` as ``\\u003c`` ...) and chart texts are
entity-escaped, because Plotly reads a few HTML tags (``<b>``, ``<a href>``) in its texts.

With several runs the first is the base; a comparison section shows totals by source and year,
funded and gap, the stage-1 shortfall and the programmes whose waiting-list status differs. Runs in
different money units cannot be compared and are refused (UsageError). Every figure is in the
runs' money unit; words come from :mod:`ssk_optimize.results.labels`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import jinja2
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline
from markupsafe import Markup

from ssk_optimize import __version__
from ssk_optimize.errors import UsageError
from ssk_optimize.results import aggregates
from ssk_optimize.results.labels import Lang, label, number, percent
from ssk_optimize.results.reader import Run
from ssk_optimize.results.summary import programme_labels, top_prices, waiting_list

GENERATOR = "ssk-opt report"
MARKER = f'<meta name="generator" content="{GENERATOR}">'
"""In the head of every report, so the CLI can tell its own earlier report from someone's file."""
TOP_PROGRAMMES = 15
WAITING_SHOWN = 25
MONEY_DECIMALS = {"miliar": 2}  # a miliar is 1,000 juta: whole miliar would hide most programmes
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                 0x2028: "\\u2028", 0x2029: "\\u2029"}


@dataclass(frozen=True)
class Row:
    """One table row: ``key`` names it for readers of the HTML (``data-row``), ``kind`` styles it."""

    key: str
    label: str
    cells: tuple[str, ...]
    kind: str = ""


@dataclass(frozen=True)
class Table:
    """A table as texts: ``columns`` are the headings, the first over the row labels."""

    id: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    note: str = ""


@dataclass(frozen=True)
class Chart:
    """A Plotly figure as JSON safe inside ``<script type="application/json">``."""

    id: str
    title: str
    spec: Markup


@dataclass(frozen=True)
class Section:
    """What the report shows for one run, or for the comparison."""

    id: str
    title: str
    facts: tuple[tuple[str, str], ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    notes: tuple[str, ...] = ()
    waiting: Table | None = None


class _Words:
    """Labels and numbers in one language and money unit."""

    def __init__(self, lang: Lang, unit: str) -> None:
        self.lang, self.unit = lang, unit
        self.decimals = MONEY_DECIMALS.get(unit, 0)

    def __call__(self, key: str, **values: object) -> str:
        text = label(key, self.lang)
        return text.format(**values) if values else text

    def money(self, value: float | None) -> str:
        return number(value, self.lang, self.decimals)


def build_report(runs: Sequence[Run], lang: Lang = "id") -> str:
    """The report of ``runs`` (module docstring); UsageError for no runs or mixed money units."""
    if not runs:
        raise UsageError("give at least one run folder to report on")
    units = {run.manifest.money_unit for run in runs}
    if len(units) > 1:
        listed = ", ".join(f"{run.folder} is in {run.manifest.money_unit}" for run in runs)
        raise UsageError(f"the runs are in different money units ({listed}); report runs of one "
                         f"money unit together, or solve them again in the same unit")
    words = _Words(lang, runs[0].manifest.money_unit)
    sections = [_run_section(run, index, words) for index, run in enumerate(runs)]
    comparison = _comparison(runs, words) if len(runs) > 1 else None
    charts = [c for s in [*sections, *([comparison] if comparison else [])] for c in s.charts]
    environment = jinja2.Environment(loader=jinja2.PackageLoader("ssk_optimize", "templates"),
                                     autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.get_template("report.html.j2")
    return template.render(
        lang=lang, words=words, marker=Markup(MARKER), sections=sections, comparison=comparison,
        charts=charts, plotly_js=Markup(_bundle(plotly.offline.get_plotlyjs())),
        title=words("report_title"), version=__version__)


def _run_section(run: Run, index: int, words: _Words) -> Section:
    tables = run.tables
    facts = [(words("scenario"), run.manifest.scenario), (words("status"), run.manifest.status),
             (words("money_in"), words.unit),
             (words("shortfall"), number(_shortfall(run), words.lang, 0))]
    notes = [] if run.manifest.optimal else [words("not_optimal")]
    count, waiting = waiting_list(tables.programs, WAITING_SHOWN)
    charts = [_money_chart(run, index, words), _need_chart(run, index, words),
              _coverage_chart(run, index, words)]
    prices = _prices_chart(run, index, words)
    if prices is None:
        notes.append(words("no_prices"))
    else:
        charts.append(prices)
    return Section(
        id=f"run-{index}", title=f"{words('run')} {index + 1}: {run.name}", facts=tuple(facts),
        tables=(_tabel_5_1(run, index, words), _tabel_5_2(run, index, words)),
        charts=tuple(charts), notes=tuple(notes),
        waiting=_waiting_table(run, index, words, count, waiting))


def _cells(values: Sequence[float], words: _Words) -> tuple[str, ...]:
    return tuple(words.money(float(v)) for v in values)


def _tabel_5_1(run: Run, index: int, words: _Words) -> Table:
    grid = aggregates.tabel_5_1(run.tables)
    kinds = {"total": "total", "apbd_murni": "memo", "commitment": "memo"}
    rows = tuple(Row(str(key), words(str(key)), _cells(grid.loc[key].tolist(), words),
                     kinds.get(str(key), "")) for key in grid.index)
    columns = (words("subsector"), *[_column(c, words) for c in grid.columns])
    return Table(f"tabel-5-1-{index}", words("tabel_5_1"), columns, rows,
                 f"{words('money_in')} {words.unit}")


def _tabel_5_2(run: Run, index: int, words: _Words) -> Table:
    grid = aggregates.tabel_5_2(run.tables)
    rows: list[Row] = []
    last = ""
    for group, key in grid.index:
        if group and group != last:
            rows.append(Row(str(group), words(str(group)), ("",) * len(grid.columns), "group"))
        last = group
        kind = {"subtotal": "subtotal", "total": "total", "gap": "total"}.get(str(key), "")
        rows.append(Row(f"{group}:{key}" if group else str(key), words(str(key)),
                        _cells(grid.loc[(group, key)].tolist(), words), kind))
    columns = (words("funding_source"), *[_column(c, words) for c in grid.columns])
    return Table(f"tabel-5-2-{index}", words("tabel_5_2"), columns, tuple(rows),
                 f"{words('money_in')} {words.unit}")


def _column(column: object, words: _Words) -> str:
    return str(column) if isinstance(column, int) else words(str(column))


def _waiting_table(run: Run, index: int, words: _Words, count: int, shown: pd.DataFrame) -> Table:
    rows = tuple(Row(str(r["program"]), str(r["label"]),
                     (percent(float(r["funded_share"]), words.lang), words.money(float(r["gap"])),
                      words(str(r["limiting_reason"])), str(r["detail"])))
                 for r in shown.to_dict("records"))
    note = words("waiting_shown", shown=len(rows), count=count) if count else words("no_waiting")
    columns = (words("programme"), words("funded_share"), words("gap"), words("reason"), words("detail"))
    return Table(f"waiting-{index}", words("waiting_list"), columns, rows, note)


def _shortfall(run: Run) -> float:
    value = run.manifest.objective.get("stage1_shortfall")
    return float(value) if isinstance(value, int | float) else 0.0


# --------------------------------------------------------------------------------------------- charts

def _text(value: object) -> str:
    """A planner's text as Plotly shows it literally (it reads ``<br>``, ``<a>`` ... as markup)."""
    return html.escape(str(value), quote=False)


def _chart(chart_id: str, title: str, figure: go.Figure, words: _Words) -> Chart:
    # Plotly's separators: decimal mark first, then thousands, as labels.number writes them
    figure.update_layout(separators=",." if words.lang == "id" else ".,", template="plotly_white",
                         margin={"l": 60, "r": 30, "t": 30, "b": 60}, height=420,
                         legend={"orientation": "h", "y": -0.15})
    return Chart(chart_id, title, Markup(script_json(pio.to_json(figure, validate=False) or "null")))


def script_json(text: str) -> str:
    """JSON that cannot end its ``<script>`` element early (``</script>`` in a name): ``<``, ``>``
    and ``&`` only occur inside JSON strings, where their ``\\u`` escapes mean the same."""
    return text.translate(_JSON_ESCAPES)


def _bundle(code: str) -> str:
    # checked, not rewritten: the bundle's regular expressions hold '<' and '&' as code
    if "</script" in code.lower() or "<!--" in code:
        raise RuntimeError("this Plotly's JavaScript holds '</script' and cannot be inlined")
    return code


def _money_chart(run: Run, index: int, words: _Words) -> Chart:
    grid = aggregates.tabel_5_2(run.tables)
    years = [c for c in grid.columns if isinstance(c, int)]
    values = grid[years].to_numpy()
    figure = go.Figure()
    for (group, key), row in zip(grid.index, values, strict=True):
        if group and key != "subtotal":
            figure.add_bar(name=_text(words(str(key))), x=[str(y) for y in years], y=row.tolist())
    figure.update_layout(barmode="stack", yaxis_title=f"Rp {words.unit}", xaxis_title=words("year"))
    return _chart(f"chart-{index}-money", words("chart_money_by_source"), figure, words)


def _need_chart(run: Run, index: int, words: _Words) -> Chart:
    programs = run.tables.programs
    names = programme_labels(programs)
    top = programs.assign(_label=names).sort_values(["need", "program"], ascending=[False, True])
    top = top.head(TOP_PROGRAMMES).iloc[::-1]  # largest at the top of a horizontal bar chart
    labels = [_text(n) for n in top["_label"]]
    figure = go.Figure()
    for column in ("funded", "gap"):
        figure.add_bar(name=_text(words(column)), y=labels, x=top[column].tolist(), orientation="h",
                       customdata=top["need"].tolist(),
                       hovertemplate=f"%{{y}}<br>%{{x:,.{words.decimals}f}} / "
                                     f"{_text(words('need'))} %{{customdata:,.{words.decimals}f}}"
                                     f"<extra>{_text(words(column))}</extra>")
    figure.update_layout(barmode="stack", xaxis_title=f"Rp {words.unit}", legend_traceorder="normal",
                         height=max(420, 40 + 28 * len(top)), yaxis={"automargin": True})
    chart = _chart(f"chart-{index}-need", words("chart_need_by_programme"), figure, words)
    return chart


def _coverage_chart(run: Run, index: int, words: _Words) -> Chart:
    coverage = run.tables.coverage.assign(region=run.tables.coverage["region"].astype(str),
                                          indicator=run.tables.coverage["indicator"].astype(str))
    figure = go.Figure()
    palette = plotly.colors.qualitative.Plotly
    groups = coverage.groupby(["region", "indicator"], sort=True)
    for number_, ((region, indicator), rows) in enumerate(groups):
        rows = rows.sort_values("year")
        name, colour = _text(f"{region} {indicator}"), palette[number_ % len(palette)]
        years = [str(y) for y in rows["year"]]
        figure.add_scatter(name=name, legendgroup=name, x=years, y=rows["share"].tolist(),
                           mode="lines+markers", line={"color": colour})
        if rows["target_share"].notna().any():  # targets are set for some years only: markers
            figure.add_scatter(name=f"{name} ({_text(words('target'))})", legendgroup=name, x=years,
                               y=rows["target_share"].tolist(), mode="markers",
                               marker={"symbol": "x", "size": 11, "color": colour})
    figure.update_layout(yaxis={"tickformat": ".0%", "title": words("coverage")},
                         xaxis_title=words("year"))
    return _chart(f"chart-{index}-coverage", words("chart_coverage"), figure, words)


def _prices_chart(run: Run, index: int, words: _Words) -> Chart | None:
    prices = top_prices(run.tables.pools, None)
    if prices.empty:
        return None
    where = [_text(f"{pool} {year}") for pool, year in zip(prices["pool"], prices["year"], strict=True)]
    figure = go.Figure()
    figure.add_bar(name=_text(words("price_targets", unit=words.unit)), x=where,
                   y=prices["shadow_price_targets"].tolist(), offsetgroup="targets")
    figure.add_bar(name=_text(words("price_priority", unit=words.unit)), x=where,
                   y=prices["shadow_price_priority"].tolist(), offsetgroup="priority", yaxis="y2")
    # two axes: households and priority points are not one quantity
    figure.update_layout(barmode="group", yaxis2={"overlaying": "y", "side": "right", "showgrid": False},
                         xaxis={"title": words("pool"), "automargin": True}, height=480)
    return _chart(f"chart-{index}-prices", words("chart_shadow_prices"), figure, words)


# ----------------------------------------------------------------------------------------- comparison

def _comparison(runs: Sequence[Run], words: _Words) -> Section:
    names = _run_names(runs)
    columns = (*names, *[f"{words('difference')}: {n}" for n in names[1:]])
    by_source = pd.concat([_source_totals(run) for run in runs], axis=1).fillna(0.0)
    by_source = by_source.reindex([s for s in aggregates.GOVERNMENT + aggregates.NON_GOVERNMENT
                                   if s in by_source.index])
    by_year = pd.concat([_year_totals(run) for run in runs], axis=1).fillna(0.0)
    need = [aggregates.subsector_need(run.tables).sum() for run in runs]
    summary = pd.DataFrame({
        "need": [float(n["need"]) for n in need], "funded": [float(n["funded"]) for n in need],
        "gap": [float(n["gap"]) for n in need],
        "allocated": [float(run.tables.allocations["amount"].sum()) for run in runs]}).T
    counts = [int(run.tables.programs["waiting_list"].astype(bool).sum()) for run in runs]
    shortfalls = [_shortfall(run) for run in runs]

    def rows(frame: pd.DataFrame) -> list[Row]:
        """Each run's value, then each later run's difference from the base."""
        out = []
        for key, values in zip(frame.index, frame.to_numpy(dtype=float), strict=True):
            base = values.tolist()
            out.append(Row(str(key), words(str(key)), _cells(base + [v - base[0] for v in base[1:]], words),
                           "total" if key == "total" else ""))
        return out

    source_rows = rows(pd.concat([by_source, by_source.sum().to_frame("total").T]))
    year_rows = rows(pd.concat([by_year, by_year.sum().to_frame("total").T]))
    summary_rows = rows(summary)
    summary_rows.append(_count_row("shortfall", words("shortfall"), shortfalls, words))
    summary_rows.append(_count_row("waiting_list", words("waiting_count"), counts, words))
    figure = go.Figure()
    for name, column in zip(names, by_source.to_numpy(dtype=float).T, strict=True):
        figure.add_bar(name=_text(name), x=[_text(words(str(s))) for s in by_source.index],
                       y=column.tolist())
    figure.update_layout(barmode="group", yaxis_title=f"Rp {words.unit}")
    return Section(
        id="comparison", title=words("comparison"), notes=(words("base_run", name=names[0]),),
        tables=(Table("compare-totals", words("totals"), ("", *columns), tuple(summary_rows)),
                Table("compare-sources", words("totals_by_source"), (words("funding_source"), *columns),
                      tuple(source_rows), f"{words('money_in')} {words.unit}"),
                Table("compare-years", words("totals_by_year"), (words("year"), *columns),
                      tuple(year_rows), f"{words('money_in')} {words.unit}"),
                _waiting_changes(runs, words)),
        charts=(_chart("chart-compare-sources", words("chart_compare_sources"), figure, words),))


def _run_names(runs: Sequence[Run]) -> list[str]:
    """Folder names, numbered where two runs' folders share a name (``a/lamandau``, ``b/lamandau``)."""
    names = [run.name for run in runs]
    return [f"{name} ({i + 1})" if names.count(name) > 1 else name for i, name in enumerate(names)]


def _year_totals(run: Run) -> pd.Series:
    money = run.tables.allocations.assign(year=run.tables.allocations["year"].astype(int))
    return money.groupby("year")["amount"].sum().reindex(list(run.years), fill_value=0.0).rename(run.name)


def _source_totals(run: Run) -> pd.Series:
    money = run.tables.allocations.assign(source=run.tables.allocations["source"].astype(str))
    sums = money.groupby("source")["amount"].sum()
    order = [s for s in aggregates.GOVERNMENT + aggregates.NON_GOVERNMENT if s in sums.index]
    return sums.reindex(order).rename(run.name)


def _count_row(key: str, text: str, values: Sequence[float], words: _Words) -> Row:
    cells = [*values, *[v - values[0] for v in values[1:]]]
    return Row(key, text, tuple(number(float(v), words.lang, 0) for v in cells))


def _waiting_changes(runs: Sequence[Run], words: _Words) -> Table:
    """Programmes (by id) waiting in some runs and not in others, or present in only some."""
    status: list[dict[str, tuple[bool, str]]] = []
    names: dict[str, str] = {}
    for run in runs:
        programs = run.tables.programs
        labels = programme_labels(programs)
        seen = {}
        for text, row in zip(labels.to_numpy(), programs.to_dict("records"), strict=True):
            program = str(row["program"])
            names.setdefault(program, str(text))
            waiting = bool(row["waiting_list"])
            seen[program] = (waiting, f"{words('on_waiting_list')}: {words(str(row['limiting_reason']))}"
                             if waiting else words("fully_funded"))
        status.append(seen)
    ids = sorted({p for seen in status for p in seen})
    rows = []
    for program in ids:
        # the status is waiting, not waiting or absent; a waiting programme's reason alone
        # changing is shown, not counted as a difference
        states = {seen[program][0] if program in seen else None for seen in status}
        if len(states) > 1:
            cells = tuple(seen[program][1] if program in seen else words("absent") for seen in status)
            rows.append(Row(program, names[program], cells))
    return Table("waiting-changes", words("waiting_changes"),
                 (words("programme"), *_run_names(runs)), tuple(rows),
                 "" if rows else words("no_waiting_changes"))
