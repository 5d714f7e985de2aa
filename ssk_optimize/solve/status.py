"""One status vocabulary for every solver, so callers test a single predicate.

Solvers disagree on what "optimal" means when a limit stops them: PuLP/CBC reports a time-limit
stop with an incumbent as status 1 'Optimal' and only ``sol_status`` tells the truth, and HiGHS
reports ``kTimeLimit`` whether or not it holds a feasible point. Each backend therefore keeps an
explicit table from its native statuses to :class:`SolveStatus`, combines every flag it has, and
maps anything it does not recognise to :attr:`SolveStatus.ERROR` (see :func:`lookup_status`).
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Mapping
from typing import TypeVar


class SolveStatus(enum.Enum):
    """What a solve proved, from the caller's point of view."""

    OPTIMAL = "optimal"
    """Proved optimal (for a MILP: within the requested relative gap)."""
    FEASIBLE_STOPPED = "feasible_stopped"
    """A limit (time, iterations, interrupt) stopped the solver holding a feasible point.
    Never reported as optimal, whatever the solver's own flag says."""
    NO_SOLUTION_STOPPED = "no_solution_stopped"
    """A limit stopped the solver before it found any feasible point."""
    INFEASIBLE = "infeasible"
    """Proved to have no feasible point."""
    UNBOUNDED = "unbounded"
    """Proved unbounded, or proved 'infeasible or unbounded' without telling which; the
    result's ``detail`` says which of the two was proved."""
    ERROR = "error"
    """The solver failed, or reported something this package does not recognise."""

    @property
    def is_optimal(self) -> bool:
        """True only for a proved optimum: the one thing callers may report as a result."""
        return self is SolveStatus.OPTIMAL

    @property
    def has_solution(self) -> bool:
        """True when the solve left a primal point that satisfies every constraint."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE_STOPPED)


Key = TypeVar("Key", bound=Hashable)


def lookup_status(table: Mapping[Key, SolveStatus], native: Key) -> SolveStatus:
    """Translate a native status through a backend's table; unknown statuses become ERROR.

    Failing closed matters more than convenience here: a new solver release adding a status must
    not be mistaken for an optimum.
    """
    return table.get(native, SolveStatus.ERROR)
