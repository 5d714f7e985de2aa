"""Time limits: a stopped solver must never be reported as optimal, on any backend.

The instances are seeded and known to be hard: a 150-item, 5-constraint knapsack with
correlated profits (both HiGHS and CBC still have a gap after 5 s), and a Cornuejols-Dawande
market-split feasibility problem (4 equality rows, 30 binaries), for which neither solver finds
any feasible point within a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from ssk_optimize.model.lp import LinearProgram, StageObjective
from ssk_optimize.solve import Backend, SolverOptions, SolveStatus, get_backend, solve_stages

INF = float("inf")

LpFactory = Callable[..., LinearProgram]


def hard_knapsack(make_lp: LpFactory, items: int = 150, rows: int = 5, seed: int = 1) -> LinearProgram:
    """max p x  s.t.  W x <= half of each row's total weight,  x binary."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 1000, size=(rows, items)).astype(float)
    capacity = np.floor(weights.sum(axis=1) * 0.5)
    profit = np.floor(weights.mean(axis=0) + rng.integers(1, 100, size=items))
    return make_lp(
        weights.tolist(),
        [-INF] * rows,
        capacity.tolist(),
        [("value", profit.tolist(), "max")],
        col_upper=[1.0] * items,
        integer=range(items),
    )


def market_split(make_lp: LpFactory, rows: int = 4, seed: int = 1) -> LinearProgram:
    """A x = floor(row sums / 2) with 10 (rows - 1) binaries: finding any solution is hard."""
    items = 10 * (rows - 1)
    rng = np.random.default_rng(seed)
    weights = rng.integers(0, 100, size=(rows, items)).astype(float)
    target = np.floor(weights.sum(axis=1) / 2).tolist()
    return make_lp(
        weights.tolist(),
        target,
        target,
        [("none", [0.0] * items, "min")],
        col_upper=[1.0] * items,
        integer=range(items),
    )


def test_time_limit_with_an_incumbent_is_feasible_stopped(backend: Backend, make_lp: LpFactory) -> None:
    """1 s on the hard knapsack: an incumbent exists (x = 0 is feasible and solvers find far
    better), optimality is not proved: FEASIBLE_STOPPED, never OPTIMAL, x feasible and binary."""
    lp = hard_knapsack(make_lp)
    solution = solve_stages(lp, backend, SolverOptions(time_limit=1.0, mip_gap=0.0))
    assert solution.status is SolveStatus.FEASIBLE_STOPPED
    assert not solution.is_optimal and solution.failed_stage == "value"
    assert solution.x is not None
    assert (lp.matrix @ solution.x <= lp.row_upper + 1e-6).all()
    np.testing.assert_allclose(solution.x, np.round(solution.x), atol=1e-6)
    assert solution.stage_values["value"] > 0
    assert solution.timings["value"] >= 0.9  # the solver really used its budget
    assert solution.duals == {} and any("no duals" in note for note in solution.notes)


def test_the_hard_knapsack_needs_more_than_the_limit(make_lp: LpFactory) -> None:
    """Calibration: HiGHS cannot prove the optimum in 2.5 s either, so the 1 s test above
    exercises a real stop, not a lucky ordering of events."""
    lp = hard_knapsack(make_lp)
    solution = solve_stages(lp, get_backend("highs"), SolverOptions(time_limit=2.5, mip_gap=0.0))
    assert solution.status is SolveStatus.FEASIBLE_STOPPED


def test_time_limit_without_any_point_is_no_solution_stopped(backend: Backend, make_lp: LpFactory) -> None:
    """1 s on market split: no feasible point found, so no x (CBC leaves fractional values in its
    solution file here; they must not come back as a solution)."""
    solution = solve_stages(market_split(make_lp), backend, SolverOptions(time_limit=1.0))
    assert solution.status is SolveStatus.NO_SOLUTION_STOPPED
    assert solution.x is None and not solution.has_solution


def test_later_stages_get_what_is_left_of_the_limit(backend: Backend, make_lp: LpFactory) -> None:
    """A trivial first stage (all-zero objective, optimal at once), then the hard knapsack with
    1 s for the whole solve: the knapsack stage stops, and the total stays near the limit (CBC
    checks its clock coarsely and may overshoot by a fraction of a second)."""
    base = hard_knapsack(make_lp)
    lp = replace(
        base,
        objectives=(StageObjective("easy", np.zeros(base.n_cols), "min"), *base.objectives),
    )
    solution = solve_stages(lp, backend, SolverOptions(time_limit=1.0, mip_gap=0.0))
    assert solution.status is SolveStatus.FEASIBLE_STOPPED
    assert solution.failed_stage == "value"
    assert solution.timings["easy"] < 0.5
    assert 0.8 <= sum(solution.timings.values()) < 2.0


def test_a_milp_resolve_starts_from_the_previous_point(backend: Backend, make_lp: LpFactory) -> None:
    """Stop the knapsack after 0.5 s at value v, add 'value >= v (1 - 1e-7)', switch to another
    objective and allow 0.1 s: finding any point that good from scratch takes longer (both
    solvers end NO_SOLUTION_STOPPED without the start), so FEASIBLE_STOPPED proves the previous
    point was handed over as a MIP start."""
    if backend.name == "pulp:HiGHS":
        pytest.skip("PuLP's HiGHS wrapper does not pass MIP starts on")
    lp = hard_knapsack(make_lp)
    profit = lp.objectives[0].coefficients
    session = backend.open(lp, SolverOptions(mip_gap=0.0))
    session.set_objective(profit, "max")
    first = session.solve(0.5)
    assert first.status is SolveStatus.FEASIBLE_STOPPED and first.x is not None
    value = float(profit @ first.x)
    session.add_rows(
        sp.csr_matrix(profit[None, :]), np.array([value * (1 - 1e-7)]), np.array([INF]), ["hold"]
    )
    session.set_objective(np.arange(lp.n_cols, dtype=float), "min")
    second = session.solve(0.1)
    session.close()
    assert second.status is SolveStatus.FEASIBLE_STOPPED
    assert second.x is not None and float(profit @ second.x) >= value * (1 - 1e-7)
