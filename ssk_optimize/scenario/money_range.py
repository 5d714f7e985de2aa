"""The span of a scenario's money figures: how far apart its smallest and largest amounts lie.

The LP measures money in one scale (:mod:`ssk_optimize.model.scaling`); solver tolerances (1e-7
absolute, HiGHS drops matrix entries below 1e-9) make figures more than :data:`MAX_SPAN` times
smaller than the largest mere noise, and a plan could come back marked optimal while wrong. So a
scenario whose non-zero money figures span more than that is refused at validation, naming the
smallest and the largest figure.

The figures are those that reach the LP, in the scenario's money unit: pool-year budgets (listed or
projected from ``base``), each programme's full capital cost in a year (``unit_cost x
quantity``), locked amounts, ``per_region`` floors and ceilings, and regional ``baseline_om``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ssk_optimize.errors import Issue
from ssk_optimize.scenario.loading import location_of
from ssk_optimize.scenario.schema import Scenario
from ssk_optimize.scenario.yamlio import Locations, PathKey

#: Largest ratio of the largest to the smallest non-zero money figure that the model accepts.
MAX_SPAN = 1e12


@dataclass(frozen=True)
class MoneyFigure:
    """One money figure of the scenario: its key path, its value (money unit) and how it is read
    (``label``: the dotted path, or e.g. ``programs.x.unit_cost x quantity 20``)."""

    key: PathKey
    value: float
    label: str = ""

    @property
    def path(self) -> str:
        """The dotted key path, as issues print it."""
        return ".".join(str(part) for part in self.key)

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.path)


def money_figures(scenario: Scenario) -> list[MoneyFigure]:
    """Every non-zero money figure that enters the LP (see the module docstring)."""
    years = scenario.years
    figures: list[MoneyFigure] = []
    for pool in scenario.pools:
        at: PathKey = ("pools", pool.id)
        for year in years:
            if pool.budget is not None:
                figures.append(MoneyFigure(at + ("budget", year), pool.budget_in(year)))
            else:
                figures.append(MoneyFigure(at + ("base", "amount"), pool.budget_in(year),
                                           f"pools.{pool.id}.base.amount projected to {year}"))
        if pool.per_region is not None:
            for side in ("min", "max"):
                value = getattr(pool.per_region, side)
                if value is not None:
                    figures.append(MoneyFigure(at + ("per_region", side), value))
        for recipient, amount in pool.recipients.items():
            for year in years:  # the LP caps each amount at the year's budget
                value = min(pool.recipient_amount(recipient, year), pool.budget_in(year))
                per_year = (year,) if isinstance(amount, dict) else ()
                where: PathKey = at + ("recipients", recipient) + per_year
                figures.append(MoneyFigure(where, value))
    for program in scenario.programs:
        at = ("programs", program.id)
        start, end = scenario.window(program)
        for year in range(start, end + 1):
            key: PathKey = at + ("unit_cost", year) if isinstance(program.unit_cost, dict) \
                else at + ("unit_cost",)
            figure = MoneyFigure(key, scenario.cost_of(program, year) * program.quantity)
            figures.append(MoneyFigure(key, figure.value,
                                       f"{figure.path} x quantity {program.quantity:g}"))
        for year, by_pool in program.locked.items():
            for pool_id, amount in by_pool.items():
                figures.append(MoneyFigure(at + ("locked", year, pool_id), amount))
    for region in scenario.regions:
        for year, amount in region.baseline_om.items():
            if years[0] <= year <= years[-1]:
                figures.append(MoneyFigure(("regions", region.id, "baseline_om", year), amount))
    return [f for f in figures if math.isfinite(f.value) and f.value > 0]


def money_range(scenario: Scenario) -> tuple[MoneyFigure, MoneyFigure] | None:
    """The smallest and largest non-zero money figures (first in scenario order on ties)."""
    figures = money_figures(scenario)
    if not figures:
        return None
    smallest = min(figures, key=lambda f: f.value)
    largest = max(figures, key=lambda f: f.value)
    return smallest, largest


def money_range_issues(scenario: Scenario, locations: Locations | None = None) -> list[Issue]:
    """One issue when the money figures span more than :data:`MAX_SPAN`, else none; located at
    the smallest figure's line when ``locations`` are given."""
    return range_issues(money_range(scenario), scenario.money_unit, locations)


def range_issues(extremes: tuple[MoneyFigure, MoneyFigure] | None, unit: str,
                 locations: Locations | None = None) -> list[Issue]:
    """The span issue for these extremes (see :func:`money_range_issues`)."""
    if extremes is None:
        return []
    smallest, largest = extremes
    span = largest.value / smallest.value
    if span <= MAX_SPAN:
        return []
    file, line, _ = location_of(locations or {}, smallest.key)
    message = (f"money figures span {span:.3g} times, more than the {MAX_SPAN:.0e} the solver "
               f"handles reliably: smallest {smallest.label} = {smallest.value:.6g} {unit}, "
               f"largest {largest.label} = {largest.value:.6g} {unit}")
    return [Issue(smallest.path, message, file=file, line=line,
                  fix="check for a figure typed in the wrong money unit; drop or merge figures "
                      "far below the rest, or split the scenario so each model holds money of "
                      "similar size")]
