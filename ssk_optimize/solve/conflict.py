"""Why an LP has no solution: the cheapest relaxation and an irreducible set of clashing rules.

Both run on an *elastic program* (:mod:`ssk_optimize.model.elastic`): the model with a priced
violation column ``e >= 0`` on every rule side that may give, each column in one *group* (one
rule instance). Fixing a group's columns at 0 enforces its rule; freeing them drops it. Only
column bounds change between solves, so a backend that keeps state (HiGHS) warm-starts.

- :meth:`ConflictFinder.relax`: ``min sum price * e`` over an allowed subset (the levers).
- :meth:`ConflictFinder.conflict`: Chinneck's elastic filter, then a deletion filter, over
  groups (the recipe of Pyomo's ``mis`` module on raw constraints; here on rules):

  1. *elastic filter*: solve ``min sum e`` with every group free; enforce every group whose
     columns are used; repeat until the program is infeasible. The enforced groups ``H`` (with
     the definitions, which never give) are then infeasible together.
  2. *deletion filter*: drop a chunk of ``H`` (first all of it, then halves of what could not
     go at once, down to single groups); if what is left is still infeasible, the chunk is not
     needed and stays dropped, else it is enforced again and, if larger than one group, split.
     A group found needed stays needed as the set shrinks, so this ends irreducible in
     ``O(m log |H|)`` solves for an answer of ``m`` groups (one solve per group of ``H`` would
     be hundreds when many regions miss a hard target at once).

  What remains is irreducible: dropping any one of its groups makes the rest feasible.

A feasibility test is a solve with a zero objective; "infeasible or unbounded" then means
infeasible (nothing can be unbounded). A solve ending in a solver error is tried once more
from scratch (without the warm start); a limit reached without a verdict stops the search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ssk_optimize.model.lp import LinearProgram
from ssk_optimize.solve.base import Backend, SolverOptions, SolverSession
from ssk_optimize.solve.status import SolveStatus

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: An elastic column counts as used above this (its row's units, scaled near 1).
USED = 1e-7

_INFEASIBLE = (SolveStatus.INFEASIBLE, SolveStatus.UNBOUNDED)


class ConflictSearchStopped(RuntimeError):
    """A solve of the search ended without a verdict (limit, solver error): no diagnosis."""


@dataclass(frozen=True)
class Relaxation:
    """The cheapest relaxation over the allowed elastic columns, or None if none restores it."""

    violation: FloatArray  # per elastic column, 0 where not allowed
    cost: float
    x: FloatArray


@dataclass(frozen=True)
class SearchStats:
    """How much work the search did (for the diagnosis' manifest and the benchmark)."""

    solves: int
    seconds: float


class ConflictFinder:
    """A session on an elastic program, driven by elastic column bounds only."""

    def __init__(self, backend: Backend, lp: LinearProgram, elastic_cols: IntArray,
                 groups: IntArray, prices: FloatArray, options: SolverOptions) -> None:
        """``groups[i]`` is the group of elastic column ``elastic_cols[i]``; ``prices[i]`` its
        price per unit of violation (used by :meth:`relax`)."""
        self._session: SolverSession = backend.open(lp, options)
        self._n_cols = lp.n_cols
        self._cols = np.asarray(elastic_cols, dtype=np.int64)
        self._groups = np.asarray(groups, dtype=np.int64)
        self._prices = np.asarray(prices, dtype=float)
        self._n_groups = int(self._groups.max(initial=-1)) + 1
        self._options = options
        self._integrality = lp.integrality.copy()
        self.solves = 0
        self.seconds = 0.0

    def close(self) -> None:
        """Release the solver."""
        self._session.close()

    def __enter__(self) -> ConflictFinder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def stats(self) -> SearchStats:
        """Solves made so far and their solver time."""
        return SearchStats(self.solves, self.seconds)

    def relax(self, allowed: npt.NDArray[np.bool_]) -> Relaxation | None:
        """``min sum price * e`` with only the ``allowed`` elastic columns free."""
        self._free(allowed)
        weights = np.zeros(self._n_cols)
        weights[self._cols] = np.where(allowed, self._prices, 0.0)
        self._session.set_objective(weights, "min")
        result = self._solve()
        if result is None:
            return None
        x, cost = result
        return Relaxation(np.where(allowed, x[self._cols], 0.0), cost, x)

    def conflict(self) -> IntArray:
        """An irreducible set of groups that cannot hold together (module docstring); empty
        when the program with every group enforced is feasible after all."""
        weights = np.zeros(self._n_cols)
        weights[self._cols] = 1.0
        self._session.set_objective(weights, "min")
        enforced = np.zeros(self._n_groups, dtype=bool)
        while True:
            self._free(~enforced[self._groups])
            result = self._solve()
            if result is None:
                break
            used = np.unique(self._groups[result[0][self._cols] > USED])
            if used.size == 0 or enforced[used].all():
                return np.zeros(0, dtype=np.int64)  # every rule can hold: not infeasible
            enforced[used] = True
        self._session.set_objective(np.zeros(self._n_cols), "min")
        chunks = [np.flatnonzero(enforced)]
        while chunks:  # deletion filter, a chunk at a time: halves of what cannot go at once
            chunk = chunks.pop()
            enforced[chunk] = False
            self._free(~enforced[self._groups])
            if self._solve() is None:
                continue  # still infeasible without the whole chunk: it stays dropped
            enforced[chunk] = True
            if chunk.size > 1:  # the second half is tried after the first (stack order)
                half = chunk.size // 2
                chunks += [chunk[half:], chunk[:half]]
        return np.flatnonzero(enforced).astype(np.int64)

    def solver_subset(self, elastic_rows: IntArray) -> IntArray | None:
        """The groups in the backend's own irreducible infeasible subset of the model with every
        group enforced (HiGHS ``getIis``; None when the backend offers none or finds none).
        ``elastic_rows[i]`` is the row elastic column ``i`` enters; rows and bounds of the
        subset that belong to no group (definitions, natural bounds) are left out."""
        subset = getattr(self._session, "irreducible_subset", None)
        if subset is None:
            return None
        self._free(np.zeros(self._cols.size, dtype=bool))
        found = subset()
        if found is None:
            return None
        rows, cols = found
        group_of_row = dict(zip(np.asarray(elastic_rows, dtype=np.int64).tolist(),
                                self._groups.tolist(), strict=True))
        group_of_col = dict(zip(self._cols.tolist(), self._groups.tolist(), strict=True))
        groups = {group_of_row[r] for r in rows.tolist() if r in group_of_row}
        groups |= {group_of_col[c] for c in cols.tolist() if c in group_of_col}
        return np.array(sorted(groups), dtype=np.int64)

    def needs_whole_numbers(self, groups: IntArray) -> bool:
        """Whether ``groups`` clash only because some columns must be whole: true when they can
        all hold once every column may be fractional (then integrality is part of the conflict)."""
        if not self._integrality.any():
            return False
        enforced = np.zeros(self._n_groups, dtype=bool)
        enforced[groups] = True
        self._session.set_objective(np.zeros(self._n_cols), "min")
        self._free(~enforced[self._groups])
        self._session.set_integrality(np.zeros(self._n_cols, dtype=bool))
        try:
            return self._solve() is not None
        finally:
            self._session.set_integrality(self._integrality)

    def _free(self, mask: npt.NDArray[np.bool_]) -> None:
        self._session.set_col_bounds(self._cols, np.zeros(self._cols.size),
                                     np.where(mask, np.inf, 0.0))

    def _solve(self) -> tuple[FloatArray, float] | None:
        """``(x, objective)`` when feasible, None when proved infeasible; raises otherwise."""
        result = self._session.solve()
        self.solves += 1
        self.seconds += result.runtime
        forget = getattr(self._session, "forget_basis", None)
        if result.status is SolveStatus.ERROR and forget is not None:
            forget()  # a warm start gone numerically wrong (HiGHS "Unknown"): once more, cold
            result = self._session.solve()
            self.solves += 1
            self.seconds += result.runtime
        if result.status in _INFEASIBLE:
            return None
        if result.status is SolveStatus.OPTIMAL and result.x is not None:
            return result.x, float(result.objective or 0.0)
        if result.status is SolveStatus.FEASIBLE_STOPPED and result.x is not None:
            return result.x, float(result.objective or 0.0)
        raise ConflictSearchStopped(
            f"a solve of the infeasibility search ended '{result.status.value}'"
            + (f" ({result.detail})" if result.detail else ""))
