"""Status tables and the primal double-check: the parts that decide what 'optimal' means."""

from __future__ import annotations

import highspy
import numpy as np
import pulp
import pytest
import scipy.sparse as sp

from ssk_optimize.solve import SolveStatus
from ssk_optimize.solve.base import SolverOptions, primal_violation
from ssk_optimize.solve.highs import HIGHS_STATUS_WITH_POINT, HIGHS_STATUS_WITHOUT_POINT
from ssk_optimize.solve.pulp_backend import PULP_STATUS
from ssk_optimize.solve.status import lookup_status


def test_only_optimal_is_optimal_and_only_two_statuses_have_solutions() -> None:
    """is_optimal is OPTIMAL alone; has_solution is OPTIMAL or FEASIBLE_STOPPED."""
    assert [s for s in SolveStatus if s.is_optimal] == [SolveStatus.OPTIMAL]
    assert {s for s in SolveStatus if s.has_solution} == {
        SolveStatus.OPTIMAL,
        SolveStatus.FEASIBLE_STOPPED,
    }


def test_highs_tables_name_real_statuses() -> None:
    """Every key is a HighsModelStatus of the installed highspy (a typo would map to ERROR)."""
    members = set(highspy.HighsModelStatus.__members__)
    assert set(HIGHS_STATUS_WITH_POINT) <= members
    assert set(HIGHS_STATUS_WITHOUT_POINT) <= members


def test_highs_time_limit_depends_on_the_primal_solution_status() -> None:
    """kTimeLimit is FEASIBLE_STOPPED with a feasible point and NO_SOLUTION_STOPPED without."""
    assert lookup_status(HIGHS_STATUS_WITH_POINT, "kTimeLimit") is SolveStatus.FEASIBLE_STOPPED
    assert lookup_status(HIGHS_STATUS_WITHOUT_POINT, "kTimeLimit") is (SolveStatus.NO_SOLUTION_STOPPED)


@pytest.mark.parametrize("name", ["kOptimal", "kLoadError", "kSolveError", "kNotset", "kNew"])
def test_highs_without_a_point_never_claims_a_solution(name: str) -> None:
    """An 'optimum' with no feasible point, an error, or an unknown name are all ERROR."""
    assert lookup_status(HIGHS_STATUS_WITHOUT_POINT, name) is SolveStatus.ERROR


def test_highs_errors_are_not_in_the_feasible_table() -> None:
    """Load/presolve/solve errors fall through to ERROR even if HiGHS says a point is feasible."""
    for name in ("kLoadError", "kModelError", "kPresolveError", "kSolveError", "kPostsolveError"):
        assert lookup_status(HIGHS_STATUS_WITH_POINT, name) is SolveStatus.ERROR


def test_pulp_optimal_flag_with_integer_feasible_solution_is_a_stop() -> None:
    """CBC stopped by a time limit: status 1 'Optimal', sol_status 2 -> never OPTIMAL."""
    native = (pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible)
    assert lookup_status(PULP_STATUS, native) is SolveStatus.FEASIBLE_STOPPED
    assert lookup_status(PULP_STATUS, (1, 1)) is SolveStatus.OPTIMAL


@pytest.mark.parametrize(
    ("native", "expected"),
    [
        ((0, 0), SolveStatus.NO_SOLUTION_STOPPED),
        ((-1, 0), SolveStatus.INFEASIBLE),
        ((-1, -1), SolveStatus.INFEASIBLE),
        ((-2, -2), SolveStatus.UNBOUNDED),
        ((-3, -1), SolveStatus.ERROR),
        ((1, -1), SolveStatus.ERROR),
        ((7, 7), SolveStatus.ERROR),
    ],
)
def test_pulp_pairs(native: tuple[int, int], expected: SolveStatus) -> None:
    """Combined flags; contradictory or unknown pairs fail closed to ERROR."""
    assert lookup_status(PULP_STATUS, native) is expected


def test_primal_violation_catches_rows_bounds_and_fractions() -> None:
    """x + y <= 4, 0 <= x, y <= 3, y integer: feasible, then each way of breaking it."""
    matrix = sp.csr_matrix(np.array([[1.0, 1.0]]))
    rows = (np.array([-np.inf]), np.array([4.0]))
    cols = (np.zeros(2), np.full(2, 3.0))
    integer = np.array([False, True])
    assert primal_violation(matrix, rows, cols, integer, np.array([1.5, 2.0])) is None
    assert "row 0" in str(primal_violation(matrix, rows, cols, integer, np.array([2.5, 2.0])))
    assert "column 0" in str(primal_violation(matrix, rows, cols, integer, np.array([-1.0, 2.0])))
    assert "integer" in str(primal_violation(matrix, rows, cols, integer, np.array([1.0, 1.5])))
    assert "non-finite" in str(primal_violation(matrix, rows, cols, integer, np.array([np.nan, 1])))


@pytest.mark.parametrize(
    "kwargs",
    [{"method": "barrier"}, {"time_limit": 0}, {"mip_gap": -1.0}, {"threads": 0}],
)
def test_solver_options_reject_nonsense(kwargs: dict[str, object]) -> None:
    """Options are validated where they are made, not deep inside a solver."""
    with pytest.raises(ValueError):
        SolverOptions(**kwargs)  # type: ignore[arg-type]
