"""What the run summary reports, as plain frames: the CLI renders these, it does not compute.

- :func:`programme_labels`: the name a planner wrote for each programme (its id when empty), with
  the id added only where two programmes share a name;
- :func:`waiting_list`: the waiting programmes by gap, labelled, with the detail text lacking the
  name it starts with (the label column already says it);
- :func:`indicative_money`: how much of the allocated money rests on indicative pools
  (``firm: false``), per pool and per source;
- :func:`top_prices`: the pool-years whose shadow prices are non-zero, highest first, with the
  budget range over which they hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

PRICE_ZERO = 1e-12  # tables.py writes prices below this as 0


def programme_labels(programs: pd.DataFrame) -> pd.Series:
    """``name`` as written (``program`` when empty); ``name (program)`` where names repeat.

    Indexed like ``programs``.
    """
    ids = programs["program"].astype(str)
    names = programs["name"].where(programs["name"].map(_given), ids).astype(str)
    repeated = names.duplicated(keep=False) & programs["name"].map(_given)
    return names.where(~repeated, names + " (" + ids + ")")


def waiting_order(programs: pd.DataFrame) -> pd.DataFrame:
    """The waiting programmes (rows of the programs table) by gap, largest first, ties by id:
    the order of the solve summary, the report and ``explain``."""
    waiting = programs[programs["waiting_list"].astype(bool)]
    return waiting.sort_values(["gap", "program"], ascending=[False, True])


def waiting_list(programs: pd.DataFrame, top: int) -> tuple[int, pd.DataFrame]:
    """The number of waiting programmes and the ``top`` of them by gap (ties by id).

    Columns: program, label, funded_share, gap, limiting_reason, detail.
    """
    waiting = waiting_order(programs)
    labels = programme_labels(programs).loc[waiting.index]
    shown = waiting.head(max(top, 0))
    names = programs["name"].where(programs["name"].map(_given), programs["program"]).astype(str)
    detail = [_without_prefix(str(text), f"{names.loc[i]}: ")
              for i, text in zip(shown.index, shown["limiting_detail"], strict=True)]
    frame = pd.DataFrame({
        "program": shown["program"].astype(str).to_numpy(),
        "label": labels.loc[shown.index].to_numpy(),
        "funded_share": shown["funded_share"].to_numpy(dtype=float),
        "gap": shown["gap"].to_numpy(dtype=float),
        "limiting_reason": shown["limiting_reason"].astype(str).to_numpy(),
        "detail": np.array(detail, dtype=object),
    })
    return len(waiting), frame


@dataclass(frozen=True)
class IndicativeMoney:
    """Allocated money resting on indicative (``firm: false``) pools.

    ``total`` is all allocated money (capital and O&M, baseline O&M included); ``amount`` the part
    on indicative pools; ``share`` = amount / total (0 when nothing is allocated).
    ``by_pool``: source, pool, amount, one row per indicative pool with money, largest first.
    ``by_source``: source -> amount on indicative pools (only sources that have some).
    ``unused_pools``: indicative pools the plan does not draw on at all.
    """

    total: float
    amount: float
    share: float
    by_pool: pd.DataFrame
    by_source: dict[str, float]
    unused_pools: tuple[str, ...]

    @property
    def has_indicative_pools(self) -> bool:
        """Whether the scenario has any indicative pool."""
        return bool(len(self.by_pool) or self.unused_pools)


def indicative_money(allocations: pd.DataFrame, pools: pd.DataFrame) -> IndicativeMoney:
    """Split the allocated money into firm and indicative pools (see :class:`IndicativeMoney`)."""
    total = float(allocations["amount"].sum())
    soft = allocations[~allocations["firm"].astype(bool)]
    by_pool = (soft.groupby(["source", "pool"], as_index=False)["amount"].sum()
               .query("amount > 0")
               .sort_values(["amount", "pool"], ascending=[False, True])
               .reset_index(drop=True))
    amount = float(by_pool["amount"].sum())
    by_source = {str(s): float(a) for s, a in by_pool.groupby("source")["amount"].sum().items()}
    indicative = sorted(set(pools.loc[~pools["firm"].astype(bool), "pool"].astype(str)))
    unused = tuple(p for p in indicative if p not in set(by_pool["pool"].astype(str)))
    return IndicativeMoney(total=total, amount=amount, share=amount / total if total > 0 else 0.0,
                           by_pool=by_pool, by_source=by_source, unused_pools=unused)


def top_prices(pools: pd.DataFrame, top: int | None = 5) -> pd.DataFrame:
    """Pool-years with a non-zero shadow price, highest first, at most ``top`` rows (None: all).

    Ordered by ``shadow_price_targets`` (households of shortfall avoided per extra money unit),
    then ``shadow_price_priority``, then pool and year. Columns: pool, source, year,
    shadow_price_targets, shadow_price_priority, range_low, range_high (NaN prices read as 0;
    NaN ranges mean the solver gave none).
    """
    columns = ["pool", "source", "year", "shadow_price_targets", "shadow_price_priority",
               "range_low", "range_high"]
    frame = pools[columns].copy()
    for price in ("shadow_price_targets", "shadow_price_priority"):
        value = frame[price].fillna(0.0)
        frame[price] = value.where(value.abs() >= PRICE_ZERO, 0.0)
    priced = frame[(frame["shadow_price_targets"] != 0) | (frame["shadow_price_priority"] != 0)]
    priced = priced.sort_values(["shadow_price_targets", "shadow_price_priority", "pool", "year"],
                                ascending=[False, False, True, True])
    if top is not None:
        priced = priced.head(max(top, 0))
    return priced.reset_index(drop=True)


def _given(name: object) -> bool:
    return isinstance(name, str) and bool(name.strip())


def _without_prefix(text: str, prefix: str) -> str:
    return text[len(prefix):] if text.startswith(prefix) else text
