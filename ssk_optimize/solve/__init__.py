"""Solving a LinearProgram: backends behind one protocol, statuses, and the stage driver.

Typical use::

    backend = get_backend("highs")
    solution = solve_stages(lp, backend, SolverOptions(time_limit=300))
    if not solution.is_optimal: ...
"""

from ssk_optimize.solve.base import Backend, RowRanging, SolverOptions, SolverSession, StageResult
from ssk_optimize.solve.lexicographic import StageSolver, hold_tolerance, solve_stages
from ssk_optimize.solve.registry import available_backends, get_backend
from ssk_optimize.solve.solution import Solution
from ssk_optimize.solve.status import SolveStatus

__all__ = [
    "Backend",
    "RowRanging",
    "Solution",
    "SolveStatus",
    "SolverOptions",
    "SolverSession",
    "StageResult",
    "StageSolver",
    "available_backends",
    "get_backend",
    "hold_tolerance",
    "solve_stages",
]
