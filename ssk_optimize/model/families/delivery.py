"""Families about what is delivered: cost, quantity, readiness, O&M obligations, coverage.

Notation (internal scaling, see :mod:`ssk_optimize.model.index`): ``s[p,t]`` is the share of
programme p's quantity delivered in year t, ``F``/``O``/``S`` are money in ``money_scale`` units,
``Q[p]`` the quantity, ``c[p,t]`` the unit cost, ``M`` the money scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ssk_optimize.model.builder import LpBuilder, labels
from ssk_optimize.model.families.common import (
    capital_per_share,
    done_grid,
    program_ids,
    region_ids,
    years_of,
)
from ssk_optimize.model.index import ProblemIndex, _ranges


def add_cost(lp: LpBuilder, ix: ProblemIndex) -> None:
    """Cost: ``sum_b F[p,b,t] = c[p,t] * Q[p] / M * s[p,t]`` for every programme-year in its window.

    Rows ``cost[program,year]``, stored divided by ``k = c[p,t] Q[p] / M`` (the money of the whole
    quantity): ``sum_b F[p,b,t] / k - s[p,t] = 0``. The solver's absolute row tolerance then means
    a share of the quantity (1e-7) and 1e-7 of the programme's cost, not 1e-7 x M money, which
    for a cheap programme would be a visible share delivered without money.
    A programme-year with no eligible pool can only deliver nothing.
    """
    share = ix.share
    n = len(share)
    row_of = np.full((len(ix.programs), ix.n_years), -1, dtype=np.int64)
    row_of[share["program_row"].to_numpy(), share["t"].to_numpy()] = np.arange(n)
    fund_rows = row_of[ix.fund["program_row"].to_numpy(), ix.fund["t"].to_numpy()]
    coefficient = capital_per_share(ix, share["program_row"].to_numpy(), share["t"].to_numpy())
    lp.add_rows(
        "cost",
        labels("cost", program_ids(ix, share["program_row"]), years_of(ix, share["t"])),
        0.0, 0.0,
        np.concatenate([fund_rows, np.arange(n)]),
        np.concatenate([ix.fund["col"].to_numpy(), share["col"].to_numpy()]),
        np.concatenate([1.0 / coefficient[fund_rows], -np.ones(n)]),
        keys=share[["program_row", "t"]],
    )


def add_quantity(lp: LpBuilder, ix: ProblemIndex) -> None:
    """Quantity: ``min_quantity[p] / Q[p] <= sum_t s[p,t] <= 1``; whole units where indivisible.

    Rows ``quantity[program]``; for ``divisible: false`` also ``whole[program]``:
    ``sum_t Q[p] * s[p,t] - whole[p] = 0`` with ``whole[p]`` an integer column.
    """
    programs = ix.programs
    quantity = programs["quantity"].to_numpy(dtype=float)
    lp.add_rows(
        "quantity", labels("quantity", programs["program"]),
        programs["min_quantity"].to_numpy(dtype=float) / quantity, 1.0,
        ix.share["program_row"].to_numpy(), ix.share["col"].to_numpy(), np.ones(len(ix.share)),
        keys=pd.DataFrame({"program_row": np.arange(len(programs), dtype=np.int64)}),
    )
    if len(ix.whole) == 0:
        return
    local = pd.Series(np.arange(len(ix.whole)), index=ix.whole["program_row"])
    members = ix.share[ix.share["program_row"].isin(ix.whole["program_row"])]
    member_rows = local.loc[members["program_row"]].to_numpy()
    lp.add_rows(
        "whole", labels("whole", program_ids(ix, ix.whole["program_row"])), 0.0, 0.0,
        np.concatenate([member_rows, np.arange(len(ix.whole))]),
        np.concatenate([members["col"].to_numpy(), ix.whole["col"].to_numpy()]),
        np.concatenate([quantity[members["program_row"].to_numpy()], -np.ones(len(ix.whole))]),
        keys=ix.whole[["program_row"]],
    )


#: A whole unit paid to more than ``1 - COMPLETE_GAP`` of its cost at a year's end is not left
#: unfinished: the completion row's upper bound (units) with max_years > 1 (formulation.md 12.1).
COMPLETE_GAP = 1e-3


def add_completion(lp: LpBuilder, ix: ProblemIndex) -> None:
    """Whole-unit completion: ``D[p,t]`` integer units complete by the end of year t.

    With ``P[p,t] = Q[p] * sum_{tau<=t} s[p,tau]`` the units paid by the end of t (for every
    year t of a ``divisible: false`` programme's window):

    - ``completion[program,year]``: ``0 <= P[p,t] - D[p,t] <= u[p]``, with ``u = 0`` when
      ``max_years`` is 1 (whole units paid every year) and ``u = 1 - COMPLETE_GAP`` otherwise
      (``D = floor(P)``: every fully paid unit counts as complete, the rest is in progress);
    - ``max_years[program,year]`` (``m = max_years > 1``, for ``t + m - 1`` inside the window):
      ``P[p,t] - D[p,t+m-1] <= 0``: what is paid by t is complete by t + m - 1. At the window's
      end ``P = D = whole[p]`` (integer), so every unit is paid within m consecutive years.

    Coverage and O&M of year t read ``D[p,t-1]`` (:func:`add_coverage`, :func:`add_om_obligations`).
    """
    done = ix.done
    if done.empty:
        return
    quantity = ix.programs["quantity"].to_numpy(dtype=float)
    spans = ix.programs["max_years"].to_numpy(dtype=np.int64)
    rows = done[["program_row", "t", "col"]].reset_index(drop=True)
    rows["row"] = np.arange(len(rows))
    paid = rows.merge(ix.share, on="program_row", suffixes=("", "_var"))
    paid = paid[paid["t_var"] <= paid["t"]]
    upper = np.where(spans[rows["program_row"].to_numpy()] > 1, 1.0 - COMPLETE_GAP, 0.0)
    lp.add_rows(
        "completion",
        labels("completion", program_ids(ix, rows["program_row"]), years_of(ix, rows["t"])),
        0.0, upper,
        np.concatenate([paid["row"].to_numpy(), rows["row"].to_numpy()]),
        np.concatenate([paid["col_var"].to_numpy(), rows["col"].to_numpy()]),
        np.concatenate([quantity[paid["program_row"].to_numpy()], -np.ones(len(rows))]),
        keys=rows[["program_row", "t"]],
    )
    end = ix.programs["end"].to_numpy() - int(ix.years[0])
    span = spans[rows["program_row"].to_numpy()]
    later = rows[(span > 1) & (rows["t"].to_numpy() + span - 1 < end[rows["program_row"].to_numpy()])]
    if later.empty:
        return
    later = later.assign(due=later["t"] + spans[later["program_row"].to_numpy()] - 1)
    later = later.reset_index(drop=True).assign(row=np.arange(len(later)))
    due = later.merge(done, left_on=["program_row", "due"], right_on=["program_row", "t"],
                      suffixes=("", "_due"))
    paid = later.merge(ix.share, on="program_row", suffixes=("", "_var"))
    paid = paid[paid["t_var"] <= paid["t"]]
    lp.add_rows(
        "max_years",
        labels("max_years", program_ids(ix, later["program_row"]), years_of(ix, later["t"])),
        -np.inf, 0.0,
        np.concatenate([paid["row"].to_numpy(), due["row"].to_numpy()]),
        np.concatenate([paid["col_var"].to_numpy(), due["col_due"].to_numpy()]),
        np.concatenate([quantity[paid["program_row"].to_numpy()], -np.ones(len(due))]),
        keys=later[["program_row", "t"]],
    )


def add_readiness(lp: LpBuilder, ix: ProblemIndex) -> None:
    """Readiness: ``sum_{tau<=t} s[p,tau] <= sum_{tau<t} s[q,tau]`` for each prerequisite q of p.

    One row per (p, q, t) with t in p's window: ``readiness[program,prerequisite,year]``. A
    programme may deliver by the end of t only the share its prerequisites completed by t-1. A
    whole-unit prerequisite counts its complete units, ``D[q,t-1] / Q[q]`` (:func:`add_completion`).
    """
    position = {p: i for i, p in enumerate(ix.programs["program"])}
    links = pd.DataFrame([(position[p.id], position[q]) for p in ix.scenario.programs
                          for q in p.requires], columns=["p", "q"], dtype=np.int64)
    if links.empty:
        return
    rows = links.merge(ix.share[["program_row", "t"]], left_on="p", right_on="program_row")
    rows = rows[["p", "q", "t"]].reset_index(drop=True)
    rows["row"] = np.arange(len(rows))
    own = rows.merge(ix.share, left_on="p", right_on="program_row", suffixes=("", "_var"))
    own = own[own["t_var"] <= own["t"]]
    divisible = ix.programs["divisible"].to_numpy(dtype=bool)
    before = rows[divisible[rows["q"].to_numpy()]].merge(
        ix.share, left_on="q", right_on="program_row", suffixes=("", "_var"))
    before = before[before["t_var"] < before["t"]]
    # a whole-unit prerequisite counts its complete units: D[q,t-1] / Q[q]
    whole = rows[~divisible[rows["q"].to_numpy()] & (rows["t"].to_numpy() > 0)]
    done = done_grid(ix)[whole["q"].to_numpy(), whole["t"].to_numpy() - 1]
    whole, done = whole[done >= 0], done[done >= 0]
    quantity = ix.programs["quantity"].to_numpy(dtype=float)
    lp.add_rows(
        "readiness",
        labels("readiness", program_ids(ix, rows["p"]), program_ids(ix, rows["q"]),
               years_of(ix, rows["t"])),
        -np.inf, 0.0,
        np.concatenate([own["row"].to_numpy(), before["row"].to_numpy(), whole["row"].to_numpy()]),
        np.concatenate([own["col"].to_numpy(), before["col"].to_numpy(), done]),
        np.concatenate([np.ones(len(own)), -np.ones(len(before)),
                        -1.0 / quantity[whole["q"].to_numpy()]]),
        keys=rows[["p", "q", "t"]].rename(columns={"p": "program_row", "q": "prerequisite_row"}),
    )


def add_om_obligations(lp: LpBuilder, ix: ProblemIndex) -> None:
    """O&M: ``sum_b O[p,b,t] = om_rate[p] * sum_{tau<t} c[p,tau] Q[p] / M * s[p,tau]``.

    For a whole-unit programme only complete units cost O&M, each at the unit cost of the year it
    was completed: ``sum_b O[p,b,t] = om_rate[p] * sum_{tau<t} c[p,tau] / M * (D[p,tau] -
    D[p,tau-1])`` (``D`` of :func:`add_completion`; equal to the build-year cost when max_years
    is 1).

    For every programme with ``om_rate > 0`` and every year after its window opens, to the end of
    the horizon: ``om_obligation[program,year]``, stored divided by the yearly O&M of the whole
    quantity at its dearest cost (``om_rate * max c * Q / M``) so the row tolerance is relative.
    With no O&M-eligible pool the row forces the programme to build nothing before the horizon's
    last year (reason ``om_burden``).
    Existing assets: ``baseline_om[region,year]``: ``sum_b base_om[r,b,t] = baseline_om[r,t] / M``
    from the region's own pools of the ``baseline_om_sources`` types.
    """
    programs = ix.programs
    with_om = programs.index[programs["om_rate"].to_numpy() > 0].to_numpy()
    first = programs["start"].to_numpy()[with_om] - int(ix.years[0]) + 1
    repeats = np.clip(ix.n_years - first, 0, None)
    rows = pd.DataFrame({"p": np.repeat(with_om, repeats)})
    rows["t"] = np.repeat(first, repeats) + _ranges(repeats)
    rows["row"] = np.arange(len(rows))
    money = rows.merge(ix.om, left_on=["p", "t"], right_on=["program_row", "t"])
    divisible = programs["divisible"].to_numpy(dtype=bool)
    built = rows[divisible[rows["p"].to_numpy()]].merge(
        ix.share, left_on="p", right_on="program_row", suffixes=("", "_var"))
    built = built[built["t_var"] < built["t"]]
    rate = programs["om_rate"].to_numpy(dtype=float)
    capital = capital_per_share(ix, built["p"].to_numpy(), built["t_var"].to_numpy())
    # whole units: O&M of the units complete by t-1, each at its completion year's unit cost:
    # sum_{tau<t} c[tau] (D[tau] - D[tau-1]) = sum c[tau] D[tau] - sum_{tau>start} c[tau] D[tau-1]
    done = rows[~divisible[rows["p"].to_numpy()]].merge(
        ix.done, left_on="p", right_on="program_row", suffixes=("", "_var"))
    done = done[done["t_var"] < done["t"]]
    per_unit = ix.cost_scaled[done["p"].to_numpy(), done["t_var"].to_numpy()]
    grid = done_grid(ix)
    before = done[grid[done["p"].to_numpy(), np.maximum(done["t_var"].to_numpy() - 1, 0)] >= 0]
    before = before[before["t_var"] > programs["start"].to_numpy()[before["p"].to_numpy()]
                    - int(ix.years[0])]
    before = before.assign(col_before=grid[before["p"].to_numpy(), before["t_var"].to_numpy() - 1])
    before_cost = ix.cost_scaled[before["p"].to_numpy(), before["t_var"].to_numpy()]
    dearest = np.nanmax(ix.cost_scaled, axis=1, initial=0.0, where=np.isfinite(ix.cost_scaled))
    scale = rate * dearest * programs["quantity"].to_numpy(dtype=float)
    lp.add_rows(
        "om_obligation",
        labels("om_obligation", program_ids(ix, rows["p"]), years_of(ix, rows["t"])),
        0.0, 0.0,
        np.concatenate([money["row"].to_numpy(), built["row"].to_numpy(), done["row"].to_numpy(),
                        before["row"].to_numpy()]),
        np.concatenate([money["col"].to_numpy(), built["col"].to_numpy(), done["col"].to_numpy(),
                        before["col_before"].to_numpy()]),
        np.concatenate([1.0 / scale[money["p"].to_numpy()],
                        -rate[built["p"].to_numpy()] * capital / scale[built["p"].to_numpy()],
                        -rate[done["p"].to_numpy()] * per_unit / scale[done["p"].to_numpy()],
                        rate[before["p"].to_numpy()] * before_cost / scale[before["p"].to_numpy()]]),
        keys=rows[["p", "t"]].rename(columns={"p": "program_row"}),
    )
    _add_baseline_om(lp, ix)


def _add_baseline_om(lp: LpBuilder, ix: ProblemIndex) -> None:
    if ix.baseline_need.empty:
        return
    need = ix.baseline_need.assign(row=np.arange(len(ix.baseline_need)))
    money = need.merge(ix.base_om, on=["region_row", "t"])
    amount = ix.scaled(need["amount"].to_numpy(dtype=float))
    lp.add_rows(
        "baseline_om",
        labels("baseline_om", region_ids(ix, need["region_row"]), years_of(ix, need["t"])),
        amount, amount, money["row"].to_numpy(), money["col"].to_numpy(), np.ones(len(money)),
        keys=need[["region_row", "t"]],
    )


def add_coverage(lp: LpBuilder, ix: ProblemIndex) -> None:
    """Coverage: for each target (r, k, t), as shares of the households H[r,t]:

    ``baseline[r,k]/H + sum_{p in r, tau<=t} serves[p,k] Q[p]/H * s[p,tau] + short[r,k,t]
    >= target[r,k,t]``. Rows ``coverage[region,indicator,year]``; ``short`` is the shortfall
    share (fixed at 0 with ``hard_targets``). A whole-unit programme serves with its complete
    units of the year before: ``serves[p,k] / H * D[p,t-1]`` in place of its share terms.
    """
    targets = ix.shortfall
    if targets.empty:
        return
    position = {r: i for i, r in enumerate(ix.regions["region"])}
    serves = pd.DataFrame([(row, position[p.region], k, v)
                           for row, p in enumerate(ix.scenario.programs)
                           for k, v in p.serves.items() if v > 0],
                          columns=["p", "region_row", "indicator", "serves"])
    # typed even when nothing serves an indicator (an empty frame would be object-typed)
    serves = serves.astype({"p": np.int64, "region_row": np.int64, "serves": float})
    rows = targets.reset_index(drop=True).assign(row=np.arange(len(targets)))
    terms = rows.merge(serves, on=["region_row", "indicator"])
    divisible = ix.programs["divisible"].to_numpy(dtype=bool)
    whole = terms[~divisible[terms["p"].to_numpy()]]
    terms = terms[divisible[terms["p"].to_numpy()]]
    terms = terms.merge(ix.share, left_on="p", right_on="program_row", suffixes=("", "_var"))
    terms = terms[terms["t_var"] <= terms["t"]]
    quantity = ix.programs["quantity"].to_numpy(dtype=float)[terms["p"].to_numpy()]
    value = terms["serves"].to_numpy(dtype=float) * quantity / terms["households"].to_numpy()
    # whole units serve from the year after they are complete: D[p,t-1] (its last value after
    # the window; nothing in the window's first year)
    previous = whole["t"].to_numpy() - 1
    done = done_grid(ix)[whole["p"].to_numpy(), np.maximum(previous, 0)]
    done = np.where(previous >= 0, done, -1)
    whole = whole.assign(col_done=done)[done >= 0]
    whole_value = whole["serves"].to_numpy(dtype=float) / whole["households"].to_numpy()
    lower = rows["target"].to_numpy() - rows["baseline"].to_numpy() / rows["households"].to_numpy()
    lp.add_rows(
        "coverage",
        labels("coverage", region_ids(ix, rows["region_row"]), rows["indicator"],
               years_of(ix, rows["t"])),
        lower, np.inf,
        np.concatenate([terms["row"].to_numpy(), whole["row"].to_numpy(), rows["row"].to_numpy()]),
        np.concatenate([terms["col_var"].to_numpy(), whole["col_done"].to_numpy(),
                        rows["col"].to_numpy()]),
        np.concatenate([value, whole_value, np.ones(len(rows))]),
        keys=rows[["region_row", "indicator", "t"]],
    )



def add_exclusions(lp: LpBuilder, ix: ProblemIndex) -> None:
    """Mutually exclusive alternatives (``programs[].excludes``, symmetric).

    A binary ``built[p]`` for every programme in an excluded pair:
    ``sum_t s[p,t] - built[p] <= 0`` (rows ``excludes_built[program]``), and per excluded pair
    ``built[p] + built[q] <= 1`` (rows ``excludes[program,other]``, ids in canonical order).
    """
    if ix.exclusions.empty:
        return
    built = ix.built.reset_index(drop=True)
    n = len(built)
    local = pd.Series(np.arange(n), index=built["program_row"].to_numpy())
    members = ix.share[ix.share["program_row"].isin(built["program_row"])]
    lp.add_rows(
        "excludes_built", labels("excludes_built", program_ids(ix, built["program_row"])),
        -np.inf, 0.0,
        np.concatenate([local.loc[members["program_row"]].to_numpy(), np.arange(n)]),
        np.concatenate([members["col"].to_numpy(), built["col"].to_numpy()]),
        np.concatenate([np.ones(len(members)), -np.ones(n)]),
        keys=built[["program_row"]],
    )
    col = pd.Series(built["col"].to_numpy(), index=built["program_row"].to_numpy())
    pairs = ix.exclusions
    m = len(pairs)
    lp.add_rows(
        "excludes", labels("excludes", program_ids(ix, pairs["p"]), program_ids(ix, pairs["q"])),
        -np.inf, 1.0, np.tile(np.arange(m), 2),
        np.concatenate([col.loc[pairs["p"]].to_numpy(), col.loc[pairs["q"]].to_numpy()]),
        np.ones(2 * m),
        keys=pairs.rename(columns={"p": "program_row", "q": "other_row"}),
    )
