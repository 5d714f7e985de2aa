"""Where every row and scenario-set column bound of the LP comes from (formulation.md, Row origins).

``row_origins(model)`` gives one line per LP row: its family, the scenario key or rule that sets
it (``pools.budget``, ``rules.matching``...), the programme, pool, region and year it binds (null
where the family has none), and ``path``, a tuple into the scenario data (list items by id, years
as ints) that :meth:`~ssk_optimize.scenario.LoadedScenario.where` turns into ``file:line``.
``column_bounds(model)`` does the same for the column bounds the scenario sets: locked money,
minimum whole units and hard targets. Both are built from the keys each family stores
(``model.family_keys``), vectorised per family.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ssk_optimize.model.formulation import BuiltModel
from ssk_optimize.model.index import ProblemIndex


@dataclass(frozen=True)
class RowRule:
    """The rule behind a family's rows and the scenario path of the value that sets each row.

    ``path`` items are constants or ``@column`` of the origin frame (``@program``, ``@year``...).
    """

    rule: str
    path: tuple[str, ...]


#: Every row family of :data:`~ssk_optimize.model.formulation.FAMILIES` (plus ``near``, the
#: compare mode's distance rows), with its rule and the path of the value that sets it.
ROW_RULES: dict[str, RowRule] = {
    "cost": RowRule("programs.unit_cost", ("programs", "@program", "unit_cost", "@year")),
    "quantity": RowRule("programs.min_quantity", ("programs", "@program", "min_quantity")),
    "whole": RowRule("programs.divisible", ("programs", "@program", "divisible")),
    "completion": RowRule("programs.divisible", ("programs", "@program", "divisible")),
    "max_years": RowRule("programs.max_years", ("programs", "@program", "max_years")),
    "max_per_year": RowRule("programs.max_per_year", ("programs", "@program", "max_per_year")),
    "capex_growth": RowRule("regions.capex_growth", ("regions", "@region", "capex_growth")),
    "pool_budget": RowRule("pools.budget", ("pools", "@pool", "budget", "@year")),
    "readiness": RowRule("programs.requires", ("programs", "@program", "requires")),
    "om_obligation": RowRule("programs.om_rate", ("programs", "@program", "om_rate")),
    "baseline_om": RowRule("regions.baseline_om", ("regions", "@region", "baseline_om", "@year")),
    "om_handover": RowRule("rules.om_handover_cap", ("rules", "om_handover_cap")),
    "matching": RowRule("rules.matching", ("rules", "matching")),
    "masyarakat_share": RowRule("rules.masyarakat_share", ("rules", "masyarakat_share")),
    "dak_supporting": RowRule("rules.dak_supporting_share", ("rules", "dak_supporting_share")),
    "per_region": RowRule("pools.per_region", ("pools", "@pool", "per_region")),
    "coverage": RowRule("regions.targets", ("regions", "@region", "targets", "@indicator")),
    "excludes_built": RowRule("programs.excludes", ("programs", "@program", "excludes")),
    "excludes": RowRule("programs.excludes", ("programs", "@program", "excludes")),
    "recipients": RowRule("pools.recipients", ("pools", "@pool", "recipients", "@region")),
    "pool_open": RowRule("pools.requires", ("pools", "@pool", "requires")),
    "pool_requires": RowRule("pools.requires", ("pools", "@pool", "requires")),
    "desa_share": RowRule("programs.desa_share", ("programs", "@program", "desa_share")),
}

#: Families whose rows are tied to one programme, pool or region (the test checks the ids).
ENTITY_OF_FAMILY: dict[str, str] = {
    **{f: "program" for f in ("cost", "quantity", "whole", "completion", "max_years", "max_per_year",
                              "readiness", "om_obligation", "matching", "masyarakat_share",
                              "excludes_built", "excludes", "desa_share")},
    **{f: "pool" for f in ("pool_budget", "dak_supporting", "per_region", "recipients", "pool_open",
                           "pool_requires")},
    **{f: "region" for f in ("capex_growth", "baseline_om", "om_handover", "coverage")},
}

COLUMNS = ("family", "rule", "program", "pool", "region", "year", "other_program", "indicator",
           "path")


def row_origins(model: BuiltModel) -> pd.DataFrame:
    """One line per LP row, in row order: ``row, name, family, rule, program, pool, region, year,
    other_program, indicator, path`` (module docstring). ``other_program`` is the prerequisite
    of a readiness row, the other alternative of an excludes row, the required programme of a
    pool_open row; ``indicator`` the coverage indicator."""
    ix = model.index
    parts = []
    for family, keys in model.family_keys.items():
        frame = _entities(ix, keys)
        spec = ROW_RULES.get(family)
        if spec is None:
            raise KeyError(f"no rule is known for the row family {family!r}: add it to ROW_RULES")
        frame = _finish(frame.assign(family=family, rule=spec.rule), spec.path)
        parts.append(_refine(ix, family, keys.reset_index(drop=True), frame))
    keyed = set(model.family_keys)
    for family, rows in model.family_rows.items():  # families that store no keys (``near``)
        if family not in keyed:
            frame = _entities(ix, pd.DataFrame({"row": rows}))
            parts.append(_finish(frame.assign(family=family, rule=f"compare.{family}"), ()))
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["row", *COLUMNS])
    table = table.sort_values("row", kind="stable").reset_index(drop=True)
    table.insert(1, "name", model.lp.row_names[table["row"].to_numpy(dtype=np.int64)])
    return table[["row", "name", *COLUMNS]]


def column_bounds(model: BuiltModel) -> pd.DataFrame:
    """Every column whose bound the scenario sets, with the rule and path of the value.

    - locked money (``programs[].locked``): ``fund`` lower bound, path
      ``("programs", p, "locked", year, pool)``;
    - minimum whole units (``programs[].min_quantity`` of a ``divisible: false`` programme):
      ``whole`` lower bound ``ceil(min_quantity)``;
    - hard targets (``objective.hard_targets``): every ``shortfall`` column's upper bound 0.

    Columns ``col, name, bound (lower|upper), value (in LP units), rule, program, pool, region,
    year, indicator, path``.
    """
    ix = model.index
    lp = model.lp
    locked = ix.fund[ix.fund["locked"] > 0]
    parts = [_finish(_entities(ix, locked[["program_row", "pool_row", "t", "col"]])
                     .assign(bound="lower", rule="programs.locked"),
                     ("programs", "@program", "locked", "@year", "@pool"))]
    minimum = ix.programs["min_quantity"].to_numpy(dtype=float)[ix.whole["program_row"].to_numpy()]
    whole = ix.whole[np.ceil(minimum - 1e-9) > 0]
    parts.append(_finish(_entities(ix, whole[["program_row", "col"]])
                         .assign(bound="lower", rule="programs.min_quantity"),
                         ("programs", "@program", "min_quantity")))
    if ix.scenario.objective.hard_targets:
        short = ix.shortfall[["region_row", "indicator", "t", "col"]]
        parts.append(_finish(_entities(ix, short).assign(bound="upper", rule="objective.hard_targets"),
                             ("objective", "hard_targets")))
    table = pd.concat(parts, ignore_index=True).sort_values("col", kind="stable")
    cols = table["col"].to_numpy(dtype=np.int64)
    table = table.reset_index(drop=True).assign(
        name=lp.col_names[cols],
        value=np.where(table["bound"].to_numpy() == "lower", lp.col_lower[cols], lp.col_upper[cols]))
    return table[["col", "name", "bound", "value", "rule", "program", "pool", "region", "year",
                  "indicator", "path"]]


def linking_programs(model: BuiltModel, rows: npt.ArrayLike, cols: npt.ArrayLike) -> list[str]:
    """Programmes (ids, sorted) that tie the given rows and column bounds together: those with a
    column in at least two of them, or that a row or bound belongs to by its key (a programme's
    quantity row, its locked money)."""
    ix = model.index
    owner = np.full(model.lp.n_cols, -1, dtype=np.int64)
    for block in (ix.share, ix.whole, ix.fund, ix.om, ix.done, ix.built):
        owner[block["col"].to_numpy(dtype=np.int64)] = block["program_row"].to_numpy(dtype=np.int64)
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    touched = model.lp.matrix[rows].tocoo()
    members = np.concatenate([touched.row, len(rows) + np.arange(len(cols))])
    programs = np.concatenate([owner[touched.col], owner[cols]])
    pairs = np.unique(np.stack([members, programs])[:, programs >= 0], axis=1)
    counts = np.bincount(pairs[1], minlength=len(ix.programs))
    return sorted(ix.programs["program"].to_numpy(dtype=object)[counts >= 2].tolist())


def _refine(ix: ProblemIndex, family: str, keys: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Paths finer than a family's pattern: a projected pool's budget is its ``base`` (and
    ``growth``), a matching row's rule is its item of ``rules.matching`` (by position)."""
    if family == "pool_budget":
        projected = {b.id for b in ix.scenario.pools if b.base is not None}
        mask = frame["pool"].isin(projected).to_numpy()
        if mask.any():
            paths = frame["path"].to_numpy(dtype=object).copy()
            base = np.empty(int(mask.sum()), dtype=object)
            base[:] = list(zip(np.full(len(base), "pools", dtype=object),
                               frame["pool"].to_numpy(dtype=object)[mask],
                               np.full(len(base), "base", dtype=object), strict=True))
            paths[mask] = base
            frame = frame.assign(path=paths)
    if family in ("excludes", "excludes_built") and "other_row" in keys:
        frame = _declared_excludes(ix, frame)
    if family == "matching" and "source" in keys:
        position: dict[str, int] = {}
        for i, rule in enumerate(ix.scenario.rules.matching):
            position.setdefault(rule.source, i)
        paths = np.empty(len(frame), dtype=object)
        paths[:] = list(zip(np.full(len(frame), "rules", dtype=object),
                            np.full(len(frame), "matching", dtype=object),
                            keys["source"].map(position).to_numpy(dtype=object), strict=True))
        frame = frame.assign(path=paths)
    return frame


def _declared_excludes(ix: ProblemIndex, frame: pd.DataFrame) -> pd.DataFrame:
    """An exclusion row's path is the ``excludes`` of the programme that declares it (either of
    the pair may write it; the row is keyed by the pair in id order)."""
    declares = {(p.id, q) for p in ix.scenario.programs for q in p.excludes}
    program = frame["program"].to_numpy(dtype=object)
    other = frame["other_program"].to_numpy(dtype=object)
    swap = np.array([(a, b) not in declares and (b, a) in declares
                     for a, b in zip(program, other, strict=True)], dtype=bool)
    if not swap.any():
        return frame
    paths = frame["path"].to_numpy(dtype=object).copy()
    swapped = np.empty(int(swap.sum()), dtype=object)
    swapped[:] = [("programs", b, "excludes") for b in other[swap]]
    paths[swap] = swapped
    return frame.assign(path=paths)


def _entities(ix: ProblemIndex, keys: pd.DataFrame) -> pd.DataFrame:
    """Ids of the programme, pool, region and year in ``keys`` (row positions), null if absent."""
    keys = keys.reset_index(drop=True)
    n = len(keys)
    programs = ix.programs["program"].to_numpy(dtype=object)
    frame = pd.DataFrame({c: keys[c] for c in ("row", "col") if c in keys})

    def ids(column: str, table: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
        if column not in keys:
            return np.full(n, None, dtype=object)
        return table[keys[column].to_numpy(dtype=np.int64)]

    frame["program"] = ids("program_row", programs)
    frame["pool"] = ids("pool_row", ix.pools["pool"].to_numpy(dtype=object))
    region = ids("region_row", ix.regions["region"].to_numpy(dtype=object))
    if "region" in keys:
        region = keys["region"].to_numpy(dtype=object)
    elif "program_row" in keys:  # a programme's row is in the programme's region
        region = ix.programs["region"].to_numpy(dtype=object)[keys["program_row"].to_numpy(dtype=np.int64)]
    frame["region"] = region
    frame["year"] = (pd.array(ix.years[keys["t"].to_numpy(dtype=np.int64)].astype(np.int64), dtype="Int64")
                     if "t" in keys else pd.array([None] * n, dtype="Int64"))
    other = "prerequisite_row" if "prerequisite_row" in keys else "other_row"
    frame["other_program"] = ids(other, programs)
    frame["indicator"] = (keys["indicator"].to_numpy(dtype=object) if "indicator" in keys
                          else np.full(n, None, dtype=object))
    return frame


def _finish(frame: pd.DataFrame, path: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with its ``path`` column: the constants and ``@column`` values of ``path``."""
    n = len(frame)
    parts = []
    for item in path:
        if item.startswith("@"):
            parts.append(frame[item[1:]].astype(object).to_numpy(dtype=object))
        else:
            parts.append(np.full(n, item, dtype=object))
    paths = np.empty(n, dtype=object)
    paths[:] = list(zip(*parts, strict=True)) if parts and n else [()] * n
    return frame.assign(path=paths)
