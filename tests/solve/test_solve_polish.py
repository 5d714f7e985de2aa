"""The stage driver's polish on real backends: the last stage may not keep the held stages' slack.

Hand-made LP: columns ``s`` (share of one programme), ``d`` (money from a dear pool) and ``c``
(money from a cheap pool, at most 0.5); cost row ``s - d - c = 0``; ``s <= 1``. Stage 1 maximises
``s`` (value 1, held to 1 - 1e-7), stage 2 minimises ``d``. Without the polish stage 2 buys
1e-7 of ``d`` with 1e-7 of ``s``: ``s = 1 - 1e-7``. With the refinement fixing the quantity row
``s = 1``, ``s`` is 1 and ``d`` is 0.5. A refinement that cannot hold keeps the stages' point.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import scipy.sparse as sp

from ssk_optimize.model.lp import FloatArray, LinearProgram, Refinement, StageObjective
from ssk_optimize.solve import SolverOptions, get_backend, solve_stages


def _lp() -> LinearProgram:
    matrix = sp.csr_matrix(np.array([[1.0, -1.0, -1.0], [1.0, 0.0, 0.0]]))
    return LinearProgram(
        matrix=matrix,
        row_lower=np.array([0.0, 0.0]), row_upper=np.array([0.0, 1.0]),
        col_lower=np.zeros(3), col_upper=np.array([np.inf, 1.0, 0.5]),
        integrality=np.zeros(3, dtype=bool),
        col_names=np.array(["s", "d", "c"], dtype=object),
        row_names=np.array(["cost[p]", "quantity[p]"], dtype=object),
        objectives=(StageObjective("delivery", np.array([1.0, 0.0, 0.0]), "max"),
                    StageObjective("money", np.array([0.0, 1.0, 0.0]), "min")),
        row_families=np.array(["cost", "quantity"], dtype=object),
    )


def _complete(value: float) -> Callable[[FloatArray], Refinement]:
    def refine(x: FloatArray) -> Refinement:
        empty = np.zeros(0, dtype=np.int64)
        return Refinement(rows=np.array([1]), row_lower=np.array([value]), row_upper=np.array([value]),
                          cols=empty, col_lower=np.zeros(0), col_upper=np.zeros(0), what="p completed")
    return refine



def test_without_polish_the_last_stage_spends_the_hold(solver: str) -> None:
    solution = solve_stages(_lp(), get_backend(solver), SolverOptions(), dual_stages=())
    assert solution.is_optimal and solution.x is not None
    assert solution.x[0] < 1.0 - 5e-8  # the defect the polish exists for (fails if it ever goes)


def test_polish_completes_the_programme_and_keeps_its_row_bounds(solver: str) -> None:
    lp = _lp()
    solution = solve_stages(lp, get_backend(solver), SolverOptions(), dual_stages=(),
                            refine=_complete(1.0))
    assert solution.is_optimal and solution.x is not None
    assert solution.x[0] == pytest.approx(1.0, abs=1e-9)
    assert solution.x[1] == pytest.approx(0.5, abs=1e-8)
    assert any(n.startswith("polish: p completed") for n in solution.notes)
    assert "polish[money]" in solution.timings
    assert lp.row_lower[1] == 0.0 and lp.row_upper[1] == 1.0  # the LP itself is untouched


def test_a_polish_that_cannot_hold_keeps_the_point_of_the_stages(solver: str) -> None:
    solution = solve_stages(_lp(), get_backend(solver), SolverOptions(), dual_stages=(),
                            refine=_complete(2.0))
    assert solution.is_optimal and solution.x is not None
    assert solution.x[0] == pytest.approx(1.0 - 1e-7, abs=2e-8)
    assert any("the point of the stages is kept" in n for n in solution.notes)
