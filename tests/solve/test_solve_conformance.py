"""One conformance suite, run on every available backend (HiGHS and PuLP/CBC).

Each LP is tiny and its optimum is worked out by hand in the docstring, so a backend that maps a
status, a sign or a bound wrongly fails here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from ssk_optimize.model.lp import LinearProgram
from ssk_optimize.solve import Backend, SolverOptions, SolveStatus, StageSolver, solve_stages

INF = float("inf")
EXACT = SolverOptions(mip_gap=0.0)

LpFactory = Callable[..., LinearProgram]


def two_variable_lp(make_lp: LpFactory) -> LinearProgram:
    """max x + 2y  s.t.  x + y <= 4,  x + 3y <= 6,  x <= 10 (slack row),  x, y >= 0."""
    return make_lp([[1, 1], [1, 3], [1, 0]], [-INF, -INF, -INF], [4, 6, 10], [("value", [1, 2], "max")])


def test_two_variable_lp(backend: Backend, make_lp: LpFactory) -> None:
    """Vertices (0,0)=0, (4,0)=4, (0,2)=4, (3,1)=5: optimum x=3, y=1, value 5.

    Both rows bind: duals u1 + u2 = 1 (x), u1 + 3 u2 = 2 (y) give u = (1/2, 1/2), positive for a
    max stage (more bound, more value); the slack row has dual 0.
    """
    solution = solve_stages(two_variable_lp(make_lp), backend, EXACT)
    assert solution.is_optimal and solution.failed_stage is None
    assert solution.x is not None
    np.testing.assert_allclose(solution.x, [3, 1], atol=1e-7)
    assert solution.stage_values["value"] == pytest.approx(5)
    np.testing.assert_allclose(solution.duals["value"], [0.5, 0.5, 0.0], atol=1e-7)
    assert solution.solver == backend.name and solution.solver_version


def test_equality_rows(backend: Backend, make_lp: LpFactory) -> None:
    """min 2x + 3y + z  s.t.  x + y + z = 10,  x - y = 2,  z <= 4,  x, y, z >= 0.

    x = y + 2 and z = 8 - 2y give cost 3y + 12, and z <= 4 forces y >= 2: x=4, y=2, z=4, cost 18.
    Duals from zero reduced costs: 2 = u1 + u2, 3 = u1 - u2, 1 = u1 + u3, so u = (2.5, -0.5, -1.5):
    e.g. raising the first right-hand side by d gives x = 4 + d/2, y = 2 + d/2, cost 18 + 2.5 d.
    """
    lp = make_lp([[1, 1, 1], [1, -1, 0], [0, 0, 1]], [10, 2, -INF], [10, 2, 4], [("cost", [2, 3, 1], "min")])
    solution = solve_stages(lp, backend, EXACT)
    assert solution.is_optimal and solution.x is not None
    np.testing.assert_allclose(solution.x, [4, 2, 4], atol=1e-7)
    assert solution.stage_values["cost"] == pytest.approx(18)
    np.testing.assert_allclose(solution.duals["cost"], [2.5, -0.5, -1.5], atol=1e-7)


def test_ranged_row_dual_is_on_its_active_side(backend: Backend, make_lp: LpFactory) -> None:
    """min x + 2y  s.t.  4 <= x + y <= 6,  x <= 3:  x=3, y=1, cost 5.

    The lower side binds: raising it by d costs 2d (dual 2); raising x's cap saves 1 (dual -1).
    """
    lp = make_lp([[1, 1], [1, 0]], [4, -INF], [6, 3], [("cost", [1, 2], "min")])
    solution = solve_stages(lp, backend, EXACT)
    assert solution.is_optimal
    np.testing.assert_allclose(solution.duals["cost"], [2.0, -1.0], atol=1e-7)


def knapsack_milp(make_lp: LpFactory) -> LinearProgram:
    """max 5x + 4y  s.t.  6x + 4y <= 24,  x + 2y <= 6,  x, y >= 0 integer."""
    return make_lp([[6, 4], [1, 2]], [-INF, -INF], [24, 6], [("value", [5, 4], "max")], integer=[0, 1])


def test_milp_differs_from_its_relaxation(backend: Backend, make_lp: LpFactory) -> None:
    """Relaxation: both rows bind at x=3, y=1.5, value 21. Integers: (4,0)=20, (3,1)=19,
    (2,2)=18, (0,3)=12, so the MILP optimum is x=4, y=0, value 20."""
    lp = knapsack_milp(make_lp)
    solution = solve_stages(lp, backend, EXACT)
    assert solution.is_optimal and solution.x is not None
    np.testing.assert_allclose(solution.x, [4, 0], atol=1e-6)
    assert solution.stage_values["value"] == pytest.approx(20)
    session = backend.open(lp, EXACT)
    session.set_objective(lp.objectives[0].coefficients, "max")
    session.set_integrality(np.zeros(2, dtype=bool))
    relaxed = session.solve()
    session.close()
    assert relaxed.status is SolveStatus.OPTIMAL and relaxed.x is not None
    assert relaxed.objective == pytest.approx(21)
    np.testing.assert_allclose(relaxed.x, [3, 1.5], atol=1e-7)


def three_stage_lp(make_lp: LpFactory) -> LinearProgram:
    """Columns x1..x4 in [0, 5] and a shortfall s >= 0.

    rows: budget x1 + x2 + x3 + x4 <= 12; target x1 + x2 + x3 + x4 + s >= 14.
    stages: 'targets' min s; 'priority' max x1 + x3; 'preference' min 2 x2 + x4.
    """
    return make_lp(
        [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]],
        [-INF, 14],
        [12, INF],
        [
            ("targets", [0, 0, 0, 0, 1], "min"),
            ("priority", [1, 0, 1, 0, 0], "max"),
            ("preference", [0, 2, 0, 1, 0], "min"),
        ],
        col_upper=[5, 5, 5, 5, INF],
    )


def test_lexicographic_stages_break_ties_in_order(backend: Backend, make_lp: LpFactory) -> None:
    """Stage 1: the budget caps delivery at 12, so s = 2 (any split of 12 ties).
    Stage 2 among those: x1 = x3 = 5, value 10 (x2 + x4 = 2 still ties).
    Stage 3: x2 costs 2, x4 costs 1, so x4 = 2: x = (5, 0, 5, 2, 2), values (2, 10, 2)."""
    solution = solve_stages(three_stage_lp(make_lp), backend, EXACT)
    assert solution.is_optimal and solution.x is not None
    np.testing.assert_allclose(solution.x, [5, 0, 5, 2, 2], atol=1e-6)
    assert solution.stage_values == pytest.approx({"targets": 2, "priority": 10, "preference": 2})
    assert set(solution.timings) >= {"targets", "priority", "preference"}
    assert not solution.integers_fixed and not solution.duals_from_fixed_lp


def test_weighted_mode_matches_with_steep_weights_and_not_with_flat_ones(
    backend: Backend, make_lp: LpFactory
) -> None:
    """One solve of 1000 s - 10 (x1 + x3) + (2 x2 + x4): filling the last 2 units with x4 costs 1
    each and saves 1000 each, so the lexicographic answer (5, 0, 5, 2, 2) comes back.

    With weights (1, 10, 5) an x4 unit costs 5 but saves only 1 of shortfall: x4 = 0 and s = 4,
    which shows weighted mode is only an approximation of the lexicographic order."""
    lp = three_stage_lp(make_lp)
    steep = solve_stages(lp, backend, EXACT, mode="weighted")
    assert steep.is_optimal and steep.x is not None and steep.mode == "weighted"
    np.testing.assert_allclose(steep.x, [5, 0, 5, 2, 2], atol=1e-6)
    assert any("approximation" in note for note in steep.notes)
    flat = solve_stages(lp, backend, EXACT, mode="weighted", stage_weights=(1, 10, 5))
    assert flat.x is not None
    np.testing.assert_allclose(flat.x, [5, 0, 5, 0, 4], atol=1e-6)
    assert flat.stage_values["targets"] == pytest.approx(4)
    scaled = solve_stages(
        lp, backend, EXACT, mode="weighted", stage_weights=(1, 10, 5), stage_scales=(1, 1, 100)
    )
    assert scaled.stage_values["targets"] == pytest.approx(2)  # preference now 100x cheaper


def test_infeasible_lp_and_milp(backend: Backend, make_lp: LpFactory) -> None:
    """x + y >= 5 and x + y <= 3 cannot both hold; 2x = 3 has no integer solution."""
    lp = make_lp([[1, 1], [1, 1]], [5, -INF], [INF, 3], [("cost", [1, 1], "min")])
    milp = make_lp([[2]], [3], [3], [("cost", [1], "min")], integer=[0])
    for model in (lp, milp):
        solution = solve_stages(model, backend, EXACT)
        assert solution.status is SolveStatus.INFEASIBLE
        assert solution.failed_stage == "cost" and solution.x is None


def test_unbounded_lp(backend: Backend, make_lp: LpFactory) -> None:
    """max x + y with only x - y <= 1: y (and x = y + 1) can grow forever."""
    lp = make_lp([[1, -1]], [-INF], [1], [("value", [1, 1], "max")])
    solution = solve_stages(lp, backend, EXACT)
    assert solution.status is SolveStatus.UNBOUNDED and not solution.has_solution


def test_lp_duals_predict_a_budget_change_within_the_ranging(backend: Backend, make_lp: LpFactory) -> None:
    """Row x + y <= b0 of the two-variable LP: x = (3 b0 - 6)/2 and y = (6 - b0)/2 stay >= 0 for
    b0 in [2, 6], so the dual 1/2 holds there; row x + 3y <= b1 similarly on [4, 12]; the slack
    row x <= 10 (activity 3) keeps dual 0 for any bound from 3 up. Moving b0 from 4 to 4.1 must
    add 0.5 * 0.1 = 0.05 to the value (checked by re-solving the same session)."""
    lp = two_variable_lp(make_lp)
    with StageSolver(lp, backend, EXACT) as solver:
        before = solver.run()
        solver.update_row_bounds([0], [-INF], [4.1])
        after = solver.run()
    dual = before.duals["value"][0]
    assert after.stage_values["value"] - before.stage_values["value"] == pytest.approx(dual * 0.1, abs=1e-7)
    assert dual == pytest.approx(0.5)
    ranging = before.ranging["value"]
    if backend.name == "highs":
        np.testing.assert_allclose(ranging.low, [2, 4, 3], atol=1e-7)
        np.testing.assert_allclose(ranging.high, [6, 12, INF], atol=1e-7)
    else:
        assert np.isnan(ranging.low).all() and np.isnan(ranging.high).all()


def test_stage_two_duals_are_taken_with_stage_one_held(backend: Backend, make_lp: LpFactory) -> None:
    """Columns x1, x2, x3 in [0, 8], shortfall s; budget x1 + x2 + x3 <= b (b = 12), target
    x1 + x2 + x3 + s >= 14. Stage 1 min s: s = 14 - b = 2, budget dual -1 (min sense).
    Stage 2 max 3 x1 + 2 x2 + x3 with s held at 2: x1 = 8, x2 = 4, value 32; one more unit of
    budget goes to x2, so the stage-2 dual is 2. Re-solving at b = 12.5 gives 1.5 and 33."""
    lp = make_lp(
        [[1, 1, 1, 0], [1, 1, 1, 1]],
        [-INF, 14],
        [12, INF],
        [("targets", [0, 0, 0, 1], "min"), ("priority", [3, 2, 1, 0], "max")],
        col_upper=[8, 8, 8, INF],
    )
    with StageSolver(lp, backend, EXACT) as solver:
        before = solver.run()
        solver.update_row_bounds([0], [-INF], [12.5])
        after = solver.run()
    assert before.duals["targets"][0] == pytest.approx(-1)
    assert before.duals["priority"][0] == pytest.approx(2)
    assert after.stage_values == pytest.approx({"targets": 1.5, "priority": 33})
    if backend.name == "highs":
        assert before.ranging["priority"].low[0] <= 12 and before.ranging["priority"].high[0] >= 12.5


def funding_milp(make_lp: LpFactory) -> LinearProgram:
    """Columns: w whole units (integer, <= 3), money f1 (pool A), f2 (pool B), a divisible
    programme y <= 10 paid from pool B, shortfall s.
    rows: cost f1 + f2 - 4w = 0; pool A f1 <= 7; pool B f2 + y <= 3; target w + s >= 3.
    stages: 'targets' min s; 'priority' max y; 'preference' min f1 + 2 f2."""
    return make_lp(
        [[-4, 1, 1, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 1, 0], [1, 0, 0, 0, 1]],
        [0, -INF, -INF, 3],
        [0, 7, 3, INF],
        [
            ("targets", [0, 0, 0, 0, 1], "min"),
            ("priority", [0, 0, 0, 1, 0], "max"),
            ("preference", [0, 1, 2, 0, 0], "min"),
        ],
        col_upper=[3, INF, INF, 10, INF],
        integer=[0],
    )


@pytest.mark.parametrize("fix_after", [2, None])
def test_milp_duals_come_from_the_fixed_lp(
    backend: Backend, make_lp: LpFactory, fix_after: int | None
) -> None:
    """Stage 1: pools hold 10, so 4w <= 10 gives w = 2 (the relaxation would take 2.5), s = 1.
    Stage 2: w = 2 needs 8, pool A gives 7, so f2 >= 1 and y <= 2: y = 2. Stage 3: f1 = 7, f2 = 1.
    With w fixed at 2: stage-1 duals are 0 except the target row (1 more unit of target, 1 more
    of shortfall); stage-2 duals: pool A +1 (frees pool B for y), pool B +1, cost row -1."""
    solution = solve_stages(funding_milp(make_lp), backend, EXACT, fix_integers_after_stage=fix_after)
    assert solution.is_optimal and solution.x is not None
    np.testing.assert_allclose(solution.x, [2, 7, 1, 2, 1], atol=1e-6)
    assert solution.integers_fixed is (fix_after == 2)
    assert solution.duals_from_fixed_lp
    np.testing.assert_allclose(solution.duals["targets"], [0, 0, 0, 1], atol=1e-7)
    np.testing.assert_allclose(solution.duals["priority"][:3], [-1, 1, 1], atol=1e-7)
    if backend.name == "highs":  # PuLP does not read CBC's gap back
        assert solution.achieved_mip_gap is not None and solution.achieved_mip_gap <= 1e-9


def test_a_sweep_rerun_matches_a_fresh_solve(backend: Backend, make_lp: LpFactory) -> None:
    """Pool A from 7 to 11 on the open session: pools hold 14 >= 12, so w = 3, s = 0, y = 3 - f2
    with f1 = 11, f2 = 1, y = 2. The re-run (fixed integers and holds undone) must agree with a
    fresh solve of the changed model."""
    lp = funding_milp(make_lp)
    with StageSolver(lp, backend, EXACT) as solver:
        solver.run()
        solver.update_row_bounds([1], [-INF], [11])
        rerun = solver.run()
    changed = funding_milp(make_lp)
    changed.row_upper[1] = 11
    fresh = solve_stages(changed, backend, EXACT)
    assert rerun.is_optimal and fresh.is_optimal
    assert rerun.x is not None and fresh.x is not None
    np.testing.assert_allclose(rerun.x, fresh.x, atol=1e-6)
    np.testing.assert_allclose(rerun.x, [3, 11, 1, 2, 0], atol=1e-6)


def test_interior_point_method_gives_the_same_optimum(backend: Backend, make_lp: LpFactory) -> None:
    """method='ipm' (HiGHS IPM with crossover; CBC barrier) reaches x = (4, 2, 4), cost 18."""
    lp = make_lp([[1, 1, 1], [1, -1, 0], [0, 0, 1]], [10, 2, -INF], [10, 2, 4], [("cost", [2, 3, 1], "min")])
    solution = solve_stages(lp, backend, SolverOptions(method="ipm"))
    assert solution.is_optimal and solution.method == "ipm"
    assert solution.stage_values["cost"] == pytest.approx(18)


def test_thread_counts_can_change_between_solves(backend: Backend, make_lp: LpFactory) -> None:
    """HiGHS keeps one process-wide scheduler; a later solve asking for another thread count
    must still run (it used to end 'Not Set'). The knapsack MILP optimum is 20 every time."""
    lp = knapsack_milp(make_lp)
    for threads in (1, 3, None, 2):
        solution = solve_stages(lp, backend, SolverOptions(threads=threads, mip_gap=0.0))
        assert solution.is_optimal, (threads, solution.notes)
        assert solution.stage_values["value"] == pytest.approx(20)


def test_ranging_can_be_skipped_and_is_timed(backend: Backend, make_lp: LpFactory) -> None:
    """ranging=False keeps the duals (1/2, 1/2, 0) but leaves ranging NaN; with ranging on,
    HiGHS reports the time it took separately from the solve."""
    lp = two_variable_lp(make_lp)
    skipped = solve_stages(lp, backend, EXACT, ranging=False)
    np.testing.assert_allclose(skipped.duals["value"], [0.5, 0.5, 0.0], atol=1e-7)
    assert np.isnan(skipped.ranging["value"].low).all()
    assert not any(key.startswith("ranging[") for key in skipped.timings)
    ranged = solve_stages(lp, backend, EXACT)
    assert ("ranging[value]" in ranged.timings) is (backend.name == "highs")
