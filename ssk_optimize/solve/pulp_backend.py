"""PuLP: CBC (bundled with PuLP) by default, or any PuLP solver by name (``pulp:GLPK_CMD``).

PuLP has no persistent solver model, so the session keeps the LP as numpy arrays, applies changes
to them, and rebuilds the PuLP problem on every solve (variables by list comprehension, one
``LpAffineExpression`` per row straight from the CSR slices). A MILP re-solve passes the previous
solution as a CBC MIP start. Correctness over speed: this backend is the cross-check on HiGHS.

PuLP's flags are not trusted alone: ``(status, sol_status)`` go through :data:`PULP_STATUS`, and a
point reported as a solution is re-checked against every row, bound and integrality before it is
believed (CBC has reported 'Optimal' for infeasible points). CBC has no ranging: NaN.
"""

from __future__ import annotations

import functools
import re
import subprocess
import time
import warnings
from collections.abc import Sequence
from typing import Any

import highspy
import numpy as np
import pulp
import scipy.sparse as sp

from ssk_optimize.errors import SolverUnavailable
from ssk_optimize.model.lp import BoolArray, FloatArray, LinearProgram, Sense
from ssk_optimize.solve.base import (
    IntArray,
    RowRanging,
    SolverOptions,
    StageResult,
    as_indices,
    as_values,
    primal_violation,
)
from ssk_optimize.solve.status import SolveStatus, lookup_status

_S = SolveStatus
PULP_STATUS: dict[tuple[int, int], SolveStatus] = {
    (pulp.LpStatusOptimal, pulp.LpSolutionOptimal): _S.OPTIMAL,
    # CBC "Stopped on time - objective value ...": PuLP says Optimal, sol_status tells the truth.
    (pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible): _S.FEASIBLE_STOPPED,
    (pulp.LpStatusNotSolved, pulp.LpSolutionIntegerFeasible): _S.FEASIBLE_STOPPED,
    (pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound): _S.NO_SOLUTION_STOPPED,
    # Solvers that leave sol_status unset get LpSolutionInfeasible for "Not Solved": not a proof.
    (pulp.LpStatusNotSolved, pulp.LpSolutionInfeasible): _S.NO_SOLUTION_STOPPED,
    (pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible): _S.INFEASIBLE,
    (pulp.LpStatusInfeasible, pulp.LpSolutionNoSolutionFound): _S.INFEASIBLE,  # CBC MILP
    (pulp.LpStatusUnbounded, pulp.LpSolutionUnbounded): _S.UNBOUNDED,
    (pulp.LpStatusUnbounded, pulp.LpSolutionNoSolutionFound): _S.UNBOUNDED,
}
"""``(LpProblem.status, LpProblem.sol_status)`` -> ours; anything else (Undefined...) is ERROR."""

CBC_NAMES = ("PULP_CBC_CMD", "COIN_CMD")
"""What ``cbc`` means, in order: PuLP's bundled binary, then a ``cbc`` on the PATH."""


def make_pulp_solver(solver_name: str, **settings: Any) -> Any:
    """Instantiate a PuLP solver by name, hiding PuLP 3's 'PULP_CBC_CMD is deprecated' warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.getSolver(solver_name, **settings)


def _new_variable(problem: pulp.LpProblem, name: str, low: Any, up: Any, cat: str) -> Any:
    """A variable the way the installed PuLP prefers (``add_variable`` from 3.x on)."""
    if hasattr(problem, "add_variable"):
        return problem.add_variable(name, low, up, cat)
    return pulp.LpVariable(name, low, up, cat)


class PulpSession:
    """The LP as arrays plus the PuLP solver name; see ``SolverSession``."""

    def __init__(self, lp: LinearProgram, options: SolverOptions, solver_name: str) -> None:
        lp.check_shapes()
        self._options = options
        self._solver_name = solver_name
        self._matrix = sp.csr_matrix(lp.matrix, dtype=np.float64, copy=True)
        self._matrix.sum_duplicates()
        self._row_lower = np.asarray(lp.row_lower, dtype=np.float64).copy()
        self._row_upper = np.asarray(lp.row_upper, dtype=np.float64).copy()
        self._col_lower = np.asarray(lp.col_lower, dtype=np.float64).copy()
        self._col_upper = np.asarray(lp.col_upper, dtype=np.float64).copy()
        self._integrality = np.asarray(lp.integrality, dtype=bool).copy()
        self._cost = np.zeros(lp.n_cols)
        self._sense: Sense = "min"
        self._offset = 0.0
        self._start: FloatArray | None = None

    @property
    def _n_cols(self) -> int:
        return int(self._matrix.shape[1])

    @property
    def _n_rows(self) -> int:
        return int(self._matrix.shape[0])

    def set_objective(self, coefficients: FloatArray, sense: Sense, offset: float = 0.0) -> None:
        """Replace the objective."""
        self._cost = as_values(coefficients, self._n_cols, "objective")
        self._sense = sense
        self._offset = float(offset)

    def add_rows(
        self, matrix: sp.csr_matrix, lower: FloatArray, upper: FloatArray, names: Sequence[str]
    ) -> IntArray:
        """Append rows to the stored matrix."""
        rows = sp.csr_matrix(matrix, dtype=np.float64)
        if rows.shape[1] != self._n_cols or len(names) != rows.shape[0]:
            raise ValueError("added rows must have one name each and one entry per column")
        added = np.arange(self._n_rows, self._n_rows + rows.shape[0], dtype=np.int64)
        self._matrix = sp.csr_matrix(sp.vstack([self._matrix, rows], format="csr"))
        self._matrix.sum_duplicates()
        self._row_lower = np.concatenate([self._row_lower, as_values(lower, added.size, "lower")])
        self._row_upper = np.concatenate([self._row_upper, as_values(upper, added.size, "upper")])
        return added

    def set_row_bounds(self, indices: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        """Change row bounds."""
        rows = as_indices(indices, self._n_rows, "row")
        self._row_lower[rows] = as_values(lower, rows.size, "row lower")
        self._row_upper[rows] = as_values(upper, rows.size, "row upper")

    def set_col_bounds(self, indices: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        """Change column bounds."""
        columns = as_indices(indices, self._n_cols, "column")
        self._col_lower[columns] = as_values(lower, columns.size, "column lower")
        self._col_upper[columns] = as_values(upper, columns.size, "column upper")

    def set_integrality(self, mask: BoolArray) -> None:
        """Mark columns integer or continuous."""
        self._integrality = np.broadcast_to(np.asarray(mask, dtype=bool), (self._n_cols,)).copy()

    def _build(self) -> tuple[pulp.LpProblem, list[Any], list[tuple[int, Any]]]:
        """A fresh PuLP problem from the arrays; returns it, its variables and (row, constraint)."""
        # Always a minimisation: PuLP's solvers disagree on dual signs for maximisations (CBC
        # reports d obj/d rhs, PuLP's HiGHS the opposite), but agree for minimisations.
        problem = pulp.LpProblem("ssk", pulp.LpMinimize)
        cost = -self._cost if self._sense == "max" else self._cost
        lows = [None if not np.isfinite(v) else v for v in self._col_lower.tolist()]
        ups = [None if not np.isfinite(v) else v for v in self._col_upper.tolist()]
        cats = np.where(self._integrality, pulp.LpInteger, pulp.LpContinuous).tolist()
        # Synthetic names: PuLP mangles '[', ']', '-', ' ' and rejects duplicates.
        variables = [
            _new_variable(problem, f"x{j}", low, up, cat)
            for j, (low, up, cat) in enumerate(zip(lows, ups, cats, strict=True))
        ]
        used = np.flatnonzero(cost)
        problem.setObjective(pulp.LpAffineExpression([(variables[j], cost[j]) for j in used.tolist()]))
        constraints: list[tuple[int, Any]] = []
        indptr, indices, data = self._matrix.indptr, self._matrix.indices, self._matrix.data
        for i, (low, up) in enumerate(zip(self._row_lower.tolist(), self._row_upper.tolist(), strict=True)):
            if low == -np.inf and up == np.inf:
                continue  # a free row (e.g. a released stage hold) constrains nothing
            span = slice(indptr[i], indptr[i + 1])
            columns = [variables[j] for j in indices[span].tolist()]
            terms = zip(columns, data[span].tolist(), strict=True)
            expression = pulp.LpAffineExpression(terms)
            if low == up:
                parts = [(pulp.LpConstraintEQ, low, f"r{i}")]
            else:
                parts = [(pulp.LpConstraintGE, low, f"r{i}_lo")] if low > -np.inf else []
                parts += [(pulp.LpConstraintLE, up, f"r{i}_up")] if up < np.inf else []
            for constraint_sense, rhs, name in parts:
                constraint = pulp.LpConstraint(expression, constraint_sense, name, rhs)
                problem.addConstraint(constraint)
                constraints.append((i, constraint))
        return problem, variables, constraints

    def _trivially_infeasible(self) -> str | None:
        """Crossed bounds or an empty row that excludes 0: PuLP would drop or mangle these."""
        if (self._col_lower > self._col_upper).any():
            return "a column's lower bound exceeds its upper bound"
        if (self._row_lower > self._row_upper).any():
            return "a row's lower bound exceeds its upper bound"
        empty = np.diff(self._matrix.indptr) == 0
        if ((self._row_lower > 0) | (self._row_upper < 0))[empty].any():
            return "a row without variables cannot meet its bounds"
        return None

    def solve(self, time_limit: float | None = None, *, ranging: bool = False) -> StageResult:
        """Rebuild, solve, and read the result back through :data:`PULP_STATUS`."""
        reason = self._trivially_infeasible()
        if reason is not None:
            return StageResult(status=SolveStatus.INFEASIBLE, detail=reason)
        limit = self._options.time_limit if time_limit is None else time_limit
        is_mip = bool(self._integrality.any())
        began = time.perf_counter()  # building the PuLP problem counts against the limit too
        problem, variables, constraints = self._build()
        settings: dict[str, Any] = {"msg": self._options.verbose, "mip": is_mip}
        if limit is not None:
            settings["timeLimit"] = max(limit - (time.perf_counter() - began), 0.01)
        if self._options.threads is not None:
            settings["threads"] = self._options.threads
            if self._solver_name == "HiGHS":  # in-process highspy: see HighsSession.solve
                highspy.Highs.resetGlobalScheduler(True)
        if is_mip:
            settings["gapRel"] = self._options.mip_gap
            if self._start is not None:
                for variable, value in zip(variables, self._start.tolist(), strict=True):
                    variable.setInitialValue(value, check=False)
                settings["warmStart"] = True
        elif self._options.method == "ipm" and self._solver_name in CBC_NAMES:
            settings["options"] = ["barrier"]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                problem.solve(make_pulp_solver(self._solver_name, **settings))
        except pulp.PulpSolverError as error:
            return StageResult(status=SolveStatus.ERROR, detail=str(error))
        runtime = time.perf_counter() - began
        native = (int(problem.status), int(problem.sol_status))
        status = lookup_status(PULP_STATUS, native)
        detail = f"{pulp.LpStatus.get(native[0], native[0])} / {pulp.LpSolution.get(native[1])}"
        if not status.has_solution:
            return StageResult(status=status, runtime=runtime, detail=detail)
        x = self._read_point(variables)
        bounds = (self._row_lower, self._row_upper), (self._col_lower, self._col_upper)
        violation = primal_violation(self._matrix, *bounds, self._integrality, x)
        if violation is not None:
            fallback = SolveStatus.ERROR if status.is_optimal else SolveStatus.NO_SOLUTION_STOPPED
            detail += f"; the reported point is not feasible ({violation})"
            return StageResult(status=fallback, runtime=runtime, detail=detail)
        self._start = x.copy()
        duals: FloatArray | None = None
        if status.is_optimal and not is_mip:
            duals = np.zeros(self._n_rows)
            rows = np.array([row for row, _ in constraints], dtype=np.int64)
            prices = np.array([c.pi if c.pi is not None else 0.0 for _, c in constraints])
            np.add.at(duals, rows, prices)  # a ranged row's two halves: only one is active
            if self._sense == "max":
                duals = 0.0 - duals  # back from the minimisation PuLP solved to the stage's own sense
        return StageResult(
            status=status,
            objective=float(self._cost @ x) + self._offset,
            x=x,
            row_duals=duals,
            row_activity=self._matrix @ x,
            row_ranging=RowRanging.unknown(self._n_rows) if ranging and duals is not None else None,
            runtime=runtime,
            detail=detail,
        )

    def _read_point(self, variables: list[Any]) -> FloatArray:
        """Values by column; a column in no row and no objective gets its bound nearest 0."""
        values = [np.nan if v.varValue is None else v.varValue for v in variables]
        x = np.asarray(values, dtype=np.float64)
        missing = np.isnan(x)
        x[missing] = np.clip(0.0, self._col_lower, self._col_upper)[missing]
        return x

    def close(self) -> None:
        """Nothing is held between solves."""


@functools.cache
def _cbc_version(path: str) -> str:
    """CBC prints its version in the banner; PuLP does not expose it otherwise."""
    try:
        banner = subprocess.run(
            [path, "-quit"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    found = re.search(r"Version:\s*(\S+)", banner)
    return found.group(1) if found else "unknown"


class PulpBackend:
    """A PuLP solver; ``cbc`` resolves to PuLP's bundled CBC, else a ``cbc`` on the PATH."""

    def __init__(self, solver_name: str, registry_name: str | None = None) -> None:
        self._requested = solver_name
        self._name = registry_name or f"pulp:{solver_name}"

    @property
    def name(self) -> str:
        """Registry name (``cbc`` or ``pulp:NAME``)."""
        return self._name

    def _resolve(self) -> str | None:
        """The PuLP solver name that can actually run, or None."""
        candidates = CBC_NAMES if self._requested in CBC_NAMES else (self._requested,)
        for candidate in candidates:
            try:
                if make_pulp_solver(candidate, msg=False).available():
                    return candidate
            except pulp.PulpSolverError:
                continue
        return None

    def available(self) -> bool:
        """True when the solver (for CBC: its binary) can be started."""
        return self._resolve() is not None

    def version(self) -> str:
        """Solver version where known, with PuLP's."""
        resolved = self._resolve()
        if resolved in CBC_NAMES:
            path = make_pulp_solver(resolved, msg=False).path
            return f"CBC {_cbc_version(str(path))} (PuLP {pulp.__version__})"
        return f"{resolved or self._requested} (PuLP {pulp.__version__})"

    def open(self, lp: LinearProgram, options: SolverOptions) -> PulpSession:
        """Keep ``lp`` for solving; raise SolverUnavailable if the solver cannot start."""
        resolved = self._resolve()
        if resolved is None:
            raise SolverUnavailable(
                f"PuLP solver {self._requested} is not available here"
                + (" (CBC binary missing or not executable)" if self._requested in CBC_NAMES else "")
            )
        return PulpSession(lp, options, resolved)
