"""The stage driver: lexicographic (default) or weighted solves over any backend.

Lexicographic: solve stage 1; add the row ``stage_hold[<stage>]`` keeping stage 1 within 1e-7
relative of its value (1e-7 absolute below 1); solve stage 2 warm-started on the same session; and
so on. The hold value is ``c @ x`` of the point just found rather than the solver's reported
objective, so that point always satisfies the hold and can seed the next MILP solve. A later
stage may spend that slack: held stages can drift by up to their tolerance, and later stage values
then differ between solvers by a little more (about 1e-6 relative seen). Integer columns may be
fixed (at their values, unrounded) after a given number of stages: the remaining stages are LPs.

Weighted: one solve of ``sum_s w_s * sign_s * c_s / scale_s`` as a minimisation (``sign_s`` is -1
for max stages). Normalisation is the caller's: pass ``stage_scales`` (e.g. households under
target, sum of priority * e, largest rank * total budget), or pre-scaled coefficients.

Shadow prices (``dual_stages``, 0-based): for an LP solved lexicographically, stage k's duals are
read from stage k's own solve (stages before it held). Otherwise (a MILP, or weighted mode) they
come from extra LP solves after the main ones: integer columns fixed at their values (MILP), holds
released, then stage 1 alone, stage 2 with stage 1 held, ... up to the last dual stage.

Numerical failures: a solve ending ERROR is retried once from scratch when the session can drop its
warm start (``forget_basis``); a stage after the first still ending ERROR or INFEASIBLE (numerical,
since the held point satisfies it) is solved with the earlier stages' columns fixed at that point,
then with the holds 10 and 100 times looser (:meth:`StageSolver._rescue`); every step is a note.

Polish (``refine``, lexicographic mode): the last stage may spend the held stages' slack, buying a
little money with 99.99999% of a programme (formulation.md section 8.1). After the stages, the
model's :class:`~ssk_optimize.model.lp.Refinement` for the point found (near-complete programmes
complete, whole units at their integers) is applied and the last stage solved once more with the
earlier stages held exactly at the values their own solves reached (else within their usual
tolerance), from scratch when the warm start leaves the old point, which meets the new bounds
within the solver's 1e-7 tolerance; if neither ends optimal, the unpolished point stays.

:class:`StageSolver` keeps the session open, so a budget sweep calls ``update_row_bounds`` and
``run`` again and the solver warm-starts from the previous solve.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from types import TracebackType

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ssk_optimize.model.lp import FloatArray, LinearProgram, Refinement
from ssk_optimize.solve.base import (
    Backend,
    RowRanging,
    SolverOptions,
    StageResult,
    as_indices,
    worst_violation,
)
from ssk_optimize.solve.solution import Mode, Solution
from ssk_optimize.solve.status import SolveStatus

HOLD_TOLERANCE = 1e-7
DEFAULT_STAGE_WEIGHTS = (1000.0, 10.0, 1.0)
POLISH_TOLERANCE = 1e-9  # a polish point further off its bounds is solved again from scratch
Refiner = Callable[[FloatArray], Refinement | None]


def hold_tolerance(value: float) -> float:
    """Slack allowed on a held stage: 1e-7 relative, or 1e-7 absolute when ``|value| < 1``."""
    return HOLD_TOLERANCE * abs(value) if abs(value) >= 1.0 else HOLD_TOLERANCE


class _Clock:
    """The whole solve's time budget; each stage gets what is left."""

    def __init__(self, limit: float | None) -> None:
        self._deadline = None if limit is None else time.perf_counter() + limit

    def remaining(self) -> float | None:
        return None if self._deadline is None else self._deadline - time.perf_counter()

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0.0


class _Record:
    """What one run collects besides the primal point."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.duals: dict[str, FloatArray] = {}
        self.ranging: dict[str, RowRanging] = {}
        self.notes: list[str] = []
        self.gaps: list[float] = []
        self.integers_fixed = False
        self.duals_from_fixed_lp = False


class StageSolver:
    """One open session on ``lp`` that runs the stages, re-runnable after bound changes."""

    def __init__(
        self,
        lp: LinearProgram,
        backend: Backend,
        options: SolverOptions,
        *,
        mode: Mode = "lexicographic",
        stage_weights: Sequence[float] = DEFAULT_STAGE_WEIGHTS,
        stage_scales: Sequence[float] | None = None,
        fix_integers_after_stage: int | None = 2,
        dual_stages: Sequence[int] | None = None,
        ranging: bool = True,
        refine: Refiner | None = None,
    ) -> None:
        """``fix_integers_after_stage`` counts stages (2: fix after the first two);
        ``dual_stages`` are 0-based indices, default (0, 1) as far as the stages exist;
        ``ranging=False`` skips ranging, which costs HiGHS about as much as the solve itself;
        ``refine`` gives the polish bounds for a found point (module docstring)."""
        stages = lp.objectives
        if not stages:
            raise ValueError("the LinearProgram has no stage objectives")
        if mode not in ("lexicographic", "weighted"):
            raise ValueError(f"mode must be 'lexicographic' or 'weighted', got {mode!r}")
        if mode == "weighted" and len(stage_weights) != len(stages):
            raise ValueError(f"{len(stages)} stages but {len(stage_weights)} stage_weights")
        if stage_scales is not None and (len(stage_scales) != len(stages) or min(stage_scales) <= 0):
            raise ValueError("stage_scales needs one positive number per stage")
        if dual_stages is None:
            dual_stages = [k for k in (0, 1) if k < len(stages)]
        if any(not 0 <= k < len(stages) for k in dual_stages):
            raise ValueError(f"dual_stages must be 0-based indices below {len(stages)}")
        self._lp = lp
        self._options = options
        self._backend = backend
        self._mode: Mode = mode
        self._weights = np.asarray(stage_weights, dtype=np.float64)
        self._scales = np.ones(len(stages)) if stage_scales is None else np.asarray(stage_scales)
        self._fix_after = fix_integers_after_stage
        self._dual_stages = sorted(set(dual_stages))
        self._ranging = ranging
        self._refine = refine
        self._row_lower, self._row_upper = lp.row_lower.copy(), lp.row_upper.copy()
        self._integer_columns = np.flatnonzero(lp.integrality)
        self._pinned = np.zeros(0, dtype=np.int64)  # columns fixed by _rescue
        self._hold_points: dict[int, FloatArray] = {}  # stage -> the point its hold was taken at
        self._session = backend.open(lp, options)
        held = stages[:-1]
        self._holds = self._session.add_rows(
            sp.csr_matrix(np.vstack([s.coefficients for s in held]) if held else (0, lp.n_cols)),
            np.full(len(held), -np.inf),
            np.full(len(held), np.inf),
            [f"stage_hold[{s.name}]" for s in held],
        )

    def __enter__(self) -> StageSolver:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the solver session."""
        self._session.close()

    def update_row_bounds(self, indices: npt.ArrayLike, lower: npt.ArrayLike, upper: npt.ArrayLike) -> None:
        """Change bounds of original rows (e.g. pool budgets) before the next :meth:`run`."""
        rows = as_indices(indices, self._lp.n_rows, "row")
        count = rows.size
        low, up = np.broadcast_to(lower, (count,)), np.broadcast_to(upper, (count,))
        self._session.set_row_bounds(rows, low, up)
        self._row_lower[rows], self._row_upper[rows] = low, up  # what a polish puts back

    def run(self) -> Solution:
        """Solve every stage within ``options.time_limit`` and collect duals as configured."""
        clock = _Clock(self._options.time_limit)
        record = _Record()
        self._restore()
        if self._mode == "weighted":
            status, failed, x = self._run_weighted(clock, record)
        else:
            status, failed, x = self._run_lexicographic(clock, record)
            if status.is_optimal and x is not None and self._refine is not None:
                x = self._polish(x, clock, record)
        if status.is_optimal and self._dual_stages:
            if self._lp.is_mip or self._mode == "weighted":
                self._dual_solves(x, clock, record)
        elif self._dual_stages:
            record.notes.append(f"no duals: the solve ended {status.value}")
        values = {}
        if x is not None:
            values = {s.name: s.scale * (float(s.coefficients @ x) + s.offset)
                      for s in self._lp.objectives}
        return Solution(
            status=status,
            x=x,
            stage_values=values,
            mode=self._mode,
            solver=self._backend.name,
            solver_version=self._backend.version(),
            method=self._options.method,
            mip_gap=self._options.mip_gap,
            failed_stage=failed,
            duals=record.duals,
            ranging=record.ranging,
            integers_fixed=record.integers_fixed,
            duals_from_fixed_lp=record.duals_from_fixed_lp,
            achieved_mip_gap=max(record.gaps) if record.gaps else None,
            timings=record.timings,
            notes=tuple(record.notes),
        )

    def _run_lexicographic(
        self, clock: _Clock, record: _Record
    ) -> tuple[SolveStatus, str | None, FloatArray | None]:
        stages = self._lp.objectives
        x: FloatArray | None = None
        for k, stage in enumerate(stages):
            if clock.expired():
                record.notes.append(f"time limit reached before stage {stage.name} started")
                stopped = SolveStatus.FEASIBLE_STOPPED if x is not None else SolveStatus.NO_SOLUTION_STOPPED
                return stopped, stage.name, x
            self._session.set_objective(stage.coefficients, stage.sense, stage.offset)
            duals_now = not self._lp.is_mip and k in self._dual_stages
            result = self._solve(stage.name, clock, record, ranging=duals_now and self._ranging)
            if (k > 0 and x is not None and result.status in (SolveStatus.ERROR, SolveStatus.INFEASIBLE)
                    and not clock.expired()):
                result = self._rescue(k, x, clock, record, ranging=duals_now and self._ranging)
            self._note_result(stage.name, result, record)
            if not result.status.is_optimal or result.x is None:
                return self._failure(stage.name, result, x, record)
            x = result.x
            if duals_now:
                self._keep_duals(stage.name, result, record)
            if k < len(stages) - 1:
                self._hold(k, x)
                self._hold_points[k] = x
                if self._lp.is_mip and self._fix_after == k + 1:
                    self._fix_integers(x)
                    record.integers_fixed = True
                    record.notes.append(f"integer columns fixed after stage {stage.name}")
                    reseated = self._reseat_holds(k, x, clock, record)
                    if isinstance(reseated, tuple):
                        return reseated
                    x = reseated
        return SolveStatus.OPTIMAL, None, x

    def _polish(self, x: FloatArray, clock: _Clock, record: _Record) -> FloatArray:
        """The last stage again with the model's snap bounds; ``x`` stays if that fails.

        The earlier stages are held first at exactly the values their own solves reached (no
        slack left to spend), then, if that does not solve, with the usual slack.
        """
        assert self._refine is not None
        spec = self._refine(x)
        if spec is None or spec.empty or clock.expired():
            return x
        name = f"polish[{self._lp.objectives[-1].name}]"
        self._session.set_row_bounds(spec.rows, spec.row_lower, spec.row_upper)
        self._session.set_col_bounds(spec.cols, spec.col_lower, spec.col_upper)
        allowed = max(self._violation(x), POLISH_TOLERANCE)  # the stages' point sets the bar
        result: StageResult | None = None
        for factor, held in ((0.0, "held exactly"), (1.0, "held within their tolerance")):
            if clock.expired():
                break
            for j, point in sorted(self._hold_points.items()):
                self._hold(j, point, factor=factor)
            result = self._solve(name, clock, record)
            forget = getattr(self._session, "forget_basis", None)
            if forget is not None and self._misses(spec, result) and not clock.expired():
                forget()  # warm-started, the old point may pass the new bounds within tolerance
                result = self._solve(name, clock, record)
            record.timings[name] = record.timings.get(name, 0.0) + result.runtime
            # an exactly held polish can end 'optimal' a solver tolerance outside a row
            if result.status.is_optimal and result.x is not None and self._violation(result.x) <= allowed:
                self._session.set_row_bounds(spec.rows, self._row_lower[spec.rows],
                                             self._row_upper[spec.rows])
                record.notes.append(f"polish: {spec.what}; the last stage solved again, earlier "
                                    f"stages {held}")
                return result.x
        self._session.set_row_bounds(spec.rows, self._row_lower[spec.rows], self._row_upper[spec.rows])
        cols = spec.cols
        if record.integers_fixed:  # back to the values the stages fixed them at
            values = np.clip(x[cols], self._lp.col_lower[cols], self._lp.col_upper[cols])
            self._session.set_col_bounds(cols, values, values)
        else:
            self._session.set_col_bounds(cols, self._lp.col_lower[cols], self._lp.col_upper[cols])
        status = "out of time" if result is None else result.status.value
        if result is not None and result.status.is_optimal:
            status = "optimal but outside a row by more than the stages' point"
        record.notes.append(f"polish ({spec.what}) ended {status}: the point of the stages is kept")
        return x

    def _violation(self, x: FloatArray) -> float:
        """How far ``x`` passes a row (with the current budget updates) or column bound."""
        return worst_violation(self._lp.matrix, (self._row_lower, self._row_upper),
                               (self._lp.col_lower, self._lp.col_upper), x)

    def _misses(self, spec: Refinement, result: StageResult) -> bool:
        """True when an optimal polish point is more than ``POLISH_TOLERANCE`` off its bounds."""
        if not result.status.is_optimal or result.x is None:
            return False
        activity = self._lp.matrix[spec.rows] @ result.x
        off = np.concatenate([spec.row_lower - activity, activity - spec.row_upper,
                              spec.col_lower - result.x[spec.cols], result.x[spec.cols] - spec.col_upper])
        return bool(off.size and off.max() > POLISH_TOLERANCE)

    def _reseat_holds(
        self, last: int, x: FloatArray, clock: _Clock, record: _Record
    ) -> FloatArray | tuple[SolveStatus, str | None, FloatArray | None]:
        """With integers fixed, re-solve stages 0..last as LPs; loosen a hold the LP cannot reach.

        A MILP point may break rows by up to the MIP feasibility tolerance, so holds taken from it
        can lie just out of reach of the fixed LP (whose primal tolerance is tighter), which would
        then call the next stage infeasible. Each hold becomes the looser of the MILP's hold and
        the value the fixed LP reaches, so values move only where the LP could not reach them.
        """
        earlier = [self._hold(j, x) for j in range(last + 1)]  # the holds as the MILP set them
        self._release_holds()
        for j in range(last + 1):
            stage = self._lp.objectives[j]
            self._session.set_objective(stage.coefficients, stage.sense, stage.offset)
            result = self._solve(f"fixed[{stage.name}]", clock, record)
            record.timings[f"fixed[{stage.name}]"] = result.runtime
            if not result.status.is_optimal or result.x is None:
                return self._failure(stage.name, result, x, record)
            x = result.x
            self._hold(j, x, looser_than=earlier[j])
            self._hold_points[j] = x
        return x

    def _run_weighted(
        self, clock: _Clock, record: _Record
    ) -> tuple[SolveStatus, str | None, FloatArray | None]:
        stages = self._lp.objectives
        signs = np.array([1.0 if s.sense == "min" else -1.0 for s in stages])
        factors = self._weights * signs / self._scales
        combined = sum((f * s.coefficients for f, s in zip(factors, stages, strict=True)))
        offset = float(sum(f * s.offset for f, s in zip(factors, stages, strict=True)))
        self._session.set_objective(np.asarray(combined, dtype=np.float64), "min", offset)
        result = self._solve("weighted", clock, record)
        self._note_result("weighted", result, record)
        record.notes.append("weighted mode: an approximation of the lexicographic order")
        if not result.status.is_optimal or result.x is None:
            return self._failure("weighted", result, None, record)
        return SolveStatus.OPTIMAL, None, result.x

    def _dual_solves(self, x: FloatArray | None, clock: _Clock, record: _Record) -> None:
        """Duals from LP re-solves: integers fixed at ``x`` (MILP), stages re-run from stage 1."""
        if x is None:
            return
        if self._lp.is_mip:
            self._fix_integers(x)
            record.duals_from_fixed_lp = True
            record.notes.append("duals come from the LP with integer columns fixed")
        self._release_holds()
        self._unpin()  # a rescued stage's fixed columns would price every budget at 0
        stages = self._lp.objectives
        for k in range(self._dual_stages[-1] + 1):
            stage = stages[k]
            if clock.expired():
                record.notes.append(f"no duals from stage {stage.name} on: time limit reached")
                return
            self._session.set_objective(stage.coefficients, stage.sense, stage.offset)
            result = self._solve(f"duals[{stage.name}]", clock, record,
                                 ranging=self._ranging and k in self._dual_stages)
            self._note_result(f"duals[{stage.name}]", result, record, gap=False)
            if not result.status.is_optimal or result.x is None or result.row_duals is None:
                record.notes.append(f"no duals from stage {stage.name} on: {result.detail}")
                return
            if k in self._dual_stages:
                self._keep_duals(stage.name, result, record)
            self._hold(k, result.x)

    def _solve(self, name: str, clock: _Clock, record: _Record, ranging: bool = False) -> StageResult:
        """One solve; when it ends in a numerical ERROR, once more from scratch if the backend can
        drop its warm start (HiGHS' dual simplex can fail from an earlier stage's basis on models
        whose money spans many orders of magnitude, and succeed cold)."""
        result = self._session.solve(clock.remaining(), ranging=ranging)
        forget = getattr(self._session, "forget_basis", None)
        if result.status is SolveStatus.ERROR and forget is not None and not clock.expired():
            forget()
            record.notes.append(f"stage {name}: the warm-started solve ended error ({result.detail}); "
                                "solved again from scratch")
            result = self._session.solve(clock.remaining(), ranging=ranging)
        return result

    def _rescue(self, k: int, x: FloatArray, clock: _Clock, record: _Record,
                ranging: bool = False) -> StageResult:
        """Stage k again after its held solve ended error or infeasible, which is numerical: with
        the earlier stages held, ``x`` satisfies the stage, so it cannot be truly infeasible (a
        hold row sums shares of programmes whose costs differ by many orders of magnitude, which
        HiGHS cannot always keep within tolerance).

        First every column of the held stages' objectives is fixed at ``x`` instead of the hold
        rows, so the earlier stages keep exactly their values (stage k can then no longer trade
        between deliveries that tie on them); failing that, the holds are loosened 10 and then
        100 times. Each step is noted.
        """
        name = self._lp.objectives[k].name
        held = np.vstack([s.coefficients for s in self._lp.objectives[:k]])
        columns = np.flatnonzero(np.any(held != 0, axis=0))
        values = np.clip(x[columns], self._lp.col_lower[columns], self._lp.col_upper[columns])
        self._session.set_col_bounds(columns, values, values)
        self._pinned = np.union1d(self._pinned, columns).astype(np.int64)
        self._release_holds()
        record.notes.append(f"stage {name}: the held solve failed numerically; solved again with the "
                            "columns of the earlier stages fixed at their values")
        result = self._solve(name, clock, record, ranging=ranging)
        for factor in (10.0, 100.0):
            if result.status.is_optimal or clock.expired():
                break
            self._unpin()
            for j in range(k):
                self._hold(j, x, factor=factor)
            record.notes.append(f"stage {name}: solved again with the earlier stages held {factor:g} "
                                "times looser")
            result = self._solve(name, clock, record, ranging=ranging)
        return result

    def _unpin(self) -> None:
        if self._pinned.size:
            pinned = self._pinned
            self._session.set_col_bounds(pinned, self._lp.col_lower[pinned], self._lp.col_upper[pinned])
            self._pinned = np.zeros(0, dtype=np.int64)

    def _failure(
        self, name: str, result: StageResult, previous: FloatArray | None, record: _Record
    ) -> tuple[SolveStatus, str | None, FloatArray | None]:
        """A stage that did not prove optimality ends the run with the best point there is."""
        x = result.x if result.status.has_solution and result.x is not None else previous
        status = result.status
        if status is SolveStatus.NO_SOLUTION_STOPPED and x is not None:
            status = SolveStatus.FEASIBLE_STOPPED
        record.notes.append(f"stage {name} ended {result.status.value}: {result.detail}")
        return status, name, x

    def _note_result(self, name: str, result: StageResult, record: _Record, gap: bool = True) -> None:
        record.timings[name] = result.runtime
        if result.ranging_runtime:
            record.timings[f"ranging[{name}]"] = result.ranging_runtime
        if gap and result.mip_gap is not None:
            record.gaps.append(result.mip_gap)

    def _keep_duals(self, name: str, result: StageResult, record: _Record) -> None:
        """Keep duals and ranging of the original rows only (not the stage holds)."""
        n_rows = self._lp.n_rows
        if result.row_duals is not None:
            record.duals[name] = result.row_duals[:n_rows].copy()
        ranging = result.row_ranging or RowRanging.unknown(n_rows)
        record.ranging[name] = ranging.take(n_rows)

    def _hold(self, k: int, x: FloatArray, looser_than: tuple[float, float] | None = None,
              factor: float = 1.0) -> tuple[float, float]:
        """Keep stage k at the value it has at ``x``, within ``factor`` x :func:`hold_tolerance`.

        ``looser_than`` (a previous hold's bounds) keeps whichever of the two is looser. Returns the
        bounds set.
        """
        stage = self._lp.objectives[k]
        value = float(stage.coefficients @ x) + stage.offset
        bound = value - stage.offset
        slack = factor * hold_tolerance(value)
        lower, upper = (-np.inf, bound + slack) if stage.sense == "min" else (bound - slack, np.inf)
        if looser_than is not None:
            lower, upper = min(lower, looser_than[0]), max(upper, looser_than[1])
        self._session.set_row_bounds(self._holds[k : k + 1], np.array([lower]), np.array([upper]))
        return lower, upper

    def _fix_integers(self, x: FloatArray) -> None:
        """Fix integer columns at their values in ``x`` and relax integrality: an LP remains.

        Not rounded on purpose: the stage holds were computed at ``x``, and moving an integer
        column by its integrality tolerance (1e-6) can break a hold and make the LP infeasible.
        """
        columns = self._integer_columns
        low, up = self._lp.col_lower[columns], self._lp.col_upper[columns]
        values = np.clip(x[columns], low, up)
        self._session.set_col_bounds(columns, values, values)
        self._session.set_integrality(np.zeros(self._lp.n_cols, dtype=bool))

    def _release_holds(self) -> None:
        count = self._holds.size
        self._session.set_row_bounds(self._holds, np.full(count, -np.inf), np.full(count, np.inf))

    def _restore(self) -> None:
        """Undo what a previous run changed (holds, fixed integers, pinned columns); keep row-bound
        updates."""
        self._release_holds()
        self._hold_points = {}
        self._unpin()
        if self._lp.is_mip:
            columns = self._integer_columns
            lower, upper = self._lp.col_lower[columns], self._lp.col_upper[columns]
            self._session.set_col_bounds(columns, lower, upper)
            self._session.set_integrality(self._lp.integrality)


def solve_stages(
    lp: LinearProgram,
    backend: Backend,
    options: SolverOptions,
    mode: Mode = "lexicographic",
    stage_weights: Sequence[float] = DEFAULT_STAGE_WEIGHTS,
    fix_integers_after_stage: int | None = 2,
    dual_stages: Sequence[int] | None = None,
    stage_scales: Sequence[float] | None = None,
    ranging: bool = True,
    refine: Refiner | None = None,
) -> Solution:
    """Solve ``lp``'s stage objectives once; see :class:`StageSolver` for the arguments."""
    with StageSolver(
        lp,
        backend,
        options,
        mode=mode,
        stage_weights=stage_weights,
        stage_scales=stage_scales,
        fix_integers_after_stage=fix_integers_after_stage,
        dual_stages=dual_stages,
        ranging=ranging,
        refine=refine,
    ) as solver:
        return solver.run()
