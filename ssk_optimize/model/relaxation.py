"""From lever violations of the elastic program to scenario values a planner can change.

Each used lever becomes one change of one scenario value, with its ``--set`` text, so applying
the suggestion is ``ssk-opt solve FILE --set TEXT ...`` (formulation.md, Diagnosis):

- ``pool_budget[b,t]`` upper (scaled money): ``pools.b.budget.t`` up; a projected pool's
  ``pools.b.base.amount`` up by the largest yearly factor;
- ``quantity[p]`` lower (share of ``Q[p]``): ``programs.p.min_quantity`` down by ``e Q[p]``;
  ``whole[p]`` lower bound (units): ``programs.p.min_quantity`` down to a whole number;
- ``fund[p,b,t]`` lower bound (locked, scaled money): ``programs.p.locked.t.b`` down;
- ``per_region[b,r,t]`` lower (scaled money): ``pools.b.per_region.min`` down by the largest;
- ``shortfall[r,k,t]`` upper (hard target, share of households): ``regions.r.targets.k.t``
  down, or ``objective.hard_targets=false`` for a trajectory or an unlisted year;
- ``max_per_year[p,t]`` upper (units): ``programs.p.max_per_year`` up by the largest;
- rules, the last resort: ``readiness[p,q,t]``: ``programs.p.requires`` without ``q``;
  ``excludes[p,q]``: the declaring programme's ``excludes`` without the other;
  ``pool_open`` / ``pool_requires``: ``pools.b.requires=[]``; ``baseline_om[r,t]`` lower:
  ``regions.r.baseline_om.t`` down.

Money goes up to the next hundredth of the money unit (down for commitments), shares to the
next 1e-4, so the figure a planner types is round and still restores feasibility.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from ssk_optimize.model.elastic import ElasticProgram
from ssk_optimize.model.formulation import BuiltModel
from ssk_optimize.scenario.vocabulary import RUPIAH_PER_UNIT

#: Columns of :func:`scenario_changes`.
CHANGE_COLUMNS = ("rule", "program", "pool", "region", "year", "indicator", "path", "current",
                  "suggested", "unit", "set")

#: Violations below this (in the row's own scaled units) are solver tolerance, not a change.
NEGLIGIBLE = 1e-7


def scenario_changes(model: BuiltModel, program: ElasticProgram,
                     violation: npt.NDArray[np.float64]) -> pd.DataFrame:
    """One line per scenario value to change (module docstring), sorted by path."""
    used = program.elastics.assign(violation=violation)
    used = used[(used["violation"] > NEGLIGIBLE) & used["lever"].notna()]
    lines = used.merge(program.groups, left_on="group", right_index=True, suffixes=("", "_group"))
    ix = model.index
    money = ix.rupiah_scale / RUPIAH_PER_UNIT[ix.scenario.money_unit]
    out: list[dict[str, object]] = []
    changer = lines["family"].map(lambda f: _CHANGERS[str(f)].__name__)
    for _, part in lines.groupby(changer, sort=True):  # a minimum's row and bound: one changer
        out.extend(_CHANGERS[str(part["family"].iloc[0])](model, part, money))
    table = pd.DataFrame(out, columns=list(CHANGE_COLUMNS))
    return table.sort_values("set", kind="stable").reset_index(drop=True)


def _budget(model: BuiltModel, part: pd.DataFrame, money: float) -> list[dict[str, object]]:
    ix = model.index
    pools = {b.id: b for b in ix.scenario.pools}
    row_of = {b: i for i, b in enumerate(ix.pools["pool"])}
    out = []
    for pool_id, rows in part.groupby("pool", sort=True):
        pool = pools[str(pool_id)]
        years = rows["year"].to_numpy(dtype=np.int64)
        current = ix.budget[row_of[str(pool_id)], years - int(ix.years[0])]
        needed = current + rows["violation"].to_numpy(dtype=float) * money
        if pool.base is not None and (current > 0).all():
            factor = float(np.max(needed / current))
            amount = _up(pool.base.amount * factor)
            out.append(_change("pools.budget", pool=pool.id, path=("pools", pool.id, "base", "amount"),
                               current=pool.base.amount, suggested=amount, unit=ix.scenario.money_unit,
                               text=f"pools.{pool.id}.base.amount={_fmt(amount)}"))
            continue
        for year, now, need in zip(years, current, needed, strict=True):
            value = _up(need)
            out.append(_change("pools.budget", pool=pool.id, year=int(year),
                               path=("pools", pool.id, "budget", int(year)), current=float(now),
                               suggested=value, unit=ix.scenario.money_unit,
                               text=f"pools.{pool.id}.budget.{int(year)}={_fmt(value)}"))
    return out


def _min_quantity(model: BuiltModel, part: pd.DataFrame, money: float) -> list[dict[str, object]]:
    programs = {p.id: p for p in model.index.scenario.programs}
    out = []
    for program_id, rows in part.groupby("program", sort=True):
        program = programs[str(program_id)]
        current = float(program.min_quantity)
        units = rows["violation"].to_numpy(dtype=float)
        shares = rows["family"].to_numpy() == "quantity"  # the row is in shares, the bound in units
        units = np.where(shares, units * float(program.quantity), units)
        fewer = float(units.max())
        value = max(0.0, math.floor(round(current - fewer, 6)) if not program.divisible
                    else _down(current - fewer))
        out.append(_change("programs.min_quantity", program=str(program_id),
                           path=("programs", str(program_id), "min_quantity"), current=current,
                           suggested=value, unit="units",
                           text=f"programs.{program_id}.min_quantity={_fmt(value)}"))
    return out


def _locked(model: BuiltModel, part: pd.DataFrame, money: float) -> list[dict[str, object]]:
    ix = model.index
    part = part.sort_values(["program", "year", "pool"])
    locked = _lookup(ix.fund, "col", "locked", part["index"])
    out = []
    for current, (_, line) in zip(locked, part.iterrows(), strict=True):
        value = max(0.0, _down(current - float(line["violation"]) * money))
        p, b, year = str(line["program"]), str(line["pool"]), int(line["year"])
        out.append(_change("programs.locked", program=p, pool=b, year=year,
                           path=("programs", p, "locked", year, b), current=current,
                           suggested=value, unit=ix.scenario.money_unit,
                           text=f"programs.{p}.locked.{year}.{b}={_fmt(value)}"))
    return out


def _per_region(model: BuiltModel, part: pd.DataFrame, money: float) -> list[dict[str, object]]:
    low = model.index.pools.set_index("pool")["per_region_min"]
    return _one_figure(part, "pool", low, -money, "pools.per_region", "per_region.min",
                       model.index.scenario.money_unit)


def _targets(model: BuiltModel, part: pd.DataFrame, money: float) -> list[dict[str, object]]:
    ix = model.index
    regions = {r.id: r for r in ix.scenario.regions}
    part = part.sort_values(["region", "indicator", "year"])
    targets = _lookup(ix.shortfall, "col", "target", part["index"])
    out = []
    for current, (_, line) in zip(targets, part.iterrows(), strict=True):
        region, indicator, year = str(line["region"]), str(line["indicator"]), int(line["year"])
        target = regions[region].targets.get(indicator)
        if target is None or target.trajectory is not None or year not in target.shares:
            return [_change("objective.hard_targets", path=("objective", "hard_targets"),
                            current=1.0, suggested=0.0, unit="flag",
                            text="objective.hard_targets=false")]
        value = max(0.0, math.floor(round((current - float(line["violation"])) * 1e4, 6)) / 1e4)
        out.append(_change("regions.targets", region=region, year=year, indicator=indicator,
                           path=("regions", region, "targets", indicator, year), current=current,
                           suggested=value, unit="share",
                           text=f"regions.{region}.targets.{indicator}.{year}={_fmt(value)}"))
    return out


def _capacity(model: BuiltModel, part: pd.DataFrame, money: float) -> list[dict[str, object]]:
    limit = model.index.programs.set_index("program")["max_per_year"]
    return _one_figure(part, "program", limit, 1.0, "programs.max_per_year", "max_per_year", "units")


def _one_figure(part: pd.DataFrame, entity: str, figures: pd.Series, per_violation: float,
                rule: str, key: str, unit: str) -> list[dict[str, object]]:
    """One figure per pool or programme (``per_region.min``, ``max_per_year``) moved by its
    largest violation times ``per_violation`` (negative: down, rounded down; positive: up)."""
    out = []
    for entity_id, rows in part.groupby(entity, sort=True):
        name = str(entity_id)
        current = float(figures.to_dict()[name])
        moved = current + float(rows["violation"].max()) * per_violation
        value = _up(moved) if per_violation > 0 else max(0.0, _down(moved))
        section = "pools" if entity == "pool" else "programs"
        out.append(_change(rule, path=(section, name, *key.split(".")), current=current,
                           suggested=value, unit=unit, text=f"{section}.{name}.{key}={_fmt(value)}",
                           program=name if entity == "program" else None,
                           pool=name if entity == "pool" else None))
    return out


def _requires(model: BuiltModel, part: pd.DataFrame, money: float) -> list[dict[str, object]]:
    programs = {p.id: p for p in model.index.scenario.programs}
    out = []
    for program_id, rows in part.groupby("program", sort=True):
        program = programs[str(program_id)]
        left = [q for q in program.requires if q not in set(rows["other_program"])]
        out.append(_listing("programs.requires", ("programs", program.id, "requires"),
                            f"programs.{program.id}.requires", program.requires, left,
                            program=program.id))
    return out


def _excludes(model: BuiltModel, part: pd.DataFrame, money: float) -> list[dict[str, object]]:
    programs = {p.id: p for p in model.index.scenario.programs}
    out = []
    for _, line in part.iterrows():
        a, b = str(line["program"]), str(line["other_program"])
        owner, other = (a, b) if b in programs[a].excludes else (b, a)
        listed = programs[owner].excludes
        out.append(_listing("programs.excludes", ("programs", owner, "excludes"),
                            f"programs.{owner}.excludes", listed, [q for q in listed if q != other],
                            program=owner))
    return out


def _pool_requires(model: BuiltModel, part: pd.DataFrame, money: float) -> list[dict[str, object]]:
    pools = {b.id: b for b in model.index.scenario.pools}
    return [_listing("pools.requires", ("pools", str(b), "requires"), f"pools.{b}.requires",
                     pools[str(b)].requires, [], pool=str(b))
            for b in sorted(set(part["pool"]))]


def _baseline_om(model: BuiltModel, part: pd.DataFrame, money: float) -> list[dict[str, object]]:
    ix = model.index
    region_row = {r: i for i, r in enumerate(ix.regions["region"])}
    need = ix.baseline_need.assign(key=ix.baseline_need["region_row"] * ix.n_years + ix.baseline_need["t"])
    part = part.sort_values(["region", "year"])
    keys = [region_row[str(r)] * ix.n_years + int(y) - int(ix.years[0])
            for r, y in zip(part["region"], part["year"], strict=True)]
    amounts = _lookup(need, "key", "amount", keys)
    out = []
    for current, (_, line) in zip(amounts, part.iterrows(), strict=True):
        region, year = str(line["region"]), int(line["year"])
        value = max(0.0, _down(current - float(line["violation"]) * money))
        out.append(_change("regions.baseline_om", region=region, year=year,
                           path=("regions", region, "baseline_om", year), current=current,
                           suggested=value, unit=ix.scenario.money_unit,
                           text=f"regions.{region}.baseline_om.{year}={_fmt(value)}"))
    return out


def _lookup(frame: pd.DataFrame, key: str, value: str, keys: object) -> npt.NDArray[np.float64]:
    """``frame[value]`` where ``frame[key]`` equals each of ``keys`` (NaN where absent)."""
    return frame.set_index(key)[value].reindex(list(keys)).to_numpy(dtype=float)  # type: ignore[call-overload]


def _listing(rule: str, path: tuple[object, ...], key: str, before: tuple[str, ...],
             after: list[str], program: str | None = None,
             pool: str | None = None) -> dict[str, object]:
    """A change of a list of ids (requires, excludes): ``current``/``suggested`` are counts."""
    return _change(rule, path=path, current=float(len(before)), suggested=float(len(after)),
                   unit="ids", text=f"{key}=[{', '.join(after)}]", program=program, pool=pool)


_CHANGERS = {
    "pool_budget": _budget, "quantity": _min_quantity, "programs.min_quantity": _min_quantity,
    "programs.locked": _locked, "per_region": _per_region, "objective.hard_targets": _targets,
    "max_per_year": _capacity, "readiness": _requires, "excludes": _excludes,
    "pool_open": _pool_requires, "pool_requires": _pool_requires, "baseline_om": _baseline_om,
}


def _change(rule: str, *, path: tuple[object, ...], current: float, suggested: float, unit: str,
            text: str, program: str | None = None, pool: str | None = None,
            region: str | None = None, year: int | None = None,
            indicator: str | None = None) -> dict[str, object]:
    return {"rule": rule, "program": program, "pool": pool, "region": region, "year": year,
            "indicator": indicator, "path": path, "current": current, "suggested": suggested,
            "unit": unit, "set": text}


def _up(value: float) -> float:
    """Up to the next hundredth (float noise below 1e-6 of a hundredth is not rounded up)."""
    return math.ceil(round(value * 100, 6)) / 100


def _down(value: float) -> float:
    """Down to the hundredth below (float noise below 1e-6 of a hundredth is not rounded down)."""
    return math.floor(round(value * 100, 6)) / 100


def _fmt(value: float) -> str:
    """A figure as YAML reads it back exactly: integers without ``.0``."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
