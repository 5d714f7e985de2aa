"""The contract between the stage driver and every solver backend.

A backend opens a :class:`SolverSession` on one :class:`~ssk_optimize.model.lp.LinearProgram`. The
session keeps the built model so the lexicographic driver and budget sweeps can change objective,
bounds, integrality or add rows and re-solve, letting solvers that keep state (HiGHS) warm-start
from the previous basis instead of starting over.

Dual sign convention, shared by every backend: ``row_duals[i]`` is d(objective)/d(active bound of
row i), in the objective's own sense. For a minimisation a binding ``<=`` budget row has a dual
<= 0 (more budget, lower cost); for a maximisation it has a dual >= 0 (more budget, more value).
Rows with no active bound have dual 0. ``row_ranging`` gives, per row, the lowest and highest value
of that active bound for which the dual stays valid (NaN where the backend cannot say).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ssk_optimize.model.lp import BoolArray, FloatArray, LinearProgram, Sense
from ssk_optimize.solve.status import SolveStatus

Method = Literal["auto", "simplex", "ipm"]
IntArray = npt.NDArray[np.int64]
METHODS: tuple[Method, ...] = ("auto", "simplex", "ipm")


@dataclass(frozen=True)
class SolverOptions:
    """How to run a solver; the same options mean the same thing on every backend.

    ``time_limit`` (seconds) bounds the whole multi-stage solve, not each stage; ``None`` means no
    limit. ``mip_gap`` is the relative gap at which a MILP counts as optimal. ``threads=None``
    leaves the solver's own default.
    """

    name: str = "highs"
    method: Method = "auto"
    time_limit: float | None = None
    mip_gap: float = 1e-4
    threads: int | None = None
    verbose: bool = False

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.time_limit is not None and not self.time_limit > 0:
            raise ValueError(f"time_limit must be positive seconds, got {self.time_limit}")
        if not self.mip_gap >= 0:
            raise ValueError(f"mip_gap must be >= 0, got {self.mip_gap}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be >= 1, got {self.threads}")


@dataclass(frozen=True)
class RowRanging:
    """Per row, the interval of the active bound's value over which the row dual stays valid."""

    low: FloatArray
    high: FloatArray

    @classmethod
    def unknown(cls, n_rows: int) -> RowRanging:
        """NaN everywhere: for backends that do not report ranging."""
        return cls(np.full(n_rows, np.nan), np.full(n_rows, np.nan))

    def take(self, n_rows: int) -> RowRanging:
        """The first ``n_rows`` rows (the original rows, without rows added by the driver)."""
        return RowRanging(self.low[:n_rows].copy(), self.high[:n_rows].copy())


@dataclass(frozen=True)
class StageResult:
    """What one solve of the session's current model produced.

    ``objective`` is ``c @ x + offset`` in the objective's own sense; ``x`` is None unless the
    status has a solution. ``row_duals`` and ``row_ranging`` are only set for LPs solved to
    optimality (MILPs have no duals); both cover every row of the session, including added ones.
    ``detail`` carries the solver's own status text for messages and manifests.
    """

    status: SolveStatus
    objective: float | None = None
    x: FloatArray | None = None
    row_duals: FloatArray | None = None
    row_activity: FloatArray | None = None
    row_ranging: RowRanging | None = None
    mip_gap: float | None = None
    runtime: float = 0.0
    simplex_iterations: int | None = None
    ipm_iterations: int | None = None
    mip_nodes: int | None = None
    detail: str = ""
    ranging_runtime: float = 0.0
    """Seconds spent computing ranging after the solve (HiGHS: comparable to the solve itself)."""


class SolverSession(Protocol):
    """One built model inside a solver, changeable between solves."""

    def set_objective(self, coefficients: FloatArray, sense: Sense, offset: float = 0.0) -> None:
        """Replace the objective (every column's cost, the sense and the constant)."""

    def add_rows(
        self,
        matrix: sp.csr_matrix,
        lower: FloatArray,
        upper: FloatArray,
        names: Sequence[str],
    ) -> IntArray:
        """Append rows ``lower <= matrix @ x <= upper``; return their indices."""
        ...

    def set_row_bounds(self, indices: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        """Change the bounds of the given rows (infinite means no bound)."""

    def set_col_bounds(self, indices: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        """Change the bounds of the given columns (used to fix integer decisions)."""

    def set_integrality(self, mask: BoolArray) -> None:
        """Set which columns must be integer (a mask over every column); all False relaxes."""

    def solve(self, time_limit: float | None = None, *, ranging: bool = False) -> StageResult:
        """Solve the current model; ``time_limit`` None means the session options' limit."""
        ...

    def close(self) -> None:
        """Release the solver's memory and files."""


class Backend(Protocol):
    """A solver this package can drive: a factory for sessions."""

    @property
    def name(self) -> str:
        """Registry name, e.g. ``highs`` or ``cbc``."""
        ...

    def version(self) -> str:
        """Solver version for manifests."""
        ...

    def available(self) -> bool:
        """True when the solver can be started here."""
        ...

    def open(self, lp: LinearProgram, options: SolverOptions) -> SolverSession:
        """Build ``lp`` (with an all-zero minimisation objective) in a new session."""
        ...


def as_indices(indices: npt.ArrayLike, size: int, what: str) -> IntArray:
    """Validate row/column indices once, so every backend rejects the same mistakes."""
    array = np.asarray(indices, dtype=np.int64).reshape(-1)
    if array.size and (array.min() < 0 or array.max() >= size):
        raise IndexError(f"{what} index out of range 0..{size - 1}")
    return array


def as_values(values: npt.ArrayLike, size: int, what: str) -> FloatArray:
    """Validate a float vector's length (a scalar is broadcast)."""
    array = np.broadcast_to(np.asarray(values, dtype=np.float64), (size,)).copy()
    if np.isnan(array).any():
        raise ValueError(f"{what} contains NaN")
    return array


def primal_violation(
    matrix: sp.csr_matrix,
    row_bounds: tuple[FloatArray, FloatArray],
    col_bounds: tuple[FloatArray, FloatArray],
    integrality: BoolArray,
    x: FloatArray,
    tolerance: float = 1e-5,
) -> str | None:
    """Describe the worst way ``x`` breaks the model, or None when it is feasible.

    Used to double-check solvers whose status flags have been wrong before (CBC through PuLP has
    reported 'Optimal' for fractional or infeasible points). Tolerances are relative to the bound
    and loose on purpose: the check catches garbage, not solver tolerances.
    """
    if not np.isfinite(x).all():
        return "solution has non-finite values"
    activity = matrix @ x
    checks = (
        ("row", row_bounds[0] - activity, row_bounds[0]),
        ("row", activity - row_bounds[1], row_bounds[1]),
        ("column", col_bounds[0] - x, col_bounds[0]),
        ("column", x - col_bounds[1], col_bounds[1]),
    )
    for kind, excess, bound in checks:
        scale = tolerance * (1.0 + np.abs(np.where(np.isfinite(bound), bound, 0.0)))
        bad = np.flatnonzero(excess > scale)
        if bad.size:
            worst = int(bad[np.argmax(excess[bad])])
            return f"{kind} {worst} violated by {float(excess[worst]):.3g}"
    fractional = np.abs(x - np.round(x)) > tolerance
    bad = np.flatnonzero(fractional & integrality)
    if bad.size:
        return f"integer column {int(bad[0])} has fractional value {float(x[bad[0]]):.6g}"
    return None


def worst_violation(matrix: sp.csr_matrix, row_bounds: tuple[FloatArray, FloatArray],
                    col_bounds: tuple[FloatArray, FloatArray], x: FloatArray) -> float:
    """The largest amount by which ``x`` passes a row or column bound (0 when it keeps them all)."""
    activity = matrix @ x
    excess = np.concatenate([row_bounds[0] - activity, activity - row_bounds[1],
                             col_bounds[0] - x, x - col_bounds[1]])
    return float(max(excess.max(initial=0.0), 0.0))
