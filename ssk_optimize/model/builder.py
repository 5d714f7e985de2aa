"""Accumulates constraint blocks as (row, column, value) triplets; builds the sparse LP once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from ssk_optimize.model.lp import LinearProgram, StageObjective

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class LpBuilder:
    """Collects rows family by family; every row has a name and a family."""

    def __init__(self, n_cols: int) -> None:
        """Start an empty model over ``n_cols`` variables."""
        self.n_cols = n_cols
        self.n_rows = 0
        self._rows: list[IntArray] = []
        self._cols: list[IntArray] = []
        self._values: list[FloatArray] = []
        self._lower: list[FloatArray] = []
        self._upper: list[FloatArray] = []
        self._names: list[npt.NDArray[np.object_]] = []
        self._families: list[npt.NDArray[np.object_]] = []
        self.family_rows: dict[str, IntArray] = {}
        self.family_keys: dict[str, pd.DataFrame] = {}

    def add_rows(self, family: str, names: Sequence[str] | pd.Series | npt.NDArray[np.object_],
                 lower: FloatArray | float, upper: FloatArray | float,
                 rows: IntArray, cols: IntArray, values: FloatArray,
                 keys: pd.DataFrame | None = None) -> IntArray:
        """Add ``len(names)`` rows; ``rows`` index them locally from 0. Returns global row ids.

        ``keys`` (one row per added row) keeps what each row binds (programme row, year...), so
        explanations can read binding rows without parsing names.
        """
        count = len(names)
        first = self.n_rows
        self._rows.append(np.asarray(rows, dtype=np.int64) + first)
        self._cols.append(np.asarray(cols, dtype=np.int64))
        self._values.append(np.asarray(values, dtype=np.float64))
        self._lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (count,)).copy())
        self._upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (count,)).copy())
        self._names.append(np.asarray(names, dtype=object))
        self._families.append(np.full(count, family, dtype=object))
        self.n_rows += count
        ids = np.arange(first, first + count, dtype=np.int64)
        previous = self.family_rows.get(family)
        self.family_rows[family] = ids if previous is None else np.concatenate([previous, ids])
        if keys is not None:
            keys = keys.reset_index(drop=True).assign(row=ids)
            known = self.family_keys.get(family)
            self.family_keys[family] = keys if known is None else pd.concat([known, keys])
        return ids

    def build(self, col_lower: FloatArray, col_upper: FloatArray,
              integrality: npt.NDArray[np.bool_], col_names: npt.NDArray[np.object_],
              objectives: tuple[StageObjective, ...]) -> LinearProgram:
        """Concatenate the blocks into one CSR matrix (duplicates summed, zeros dropped)."""
        rows = _concat(self._rows, np.int64)
        cols = _concat(self._cols, np.int64)
        values = _concat(self._values, np.float64)
        keep = values != 0
        matrix = sp.csr_matrix((values[keep], (rows[keep], cols[keep])),
                               shape=(self.n_rows, self.n_cols))
        matrix.sum_duplicates()
        matrix.eliminate_zeros()
        lp = LinearProgram(
            matrix=matrix,
            row_lower=_concat(self._lower, np.float64),
            row_upper=_concat(self._upper, np.float64),
            col_lower=col_lower, col_upper=col_upper, integrality=integrality,
            col_names=col_names, row_names=_concat(self._names, np.object_),
            objectives=objectives, row_families=_concat(self._families, np.object_),
        )
        lp.check_shapes()
        return lp


def _concat(parts: Sequence[npt.NDArray[Any]], dtype: Any) -> npt.NDArray[Any]:
    if not parts:
        return np.zeros(0, dtype=dtype)
    return np.concatenate(parts).astype(dtype, copy=False)


def labels(prefix: str, *keys: pd.Series | npt.NDArray[np.generic]) -> npt.NDArray[np.object_]:
    """``prefix[k1,k2,...]`` for every row of the key arrays, vectorised."""
    if not keys or len(keys[0]) == 0:
        return np.zeros(0, dtype=object)
    text = pd.Series(np.asarray(keys[0]).astype(str), dtype=object)
    for key in keys[1:]:
        text = text + "," + pd.Series(np.asarray(key).astype(str), dtype=object)
    return (prefix + "[" + text + "]").to_numpy(dtype=object)
