"""The conflict finder on hand-made elastic programs, on every backend.

Columns ``x0, x1`` (the plan) and one elastic column per rule. Rules (rows):

    r0: x0 + x1 - e0 <= 10      (a budget)
    r1: x0 + e1 >= 8            (a commitment)
    r2: x1 + e2 >= 7            (a commitment)
    r3: x0 + e3 >= 1            (a commitment that fits with anything)

``r0, r1, r2`` clash (8 + 7 > 10) and are irreducible: drop any one and the rest holds; ``r3`` is
not part of it. The cheapest relaxation over ``e0`` alone raises the budget by 5; over ``e1, e2``
with prices 1 and 3 it lowers ``r1`` by 5.
"""

from __future__ import annotations

import numpy as np
import pytest

from ssk_optimize.solve.base import Backend, SolverOptions, StageResult
from ssk_optimize.solve.conflict import ConflictFinder, ConflictSearchStopped
from ssk_optimize.solve.status import SolveStatus
from tests.solve.conftest import LpFactory
from tests.solve.test_solve_driver import FakeBackend

INF = np.inf
ROWS = [[1, 1, -1, 0, 0, 0], [1, 0, 0, 1, 0, 0], [0, 1, 0, 0, 1, 0], [1, 0, 0, 0, 0, 1]]
ELASTIC = np.array([2, 3, 4, 5])
GROUPS = np.array([0, 1, 2, 3])


def finder(backend: Backend, make_lp: LpFactory, prices: list[float]) -> ConflictFinder:
    lp = make_lp(ROWS, [-INF, 8, 7, 1], [10, INF, INF, INF], [("feasibility", [0] * 6, "min")])
    return ConflictFinder(backend, lp, ELASTIC, GROUPS, np.asarray(prices, dtype=float),
                          SolverOptions(name=backend.name))


def test_conflict_is_the_irreducible_set(backend: Backend, make_lp: LpFactory) -> None:
    with finder(backend, make_lp, [1, 1, 1, 1]) as search:
        assert search.conflict().tolist() == [0, 1, 2]
        assert search.stats.solves > 0
        assert not search.needs_whole_numbers(np.array([0, 1, 2]))


def test_cheapest_relaxation_per_lever_set(backend: Backend, make_lp: LpFactory) -> None:
    with finder(backend, make_lp, [1, 1, 3, 1]) as search:
        budget = search.relax(np.array([True, False, False, False]))
        assert budget is not None and budget.violation == pytest.approx([5, 0, 0, 0], abs=1e-7)
        commitments = search.relax(np.array([False, True, True, False]))
        assert commitments is not None
        assert commitments.violation == pytest.approx([0, 5, 0, 0], abs=1e-7)
        assert commitments.cost == pytest.approx(5.0)
        assert search.relax(np.array([False, False, False, True])) is None  # r3 cannot help


def test_a_feasible_program_has_no_conflict(backend: Backend, make_lp: LpFactory) -> None:
    lp = make_lp(ROWS, [-INF, 8, 7, 1], [20, INF, INF, INF], [("feasibility", [0] * 6, "min")])
    with ConflictFinder(backend, lp, ELASTIC, GROUPS, np.ones(4), SolverOptions()) as search:
        assert search.conflict().size == 0


def test_whole_numbers_can_be_the_clash(backend: Backend, make_lp: LpFactory) -> None:
    """2 x0 = 3 with x0 whole: the row holds with fractions, so integrality is in the clash."""
    lp = make_lp([[2, -1, 1]], [3], [3], [("feasibility", [0] * 3, "min")], integer=[0])
    with ConflictFinder(backend, lp, np.array([1, 2]), np.array([0, 0]), np.ones(2),
                        SolverOptions(name=backend.name)) as search:
        groups = search.conflict()
        assert groups.tolist() == [0]
        assert search.needs_whole_numbers(groups)


def test_a_solver_error_is_retried_cold_then_stops(make_lp: LpFactory) -> None:
    lp = make_lp(ROWS, [-INF, 8, 7, 1], [10, INF, INF, INF], [("feasibility", [0] * 6, "min")])
    error = StageResult(SolveStatus.ERROR, detail="Unknown")
    backend = FakeBackend([error, StageResult(SolveStatus.INFEASIBLE)], forgets=True)
    with ConflictFinder(backend, lp, ELASTIC, GROUPS, np.ones(4), SolverOptions()) as search:
        assert search.relax(np.ones(4, dtype=bool)) is None  # the cold retry proved infeasible
        assert backend.session.forgotten == 1 and search.stats.solves == 2
    backend = FakeBackend([error, error], forgets=True)
    with ConflictFinder(backend, lp, ELASTIC, GROUPS, np.ones(4), SolverOptions()) as search, \
            pytest.raises(ConflictSearchStopped, match="error"):
        search.relax(np.ones(4, dtype=bool))
