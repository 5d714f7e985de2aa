"""Magnitude checks: figures that validate field by field but cannot be meant, or look mistyped.

Errors (the figure would crash or mislead the solver): money outside Rp 1 .. Rp 1,000 triliun once
converted from ``money_unit``, a projected budget or household count that overflows or leaves the
bounds in some horizon year, access at the start above the region's households, and money figures
spanning more than the solver can tell apart (:mod:`ssk_optimize.scenario.money_range`).

Warnings (plausible but suspicious, the "rupiah typed into a juta scenario" mistake): a unit cost
thousands of times above the reference table ``data/unit_costs.csv`` for its sub-sector, kind and
scale, and a yearly budget above what any holder of that level could hold.
"""

from __future__ import annotations

import csv
import functools
import math
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from ssk_optimize.errors import Issue
from ssk_optimize.scenario.loading import location_of
from ssk_optimize.scenario.money_range import money_range_issues
from ssk_optimize.scenario.schema import MAX_HOUSEHOLDS, Pool, Program, Region, Scenario, UnitCost
from ssk_optimize.scenario.vocabulary import NATIONAL, RUPIAH_PER_UNIT
from ssk_optimize.scenario.yamlio import Locations, PathKey

#: Smallest non-zero and largest money figure accepted, in rupiah.
MIN_RUPIAH = 1.0
MAX_RUPIAH = 1e15
#: A unit cost this many times above the dearest reference cost of its kind is reported.
UNIT_COST_WARNING_FACTOR = 1000.0
#: Yearly budgets above these (rupiah) exceed any plausible holder: a kab/kota (the largest
#: kota APBD is about Rp 11 triliun), a province (DKI Jakarta about Rp 80 triliun), the centre.
BUDGET_WARNING_RUPIAH = {"region": 2e13, "province": 1e14, NATIONAL: 5e14}

Report = Callable[[PathKey, str, str, str], None]


def check_magnitudes(scenario: Scenario, locations: Locations) -> list[Issue]:
    """Every bound error and every suspicious-figure warning of ``scenario``."""
    issues: list[Issue] = []

    def report(at: PathKey, message: str, fix: str, severity: str) -> None:
        file, line, _ = location_of(locations, at)
        issues.append(Issue(".".join(str(p) for p in at), message, file=file, line=line, fix=fix,
                            severity=severity))

    unit = scenario.money_unit
    factor = RUPIAH_PER_UNIT[unit]
    for at, amount in _money_figures(scenario):
        _check_money(report, at, amount, factor, unit)
    for region in scenario.regions:
        _check_region(report, region, scenario)
    references = reference_unit_costs()
    for program in scenario.programs:
        _check_unit_cost(report, program, scenario, references)
        _check_grown_cost(report, program, scenario)
    provinces = {r.province for r in scenario.regions}
    for pool in scenario.pools:
        _check_budget(report, pool, scenario, provinces)
    if not any(issue.severity == "error" for issue in issues):  # the span needs finite figures
        issues += money_range_issues(scenario, locations)
    return issues


def _money_figures(scenario: Scenario) -> Iterator[tuple[PathKey, float]]:
    """Every money figure written in the scenario, with its key path."""
    for pool in scenario.pools:
        at: PathKey = ("pools", pool.id)
        for year, amount in (pool.budget or {}).items():
            yield at + ("budget", year), amount
        if pool.base is not None:
            yield at + ("base", "amount"), pool.base.amount
        if pool.per_region is not None:
            for bound in ("min", "max"):
                value = getattr(pool.per_region, bound)
                if value is not None:
                    yield at + ("per_region", bound), value
    for program in scenario.programs:
        at = ("programs", program.id)
        if isinstance(program.unit_cost, dict):
            for year, cost in program.unit_cost.items():
                yield at + ("unit_cost", year), cost
        elif isinstance(program.unit_cost, UnitCost):  # a growing cost: the figure written is its base
            yield at + ("unit_cost", "base"), program.unit_cost.base
        else:
            yield at + ("unit_cost",), program.unit_cost
        for year, by_pool in program.locked.items():
            for pool_id, amount in by_pool.items():
                yield at + ("locked", year, pool_id), amount
    for region in scenario.regions:
        for year, amount in region.baseline_om.items():
            yield ("regions", region.id, "baseline_om", year), amount


def _check_money(report: Report, at: PathKey, amount: float, factor: float, unit: str) -> None:
    rupiah = amount * factor
    if rupiah == 0:
        return
    if rupiah < MIN_RUPIAH:
        report(at, f"{amount:g} {unit} is below Rp 1", f"write money in {unit}, or 0 for none",
               "error")
    elif rupiah > MAX_RUPIAH:
        report(at, f"{figure(amount)} {unit} is {_rupiah(rupiah)}, above Rp 1,000 triliun "
               "(the most any figure may be)", f"money_unit is {unit}: write amounts in {unit}", "error")


def _check_region(report: Report, region: Region, scenario: Scenario) -> None:
    at: PathKey = ("regions", region.id)
    for year in scenario.years:
        try:
            households = region.households_in(year)
        except OverflowError:
            households = math.inf
        if not households <= MAX_HOUSEHOLDS:
            report(at + ("household_growth",), f"households grow to {households:.3g} by {year}, "
                   f"above {MAX_HOUSEHOLDS:,.0f}", "check households and household_growth",
                   "error")
            return
    start = region.households_in(scenario.horizon[0])
    for indicator, covered in sorted(region.baseline.items()):
        if covered > start * (1 + 1e-9):
            report(at + ("baseline", indicator), f"{covered:,.0f} households have "
                   f"{indicator} at the start, more than the region's {start:,.0f} households in "
                   f"{scenario.horizon[0]}", "baseline counts households, not people or a share",
                   "error")


def _check_budget(report: Report, pool: Pool, scenario: Scenario, provinces: set[str]) -> None:
    """Projected budgets must stay finite and bounded; very large ones are suspicious."""
    unit, factor = scenario.money_unit, RUPIAH_PER_UNIT[scenario.money_unit]
    level = NATIONAL if pool.holder == NATIONAL else \
        "province" if pool.holder in provinces else "region"
    limit = BUDGET_WARNING_RUPIAH[level]
    for year in scenario.years:
        try:
            amount = pool.budget_in(year)
        except OverflowError:
            amount = math.inf
        where: PathKey = ("pools", pool.id, "budget", year) if pool.budget is not None \
            else ("pools", pool.id, "growth")
        if pool.base is not None and not amount * factor <= MAX_RUPIAH:
            size = "overflows" if math.isinf(amount) else f"is {figure(amount)} {unit}"
            report(where, f"the budget projected from {pool.base.year} at growth {pool.growth:g} "
                   f"{size} in {year}, above Rp 1,000 triliun",
                   "bring base.year near the horizon or check growth", "error")
            return
        if amount * factor > limit:
            what = {"region": "any kab/kota APBD", "province": "any provincial APBD",
                    NATIONAL: "a national sanitation budget"}[level]
            report(where, f"budget {figure(amount)} {unit} in {year} is {_rupiah(amount * factor)}, "
                   f"more than {what} (about {_rupiah(limit)})",
                   f"was it typed in rupiah? money_unit is {unit}", "warning")
            return


def _check_grown_cost(report: Report, program: Program, scenario: Scenario) -> None:
    """A unit cost grown from its base year must stay between Rp 1 and Rp 1,000 triliun in every
    year of the programme's window (the base figure itself is checked with the other figures)."""
    grows = isinstance(program.unit_cost, UnitCost) or (
        scenario.cost_growth and not isinstance(program.unit_cost, dict))
    if not grows:
        return
    unit, factor = scenario.money_unit, RUPIAH_PER_UNIT[scenario.money_unit]
    start, end = scenario.window(program)
    for year in range(start, end + 1):
        try:
            cost = scenario.cost_of(program, year)
        except OverflowError:
            cost = math.inf
        if not MIN_RUPIAH <= cost * factor <= MAX_RUPIAH:
            size = "overflows" if math.isinf(cost) else f"is {figure(cost)} {unit}"
            report(("programs", program.id, "unit_cost"),
                   f"the unit cost grown to {year} {size}, outside Rp 1 .. Rp 1,000 triliun",
                   "bring unit_cost.year near the horizon or check the growth (0.04 for 4%)",
                   "error")
            return


def _check_unit_cost(report: Report, program: Program, scenario: Scenario,
                     references: dict[tuple[str, str, str], tuple[float, str]]) -> None:
    reference = references.get((program.subsector, program.kind, program.scale))
    if reference is None:
        return
    dearest, item = reference
    factor = RUPIAH_PER_UNIT[scenario.money_unit]
    if isinstance(program.unit_cost, dict):
        cost = max(program.unit_cost.values())
    elif isinstance(program.unit_cost, UnitCost):  # judged by the base figure typed, not its growth
        cost = program.unit_cost.base
    else:
        cost = program.unit_cost
    if cost * factor > UNIT_COST_WARNING_FACTOR * dearest:
        times = cost * factor / dearest
        report(("programs", program.id, "unit_cost"),
               f"unit_cost {figure(cost)} {scenario.money_unit} is {times:,.0f} times the dearest "
               f"reference cost for {program.subsector} {program.kind} {program.scale} "
               f"(Rp {dearest / 1e6:,.6g} juta, {item} in data/unit_costs.csv)",
               f"was it typed in rupiah? money_unit is {scenario.money_unit}", "warning")


def figure(value: Any) -> str:
    """``6,500,000`` or ``6.8`` or ``1e+17``: a figure as a planner would write it (not a number:
    as written)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return repr(value)
    if abs(value) < 1e15 and float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.6g}" if abs(value) < 1e15 else f"{value:.3g}"


def _rupiah(value: float) -> str:
    """``Rp 100 triliun``, ``Rp 4.2 miliar``: money as Indonesian budgets state it."""
    for size, name in ((1e12, "triliun"), (1e9, "miliar"), (1e6, "juta")):
        if abs(value) >= size:
            return f"Rp {value / size:,.4g} {name}"
    return f"Rp {value:,.4g}"


@functools.lru_cache(maxsize=1)
def reference_unit_costs() -> dict[tuple[str, str, str], tuple[float, str]]:
    """The dearest reference unit cost (rupiah) and its item, per (sub-sector, kind, scale)."""
    dearest: dict[tuple[str, str, str], tuple[float, str]] = {}
    with open(_unit_costs_path(), encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["subsector"], row["kind"], row["scale"])
            rupiah = float(row["unit_cost"]) * RUPIAH_PER_UNIT[row["money_unit"]]
            if rupiah > dearest.get(key, (0.0, ""))[0]:
                dearest[key] = (rupiah, row["item"])
    return dearest


def _unit_costs_path() -> Path:
    packaged = resources.files("ssk_optimize") / "data" / "unit_costs.csv"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "data" / "unit_costs.csv"
