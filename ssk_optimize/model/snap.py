"""Snap bounds for a solved point: the figures it misses only by solver tolerance (formulation.md 8.1).

The last stage minimises rank-weighted money with the earlier stages held to 1e-7 relative, so it
can buy a money saving by delivering 99.99999% of a programme (29.9999995 of 30 units) or a whole
unit short by its integrality tolerance. :func:`snap_refinement` gives the bounds that remove that
freedom for the point found:

- a divisible programme whose shares sum to at least ``1 - SNAP_REL`` is complete:
  ``quantity[p]`` becomes ``sum_t s[p,t] = 1``;
- a whole-unit programme's ``whole[p]`` column is fixed at ``round(whole[p])``.

The stage driver solves the last stage once more under these bounds with the holds kept, so the
money the completion needs comes from what the solver can legally move (other pools, years, or
partially funded programmes), and the plan is then checked as usual.
"""

from __future__ import annotations

import numpy as np

from ssk_optimize.model.formulation import BuiltModel
from ssk_optimize.model.lp import FloatArray, Refinement

SNAP_REL = 1e-6  # a programme delivered to within this share of its quantity is complete


def snap_refinement(model: BuiltModel, x: FloatArray) -> Refinement:
    """Bounds completing near-complete divisible programmes and rounding whole units at ``x``."""
    ix = model.index
    share = ix.share
    n_programmes = len(ix.programs)
    totals = np.bincount(share["program_row"].to_numpy(), weights=x[share["col"].to_numpy()],
                         minlength=n_programmes)
    divisible = ix.programs["divisible"].to_numpy(dtype=bool)
    complete = np.flatnonzero(divisible & (totals >= 1.0 - SNAP_REL))
    rows = model.family_rows["quantity"][complete]
    cols = ix.whole["col"].to_numpy(dtype=np.int64)
    lower, upper = model.lp.col_lower[cols], model.lp.col_upper[cols]
    whole = np.clip(np.round(x[cols]), lower, upper)
    moved = int(np.count_nonzero(np.abs(whole - x[cols]) > 0))
    what = (f"{complete.size} programme(s) delivered within {SNAP_REL:g} of their quantity "
            f"completed, {moved} whole-unit count(s) rounded")
    return Refinement(rows=rows.astype(np.int64), row_lower=np.ones(rows.size), row_upper=np.ones(rows.size),
                      cols=cols, col_lower=whole, col_upper=whole, what=what)
