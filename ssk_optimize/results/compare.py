"""Compare runs against a base: what the change costs (effects) beside what changed (causes).

:func:`compare_runs` takes read runs (:func:`~ssk_optimize.results.reader.read_run`) and gives
tidy frames, one row per key and run, each with the base run's figure and the delta:

- ``money``: allocated money by the ``by`` dimensions (default source x year); the deltas of a run
  add up to the difference of the two runs' totals, since both sides sum the same rows;
- ``totals``: per run, money allocated, funded (capital), gap, shortfall (households, stage 1)
  and the number of programmes on the waiting list;
- ``programmes``: per programme and run, funded, gap, funded share, waiting list, and ``change``
  against the base: ``newly_funded`` (no money in the base), ``dropped`` (no money any more),
  ``onto_waiting_list``, ``off_waiting_list``, ``more``/``less`` money, or ``same`` (a change of
  at most 1e-6 of the base funding, or one rupiah, is rounding: ``same``, delta 0);
- ``coverage``: share, target and shortfall per region x indicator x year;
- ``prices``: both shadow prices per pool-year;
- ``inputs``: what differs in the resolved scenarios (budgets, rules, programmes, regions) and
  in the overrides, as (path, base value, run value), read from each run's
  ``scenario.resolved.yaml``;
- ``price_checks``: for each pool-year whose budget differs, the base run's shadow prices and
  the budget range over which they hold, and whether the run's budget lies inside it (outside, the
  price does not predict the effect).

Runs with a different money unit or horizon are refused (UsageError) unless ``align``: then money
is converted to the base run's unit and only the years all runs share are compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ssk_optimize.errors import UsageError
from ssk_optimize.model.near import amounts_by_key
from ssk_optimize.results.reader import Run
from ssk_optimize.scenario.vocabulary import RUPIAH_PER_UNIT

DIMENSIONS = ("source", "year", "program", "subsector", "region", "pool", "purpose")
SAME = 1e-9  # relative: money within this of the base is the same money (sums by source, year)
PROGRAMME_SAME = 1e-6  # a programme's funding within this of the base, or a rupiah, is unchanged:
#                        the plan check's own tolerance; less is rounding to the rupiah, not a change
SKIPPED_INPUTS = ("scenario", "description", "reference", "name", "evidence", "note")


@dataclass(frozen=True)
class Comparison:
    """The frames of module docstring, and which run is the base."""

    base: str
    runs: tuple[str, ...]
    money_unit: str
    by: tuple[str, ...]
    money: pd.DataFrame
    totals: pd.DataFrame
    programmes: pd.DataFrame
    coverage: pd.DataFrame
    prices: pd.DataFrame
    inputs: pd.DataFrame
    price_checks: pd.DataFrame
    near: dict[str, dict[str, Any] | None]


def compare_runs(runs: list[Run], base: str | None = None, by: tuple[str, ...] = ("source", "year"),
                 align: bool = False) -> Comparison:
    """Compare ``runs`` against the one named ``base`` (default: the first)."""
    if len(runs) < 2:
        raise UsageError("compare needs at least two run folders")
    names = [run.name for run in runs]
    if len(set(names)) != len(names):
        names = [str(run.folder) for run in runs]
    if base is None:
        base = names[0]
    if base not in names:
        raise UsageError(f"--base {base!r} is not one of the runs ({', '.join(names)})")
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown or not by:
        raise UsageError(f"--by takes a comma list of {', '.join(DIMENSIONS)}; got {','.join(by)!r}")
    order = [base] + [n for n in names if n != base]
    by_name = dict(zip(names, runs, strict=True))
    frames = _aligned([by_name[n] for n in order], order, align)
    unit = runs[names.index(base)].manifest.money_unit
    return Comparison(
        base=base, runs=tuple(order), money_unit=unit, by=tuple(by),
        money=_money(frames, order, list(by)),
        totals=_totals(frames, order),
        programmes=_programmes(frames, order, 1.0 / RUPIAH_PER_UNIT[unit]),
        coverage=_with_delta(_stack(frames, "coverage", ["region", "indicator", "year"],
                                    ["share", "target_share", "shortfall"]),
                             ["region", "indicator", "year"], ["share", "shortfall"], order),
        prices=_with_delta(_stack(frames, "pools", ["pool", "year"],
                                  ["budget", "used", "shadow_price_targets", "shadow_price_priority"]),
                           ["pool", "year"], ["budget", "used"], order),
        inputs=_inputs([by_name[n] for n in order], order),
        price_checks=_price_checks(frames, order),
        near={n: by_name[n].manifest.near for n in order},
    )


def _aligned(runs: list[Run], names: list[str], align: bool) -> dict[str, dict[str, pd.DataFrame]]:
    """Each run's tables as plain frames (text, not categories), in the base's unit and years."""
    base = runs[0]
    units = {run.manifest.money_unit for run in runs}
    horizons = {run.years for run in runs}
    if not align and len(units) > 1:
        raise UsageError(f"the runs are in different money units ({', '.join(sorted(units))}); "
                         "pass --align to convert them to the base run's unit")
    if not align and len(horizons) > 1:
        spans = "; ".join(f"{n}: {r.years[0]}-{r.years[-1]}" for n, r in zip(names, runs, strict=True))
        raise UsageError(f"the runs have different horizons ({spans}); pass --align to compare the "
                         "years they share")
    common = sorted(set.intersection(*(set(r.years) for r in runs)))
    if not common:
        raise UsageError("the runs share no year")
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for name, run in zip(names, runs, strict=True):
        factor = RUPIAH_PER_UNIT[run.manifest.money_unit] / RUPIAH_PER_UNIT[base.manifest.money_unit]
        tables = {}
        for table in ("allocations", "programs", "pools", "coverage"):
            frame = getattr(run.tables, table)
            frame = frame.astype({c: object for c in frame.columns
                                  if isinstance(frame[c].dtype, pd.CategoricalDtype)})
            if "year" in frame:
                frame = frame[frame["year"].isin(common)]
            for column in _MONEY[table]:
                frame = frame.assign(**{column: frame[column] * factor})
            tables[table] = frame.reset_index(drop=True)
        out[name] = tables
    return out


_MONEY = {
    "allocations": ("amount",),
    "programs": ("need", "funded", "funded_indicative", "gap", "om_funded", "om_after_horizon"),
    "pools": ("budget", "used", "unused", "range_low", "range_high"),
    "coverage": (),
}


def _money(frames: dict[str, dict[str, pd.DataFrame]], order: list[str], by: list[str]) -> pd.DataFrame:
    sums = []
    for name in order:
        alloc = frames[name]["allocations"].copy()
        for column in by:  # baseline O&M has no programme: say so rather than drop it
            if alloc[column].dtype == object:
                alloc[column] = alloc[column].fillna("(baseline O&M)")
        sums.append(alloc.groupby(by, dropna=False)["amount"].sum().rename(name))
    wide = pd.concat(sums, axis=1).fillna(0.0).sort_index()
    return _tidy(wide, by, order, "amount")


def _tidy(wide: pd.DataFrame, keys: list[str], order: list[str], value: str) -> pd.DataFrame:
    """Wide (one column per run) -> one row per key and run with base figure and delta."""
    base = wide[order[0]]
    rows = []
    for name in order:
        part = wide.index.to_frame(index=False)
        part["run"] = name
        part[value] = wide[name].to_numpy()
        part[f"base_{value}"] = base.to_numpy()
        part["delta"] = _clean(wide[name].to_numpy() - base.to_numpy(), base.to_numpy())
        rows.append(part)
    frame = pd.concat(rows, ignore_index=True)
    return frame[keys + ["run", value, f"base_{value}", "delta"]]


def _clean(delta: np.ndarray, base: np.ndarray) -> np.ndarray:
    """A delta within SAME of the base (float noise of two sums) is no change."""
    return np.where(np.abs(delta) <= SAME * np.maximum(np.abs(base), 1.0), 0.0, delta) + 0.0


def _totals(frames: dict[str, dict[str, pd.DataFrame]], order: list[str]) -> pd.DataFrame:
    rows = []
    for name in order:
        t = frames[name]
        rows.append({"run": name, "money": float(t["allocations"]["amount"].sum()),
                     "funded": float(t["programs"]["funded"].sum()),
                     "gap": float(t["programs"]["gap"].sum()),
                     "shortfall": float(t["coverage"]["shortfall"].sum()),
                     "waiting": int(t["programs"]["waiting_list"].astype(bool).sum())})
    frame = pd.DataFrame(rows)
    for column in ("money", "funded", "gap", "shortfall", "waiting"):
        base = frame[column].iloc[0]
        frame[f"delta_{column}"] = _clean(frame[column].to_numpy(dtype=float) - base,
                                          np.full(len(frame), float(base)))
    return frame


def _programmes(frames: dict[str, dict[str, pd.DataFrame]], order: list[str],
                 rupiah: float) -> pd.DataFrame:
    columns = ["program", "name", "funded", "gap", "funded_share", "waiting_list", "limiting_reason"]
    parts = [frames[n]["programs"][columns].assign(run=n) for n in order]
    frame = pd.concat(parts, ignore_index=True)
    base = frames[order[0]]["programs"].set_index("program")
    merged = frame.join(base[["funded", "waiting_list"]].add_prefix("base_"), on="program")
    base_funded = merged["base_funded"].fillna(0.0).to_numpy()
    delta = (merged["funded"] - merged["base_funded"].fillna(0.0)).to_numpy()
    same = np.abs(delta) <= np.maximum(PROGRAMME_SAME * np.abs(base_funded), rupiah * (1 + 1e-9))
    merged["delta_funded"] = np.where(same, 0.0, delta) + 0.0
    merged["change"] = [_change(r) for r in merged.itertuples(index=False)]
    ordered = ["program", "run", "name", "funded", "base_funded", "delta_funded", "gap",
               "funded_share", "waiting_list", "base_waiting_list", "limiting_reason", "change"]
    return merged[ordered].sort_values(["program", "run"], key=_run_order(order)).reset_index(drop=True)


def _change(row: Any) -> str:
    base_funded = 0.0 if pd.isna(row.base_funded) else float(row.base_funded)
    if pd.isna(row.base_waiting_list):
        return "new_programme"
    if base_funded <= 0 < row.funded:
        return "newly_funded"
    if row.funded <= 0 < base_funded:
        return "dropped"
    if bool(row.waiting_list) and not bool(row.base_waiting_list):
        return "onto_waiting_list"
    if not bool(row.waiting_list) and bool(row.base_waiting_list):
        return "off_waiting_list"
    if row.delta_funded > 0:
        return "more"
    if row.delta_funded < 0:
        return "less"
    return "same"


def _run_order(order: list[str]) -> Any:
    rank = {n: i for i, n in enumerate(order)}
    return lambda s: s.map(rank) if s.name == "run" else s


def _stack(frames: dict[str, dict[str, pd.DataFrame]], table: str, keys: list[str],
           values: list[str]) -> pd.DataFrame:
    return pd.concat([frames[n][table][keys + values].assign(run=n) for n in frames], ignore_index=True)


def _with_delta(frame: pd.DataFrame, keys: list[str], deltas: list[str], order: list[str]) -> pd.DataFrame:
    base = frame[frame["run"] == order[0]].set_index(keys)[deltas].add_prefix("base_")
    merged = frame.join(base, on=keys)
    for column in deltas:
        merged[f"delta_{column}"] = merged[column] - merged[f"base_{column}"]
    columns = keys + ["run"] + [c for c in merged.columns if c not in keys and c != "run"]
    return merged[columns].sort_values(keys + ["run"], key=_run_order(order)).reset_index(drop=True)


def _inputs(runs: list[Run], order: list[str]) -> pd.DataFrame:
    flat = [_flatten(yaml.safe_load(run.resolved_yaml) or {}) for run in runs]
    rows = []
    for name, run, values in zip(order[1:], runs[1:], flat[1:], strict=True):
        for path in sorted(set(flat[0]) | set(values)):
            old, new = flat[0].get(path), values.get(path)
            if old != new:
                rows.append({"run": name, "input": path, "base_value": _text(old), "value": _text(new)})
        if run.manifest.overrides != runs[0].manifest.overrides:
            rows.append({"run": name, "input": "--set", "base_value": _text(list(runs[0].manifest.overrides)),
                         "value": _text(list(run.manifest.overrides))})
    return pd.DataFrame(rows, columns=["run", "input", "base_value", "value"])


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """``pools[lmd_dak].budget.2025`` -> value; lists of mappings with ``id`` are keyed by id."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            if str(key) in SKIPPED_INPUTS:
                continue
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(data, list) and data and all(isinstance(v, dict) and "id" in v for v in data):
        for value in data:
            out.update(_flatten({k: v for k, v in value.items() if k != "id"}, f"{prefix}[{value['id']}]"))
    else:
        out[prefix] = data
    return out


def _text(value: Any) -> str:
    return "" if value is None else (yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
                                     if isinstance(value, list | dict) else str(value))


def _price_checks(frames: dict[str, dict[str, pd.DataFrame]], order: list[str]) -> pd.DataFrame:
    base: dict[Any, dict[Any, Any]] = frames[order[0]]["pools"].set_index(["pool", "year"]).to_dict("index")
    rows = []
    for name in order[1:]:
        pools: dict[Any, dict[Any, Any]] = frames[name]["pools"].set_index(["pool", "year"]).to_dict("index")
        for key in sorted(set(pools) & set(base)):
            was, now = base[key], pools[key]
            old, new = float(was["budget"]), float(now["budget"])
            if abs(new - old) <= SAME * max(abs(old), 1.0):
                continue
            low, high = float(was["range_low"]), float(was["range_high"])
            known = not (np.isnan(low) or np.isnan(high))
            inside = known and low - SAME * abs(low) <= new <= high + SAME * abs(high)
            price = float(was["shadow_price_targets"])
            rows.append({"run": name, "pool": key[0], "year": int(key[1]), "base_budget": old,
                         "budget": new, "shadow_price_targets": price,
                         "shadow_price_priority": float(was["shadow_price_priority"]),
                         "range_low": low, "range_high": high, "range_known": known,
                         "within_range": bool(inside),
                         "predicted_shortfall_change": -price * (new - old) if known else np.nan})
    columns = ["run", "pool", "year", "base_budget", "budget", "shadow_price_targets",
               "shadow_price_priority", "range_low", "range_high", "range_known", "within_range",
               "predicted_shortfall_change"]
    return pd.DataFrame(rows, columns=columns)


def money_moved(base: pd.DataFrame, other: pd.DataFrame) -> float:
    """L1 distance between two allocation tables: the money that sits on another programme, pool,
    year, purpose or region (what ``--near`` keeps least), in their common money unit."""
    a, b = amounts_by_key(base), amounts_by_key(other)
    index = a.index.union(b.index)
    return float((a.reindex(index, fill_value=0.0) - b.reindex(index, fill_value=0.0)).abs().sum())
