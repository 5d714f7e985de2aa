"""Fixtures for the solver conformance suite: every available backend, and a tiny-LP builder."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
import scipy.sparse as sp

from ssk_optimize.model.lp import LinearProgram, Sense, StageObjective
from ssk_optimize.solve import Backend, get_backend
from ssk_optimize.solve.pulp_backend import PulpBackend

INF = float("inf")
Stage = tuple[str, Sequence[float], Sense]
LpFactory = Callable[..., LinearProgram]


def build_lp(
    rows: Sequence[Sequence[float]],
    row_lower: Sequence[float],
    row_upper: Sequence[float],
    stages: Sequence[Stage],
    col_lower: Sequence[float] | None = None,
    col_upper: Sequence[float] | None = None,
    integer: Sequence[int] = (),
) -> LinearProgram:
    """A LinearProgram from dense lists; columns default to [0, inf), ``integer`` lists columns."""
    matrix = sp.csr_matrix(np.asarray(rows, dtype=float))
    n_rows, n_cols = matrix.shape
    integrality = np.zeros(n_cols, dtype=bool)
    integrality[list(integer)] = True
    lp = LinearProgram(
        matrix=matrix,
        row_lower=np.asarray(row_lower, dtype=float),
        row_upper=np.asarray(row_upper, dtype=float),
        col_lower=np.zeros(n_cols) if col_lower is None else np.asarray(col_lower, dtype=float),
        col_upper=np.full(n_cols, INF) if col_upper is None else np.asarray(col_upper, dtype=float),
        integrality=integrality,
        col_names=np.array([f"x[{j}]" for j in range(n_cols)], dtype=object),
        row_names=np.array([f"row[{i}]" for i in range(n_rows)], dtype=object),
        objectives=tuple(
            StageObjective(name, np.asarray(c, dtype=float), sense) for name, c, sense in stages
        ),
    )
    lp.check_shapes()
    return lp


BACKENDS = ["highs", "cbc", "pulp:HiGHS"]
"""HiGHS and CBC are the product's backends; PuLP's own HiGHS wrapper also runs the suite, as a
check that the generic ``pulp:NAME`` path does not depend on CBC's habits."""


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each backend in turn; a PuLP solver is skipped (not failed) where it cannot run."""
    name = str(request.param)
    if name == "cbc" and not PulpBackend("PULP_CBC_CMD", "cbc").available():
        pytest.skip("CBC is not available here")
    if name.startswith("pulp:") and not PulpBackend(name.removeprefix("pulp:")).available():
        pytest.skip(f"{name} is not available here")
    return get_backend(name)


@pytest.fixture
def make_lp() -> LpFactory:
    """The tiny-LP builder, as a fixture so test modules need no import path tricks."""
    return build_lp
