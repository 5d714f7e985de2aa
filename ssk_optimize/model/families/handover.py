"""The O&M handover family: what the plan's assets leave to the next plan (``rules.om_handover_cap``).

Notation as in :mod:`ssk_optimize.model.families.delivery`: ``s[p,t]`` the share of programme p
delivered in year t, ``c[p,t] Q[p] / M`` the scaled capital of its whole quantity in year t, ``L``
the horizon's last year.

For a region r, with ``P_r`` its programmes with ``om_rate > 0``:

- O&M left to the next plan (the yearly O&M of every asset built in the horizon, as
  ``programs.om_after_horizon``): ``A[r] = sum_{p in P_r} om_rate[p] sum_{tau<=L} c[p,tau] Q[p]/M s[p,tau]``;
- programme O&M paid in the last year (the ``om_obligation`` rows of year L):
  ``B[r] = sum_{p in P_r} om_rate[p] sum_{tau<L} c[p,tau] Q[p]/M s[p,tau]``.

The cap ``A[r] <= (1 + cap) B[r]`` is therefore
``sum_{p in P_r} om_rate[p] c[p,L] Q[p]/M s[p,L] - cap * B[r] <= 0``: what is built in the last
year may add at most ``cap`` of the O&M already being paid. Baseline O&M (existing assets,
``regions[].baseline_om``) is on neither side: the rule compares the plan's own assets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ssk_optimize.model.builder import LpBuilder, labels
from ssk_optimize.model.families.common import capital_per_share, region_ids
from ssk_optimize.model.index import ProblemIndex


def add_om_handover(lp: LpBuilder, ix: ProblemIndex) -> None:
    """O&M handover cap: ``A[r] <= (1 + cap) * B[r]`` per region (module docstring).

    Rows ``om_handover[region]``, one per region with an O&M-bearing programme that may deliver in
    the last year (elsewhere ``A = B`` and the row could not bind), stored divided by the yearly
    O&M of the region's whole quantities at their dearest costs so the row tolerance is relative.
    Absent ``rules.om_handover_cap``: no rows. A one-year horizon pays no programme O&M
    (``B = 0``), so the cap then forbids building O&M-bearing assets at all.
    """
    cap = ix.scenario.rules.om_handover_cap
    if cap is None:
        return
    programs = ix.programs
    rate = programs["om_rate"].to_numpy(dtype=float)
    region_row = programs["region"].map(
        {r: i for i, r in enumerate(ix.regions["region"])}).to_numpy(dtype=np.int64)
    last = ix.n_years - 1
    terms = ix.share[rate[ix.share["program_row"].to_numpy()] > 0]
    p = terms["program_row"].to_numpy()
    t = terms["t"].to_numpy()
    regions = np.unique(region_row[p[t == last]])
    if len(regions) == 0:
        return
    row_of = np.full(len(ix.regions), -1, dtype=np.int64)
    row_of[regions] = np.arange(len(regions))
    rows = row_of[region_row[p]]
    keep = rows >= 0
    p, t, rows, cols = p[keep], t[keep], rows[keep], terms["col"].to_numpy()[keep]
    om = rate[p] * capital_per_share(ix, p, t)
    value = np.where(t == last, om, -cap * om)
    dearest = np.nanmax(ix.cost_scaled, axis=1, initial=0.0, where=np.isfinite(ix.cost_scaled))
    whole = rate * dearest * programs["quantity"].to_numpy(dtype=float)
    scale = np.bincount(region_row, weights=whole, minlength=len(ix.regions))[regions]
    lp.add_rows(
        "om_handover", labels("om_handover", region_ids(ix, regions)), -np.inf, 0.0,
        rows, cols, value / scale[rows],
        keys=pd.DataFrame({"region_row": regions}),
    )
