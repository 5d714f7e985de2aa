"""The solver-neutral linear program every backend consumes.

    minimise or maximise  c_s' x           for each named stage objective s
    subject to            row_lower <= A x <= row_upper
                          col_lower <= x <= col_upper
                          x_j integer where integrality[j]

Rows and columns carry names built from the rule and the keys they bind
(``pool_budget[dak_lamandau,2027]``, ``fund[tangki_septik_bulik,dak_lamandau,2027]``) so a dual or an
infeasibility can be traced back to a rule and, through ``row_source``, to a YAML line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

Sense = Literal["min", "max"]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.object_]


@dataclass(frozen=True)
class StageObjective:
    """One stage of the (lexicographic) objective: ``sense`` of ``coefficients @ x``.

    ``scale`` converts the solver's value to the stage's natural units (households, money):
    ``natural = scale * (coefficients @ x + offset)``. It lets a stage keep coefficients near 1
    for the solver (money stages: rank per ``money_scale`` money units) and still be reported in
    natural units.
    """

    name: str
    coefficients: FloatArray
    sense: Sense = "min"
    offset: float = 0.0
    scale: float = 1.0


@dataclass(frozen=True)
class LinearProgram:
    """A sparse LP/MILP with named rows and columns and one or more stage objectives."""

    matrix: sp.csr_matrix
    row_lower: FloatArray
    row_upper: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    integrality: BoolArray
    col_names: StrArray
    row_names: StrArray
    objectives: tuple[StageObjective, ...] = ()
    row_families: StrArray = field(default_factory=lambda: np.empty(0, dtype=object))

    @property
    def n_cols(self) -> int:
        """Number of variables."""
        return int(self.col_lower.shape[0])

    @property
    def n_rows(self) -> int:
        """Number of constraints."""
        return int(self.row_lower.shape[0])

    @property
    def is_mip(self) -> bool:
        """True when any variable must take whole values."""
        return bool(self.integrality.any())

    def check_shapes(self) -> None:
        """Raise ValueError when arrays disagree with the matrix shape (a builder bug)."""
        n_rows, n_cols = self.matrix.shape
        for name, arr, n in (
            ("row_lower", self.row_lower, n_rows),
            ("row_upper", self.row_upper, n_rows),
            ("row_names", self.row_names, n_rows),
            ("col_lower", self.col_lower, n_cols),
            ("col_upper", self.col_upper, n_cols),
            ("integrality", self.integrality, n_cols),
            ("col_names", self.col_names, n_cols),
        ):
            if arr.shape[0] != n:
                raise ValueError(f"{name} has {arr.shape[0]} entries, expected {n}")
        for objective in self.objectives:
            if objective.coefficients.shape[0] != n_cols:
                raise ValueError(f"objective {objective.name} has wrong length")


@dataclass(frozen=True)
class Refinement:
    """Bounds that snap a found point to the figures it only misses by solver tolerance.

    Given by the model (which knows what a delivered share or a whole unit is) to the stage
    driver, which applies them, solves the last stage once more with the earlier stages held,
    and then puts the row bounds back. ``what`` says in words what was snapped, for the notes.
    """

    rows: npt.NDArray[np.int64]
    row_lower: FloatArray
    row_upper: FloatArray
    cols: npt.NDArray[np.int64]
    col_lower: FloatArray
    col_upper: FloatArray
    what: str = ""

    @property
    def empty(self) -> bool:
        """True when nothing is snapped."""
        return self.rows.size == 0 and self.cols.size == 0
