"""The stage driver on a scripted fake backend: time budget, holds, failures, restore.

The fake session replays prepared StageResults and records every call, so these tests pin the
driver's own logic independently of any solver.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import pytest
import scipy.sparse as sp

from ssk_optimize.model.lp import BoolArray, FloatArray, LinearProgram, Sense
from ssk_optimize.solve import SolverOptions, SolveStatus, StageResult, StageSolver, solve_stages
from ssk_optimize.solve.base import IntArray
from ssk_optimize.solve.lexicographic import hold_tolerance

LpFactory = Callable[..., LinearProgram]


Bounds = dict[int, tuple[float, float]]


class FakeSession:
    """Records calls; ``solve`` pops the next scripted result (after an optional sleep).

    Also the fake of ``test_solve_rescue.py``: ``at_solve`` holds the (row, column) bounds set at
    every solve, and ``forgets`` gives the session a ``forget_basis`` that counts its calls.
    """

    def __init__(self, results: list[StageResult], n_rows: int, sleep: float = 0.0,
                 forgets: bool = False) -> None:
        self.results = results
        self.n_rows = n_rows
        self.sleep = sleep
        self.time_limits: list[float | None] = []
        self.objectives: list[Sense] = []
        self.row_bounds: Bounds = {}
        self.col_bounds: Bounds = {}
        self.added_names: list[str] = []
        self.integrality_calls: list[bool] = []
        self.bounds_at_solve: list[Bounds] = []
        self.at_solve: list[tuple[Bounds, Bounds]] = []
        self.forgotten = 0
        if forgets:
            self.forget_basis = self._forget

    def _forget(self) -> None:
        self.forgotten += 1

    def set_objective(self, coefficients: FloatArray, sense: Sense, offset: float = 0.0) -> None:
        self.objectives.append(sense)

    def add_rows(
        self, matrix: sp.csr_matrix, lower: FloatArray, upper: FloatArray, names: Sequence[str]
    ) -> IntArray:
        self.added_names += list(names)
        added = np.arange(self.n_rows, self.n_rows + len(names), dtype=np.int64)
        self.n_rows += len(names)
        return added

    def set_row_bounds(self, indices: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        for i, lo, up in zip(indices.tolist(), lower.tolist(), upper.tolist(), strict=True):
            self.row_bounds[i] = (lo, up)

    def set_col_bounds(self, indices: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        for i, lo, up in zip(indices.tolist(), lower.tolist(), upper.tolist(), strict=True):
            self.col_bounds[i] = (lo, up)

    def set_integrality(self, mask: BoolArray) -> None:
        self.integrality_calls.append(bool(np.any(mask)))

    def solve(self, time_limit: float | None = None, *, ranging: bool = False) -> StageResult:
        self.time_limits.append(time_limit)
        self.bounds_at_solve.append(dict(self.row_bounds))
        self.at_solve.append((dict(self.row_bounds), dict(self.col_bounds)))
        time.sleep(self.sleep)
        return self.results.pop(0)

    def close(self) -> None:
        pass


class FakeBackend:
    """Hands out one FakeSession."""

    def __init__(self, results: list[StageResult], sleep: float = 0.0, forgets: bool = False) -> None:
        self.results = results
        self.sleep = sleep
        self.forgets = forgets
        self.session: FakeSession | None = None

    @property
    def name(self) -> str:
        return "fake"

    def version(self) -> str:
        return "0"

    def available(self) -> bool:
        return True

    def open(self, lp: LinearProgram, options: SolverOptions) -> FakeSession:
        self.session = FakeSession(self.results, lp.n_rows, self.sleep, self.forgets)
        return self.session


def three_stage_lp(make_lp: LpFactory) -> LinearProgram:
    """Two columns, one row; stages min x0 (value 3 at x), max x1, min x0 + x1."""
    return make_lp(
        [[1, 1]],
        [-np.inf],
        [10],
        [("first", [1, 0], "min"), ("second", [0, 1], "max"), ("third", [1, 1], "min")],
    )


def optimal(x: Sequence[float]) -> StageResult:
    return StageResult(SolveStatus.OPTIMAL, objective=0.0, x=np.asarray(x, dtype=float))


def test_hold_tolerance_is_relative_above_one_and_absolute_below() -> None:
    """1e-7 * |v| when |v| >= 1, else 1e-7."""
    assert hold_tolerance(2.0e6) == pytest.approx(0.2)
    assert hold_tolerance(-3.0) == pytest.approx(3e-7)
    assert hold_tolerance(0.5) == pytest.approx(1e-7)
    assert hold_tolerance(0.0) == pytest.approx(1e-7)


def test_holds_are_named_and_bound_each_stage_in_its_sense(make_lp: LpFactory) -> None:
    """Stage 'first' (min, value 3) is held at <= 3 + 3e-7; 'second' (max, value 7) at >= 7 - 7e-7."""
    backend = FakeBackend([optimal([3, 7]), optimal([3, 7]), optimal([3, 7])])
    solution = solve_stages(three_stage_lp(make_lp), backend, SolverOptions(), dual_stages=())
    session = backend.session
    assert session is not None
    assert session.added_names == ["stage_hold[first]", "stage_hold[second]"]
    assert session.row_bounds[1] == (-np.inf, pytest.approx(3 + 3e-7))
    assert session.row_bounds[2] == (pytest.approx(7 - 7e-7), np.inf)
    assert session.objectives == ["min", "max", "min"]
    assert solution.is_optimal
    assert solution.stage_values == {"first": 3.0, "second": 7.0, "third": 10.0}


def test_each_stage_gets_only_the_remaining_time(make_lp: LpFactory) -> None:
    """A 1 s budget, stages taking 0.3 s: the second stage may use at most ~0.7 s."""
    backend = FakeBackend([optimal([3, 7])] * 3, sleep=0.3)
    solve_stages(three_stage_lp(make_lp), backend, SolverOptions(time_limit=1.0), dual_stages=())
    assert backend.session is not None
    first, second, third = backend.session.time_limits
    assert first is not None and second is not None and third is not None
    assert first <= 1.0 and second <= 0.71 and third <= 0.41
    assert first - second >= 0.29


def test_time_running_out_before_a_stage_stops_with_the_last_point(make_lp: LpFactory) -> None:
    """Budget 0.2 s, the first stage takes 0.3 s: stage 'second' never starts."""
    backend = FakeBackend([optimal([3, 7])] * 3, sleep=0.3)
    solution = solve_stages(three_stage_lp(make_lp), backend, SolverOptions(time_limit=0.2), dual_stages=())
    assert solution.status is SolveStatus.FEASIBLE_STOPPED
    assert solution.failed_stage == "second"
    assert solution.x is not None and solution.x.tolist() == [3, 7]
    assert not solution.is_optimal


def test_a_stage_stopped_with_an_incumbent_returns_that_incumbent(make_lp: LpFactory) -> None:
    """Stage 2 stops with x = (3, 6): FEASIBLE_STOPPED, failed at 'second', x from stage 2."""
    stopped = StageResult(SolveStatus.FEASIBLE_STOPPED, objective=6.0, x=np.array([3.0, 6.0]))
    backend = FakeBackend([optimal([3, 5]), stopped])
    solution = solve_stages(three_stage_lp(make_lp), backend, SolverOptions(), dual_stages=())
    assert (solution.status, solution.failed_stage) == (SolveStatus.FEASIBLE_STOPPED, "second")
    assert solution.x is not None and solution.x.tolist() == [3.0, 6.0]


def test_a_stage_stopped_without_a_point_falls_back_to_the_previous_stage(make_lp: LpFactory) -> None:
    """NO_SOLUTION_STOPPED at stage 2 after a stage-1 optimum: the stage-1 point is feasible."""
    backend = FakeBackend([optimal([3, 5]), StageResult(SolveStatus.NO_SOLUTION_STOPPED)])
    solution = solve_stages(three_stage_lp(make_lp), backend, SolverOptions(), dual_stages=())
    assert solution.status is SolveStatus.FEASIBLE_STOPPED
    assert solution.x is not None and solution.x.tolist() == [3.0, 5.0]


def test_infeasible_first_stage_has_no_point(make_lp: LpFactory) -> None:
    """INFEASIBLE at stage 1: status INFEASIBLE, failed_stage 'first', x None."""
    backend = FakeBackend([StageResult(SolveStatus.INFEASIBLE, detail="proved")])
    solution = solve_stages(three_stage_lp(make_lp), backend, SolverOptions())
    assert (solution.status, solution.failed_stage, solution.x) == (
        SolveStatus.INFEASIBLE,
        "first",
        None,
    )
    assert not solution.has_solution


def test_rerun_releases_the_holds_of_the_previous_run(make_lp: LpFactory) -> None:
    """Before the second run's first stage, both hold rows are free again; the update stays."""
    backend = FakeBackend([optimal([3, 7])] * 6)
    free = (-np.inf, np.inf)
    with StageSolver(three_stage_lp(make_lp), backend, SolverOptions(), dual_stages=()) as solver:
        solver.run()
        solver.update_row_bounds([0], [-np.inf], [20.0])
        solver.run()
    assert backend.session is not None
    snapshots = backend.session.bounds_at_solve
    assert len(snapshots) == 6
    assert snapshots[2][1] != free  # third stage of the first run: 'first' held
    assert (snapshots[3][1], snapshots[3][2]) == (free, free)  # second run, first stage
    assert snapshots[3][0] == (-np.inf, 20.0)


def test_update_row_bounds_refuses_hold_rows(make_lp: LpFactory) -> None:
    """Only the LinearProgram's own rows may be changed by a sweep."""
    backend = FakeBackend([])
    with StageSolver(three_stage_lp(make_lp), backend, SolverOptions()) as solver:
        with pytest.raises(IndexError):
            solver.update_row_bounds([1], [0.0], [1.0])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mode": "weighted", "stage_weights": (1.0, 2.0)},
        {"dual_stages": (3,)},
        {"stage_scales": (1.0, 0.0, 1.0)},
        {"mode": "pareto"},
    ],
)
def test_bad_driver_arguments_fail_early(make_lp: LpFactory, kwargs: dict[str, object]) -> None:
    """Mismatched weights, out-of-range dual stages, zero scales, unknown modes."""
    with pytest.raises(ValueError):
        StageSolver(three_stage_lp(make_lp), FakeBackend([]), SolverOptions(), **kwargs)  # type: ignore[arg-type]
