"""Families about money: pool budgets, matching, share caps, per-region limits, locked money.

Notation as in :mod:`ssk_optimize.model.families.delivery`; ``F`` is capital money, ``O`` O&M
money, ``B`` baseline O&M money, all in ``money_scale`` units.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from ssk_optimize.model.builder import LpBuilder, labels
from ssk_optimize.model.families.common import (
    capital_per_share,
    group_rows,
    pool_ids,
    program_ids,
    share_grid,
    years_of,
)
from ssk_optimize.model.index import ProblemIndex
from ssk_optimize.scenario.eligibility import dana_desa_shares


def money_columns(ix: ProblemIndex) -> pd.DataFrame:
    """Every money column with its pool, year and (for programme money) programme: F, O and B."""
    capital = ix.fund[["program_row", "pool_row", "t", "col"]].assign(purpose="capex")
    upkeep = ix.om[["program_row", "pool_row", "t", "col"]].assign(purpose="om")
    baseline = ix.base_om[["pool_row", "t", "col"]].assign(program_row=-1, purpose="baseline_om")
    return pd.concat([capital, upkeep, baseline], ignore_index=True)


def add_pool_budgets(lp: LpBuilder, ix: ProblemIndex) -> npt.NDArray[np.int64]:
    """Pool budget: ``sum_p F[p,b,t] + sum_p O[p,b,t] + sum_r B[r,b,t] <= budget[b,t] / M``.

    One row per pool and year, ``pool_budget[pool,year]``, even where nothing may flow, so every
    pool-year has a shadow price. Returns the row ids (pool-major, year-minor).
    """
    n_pools, n_years = ix.budget.shape
    money = money_columns(ix)
    pool_row = np.repeat(np.arange(n_pools), n_years)
    t = np.tile(np.arange(n_years), n_pools)
    return lp.add_rows(
        "pool_budget", labels("pool_budget", pool_ids(ix, pool_row), years_of(ix, t)),
        -np.inf, ix.budget_scaled.reshape(-1),
        money["pool_row"].to_numpy() * n_years + money["t"].to_numpy(),
        money["col"].to_numpy(), np.ones(len(money)),
        keys=pd.DataFrame({"pool_row": pool_row, "t": t}),
    )


def add_matching(lp: LpBuilder, ix: ProblemIndex) -> None:
    """Matching: ``sum_{b of partners} F[p,b,t] >= m * sum_{b of S} F[p,b,t]`` per rule.

    For each rule ``{source: S, partners, share: m}`` and each programme-year that may take S
    money: ``matching[S,program,year]``, stored divided by the programme-year's full cost
    ``c[p,t] Q[p] / M`` so the row tolerance is relative to the programme, not to M.
    """
    source = ix.pools["source"].to_numpy(dtype=object)
    for rule in ix.scenario.rules.matching:
        fund = ix.fund.assign(source=source[ix.fund["pool_row"].to_numpy()])
        main = fund[fund["source"] == rule.source]
        if main.empty:
            continue
        keys, _ = group_rows(main, ["program_row", "t"])
        keys["row"] = np.arange(len(keys))
        main = main.merge(keys, on=["program_row", "t"])
        partners = fund[fund["source"].isin(rule.partners)].merge(keys, on=["program_row", "t"])
        full = capital_per_share(ix, keys["program_row"].to_numpy(), keys["t"].to_numpy())
        lp.add_rows(
            "matching",
            labels("matching", np.full(len(keys), rule.source, dtype=object),
                   program_ids(ix, keys["program_row"]), years_of(ix, keys["t"])),
            0.0, np.inf,
            np.concatenate([partners["row"].to_numpy(), main["row"].to_numpy()]),
            np.concatenate([partners["col"].to_numpy(), main["col"].to_numpy()]),
            np.concatenate([1.0 / full[partners["row"].to_numpy()],
                            -rule.share / full[main["row"].to_numpy()]]),
            keys=keys[["program_row", "t"]].assign(source=rule.source),
        )


def add_share_caps(lp: LpBuilder, ix: ProblemIndex) -> None:
    """Share caps (three rules).

    - Community capital: ``sum_{b MASYARAKAT} F[p,b,t] <= masyarakat_share * c[p,t] Q[p]/M * s[p,t]``
      rows ``masyarakat_share[program,year]`` (O&M money is not capped), stored divided by
      ``c[p,t] Q[p] / M`` like the cost row.
    - DAK supporting costs: per DAK pool and year, supporting money at most
      ``dak_supporting_share`` of the pool's spending:
      ``(1 - d) * sum_{p supporting} F[p,b,t] - d * sum_{p other} F[p,b,t] <= 0``,
      rows ``dak_supporting[pool,year]``.
    - Per-region limits of shared pools: ``min <= sum_{p in r} (F + O)[p,b,t] <= max`` (/M),
      rows ``per_region[pool,region,year]``.
    """
    _add_masyarakat(lp, ix)
    _add_dak_supporting(lp, ix)
    _add_per_region(lp, ix)


def _add_masyarakat(lp: LpBuilder, ix: ProblemIndex) -> None:
    source = ix.pools["source"].to_numpy(dtype=object)
    community = ix.fund[source[ix.fund["pool_row"].to_numpy()] == "MASYARAKAT"]
    if community.empty:
        return
    keys, position = group_rows(community, ["program_row", "t"])
    rows_p, rows_t = keys["program_row"].to_numpy(), keys["t"].to_numpy()
    full = capital_per_share(ix, rows_p, rows_t)
    share_cols = share_grid(ix)[rows_p, rows_t]
    lp.add_rows(
        "masyarakat_share",
        labels("masyarakat_share", program_ids(ix, rows_p), years_of(ix, rows_t)),
        -np.inf, 0.0,
        np.concatenate([position, np.arange(len(keys))]),
        np.concatenate([community["col"].to_numpy(), share_cols]),
        np.concatenate([1.0 / full[position],
                        np.full(len(keys), -ix.scenario.rules.masyarakat_share)]),
        keys=keys[["program_row", "t"]],
    )


def _add_dak_supporting(lp: LpBuilder, ix: ProblemIndex) -> None:
    source = ix.pools["source"].to_numpy(dtype=object)
    kind = ix.programs["kind"].to_numpy(dtype=object)
    dak = ix.fund[source[ix.fund["pool_row"].to_numpy()] == "DAK"]
    supporting = kind[dak["program_row"].to_numpy()] == "supporting"
    if not supporting.any():
        return
    keys, _ = group_rows(dak[supporting], ["pool_row", "t"])
    keys["row"] = np.arange(len(keys))
    placed = dak.merge(keys, on=["pool_row", "t"])
    placed_support = kind[placed["program_row"].to_numpy()] == "supporting"
    share = ix.scenario.rules.dak_supporting_share
    lp.add_rows(
        "dak_supporting",
        labels("dak_supporting", pool_ids(ix, keys["pool_row"]), years_of(ix, keys["t"])),
        -np.inf, 0.0, placed["row"].to_numpy(), placed["col"].to_numpy(),
        np.where(placed_support, 1.0 - share, -share),
        keys=keys[["pool_row", "t"]],
    )


def _add_per_region(lp: LpBuilder, ix: ProblemIndex) -> None:
    limited = ix.pools.index[ix.pools["per_region_min"].notna()
                             | ix.pools["per_region_max"].notna()].to_numpy()
    if len(limited) == 0:
        return
    money = money_columns(ix)
    money = money[(money["program_row"] >= 0) & money["pool_row"].isin(limited)].copy()
    money["region"] = ix.programs["region"].to_numpy(dtype=object)[money["program_row"].to_numpy()]
    if money.empty:
        return
    keys, position = group_rows(money, ["pool_row", "region", "t"])
    low = ix.pools["per_region_min"].to_numpy(dtype=float)[keys["pool_row"].to_numpy()]
    high = ix.pools["per_region_max"].to_numpy(dtype=float)[keys["pool_row"].to_numpy()]
    lp.add_rows(
        "per_region",
        labels("per_region", pool_ids(ix, keys["pool_row"]), keys["region"],
               years_of(ix, keys["t"])),
        np.where(np.isnan(low), -np.inf, ix.scaled(low)),
        np.where(np.isnan(high), np.inf, ix.scaled(high)),
        position, money["col"].to_numpy(), np.ones(len(money)),
        keys=keys[["pool_row", "region", "t"]],
    )


def locked_lower_bounds(ix: ProblemIndex) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Locked money: ``F[p,b,t] >= locked[p,b,t] / M`` as column lower bounds (no rows)."""
    locked = ix.fund[ix.fund["locked"] > 0]
    return locked["col"].to_numpy(), ix.scaled(locked["locked"].to_numpy(dtype=float))


def add_recipients(lp: LpBuilder, ix: ProblemIndex) -> None:
    """Bantuan keuangan khusus: ``sum_{p in r, aid} F[p,b,t] <= amount[b,r,t] / M``.

    For each APBD_PROV pool b with ``recipients``, each recipient region r and year t: the
    capital money b gives the kab/kota programmes of r that it may fund only as bantuan keuangan
    (the ``aid`` pairs of :func:`~ssk_optimize.scenario.eligibility.eligible_pairs`), rows
    ``recipients[pool,region,year]``. The bound is ``min(amount, budget[b,t])`` (the budget row
    caps the pool anyway), so a huge amount does not reach the solver.
    """
    aid = ix.pairs.loc[ix.pairs["aid"], ["program_row", "pool_row"]]
    if aid.empty:
        return
    money = ix.fund.merge(aid, on=["program_row", "pool_row"])
    money["region"] = ix.programs["region"].to_numpy(dtype=object)[money["program_row"].to_numpy()]
    keys, position = group_rows(money, ["pool_row", "region", "t"])
    pools = ix.scenario.pools
    amount = np.array([pools[b].recipient_amount(r, int(ix.years[t])) for b, r, t in zip(
        keys["pool_row"], keys["region"], keys["t"], strict=True)], dtype=float)
    amount = np.minimum(amount, ix.budget[keys["pool_row"].to_numpy(), keys["t"].to_numpy()])
    lp.add_rows(
        "recipients",
        labels("recipients", pool_ids(ix, keys["pool_row"]), keys["region"], years_of(ix, keys["t"])),
        -np.inf, ix.scaled(amount), position, money["col"].to_numpy(), np.ones(len(money)),
        keys=keys[["pool_row", "region", "t"]],
    )


def add_pool_requires(lp: LpBuilder, ix: ProblemIndex) -> None:
    """Pools that open with a programme (``pools[].requires``): a binary ``open[b,t]`` per year.

    - ``open[b,t] - sum_{tau<t} s[q,tau] <= 0`` for each required programme q (rows
      ``pool_open[pool,program,year]``): since ``open`` is 0 or 1 and ``sum s <= 1``, the pool
      opens only once q is complete by the end of t-1 (whole-unit or divisible alike);
    - ``sum_p (F + O)[p,b,t] + sum_r B[r,b,t] <= budget[b,t] / M * open[b,t]`` (rows
      ``pool_requires[pool,year]``, stored divided by ``budget[b,t] / M``; years with a zero
      budget have no row, the budget row already holds them at 0).
    """
    if ix.pool_open.empty:
        return
    position = {p: i for i, p in enumerate(ix.programs["program"])}
    links = pd.DataFrame([(b, position[q]) for b, pool in enumerate(ix.scenario.pools)
                          for q in sorted(set(pool.requires)) if q in position],
                         columns=["pool_row", "q"], dtype=np.int64)
    rows = ix.pool_open.merge(links, on="pool_row").reset_index(drop=True)
    rows["row"] = np.arange(len(rows))
    before = rows.merge(ix.share, left_on="q", right_on="program_row", suffixes=("", "_var"))
    before = before[before["t_var"] < before["t"]]
    lp.add_rows(
        "pool_open",
        labels("pool_open", pool_ids(ix, rows["pool_row"]), program_ids(ix, rows["q"]),
               years_of(ix, rows["t"])),
        -np.inf, 0.0,
        np.concatenate([rows["row"].to_numpy(), before["row"].to_numpy()]),
        np.concatenate([rows["col"].to_numpy(), before["col_var"].to_numpy()]),
        np.concatenate([np.ones(len(rows)), -np.ones(len(before))]),
        keys=rows[["pool_row", "q", "t"]].rename(columns={"q": "program_row"}),
    )
    opened = ix.pool_open.copy()
    budget = ix.budget_scaled[opened["pool_row"].to_numpy(), opened["t"].to_numpy()]
    opened = opened[budget > 0].reset_index(drop=True)
    budget = budget[budget > 0]
    opened["row"] = np.arange(len(opened))
    money = money_columns(ix).merge(opened, on=["pool_row", "t"], suffixes=("", "_open"))
    lp.add_rows(
        "pool_requires",
        labels("pool_requires", pool_ids(ix, opened["pool_row"]), years_of(ix, opened["t"])),
        -np.inf, 0.0,
        np.concatenate([money["row"].to_numpy(), opened["row"].to_numpy()]),
        np.concatenate([money["col"].to_numpy(), opened["col"].to_numpy()]),
        np.concatenate([1.0 / budget[money["row"].to_numpy()], -np.ones(len(opened))]),
        keys=opened[["pool_row", "t"]],
    )


def add_desa_share(lp: LpBuilder, ix: ProblemIndex) -> None:
    """Dana Desa follows the desa: ``sum_{b DANA_DESA} F[p,b,t] <= d[p] * c[p,t] Q[p]/M * s[p,t]``.

    ``d[p]`` from :func:`~ssk_optimize.scenario.eligibility.dana_desa_shares`; rows
    ``desa_share[program,year]`` (only where ``d < 1``), stored divided by ``c[p,t] Q[p] / M``
    like the masyarakat cap.
    """
    share = dana_desa_shares(ix.scenario)
    source = ix.pools["source"].to_numpy(dtype=object)
    village = ix.fund[source[ix.fund["pool_row"].to_numpy()] == "DANA_DESA"]
    village = village[share[village["program_row"].to_numpy()] < 1]  # NaN compares False
    if village.empty:
        return
    keys, position = group_rows(village, ["program_row", "t"])
    rows_p, rows_t = keys["program_row"].to_numpy(), keys["t"].to_numpy()
    full = capital_per_share(ix, rows_p, rows_t)
    lp.add_rows(
        "desa_share",
        labels("desa_share", program_ids(ix, rows_p), years_of(ix, rows_t)),
        -np.inf, 0.0,
        np.concatenate([position, np.arange(len(keys))]),
        np.concatenate([village["col"].to_numpy(), share_grid(ix)[rows_p, rows_t]]),
        np.concatenate([1.0 / full[position], -share[rows_p]]),
        keys=keys[["program_row", "t"]],
    )
