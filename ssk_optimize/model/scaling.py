"""The money scale of the LP, chosen from the scenario's figures, and the range it can handle.

Every money column of the LP is measured in ``M`` money units (:mod:`ssk_optimize.model.index`).
``M`` is a power of ten near the median positive pool-year budget, moved if needed so that every
non-zero money figure ``v`` of the scenario lands within ``[1 / HALF_SPAN, HALF_SPAN]`` after
division by ``M``. That is possible only when the largest figure is at most :data:`MAX_SPAN` times
the smallest: beyond it, solver tolerances (1e-7 absolute, HiGHS drops matrix entries below
1e-9) make the small figures noise next to the large ones and a plan can come back marked
optimal while wrong, so :func:`check_money_range` refuses such a scenario.

The money figures (:mod:`ssk_optimize.scenario.money_range`) are what reaches the LP, in the
scenario's money unit: pool-year budgets (listed or projected from ``base``), each programme's
full capital cost in a year (``unit_cost x quantity``), locked amounts, ``per_region`` floors and
ceilings, and regional ``baseline_om``.
Because the scale follows these figures and not ``money_unit``, and every figure enters the LP
through :func:`canonical_rupiah`, one scenario written in rupiah, ribu, juta or miliar gives the
same scaled LP, bit for bit, and so the same plan.

Validation reports the same problem before any build
(:func:`ssk_optimize.scenario.money_range.money_range_issues`); the check here is the model's own
guard for a scenario that did not come through validation.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from ssk_optimize.errors import ScenarioError
from ssk_optimize.scenario.money_range import (
    MAX_SPAN,
    MoneyFigure,
    money_range,
    range_issues,
)
from ssk_optimize.scenario.schema import Scenario

__all__ = ["MAX_SPAN", "canonical_rupiah", "check_money_range", "choose_money_scale"]

#: Scaled money figures stay within [1 / HALF_SPAN, HALF_SPAN] (HALF_SPAN = sqrt(MAX_SPAN)).
HALF_SPAN = 1e6
#: Significant digits money keeps on its way into the LP (:func:`canonical_rupiah`).
SIGNIFICANT = 12
FloatArray = npt.NDArray[np.float64]


def check_money_range(scenario: Scenario) -> tuple[MoneyFigure, MoneyFigure] | None:
    """Raise ScenarioError when the money figures span more than :data:`MAX_SPAN`.

    Returns the smallest and largest figures (None without any), for :func:`choose_money_scale`.
    """
    extremes = money_range(scenario)
    issues = range_issues(extremes, scenario.money_unit)
    if issues:
        raise ScenarioError(issues)
    return extremes


def canonical_rupiah(money: npt.ArrayLike, rupiah_per_unit: float) -> FloatArray:
    """Money in rupiah, rounded to :data:`SIGNIFICANT` significant digits (0, NaN, inf kept).

    The same amount written in another money unit gives the same double here (conversions differ
    only in the last bits), so the scaled LP, built from these, is the same in every money unit
    and the solver follows the same path: one plan, not one of several tied optima per unit.
    """
    value = np.asarray(money, dtype=float) * rupiah_per_unit
    out = np.array(value, dtype=float, copy=True)
    ok = np.isfinite(value) & (value != 0)
    step = 10.0 ** (SIGNIFICANT - 1 - np.floor(np.log10(np.abs(value[ok]))))
    out[ok] = np.rint(value[ok] * step) / step
    return out


def choose_money_scale(budget: FloatArray, cost: FloatArray, rupiah_per_unit: float,
                       extremes: tuple[MoneyFigure, MoneyFigure] | None) -> float:
    """``M`` in rupiah: the power of ten near the median positive budget, within the figures' range.

    Without budgets the median positive unit cost is used, without either 1 money unit. The
    exponent is then clipped so that the largest figure divided by ``M`` is at most
    :data:`HALF_SPAN` and the smallest at least ``1 / HALF_SPAN``; when no power of ten satisfies
    both (a span a little under :data:`MAX_SPAN`), the geometric middle of the two is used. Every
    figure is read through :func:`canonical_rupiah`, so ``M`` does not depend on the money unit.
    """
    positive = budget[budget > 0]
    if positive.size == 0:
        positive = cost[np.isfinite(cost) & (cost > 0)]
    if positive.size == 0:
        return float(rupiah_per_unit)
    exponent = float(np.round(np.log10(np.median(canonical_rupiah(positive, rupiah_per_unit)))))
    if extremes is not None:
        low, high = np.log10(canonical_rupiah([extremes[0].value, extremes[1].value], rupiah_per_unit))
        # the 1e-9 keeps a figure that is a power of ten on the same side in every money unit
        floor_exp = math.ceil(high - math.log10(HALF_SPAN) - 1e-9)
        ceiling_exp = math.floor(low + math.log10(HALF_SPAN) + 1e-9)
        if floor_exp <= ceiling_exp:
            exponent = min(max(exponent, floor_exp), ceiling_exp)
        else:
            exponent = float(round((low + high) / 2))
    return float(10.0 ** exponent)
