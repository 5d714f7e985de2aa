"""The driver's answers to a later stage failing numerically (scripted fake backend).

A warm-started solve that ends ERROR is retried once from scratch when the session can drop its
basis. A stage after the first that ends ERROR or INFEASIBLE (which, with the earlier stages held
at a point that satisfies it, can only be numerical) is solved again with the columns of the held
stages fixed at that point, then with the holds loosened 10 and 100 times. Each step is noted, and
a rerun frees the fixed columns again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from test_solve_driver import FakeBackend, FakeSession

from ssk_optimize.model.lp import LinearProgram
from ssk_optimize.solve import SolverOptions, SolveStatus, StageResult, StageSolver
from ssk_optimize.solve.solution import Solution

LpFactory = Callable[..., LinearProgram]
Backend, Session = FakeBackend, FakeSession  # the driver tests' scripted fakes


def three_stages(make_lp: LpFactory) -> LinearProgram:
    """Three columns; stages min x0, max x1, min x0 + x1 + x2 (x2 appears in the last only)."""
    return make_lp([[1, 1, 1]], [-np.inf], [10],
                   [("first", [1, 0, 0], "min"), ("second", [0, 1, 0], "max"),
                    ("third", [1, 1, 1], "min")])


def optimal(x: Sequence[float]) -> StageResult:
    return StageResult(SolveStatus.OPTIMAL, objective=0.0, x=np.asarray(x, dtype=float))


def failed(status: SolveStatus) -> StageResult:
    return StageResult(status, detail="numerical trouble")


def run(make_lp: LpFactory, backend: Backend, runs: int = 1) -> tuple[Solution, Session]:
    with StageSolver(three_stages(make_lp), backend, SolverOptions(), dual_stages=()) as solver:
        solutions = [solver.run() for _ in range(runs)]
    assert backend.session is not None
    return solutions[-1], backend.session


def test_an_error_is_retried_from_scratch(make_lp: LpFactory) -> None:
    backend = Backend([optimal([3, 7, 0]), optimal([3, 7, 0]), failed(SolveStatus.ERROR),
                       optimal([3, 7, 0])], forgets=True)
    solution, session = run(make_lp, backend)
    assert solution.is_optimal
    assert session.forgotten == 1
    assert any("solved again from scratch" in note for note in solution.notes)


def test_an_error_without_a_way_to_drop_the_basis_goes_on_to_the_pinned_solve(make_lp: LpFactory) -> None:
    backend = Backend([optimal([3, 7, 0]), optimal([3, 7, 0]), failed(SolveStatus.ERROR),
                       optimal([3, 7, 1])])
    solution, session = run(make_lp, backend)
    assert solution.is_optimal
    rows, cols = session.at_solve[-1]
    assert cols == {0: (3.0, 3.0), 1: (7.0, 7.0)}  # x0, x1 fixed; x2 (last stage only) free
    assert rows[1] == rows[2] == (-np.inf, np.inf)  # holds released


@pytest.mark.parametrize("status", [SolveStatus.INFEASIBLE, SolveStatus.ERROR])
def test_a_failed_later_stage_is_solved_with_earlier_columns_fixed(make_lp: LpFactory,
                                                                    status: SolveStatus) -> None:
    backend = Backend([optimal([3, 7, 0]), optimal([3, 7, 0]), failed(status), optimal([3, 7, 1])] +
                      [optimal([3, 7, 0])] * 3)
    solution, session = run(make_lp, backend, runs=2)
    assert solution.is_optimal
    assert session.at_solve[3][1] == {0: (3.0, 3.0), 1: (7.0, 7.0)}
    # the second run starts with the columns free again (the LP's own bounds)
    assert session.at_solve[4][1] == {0: (0.0, np.inf), 1: (0.0, np.inf)}


def test_then_the_holds_are_loosened(make_lp: LpFactory) -> None:
    backend = Backend([optimal([3, 7, 0]), optimal([3, 7, 0]), failed(SolveStatus.INFEASIBLE),
                       failed(SolveStatus.INFEASIBLE), failed(SolveStatus.INFEASIBLE), optimal([3, 7, 1])])
    solution, session = run(make_lp, backend)
    assert solution.is_optimal
    ten, hundred = session.at_solve[4][0], session.at_solve[5][0]
    assert ten[1] == (-np.inf, pytest.approx(3 + 10 * 3e-7))
    assert ten[2] == (pytest.approx(7 - 10 * 7e-7), np.inf)
    assert hundred[1] == (-np.inf, pytest.approx(3 + 100 * 3e-7))
    assert session.at_solve[4][1] == {0: (0.0, np.inf), 1: (0.0, np.inf)}  # unpinned
    assert sum("times looser" in note for note in solution.notes) == 2


def test_a_first_stage_failure_is_not_rescued(make_lp: LpFactory) -> None:
    backend = Backend([failed(SolveStatus.INFEASIBLE)])
    solution, session = run(make_lp, backend)
    assert solution.status is SolveStatus.INFEASIBLE
    assert len(session.at_solve) == 1


def test_the_dual_solves_after_a_rescue_see_the_columns_free(make_lp: LpFactory) -> None:
    """A MILP (x2 whole): stage 3 rescued by fixing x0, x1; the extra LP solves for the duals must
    not keep them fixed (every budget would be priced 0)."""
    lp = make_lp([[1, 1, 1]], [-np.inf], [10],
                 [("first", [1, 0, 0], "min"), ("second", [0, 1, 0], "max"), ("third", [1, 1, 1], "min")],
                 integer=[2])
    point = optimal([3, 7, 0])
    scripted = [point, point, point, point, failed(SolveStatus.INFEASIBLE), point, point, point]
    backend = Backend([dataclasses.replace(r, row_duals=np.zeros(3)) for r in scripted])
    with StageSolver(lp, backend, SolverOptions(), dual_stages=(0, 1)) as solver:
        solution = solver.run()
    assert solution.is_optimal and solution.duals_from_fixed_lp
    assert backend.session is not None
    pinned_solve, *dual_solves = backend.session.at_solve[5:]
    assert pinned_solve[1][0] == (3.0, 3.0) and pinned_solve[1][1] == (7.0, 7.0)
    for _, cols in dual_solves:
        assert cols[0] == cols[1] == (0.0, np.inf)
