"""The table of contents of the funding LP: columns, then each constraint family in order.

``build_model(scenario)`` returns the solver-neutral :class:`LinearProgram` and the
:class:`ProblemIndex` that maps its columns and rows back to programmes, pools, years and rules.
The built model is reusable: a budget change only touches ``pool_budget`` row bounds
(:func:`budget_row_bounds`), so sweeps can re-solve one built model with warm starts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ssk_optimize.model.builder import LpBuilder, labels
from ssk_optimize.model.families import capacity, delivery, handover, money
from ssk_optimize.model.families.common import pool_ids, program_ids, region_ids, years_of
from ssk_optimize.model.index import ProblemIndex, build_index
from ssk_optimize.model.lp import LinearProgram
from ssk_optimize.model.objective import build_objectives
from ssk_optimize.scenario.schema import Scenario

FAMILIES = (
    delivery.add_cost,
    delivery.add_quantity,
    delivery.add_completion,
    capacity.add_max_per_year,
    capacity.add_capex_growth,
    money.add_pool_budgets,
    delivery.add_readiness,
    delivery.add_om_obligations,
    handover.add_om_handover,
    money.add_matching,
    money.add_share_caps,
    delivery.add_coverage,
    delivery.add_exclusions,
    money.add_recipients,
    money.add_pool_requires,
    money.add_desa_share,
)


@dataclass(frozen=True)
class BuiltModel:
    """The LP, its index, and where the rows of each family sit."""

    lp: LinearProgram
    index: ProblemIndex
    family_rows: dict[str, npt.NDArray[np.int64]]
    family_keys: dict[str, pd.DataFrame]

    @property
    def budget_rows(self) -> npt.NDArray[np.int64]:
        """``pool_budget`` rows, pool-major then year (matches ``index.budget.reshape(-1)``)."""
        return self.family_rows["pool_budget"]


def build_model(scenario: Scenario) -> BuiltModel:
    """Build the whole LP of domain.md section 4 for a validated scenario."""
    ix = build_index(scenario)
    builder = LpBuilder(ix.n_cols)
    for add_family in FAMILIES:
        add_family(builder, ix)
    lower, upper, integral, names = _columns(ix)
    lp = builder.build(lower, upper, integral, names, build_objectives(ix))
    return BuiltModel(lp, ix, dict(builder.family_rows), dict(builder.family_keys))


def budget_row_bounds(model: BuiltModel, budget: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Scaled upper bounds of the ``pool_budget`` rows for a pool x year budget matrix."""
    return model.index.scaled(np.asarray(budget, dtype=float).reshape(-1))


def _columns(ix: ProblemIndex) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64],
                                        npt.NDArray[np.bool_], npt.NDArray[np.object_]]:
    lower = np.zeros(ix.n_cols)
    upper = np.full(ix.n_cols, np.inf)
    integral = np.zeros(ix.n_cols, dtype=bool)
    upper[ix.share["col"].to_numpy()] = 1.0
    whole = ix.whole["col"].to_numpy()
    quantity = ix.programs["quantity"].to_numpy(dtype=float)[ix.whole["program_row"].to_numpy()]
    minimum = ix.programs["min_quantity"].to_numpy(dtype=float)[ix.whole["program_row"].to_numpy()]
    lower[whole], upper[whole], integral[whole] = np.ceil(minimum - 1e-9), quantity, True
    done = ix.done["col"].to_numpy()
    upper[done] = ix.programs["quantity"].to_numpy(dtype=float)[ix.done["program_row"].to_numpy()]
    integral[done] = True
    locked_cols, locked_values = money.locked_lower_bounds(ix)
    lower[locked_cols] = locked_values
    if ix.scenario.objective.hard_targets:
        upper[ix.shortfall["col"].to_numpy()] = 0.0
    for binary in (ix.built["col"].to_numpy(), ix.pool_open["col"].to_numpy()):
        upper[binary], integral[binary] = 1.0, True
    names = np.concatenate([
        labels("share", program_ids(ix, ix.share["program_row"]), years_of(ix, ix.share["t"])),
        labels("whole", program_ids(ix, ix.whole["program_row"])),
        labels("fund", program_ids(ix, ix.fund["program_row"]), pool_ids(ix, ix.fund["pool_row"]),
               years_of(ix, ix.fund["t"])),
        labels("om", program_ids(ix, ix.om["program_row"]), pool_ids(ix, ix.om["pool_row"]),
               years_of(ix, ix.om["t"])),
        labels("base_om", region_ids(ix, ix.base_om["region_row"]),
               pool_ids(ix, ix.base_om["pool_row"]), years_of(ix, ix.base_om["t"])),
        labels("shortfall", region_ids(ix, ix.shortfall["region_row"]), ix.shortfall["indicator"],
               years_of(ix, ix.shortfall["t"])),
        labels("done", program_ids(ix, ix.done["program_row"]), years_of(ix, ix.done["t"])),
        labels("built", program_ids(ix, ix.built["program_row"])),
        labels("pool_open", pool_ids(ix, ix.pool_open["pool_row"]), years_of(ix, ix.pool_open["t"])),
    ])
    return lower, upper, integral, names.astype(object)
