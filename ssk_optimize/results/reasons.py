"""Why a programme is on the waiting list (daftar tunggu): one reason from a fixed vocabulary.

Checked in this order, the first that applies wins, and ``limiting_detail`` names the pools,
prerequisites or rules involved:

- ``fully_funded``        delivered in full (not on the waiting list);
- ``no_eligible_source``  no pool may legally fund it (the rule excluding each source is named);
- ``readiness``           a prerequisite was not complete in time (a readiness row binds);
- ``year_window``         every eligible pool is fully used inside its years, while eligible
                          money is left outside them;
- ``pool_exhausted``      every eligible pool is fully used in every year of its window;
- ``om_burden``           the O&M its assets would create cannot be paid (no O&M-eligible pool,
                          or those pools are fully used in a later year);
- ``share_cap``           a share rule binds (masyarakat share, DAK supporting cap, matching,
                          per-region limit of a shared pool);
- otherwise ``pool_exhausted`` with the pool-years that are fully used (the rest of the eligible
  money went to programmes ranked higher by targets or priority).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ssk_optimize.model.formulation import BuiltModel
from ssk_optimize.results.values import Values
from ssk_optimize.solve.solution import Solution

REASONS = ("fully_funded", "no_eligible_source", "readiness", "pool_exhausted", "om_burden",
           "share_cap", "year_window")
BINDING = 1e-7


def limiting_reasons(model: BuiltModel, values: Values, solution: Solution,
                     waiting: npt.NDArray[np.bool_]) -> tuple[np.ndarray, np.ndarray]:
    """``(limiting_reason, limiting_detail)`` arrays, one entry per programme (scenario order)."""
    ix = model.index
    n = len(ix.programs)
    reason = np.where(waiting, "", "fully_funded").astype(object)
    detail = np.full(n, "", dtype=object)
    assert solution.x is not None
    slack = _slack(model, solution.x)
    full = _exhausted(values.used, ix.budget)
    pool_names = ix.pools["pool"].to_numpy(dtype=object)
    fund = ix.fund[["program_row", "pool_row", "t"]]
    fund_full = full[fund["pool_row"].to_numpy(), fund["t"].to_numpy()]
    all_full = pd.Series(fund_full).groupby(fund["program_row"].to_numpy()).all()
    checks = [
        ("no_eligible_source", _no_source(model, waiting)),
        ("readiness", _readiness(model, slack, n)),
        ("year_window", _year_window(model, values, n)),
        ("pool_exhausted", {int(p): "" for p in all_full.index[all_full.to_numpy()]}),
        ("om_burden", _om_burden(model, full, set(np.flatnonzero(waiting).tolist()))),
        ("share_cap", _share_caps(model, values, slack)),
    ]
    for name, found in checks:
        for row, text in found.items():
            if reason[row] == "":
                reason[row], detail[row] = name, text
    reason[reason == ""] = "pool_exhausted"
    unexplained = np.flatnonzero((reason == "pool_exhausted") & (detail == ""))
    used_up = fund[fund_full & fund["program_row"].isin(unexplained).to_numpy()]
    for row, group in used_up.groupby("program_row"):
        detail[_int(row)] = _pool_years(group, pool_names, ix.years)
    detail[unexplained] = np.where(detail[unexplained] == "",
                                   "remaining eligible money is too little for the next unit",
                                   detail[unexplained])
    return reason, detail


def _slack(model: BuiltModel, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Distance of each row's activity from its nearest finite bound (scaled units)."""
    activity = model.lp.matrix @ x
    upper = np.where(np.isfinite(model.lp.row_upper), model.lp.row_upper - activity, np.inf)
    lower = np.where(np.isfinite(model.lp.row_lower), activity - model.lp.row_lower, np.inf)
    return np.minimum(upper, lower)


def _exhausted(used: npt.NDArray[np.float64], budget: npt.NDArray[np.float64]) -> np.ndarray:
    return used >= budget * (1.0 - 1e-6) - 1e-9


def _no_source(model: BuiltModel, waiting: npt.NDArray[np.bool_]) -> dict[int, str]:
    ix = model.index
    funded = set(ix.fund["program_row"].unique().tolist())
    found = {}
    for row in np.flatnonzero(waiting).tolist():
        if row in funded:
            continue
        mine = ix.pairs[ix.pairs["program_row"] == row]
        texts = [f"{s}: {r}" for s, r in zip(mine["source"], mine["capex_reason"], strict=True)]
        missing = sorted(set(ix.pools["source"]) - set(mine["source"]))
        texts += [f"{s}: no pool covers its region" for s in missing]
        found[row] = "; ".join(sorted(set(texts))) or "no pools in the scenario"
    return found


def _readiness(model: BuiltModel, slack: np.ndarray, n: int) -> dict[int, str]:
    keys = model.family_keys.get("readiness")
    if keys is None or keys.empty:
        return {}
    binding = keys[slack[keys["row"].to_numpy()] <= BINDING]
    names = model.index.programs["program"].to_numpy(dtype=object)
    found: dict[int, str] = {}
    for row, group in binding.groupby("program_row"):
        waits = sorted({names[q] for q in group["prerequisite_row"]})
        years = sorted(int(model.index.years[t]) for t in group["t"].unique())
        found[_int(row)] = f"waits for {', '.join(waits)} (binding in {_span(years)})"
    return found


def _om_burden(model: BuiltModel, full: np.ndarray, waiting: set[int]) -> dict[int, str]:
    ix = model.index
    found: dict[int, str] = {}
    rates = ix.programs["om_rate"].to_numpy(dtype=float)
    starts = ix.programs["start"].to_numpy()
    has_om = set(ix.om["program_row"].unique().tolist())
    for row in waiting:
        if rates[row] > 0 and row not in has_om and starts[row] < ix.years[-1]:
            found[row] = "no pool may pay the O&M of its assets (om rules)"
    om = ix.om[ix.om["program_row"].isin(waiting)]
    flag = full[om["pool_row"].to_numpy(), om["t"].to_numpy()]
    all_full = pd.Series(flag).groupby(om["program_row"].to_numpy()).all()
    burdened = om[om["program_row"].isin(all_full.index[all_full.to_numpy()])]
    pool_names = ix.pools["pool"].to_numpy(dtype=object)
    for key, group in burdened.groupby("program_row"):
        found[_int(key)] = "O&M pools fully used: " + _pool_years(group, pool_names, ix.years)
    return found


def _share_caps(model: BuiltModel, values: Values, slack: np.ndarray) -> dict[int, str]:
    ix = model.index
    found: dict[int, list[str]] = {}
    for family in ("masyarakat_share", "matching"):
        keys = model.family_keys.get(family)
        if keys is None:
            continue
        for row in keys[slack[keys["row"].to_numpy()] <= BINDING]["program_row"].unique():
            found.setdefault(_int(row), []).append(f"{family} rule binds")
    per_region = model.family_keys.get("per_region")
    if per_region is not None:
        binding = per_region[slack[per_region["row"].to_numpy()] <= BINDING]
        regions = ix.programs["region"].to_numpy(dtype=object)
        for _, key in binding.iterrows():
            pool = ix.pools["pool"].iat[_int(key["pool_row"])]
            for row in np.flatnonzero(regions == key["region"]):
                found.setdefault(_int(row), []).append(f"per_region limit of {pool} binds")
    supporting = model.family_keys.get("dak_supporting")
    if supporting is not None and len(supporting):
        # a cap binds only where its pool spends money that year (0 <= 0 is not a cap at work)
        spends = values.used[supporting["pool_row"].to_numpy(), supporting["t"].to_numpy()] > 0
        binding = supporting[(slack[supporting["row"].to_numpy()] <= BINDING) & spends]
        kinds = ix.programs["kind"].to_numpy(dtype=object)
        capped = ix.fund.merge(binding[["pool_row", "t"]], on=["pool_row", "t"])
        capped = capped[kinds[capped["program_row"].to_numpy()] == "supporting"]
        pools = ix.pools["pool"].to_numpy(dtype=object)
        for key, group in capped.groupby("program_row"):
            names = ", ".join(sorted({str(pools[b]) for b in group["pool_row"]}))
            found.setdefault(_int(key), []).append(f"DAK supporting-cost cap of {names} binds")
    return {row: "; ".join(sorted(set(texts))) for row, texts in found.items()}


def _year_window(model: BuiltModel, values: Values, n: int) -> dict[int, str]:
    ix = model.index
    free = ix.budget - values.used > ix.budget * 1e-6 + 1e-9
    found: dict[int, str] = {}
    capex = ix.pairs[ix.pairs["capex"]]
    for row, group in capex.groupby("program_row"):
        start = int(ix.programs["start"].to_numpy()[_int(row)]) - int(ix.years[0])
        end = int(ix.programs["end"].to_numpy()[_int(row)]) - int(ix.years[0])
        pools = group["pool_row"].to_numpy()
        inside = free[pools, start:end + 1].any()
        outside = free[pools, :start].any() or free[pools, end + 1:].any()
        if outside and not inside:
            found[_int(row)] = (f"eligible money is left only outside its years "
                               f"{int(ix.years[start])}-{int(ix.years[end])}")
    return found


def _pool_years(frame: pd.DataFrame, pool_names: np.ndarray, years: np.ndarray) -> str:
    """``dak_x, apbd_x fully used in 2025-2029; csr_x fully used in 2027``: pools grouped by span."""
    by_span: dict[str, list[str]] = {}
    for pool_row, group in frame.groupby("pool_row"):
        span = _span(sorted(int(years[t]) for t in group["t"].unique()))
        by_span.setdefault(span, []).append(str(pool_names[_int(pool_row)]))
    return "; ".join(f"{', '.join(pools)} fully used in {span}" for span, pools in by_span.items())


def _span(years: list[int]) -> str:
    if not years:
        return ""
    if years == list(range(years[0], years[-1] + 1)) and len(years) > 1:
        return f"{years[0]}-{years[-1]}"
    return ", ".join(str(y) for y in years)


def _int(value: Any) -> int:
    """Group keys from pandas are typed as Hashable; they are integer row numbers here."""
    return int(value)
