"""The three stage objectives of domain.md section 4, as coefficient vectors over the columns.

1. ``targets`` (min): ``sum weight[k] * shortfall[r,k,t]`` in households.
2. ``priority`` (max): ``sum priority[p] * e[t] * units[p,t] / Q[p]`` with
   ``e[t] = 1 + 0.1 (T1 - t) / (T1 - T0)``: priorities first, earlier delivery slightly better.
3. ``preference`` (min): ``sum rank[source(b)] * money[p,b,t]``, reported in the scenario's money
   unit; the solver sees ``rank * preference_weight`` per ``money_scale`` of money
   (``StageObjective.scale`` converts back).

``normalisers`` gives the divisor each stage uses in ``weighted`` mode.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ssk_optimize.model.families.money import money_columns
from ssk_optimize.model.index import ProblemIndex
from ssk_optimize.model.lp import StageObjective

STAGES = ("targets", "priority", "preference")
PREFERENCE_CAP = 1e3  # largest stage-3 coefficient per unit of rank (see preference_weight)


def delivery_weight(ix: ProblemIndex) -> npt.NDArray[np.float64]:
    """``e[t]`` for every horizon year (1 for a one-year horizon)."""
    span = float(ix.years[-1] - ix.years[0])
    if span == 0:
        return np.ones(ix.n_years)
    return 1.0 + 0.1 * (ix.years[-1] - ix.years).astype(float) / span


def build_objectives(ix: ProblemIndex) -> tuple[StageObjective, ...]:
    """Stage objectives: households, completion points, and money (reported via ``scale``)."""
    targets = np.zeros(ix.n_cols)
    if len(ix.shortfall):
        weights = ix.scenario.objective.weights
        weight = ix.shortfall["indicator"].map(lambda k: weights.get(k, 1.0)).to_numpy(dtype=float)
        targets[ix.shortfall["col"].to_numpy()] = weight * ix.shortfall["households"].to_numpy()
    priority = np.zeros(ix.n_cols)
    rows, t = ix.share["program_row"].to_numpy(), ix.share["t"].to_numpy()
    priority[ix.share["col"].to_numpy()] = (
        ix.programs["priority"].to_numpy(dtype=float)[rows] * delivery_weight(ix)[t])
    preference = np.zeros(ix.n_cols)
    money = money_columns(ix)
    rank = ix.pools["rank"].to_numpy(dtype=float)[money["pool_row"].to_numpy()]
    per_rank = preference_weight(ix)
    preference[money["col"].to_numpy()] = rank * per_rank
    return (
        StageObjective("targets", targets, "min"),
        StageObjective("priority", priority, "max"),
        StageObjective("preference", preference, "min", scale=ix.money_scale / per_rank),
    )


def preference_weight(ix: ProblemIndex) -> float:
    """Solver coefficient of one ``money_scale`` of rank-1 money in stage 3.

    The stage counts money in Rp juta (domain.md), i.e. ``money_scale`` in juta, but within
    ``[1, PREFERENCE_CAP]``: the coefficients stay at most 10 x 1000 whatever the money unit and
    size (they were rank x ``money_scale`` in the money unit, up to 9e9 for a scenario in rupiah,
    and HiGHS failed), and equal what a juta scenario of kabupaten size always used. Computed
    from the rupiah scale, so it does not depend on ``money_unit``.
    """
    return float(min(max(ix.rupiah_scale / 1e6, 1.0), PREFERENCE_CAP))


def normalisers(ix: ProblemIndex) -> tuple[float, float, float]:
    """Divisors that bring each stage to at most about 1, for ``weighted`` mode.

    Stage 1 by the (weighted) households under target, stage 2 by ``sum_p priority * max e``,
    stage 3 by the largest rank times the total budget. Each is at least 1 in natural units and
    returned in the units of the stage's coefficients (stage 3: divided by its
    ``StageObjective.scale``).
    """
    weights = ix.scenario.objective.weights
    weight = ix.shortfall["indicator"].map(lambda k: weights.get(k, 1.0)).to_numpy(dtype=float)
    under_target = float((weight * ix.shortfall["target"] * ix.shortfall["households"]).sum())
    completion = float((ix.programs["priority"].to_numpy(dtype=float) * delivery_weight(ix).max()).sum())
    spend = float(ix.pools["rank"].max() * ix.budget_scaled.sum()) if len(ix.pools) else 0.0
    return (max(under_target, 1.0), max(completion, 1.0),
            max(spend, 1.0 / ix.money_scale) * preference_weight(ix))
