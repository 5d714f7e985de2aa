"""HiGHS through highspy: the default backend.

The model is passed in one call from the CSR arrays (no Python loop per row or column), and the
``Highs`` instance is kept for the whole session: after objective, bound or row changes HiGHS
restarts the simplex from its previous basis by itself. MILP re-solves are given the previous
feasible point as a start (HiGHS drops a start that the change made infeasible).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Sequence

import highspy
import numpy as np
import scipy.sparse as sp

from ssk_optimize.model.lp import BoolArray, FloatArray, LinearProgram, Sense
from ssk_optimize.solve.base import (
    IntArray,
    RowRanging,
    SolverOptions,
    StageResult,
    as_indices,
    as_values,
)
from ssk_optimize.solve.status import SolveStatus, lookup_status

_S = SolveStatus
HIGHS_STATUS_WITH_POINT: dict[str, SolveStatus] = {
    "kOptimal": _S.OPTIMAL,
    "kModelEmpty": _S.OPTIMAL,
    "kInfeasible": _S.INFEASIBLE,
    "kUnbounded": _S.UNBOUNDED,
    "kUnboundedOrInfeasible": _S.UNBOUNDED,
    "kTimeLimit": _S.FEASIBLE_STOPPED,
    "kIterationLimit": _S.FEASIBLE_STOPPED,
    "kSolutionLimit": _S.FEASIBLE_STOPPED,
    "kObjectiveBound": _S.FEASIBLE_STOPPED,
    "kObjectiveTarget": _S.FEASIBLE_STOPPED,
    "kInterrupt": _S.FEASIBLE_STOPPED,
    "kHighsInterrupt": _S.FEASIBLE_STOPPED,
    "kMemoryLimit": _S.FEASIBLE_STOPPED,
    "kUnknown": _S.FEASIBLE_STOPPED,
}
"""``HighsModelStatus`` name -> ours when ``primal_solution_status`` says the point is feasible.
Keyed by name so that a member missing from an older or newer highspy cannot break the import."""

HIGHS_STATUS_WITHOUT_POINT: dict[str, SolveStatus] = {
    "kModelEmpty": _S.OPTIMAL,
    "kInfeasible": _S.INFEASIBLE,
    "kUnbounded": _S.UNBOUNDED,
    "kUnboundedOrInfeasible": _S.UNBOUNDED,
    "kTimeLimit": _S.NO_SOLUTION_STOPPED,
    "kIterationLimit": _S.NO_SOLUTION_STOPPED,
    "kSolutionLimit": _S.NO_SOLUTION_STOPPED,
    "kObjectiveBound": _S.NO_SOLUTION_STOPPED,
    "kObjectiveTarget": _S.NO_SOLUTION_STOPPED,
    "kInterrupt": _S.NO_SOLUTION_STOPPED,
    "kHighsInterrupt": _S.NO_SOLUTION_STOPPED,
    "kMemoryLimit": _S.NO_SOLUTION_STOPPED,
}
"""The same without a feasible point. ``kOptimal`` and ``kUnknown`` are absent on purpose: an
'optimum' with no feasible point is an ERROR. Errors (kLoadError, kSolveError...) fall through
to ERROR too."""

_SOLVER_CHOICE = {"auto": "choose", "simplex": "simplex", "ipm": "ipm"}
_banner_silenced = False


def _new_highs(verbose: bool) -> highspy.Highs:
    """A ``Highs`` instance; the once-per-process banner is kept off stdout unless verbose.

    HiGHS prints its banner from C++ on the first construction, before any option can be set, so
    the only way to keep a CLI's stdout clean is to point file descriptor 1 elsewhere meanwhile.
    """
    global _banner_silenced
    if verbose or _banner_silenced:
        return highspy.Highs()
    _banner_silenced = True
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:
        return highspy.Highs()
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _run(highs: highspy.Highs) -> None:
    """``highs.run()`` that Ctrl-C stops promptly: KeyboardInterrupt once HiGHS has returned.

    Python only runs its SIGINT handler between bytecodes, so during ``run()`` Ctrl-C would wait
    for the stage to end. Here SIGINT just sets a flag, and HiGHS's interrupt callbacks (simplex,
    IPM, MIP; called on this thread) ask it to stop at its next check. Only on the main thread
    with Python's own handler in place; elsewhere a plain ``run()``.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        highs.run()
        return
    interrupted: list[int] = []

    def check(event: highspy.HighsCallbackEvent) -> None:
        if interrupted:
            event.interrupt()

    callbacks = (highs.cbSimplexInterrupt, highs.cbIpmInterrupt, highs.cbMipInterrupt)
    for callback in callbacks:
        callback.subscribe(check)
    previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))
    try:
        highs.run()
    finally:
        signal.signal(signal.SIGINT, previous)
        for callback in callbacks:
            callback.unsubscribe(check)
    if interrupted:
        raise KeyboardInterrupt


class HighsSession:
    """One HiGHS instance holding the model; see :class:`~ssk_optimize.solve.base.SolverSession`."""

    def __init__(self, lp: LinearProgram, options: SolverOptions) -> None:
        lp.check_shapes()
        self._options = options
        self._highs = _new_highs(options.verbose)
        self._set_option("output_flag", options.verbose)
        self._set_option("solver", _SOLVER_CHOICE[options.method])
        self._set_option("mip_rel_gap", float(options.mip_gap))
        if options.threads is not None:
            self._set_option("threads", int(options.threads))
        self._n_cols = lp.n_cols
        self._n_rows = lp.n_rows
        self._integrality = np.asarray(lp.integrality, dtype=bool).copy()
        # Row bounds are mirrored here only to range basic rows without copying the model back.
        self._row_lower = np.asarray(lp.row_lower, dtype=np.float64).copy()
        self._row_upper = np.asarray(lp.row_upper, dtype=np.float64).copy()
        self._start: FloatArray | None = None
        self._pass_model(lp)

    def _set_option(self, name: str, value: bool | int | float | str) -> None:
        if self._highs.setOptionValue(name, value) == highspy.HighsStatus.kError:
            raise ValueError(f"HiGHS rejected option {name}={value!r}")

    def _check(self, status: highspy.HighsStatus, action: str) -> None:
        if status == highspy.HighsStatus.kError:
            raise ValueError(f"HiGHS could not {action} (NaN, crossed bounds or bad indices?)")

    def _pass_model(self, lp: LinearProgram) -> None:
        matrix = sp.csr_matrix(lp.matrix)
        model = highspy.HighsLp()
        model.num_col_ = lp.n_cols
        model.num_row_ = lp.n_rows
        model.col_cost_ = np.zeros(lp.n_cols)
        model.col_lower_ = np.asarray(lp.col_lower, dtype=np.float64)
        model.col_upper_ = np.asarray(lp.col_upper, dtype=np.float64)
        model.row_lower_ = np.asarray(lp.row_lower, dtype=np.float64)
        model.row_upper_ = np.asarray(lp.row_upper, dtype=np.float64)
        model.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        model.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        model.a_matrix_.index_ = matrix.indices.astype(np.int32)
        model.a_matrix_.value_ = matrix.data.astype(np.float64)
        model.col_names_ = [str(name) for name in lp.col_names]
        model.row_names_ = [str(name) for name in lp.row_names]
        self._check(self._highs.passModel(model), "load the model")
        # HighsLp.integrality_ only takes a list of enums; this call takes a uint8 array.
        if self._integrality.any():
            self.set_integrality(self._integrality)

    def set_objective(self, coefficients: FloatArray, sense: Sense, offset: float = 0.0) -> None:
        """Replace every cost, the sense and the constant."""
        costs = as_values(coefficients, self._n_cols, "objective")
        columns = np.arange(self._n_cols, dtype=np.int32)
        self._check(self._highs.changeColsCost(self._n_cols, columns, costs), "set costs")
        objective_sense = highspy.ObjSense.kMaximize if sense == "max" else highspy.ObjSense.kMinimize
        self._check(self._highs.changeObjectiveSense(objective_sense), "set the sense")
        self._check(self._highs.changeObjectiveOffset(float(offset)), "set the offset")

    def add_rows(
        self, matrix: sp.csr_matrix, lower: FloatArray, upper: FloatArray, names: Sequence[str]
    ) -> IntArray:
        """Append rows; HiGHS extends the basis with the new slacks, so warm starts survive."""
        rows = sp.csr_matrix(matrix)
        count = rows.shape[0]
        if rows.shape[1] != self._n_cols or len(names) != count:
            raise ValueError("added rows must have one name each and one entry per column")
        new_lower = as_values(lower, count, "row lower")
        new_upper = as_values(upper, count, "row upper")
        status = self._highs.addRows(
            count,
            new_lower,
            new_upper,
            rows.nnz,
            rows.indptr[:-1].astype(np.int32),
            rows.indices.astype(np.int32),
            rows.data.astype(np.float64),
        )
        self._check(status, "add rows")
        added = np.arange(self._n_rows, self._n_rows + count, dtype=np.int64)
        for row, name in zip(added.tolist(), names, strict=True):  # a few hold rows only
            self._highs.passRowName(row, str(name))
        self._n_rows += count
        self._row_lower = np.concatenate([self._row_lower, new_lower])
        self._row_upper = np.concatenate([self._row_upper, new_upper])
        return added

    def set_row_bounds(self, indices: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        """Change row bounds in place (budget sweeps); the basis is kept."""
        rows = as_indices(indices, self._n_rows, "row")
        new_lower = as_values(lower, rows.size, "row lower")
        new_upper = as_values(upper, rows.size, "row upper")
        status = self._highs.changeRowsBounds(  # type: ignore[attr-defined]  # missing from stubs
            rows.size, rows.astype(np.int32), new_lower, new_upper
        )
        self._check(status, "change row bounds")
        self._row_lower[rows] = new_lower
        self._row_upper[rows] = new_upper

    def set_col_bounds(self, indices: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        """Change column bounds in place."""
        columns = as_indices(indices, self._n_cols, "column")
        status = self._highs.changeColsBounds(
            columns.size,
            columns.astype(np.int32),
            as_values(lower, columns.size, "column lower"),
            as_values(upper, columns.size, "column upper"),
        )
        self._check(status, "change column bounds")

    def set_integrality(self, mask: BoolArray) -> None:
        """Mark columns integer (True) or continuous (False)."""
        flags = np.broadcast_to(np.asarray(mask, dtype=bool), (self._n_cols,))
        status = self._highs.changeColsIntegrality(
            self._n_cols, np.arange(self._n_cols, dtype=np.int32), flags.astype(np.uint8)
        )
        self._check(status, "change integrality")
        self._integrality = flags.copy()

    def solve(self, time_limit: float | None = None, *, ranging: bool = False) -> StageResult:
        """Run HiGHS on the current model; duals (and ranging if asked) for optimal LPs."""
        limit = self._options.time_limit if time_limit is None else time_limit
        self._set_option("time_limit", highspy.kHighsInf if limit is None else max(limit, 0.0))
        is_mip = bool(self._integrality.any())
        if is_mip and self._start is not None:
            start = highspy.HighsSolution()
            start.col_value = self._start
            self._highs.setSolution(start)
        if self._options.threads is not None:
            # HiGHS refuses to run when 'threads' differs from the process-wide scheduler that an
            # earlier solve started; resetting it lets this session use its own thread count.
            highspy.Highs.resetGlobalScheduler(True)
        began = time.perf_counter()
        _run(self._highs)
        runtime = time.perf_counter() - began
        native = self._highs.getModelStatus()
        info = self._highs.getInfo()
        has_point = info.primal_solution_status == highspy.kSolutionStatusFeasible
        table = HIGHS_STATUS_WITH_POINT if has_point else HIGHS_STATUS_WITHOUT_POINT
        status = lookup_status(table, native.name)
        detail = self._highs.modelStatusToString(native)
        if native.name == "kUnboundedOrInfeasible":
            detail += " (HiGHS proved only 'infeasible or unbounded', not which)"
        mip_gap = float(info.mip_gap) if is_mip and status.has_solution else None
        x: FloatArray | None = None
        activity: FloatArray | None = None
        duals: FloatArray | None = None
        row_ranging: RowRanging | None = None
        objective: float | None = None
        ranging_runtime = 0.0
        if status.has_solution:
            solution = self._highs.getSolution()
            x = np.asarray(solution.col_value, dtype=np.float64)
            activity = np.asarray(solution.row_value, dtype=np.float64)
            objective = float(info.objective_function_value)
            self._start = x.copy()
            if not is_mip and status.is_optimal and solution.dual_valid:
                duals = np.asarray(solution.row_dual, dtype=np.float64)
                if ranging:
                    ranging_began = time.perf_counter()
                    row_ranging = self._row_ranging(activity)
                    ranging_runtime = time.perf_counter() - ranging_began
        return StageResult(
            status=status,
            objective=objective,
            x=x,
            row_duals=duals,
            row_activity=activity,
            row_ranging=row_ranging,
            mip_gap=mip_gap,
            runtime=runtime,
            simplex_iterations=int(info.simplex_iteration_count),
            ipm_iterations=int(info.ipm_iteration_count),
            mip_nodes=int(info.mip_node_count) if is_mip else None,
            detail=detail,
            ranging_runtime=ranging_runtime,
        )

    def forget_basis(self) -> None:
        """Drop the basis and solution kept from earlier solves: the next solve starts cold (with
        presolve). The driver's retry after a warm-started solve ends in a numerical error."""
        self._highs.clearSolver()

    def _row_ranging(self, activity: FloatArray) -> RowRanging:
        """HiGHS ranging for rows at a bound; our own interval for basic (non-binding) rows.

        HiGHS ranges a nonbasic row's active bound, which is what we want. For a basic row it
        reports an interval that is not about the bound, so we give the exact one instead: its
        dual stays 0 while the finite bound does not cut the activity, i.e. an upper bound may
        move within [activity, inf) and a lower bound within (-inf, activity].
        """
        status, ranges = self._highs.getRanging()
        if status == highspy.HighsStatus.kError or not ranges.valid:
            return RowRanging.unknown(self._n_rows)
        low = np.asarray(ranges.row_bound_dn.value_, dtype=np.float64)
        high = np.asarray(ranges.row_bound_up.value_, dtype=np.float64)
        _, basic = self._highs.getBasicVariables()  # type: ignore[attr-defined]
        basic_rows = -1 - np.asarray(basic, dtype=np.int64)
        basic_rows = basic_rows[basic_rows >= 0]
        upper_finite = np.isfinite(self._row_upper[basic_rows])
        lower_finite = np.isfinite(self._row_lower[basic_rows])
        at = activity[basic_rows]
        low[basic_rows] = np.where(upper_finite, at, -np.inf)
        high[basic_rows] = np.where(upper_finite | ~lower_finite, np.inf, at)
        return RowRanging(low, high)

    def irreducible_subset(self) -> tuple[IntArray, IntArray] | None:
        """HiGHS' own irreducible infeasible subset of the current model (``getIis`` with the
        irreducible strategy): the row and column indices in it, or None when HiGHS finds none
        (a feasible model) or cannot compute one (it works on LPs only: integrality is set aside
        for the call and put back). Its documentation calls the facility a prototype, so the
        diagnosis uses it to cross-check its own filter, not instead of it."""
        self._set_option("iis_strategy", int(highspy.IisStrategy.kIisStrategyIrreducible))
        kept = self._integrality.copy()
        if kept.any():
            self.set_integrality(np.zeros(self._n_cols, dtype=bool))
        try:
            status, iis = self._highs.getIis()
        finally:
            if kept.any():
                self.set_integrality(kept)
        found = len(iis.row_index_) + len(iis.col_index_)
        if status == highspy.HighsStatus.kError or not iis.valid_ or not found:
            return None
        return (np.asarray(iis.row_index_, dtype=np.int64), np.asarray(iis.col_index_, dtype=np.int64))

    def close(self) -> None:
        """Free the HiGHS model."""
        self._highs.clear()


class HighsBackend:
    """Factory for :class:`HighsSession`; always available when highspy imports."""

    @property
    def name(self) -> str:
        """Registry name."""
        return "highs"

    def version(self) -> str:
        """HiGHS version, e.g. ``1.16.0``."""
        parts = (highspy.HIGHS_VERSION_MAJOR, highspy.HIGHS_VERSION_MINOR, highspy.HIGHS_VERSION_PATCH)
        return ".".join(str(part) for part in parts)

    def available(self) -> bool:
        """highspy imported, so HiGHS can run."""
        return True

    def open(self, lp: LinearProgram, options: SolverOptions) -> HighsSession:
        """Load ``lp`` into a new HiGHS instance."""
        return HighsSession(lp, options)
