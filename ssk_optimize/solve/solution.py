"""What a multi-stage solve hands to the results layer: primal, duals, status, provenance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ssk_optimize.model.lp import FloatArray
from ssk_optimize.solve.base import RowRanging
from ssk_optimize.solve.status import SolveStatus

Mode = Literal["lexicographic", "weighted"]


@dataclass(frozen=True)
class Solution:
    """The outcome of :func:`~ssk_optimize.solve.lexicographic.solve_stages`.

    ``x`` is the best feasible point found (None when there is none). When a stage did not reach
    OPTIMAL, ``failed_stage`` names it, ``status`` is its status (NO_SOLUTION_STOPPED becomes
    FEASIBLE_STOPPED when an earlier stage left a feasible ``x``), and ``x`` comes from that stage's
    incumbent or else the last finished stage.

    ``stage_values`` are every stage objective evaluated at ``x`` (offset included), so they
    describe the reported point even when a stage was cut short.

    ``duals[stage]`` and ``ranging[stage]`` cover the LinearProgram's ORIGINAL rows only, with the
    sign convention of :mod:`ssk_optimize.solve.base` (d objective / d active bound, in the
    stage's own sense). For a MILP they come from the LP with every integer column fixed at its
    value in ``x`` (``duals_from_fixed_lp``); ``integers_fixed`` says whether later stages were
    solved as that LP. ``notes`` explains anything a reader of the manifest should know
    (approximations, missing duals).
    """

    status: SolveStatus
    x: FloatArray | None
    stage_values: Mapping[str, float]
    mode: Mode
    solver: str
    solver_version: str
    method: str
    mip_gap: float
    failed_stage: str | None = None
    duals: Mapping[str, FloatArray] = field(default_factory=dict)
    ranging: Mapping[str, RowRanging] = field(default_factory=dict)
    integers_fixed: bool = False
    duals_from_fixed_lp: bool = False
    achieved_mip_gap: float | None = None
    timings: Mapping[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def is_optimal(self) -> bool:
        """The one predicate callers test before reporting results as optimal."""
        return self.status.is_optimal

    @property
    def has_solution(self) -> bool:
        """True when ``x`` is a feasible point (optimal or not)."""
        return self.x is not None and self.status.has_solution
