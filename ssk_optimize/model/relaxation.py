"""From lever violations of the elastic program to scenario values a planner can change.

Each used lever becomes one change of one scenario value, with its ``--set`` text, so applying
the suggestion is ``ssk-opt solve FILE --set TEXT ...`` (formulation.md, Diagnosis):

- ``pool_budget[b,t]`` upper (scaled money): ``pools.b.budget.t`` up; a projected pool's
  ``pools.b.base.amount``, the least whose projection covers every year that rises
  (:func:`budget_changes`, which ``explain`` uses too);
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
next 1e-4, whole units to a whole number (:func:`to_step`), so the figure a planner types is
round and still restores feasibility.
"""

from __future__ import annotations

from typing import cast, overload

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
    added = part.assign(added=part["violation"].to_numpy(dtype=float) * money)
    return budget_changes(model, added[["pool", "year", "added"]])


def budget_changes(model: BuiltModel, added: pd.DataFrame) -> list[dict[str, object]]:
    """Budget changes that give each pool-year of ``added`` (``pool, year, added`` in the money
    unit) at least that much more: ``pools.B.budget.Y`` per year, or for a pool projected from
    ``base`` one ``pools.B.base.amount``, the least whose projection covers every year that rises
    (``max_Y (budget + added) / (1 + growth)^(Y - base.year)``, so its other years rise too).
    Used by the diagnosis and by ``explain`` (:mod:`ssk_optimize.results.explain`)."""
    ix = model.index
    pools = {b.id: b for b in ix.scenario.pools}
    row_of = {b: i for i, b in enumerate(ix.pools["pool"])}
    unit = ix.scenario.money_unit
    out = []
    for pool_id, rows in added.groupby("pool", sort=True):
        pool = pools[str(pool_id)]
        years = rows["year"].to_numpy(dtype=np.int64)
        current = ix.budget[row_of[pool.id], years - int(ix.years[0])]
        needed = current + rows["added"].to_numpy(dtype=float)
        if pool.base is not None:
            factor = (1.0 + float(pool.growth)) ** (years - int(pool.base.year)).astype(float)
            amount = to_step(float(np.max(needed / factor)), up=True)
            out.append(_change("pools.budget", pool=pool.id, path=("pools", pool.id, "base", "amount"),
                               current=pool.base.amount, suggested=amount, unit=unit))
            continue
        for year, now, need in zip(years, current, needed, strict=True):
            out.append(_change("pools.budget", pool=pool.id, year=int(year),
                               path=("pools", pool.id, "budget", int(year)), current=float(now),
                               suggested=to_step(float(need), up=True), unit=unit))
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
        step = 0.01 if program.divisible else 1.0
        value = max(0.0, to_step(current - fewer, step, up=False))
        out.append(_change("programs.min_quantity", program=str(program_id),
                           path=("programs", str(program_id), "min_quantity"), current=current,
                           suggested=value, unit="units"))
    return out


def _locked(model: BuiltModel, part: pd.DataFrame, money: float) -> list[dict[str, object]]:
    ix = model.index
    part = part.sort_values(["program", "year", "pool"])
    locked = _lookup(ix.fund, "col", "locked", part["index"])
    out = []
    for current, (_, line) in zip(locked, part.iterrows(), strict=True):
        value = max(0.0, to_step(current - float(line["violation"]) * money, up=False))
        p, b, year = str(line["program"]), str(line["pool"]), int(line["year"])
        out.append(_change("programs.locked", program=p, pool=b, year=year,
                           path=("programs", p, "locked", year, b), current=current,
                           suggested=value, unit=ix.scenario.money_unit))
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
                            value="false")]
        value = max(0.0, to_step(current - float(line["violation"]), 1e-4, up=False))
        out.append(_change("regions.targets", region=region, year=year, indicator=indicator,
                           path=("regions", region, "targets", indicator, year), current=current,
                           suggested=value, unit="share"))
    return out


def _capacity(model: BuiltModel, part: pd.DataFrame, money: float) -> list[dict[str, object]]:
    limit = model.index.programs.set_index("program")["max_per_year"]
    return _one_figure(part, "program", limit, 1.0, "programs.max_per_year", "max_per_year", "units")


def _one_figure(part: pd.DataFrame, entity: str, figures: pd.Series, per_violation: float,
                rule: str, key: str, unit: str) -> list[dict[str, object]]:
    """One figure per pool or programme (``per_region.min``, ``max_per_year``) moved by its
    largest violation times ``per_violation`` (negative: down, rounded down; positive: up)."""
    out = []
    known = figures.to_dict()
    section = "pools" if entity == "pool" else "programs"
    for entity_id, rows in part.groupby(entity, sort=True):
        name = str(entity_id)
        current = float(known[name])
        moved = current + float(rows["violation"].max()) * per_violation
        value = max(0.0, to_step(moved, up=per_violation > 0))
        out.append(_change(rule, path=(section, name, *key.split(".")), current=current,
                           suggested=value, unit=unit,
                           program=name if entity == "program" else None,
                           pool=name if entity == "pool" else None))
    return out


def _requires(model: BuiltModel, part: pd.DataFrame, money: float) -> list[dict[str, object]]:
    return _without(model, part, "programs.requires", "requires")


def _excludes(model: BuiltModel, part: pd.DataFrame, money: float) -> list[dict[str, object]]:
    return _without(model, part, "programs.excludes", "excludes")


def _without(model: BuiltModel, part: pd.DataFrame, rule: str, key: str) -> list[dict[str, object]]:
    """The list ``key`` of the programme whose rows gave (the row's origin path names the
    programme that declares it; for an exclusion either of the pair may), without the other
    programmes of those rows."""
    programs = {p.id: p for p in model.index.scenario.programs}
    out = []
    for group, rows in part.groupby("path", sort=True):
        path = cast(tuple[object, ...], group)
        owner = programs[str(path[1])]
        listed = getattr(owner, key)
        dropped = set(rows["program"]) | set(rows["other_program"])
        out.append(_listing(rule, path, listed, [q for q in listed if q not in dropped],
                            program=owner.id))
    return out


def _pool_requires(model: BuiltModel, part: pd.DataFrame, money: float) -> list[dict[str, object]]:
    pools = {b.id: b for b in model.index.scenario.pools}
    return [_listing("pools.requires", ("pools", str(b), "requires"), pools[str(b)].requires, [],
                     pool=str(b))
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
        value = max(0.0, to_step(current - float(line["violation"]) * money, up=False))
        out.append(_change("regions.baseline_om", region=region, year=year,
                           path=("regions", region, "baseline_om", year), current=current,
                           suggested=value, unit=ix.scenario.money_unit))
    return out


def _lookup(frame: pd.DataFrame, key: str, value: str, keys: object) -> npt.NDArray[np.float64]:
    """``frame[value]`` where ``frame[key]`` equals each of ``keys`` (NaN where absent)."""
    return frame.set_index(key)[value].reindex(list(keys)).to_numpy(dtype=float)  # type: ignore[call-overload]


def _listing(rule: str, path: tuple[object, ...], before: tuple[str, ...], after: list[str],
             program: str | None = None, pool: str | None = None) -> dict[str, object]:
    """A change of a list of ids (requires, excludes): ``current``/``suggested`` are counts."""
    return _change(rule, path=path, current=float(len(before)), suggested=float(len(after)),
                   unit="ids", value=f"[{', '.join(after)}]", program=program, pool=pool)


_CHANGERS = {
    "pool_budget": _budget, "quantity": _min_quantity, "programs.min_quantity": _min_quantity,
    "programs.locked": _locked, "per_region": _per_region, "objective.hard_targets": _targets,
    "max_per_year": _capacity, "readiness": _requires, "excludes": _excludes,
    "pool_open": _pool_requires, "pool_requires": _pool_requires, "baseline_om": _baseline_om,
}


def _change(rule: str, *, path: tuple[object, ...], current: float, suggested: float, unit: str,
            value: str | None = None, program: str | None = None, pool: str | None = None,
            region: str | None = None, year: int | None = None,
            indicator: str | None = None) -> dict[str, object]:
    """One change; its ``--set`` text is the dotted ``path`` = ``value`` (default: the
    suggested figure as :func:`figure_text` writes it)."""
    text = f"{'.'.join(map(str, path))}={figure_text(suggested) if value is None else value}"
    return {"rule": rule, "program": program, "pool": pool, "region": region, "year": year,
            "indicator": indicator, "path": path, "current": current, "suggested": suggested,
            "unit": unit, "set": text}


@overload
def to_step(value: float, step: float = ..., *, up: bool) -> float: ...
@overload
def to_step(value: npt.NDArray[np.float64], step: float = ..., *,
            up: bool) -> npt.NDArray[np.float64]: ...
def to_step(value: float | npt.NDArray[np.float64], step: float = 0.01, *,
            up: bool) -> float | npt.NDArray[np.float64]:
    """``value`` up (or down) to a multiple of ``step`` (a hundredth of the money unit by
    default): what a planner types, still on the safe side. Solver noise below 1e-3 of a step is
    not a step (formulation.md, Diagnosis and Explain). Floats or arrays."""
    per = round(1.0 / step)
    scaled = np.asarray(value, dtype=float) * per
    stepped = (np.ceil(scaled - 1e-3) if up else np.floor(scaled + 1e-3)) / per
    return stepped if isinstance(value, np.ndarray) else float(stepped)


def figure_text(value: float) -> str:
    """A figure as YAML reads it back exactly: integers without ``.0``."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
