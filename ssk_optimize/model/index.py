"""Index sets of the funding LP as arrays: programmes, pools, years and every variable block.

Everything here is built with pandas merges and numpy masks; the only Python loops run over
scenario items (to read the frozen models), never over the variables they create.

Internally the LP is scaled so the solver sees numbers near 1 whatever the money unit:
- ``share[p,t] = units[p,t] / quantity[p]`` (so readiness and completion are plain shares);
- money variables (``fund``, ``om``, ``base_om``) are in ``money_scale`` money units, a power of
  ten of rupiah chosen from the scenario's money figures (not from ``money_unit``); families write
  money into the LP through ``ProblemIndex.scaled``, so the LP is the same in every money unit
  (:mod:`ssk_optimize.model.scaling`, which also refuses figures spanning more than 1e12);
- ``shortfall`` is a share of the region's households in the target year.
:mod:`ssk_optimize.model.solution` converts back to units, money and households.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pandas as pd

from ssk_optimize.model.scaling import canonical_rupiah, check_money_range, choose_money_scale
from ssk_optimize.scenario.canonical import canonical_scenario
from ssk_optimize.scenario.eligibility import eligible_pairs, program_frame
from ssk_optimize.scenario.schema import Scenario, UnitCost
from ssk_optimize.scenario.vocabulary import RUPIAH_PER_UNIT, SOURCE_TYPES

FloatMatrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ProblemIndex:
    """Sets, parameters and variable blocks of one scenario's LP (see module docstring)."""

    scenario: Scenario
    years: npt.NDArray[np.int64]
    money_scale: float
    programs: pd.DataFrame  # one row per programme, by id (canonical order)
    cost: FloatMatrix  # programme x year unit cost (NaN outside the window)
    regions: pd.DataFrame
    households: FloatMatrix  # region x year
    pools: pd.DataFrame
    budget: FloatMatrix  # pool x year, money unit
    pairs: pd.DataFrame  # eligible_pairs() with program_row, pool_row
    share: pd.DataFrame  # program_row, t, col
    whole: pd.DataFrame  # program_row, col
    fund: pd.DataFrame  # program_row, pool_row, t, col, locked
    om: pd.DataFrame  # program_row, pool_row, t, col
    base_om: pd.DataFrame  # region_row, pool_row, t, col
    baseline_need: pd.DataFrame  # region_row, t, amount (existing assets' O&M, money unit)
    shortfall: pd.DataFrame  # region_row, indicator, t, col, target, baseline, households
    n_cols: int
    rupiah_scale: float = 1.0  # money_scale in rupiah (an exact power of ten)
    #: whole units complete by the end of year t (integer, cumulative): program_row, t, col, for
    #: every year of a ``divisible: false`` programme's window (formulation.md, whole-unit completion)
    done: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"program_row": pd.Series(dtype=np.int64), "t": pd.Series(dtype=np.int64),
         "col": pd.Series(dtype=np.int64)}))
    #: Mutually exclusive alternatives: binary ``built[p]`` columns (program_row, col) and the
    #: excluded pairs (p, q) with p < q as programme rows.
    built: pd.DataFrame = field(default_factory=lambda: _empty(["program_row", "col"]))
    exclusions: pd.DataFrame = field(default_factory=lambda: _empty(["p", "q"]))
    #: Pools that open with a programme: binary ``pool_open[b,t]`` columns (pool_row, t, col).
    pool_open: pd.DataFrame = field(default_factory=lambda: _empty(["pool_row", "t", "col"]))

    @property
    def n_years(self) -> int:
        """Years in the horizon."""
        return int(self.years.shape[0])

    def scaled(self, money: npt.ArrayLike) -> FloatMatrix:
        """Money of the scenario's unit in ``money_scale`` units, as every family writes it into the
        LP: through :func:`~ssk_optimize.model.scaling.canonical_rupiah`, so the scaled LP is the
        same whatever the money unit (NaN and inf pass through)."""
        rupiah = RUPIAH_PER_UNIT[self.scenario.money_unit]
        return canonical_rupiah(money, rupiah) / self.rupiah_scale

    @cached_property
    def cost_scaled(self) -> FloatMatrix:
        """``cost`` in ``money_scale`` units (NaN outside the window)."""
        return self.scaled(self.cost)

    @cached_property
    def budget_scaled(self) -> FloatMatrix:
        """``budget`` in ``money_scale`` units."""
        return self.scaled(self.budget)


def build_index(scenario: Scenario) -> ProblemIndex:
    """Turn a validated scenario into index arrays and variable blocks.

    The scenario is put in canonical order first (:func:`canonical_scenario`: regions, pools and
    programmes by id, mapping keys sorted), so every row, column and derived set follows the ids
    and the LP is the same whatever the order of the files; ``ProblemIndex.scenario`` is that
    canonical scenario, and its positions are the ``*_row`` numbers.
    """
    scenario = canonical_scenario(scenario)
    years = np.arange(scenario.horizon[0], scenario.horizon[1] + 1, dtype=np.int64)
    programs = _programs(scenario)
    cost = _cost_matrix(scenario, years)
    regions, households = _regions(scenario, years)
    pools, budget = _pools(scenario, years)
    rupiah = RUPIAH_PER_UNIT[scenario.money_unit]
    rupiah_scale = _money_scale(scenario, budget, cost)
    money_scale = rupiah_scale / rupiah
    pairs = eligible_pairs(scenario, programs)
    pairs["program_row"] = pairs["program"].map(_positions(programs["program"]))
    pairs["pool_row"] = pairs["pool"].map(_positions(pools["pool"]))
    offset = 0
    share, offset = _block(_share_keys(programs, years), offset)
    whole, offset = _block(programs.index[~programs["divisible"]].to_frame(
        index=False, name="program_row"), offset)
    fund, offset = _block(_fund_keys(pairs, share, scenario, programs, pools), offset)
    om, offset = _block(_om_keys(pairs, programs, years), offset)
    baseline_need = _baseline_need(scenario, years)
    base_om, offset = _block(_base_om_keys(scenario, baseline_need, regions, pools), offset)
    shortfall, offset = _block(_shortfall_keys(scenario, regions, households, years), offset)
    done, offset = _block(share.loc[~programs["divisible"].to_numpy()[share["program_row"].to_numpy()],
                                    ["program_row", "t"]], offset)
    exclusions = _exclusions(scenario)
    members = np.unique(exclusions[["p", "q"]].to_numpy().reshape(-1))
    built, offset = _block(pd.DataFrame({"program_row": members.astype(np.int64)}), offset)
    pool_open, offset = _block(_pool_open_keys(scenario, years), offset)
    return ProblemIndex(scenario, years, money_scale, programs, cost, regions, households, pools,
                        budget, pairs, share, whole, fund, om, base_om, baseline_need, shortfall,
                        offset, rupiah_scale, done, built, exclusions, pool_open)


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({name: np.zeros(0, dtype=np.int64) for name in columns})


def _exclusions(scenario: Scenario) -> pd.DataFrame:
    """Excluded pairs (p < q, programme rows), each once: ``excludes`` is symmetric."""
    position = {p.id: i for i, p in enumerate(scenario.programs)}
    found = {tuple(sorted((position[p.id], position[q]))) for p in scenario.programs
             for q in p.excludes if q in position and q != p.id}
    ordered = sorted(found)
    return pd.DataFrame({"p": np.array([a for a, _ in ordered], dtype=np.int64),
                         "q": np.array([b for _, b in ordered], dtype=np.int64)})


def _pool_open_keys(scenario: Scenario, years: npt.NDArray[np.int64]) -> pd.DataFrame:
    """One ``pool_open`` column per year of every pool with ``requires``."""
    rows = np.array([i for i, b in enumerate(scenario.pools) if b.requires], dtype=np.int64)
    return pd.DataFrame({"pool_row": np.repeat(rows, len(years)),
                         "t": np.tile(np.arange(len(years), dtype=np.int64), len(rows))})


def _positions(values: pd.Series) -> dict[str, int]:
    return {value: position for position, value in enumerate(values)}


def _block(keys: pd.DataFrame, offset: int) -> tuple[pd.DataFrame, int]:
    keys = keys.reset_index(drop=True)
    keys["col"] = np.arange(offset, offset + len(keys), dtype=np.int64)
    return keys, offset + len(keys)


def _programs(scenario: Scenario) -> pd.DataFrame:
    frame = program_frame(scenario)
    windows = [scenario.window(p) for p in scenario.programs]
    frame["start"] = np.array([w[0] for w in windows], dtype=np.int64)
    frame["end"] = np.array([w[1] for w in windows], dtype=np.int64)
    for name in ("quantity", "min_quantity", "priority", "divisible", "name", "code", "unit"):
        frame[name] = [getattr(p, name) for p in scenario.programs]
    frame["divisible"] = frame["divisible"].astype(bool)
    frame["max_years"] = np.array([p.payment_years for p in scenario.programs], dtype=np.int64)
    frame["max_per_year"] = np.array([np.nan if p.max_per_year is None else p.max_per_year
                                      for p in scenario.programs], dtype=float)
    return frame


def _cost_matrix(scenario: Scenario, years: npt.NDArray[np.int64]) -> FloatMatrix:
    """Unit cost per programme x year (NaN outside the window), grown where the scenario says so.

    One figure, or ``{base, year, growth}``, is ``base * (1 + g)^(t - year)`` (``g = 0`` and the
    figure flat unless ``growth`` or the scenario's ``cost_growth`` gives one; a plain figure's
    base year is the horizon's first year); a per-year mapping is taken as written.
    """
    first = int(years[0])
    base = np.full(len(scenario.programs), np.nan)
    base_year = np.full(len(scenario.programs), first, dtype=np.int64)
    growth = np.zeros(len(scenario.programs))
    default = scenario.cost_growth or 0.0
    for row, program in enumerate(scenario.programs):  # reads the frozen models, one per programme
        if isinstance(program.unit_cost, UnitCost):
            base[row], base_year[row] = program.unit_cost.base, program.unit_cost.year
            growth[row] = program.unit_cost.growth if program.unit_cost.growth is not None else default
        elif not isinstance(program.unit_cost, dict):
            base[row], growth[row] = program.unit_cost, default
    cost = base[:, None] * (1.0 + growth[:, None]) ** (years[None, :] - base_year[:, None])
    for row, program in enumerate(scenario.programs):  # only programmes with a cost per year
        if isinstance(program.unit_cost, dict):
            for year, value in program.unit_cost.items():
                if first <= year <= int(years[-1]):
                    cost[row, year - first] = value
    windows = np.array([scenario.window(p) for p in scenario.programs], dtype=np.int64)
    windows = windows.reshape(-1, 2)
    outside = (years[None, :] < windows[:, :1]) | (years[None, :] > windows[:, 1:])
    cost[outside] = np.nan
    return cost


def _regions(scenario: Scenario, years: npt.NDArray[np.int64]) -> tuple[pd.DataFrame, FloatMatrix]:
    frame = pd.DataFrame({
        "region": [r.id for r in scenario.regions],
        "province": [r.province for r in scenario.regions],
        "name": [r.name for r in scenario.regions],
        "capex_growth": np.array([np.nan if r.capex_growth is None else r.capex_growth
                                  for r in scenario.regions], dtype=float),
    })
    households = np.array([[r.households_in(int(y)) for y in years] for r in scenario.regions])
    return frame, households.reshape(len(scenario.regions), len(years))


def _pools(scenario: Scenario, years: npt.NDArray[np.int64]) -> tuple[pd.DataFrame, FloatMatrix]:
    preference = list(scenario.objective.source_preference)
    rank = {s: preference.index(s) + 1 if s in preference else len(preference) + 1
            for s in SOURCE_TYPES}
    frame = pd.DataFrame({
        "pool": [b.id for b in scenario.pools],
        "source": [b.source for b in scenario.pools],
        "holder": [b.holder for b in scenario.pools],
        "firm": [b.firm for b in scenario.pools],
        "per_region_min": [b.per_region.min if b.per_region else None for b in scenario.pools],
        "per_region_max": [b.per_region.max if b.per_region else None for b in scenario.pools],
    })
    frame["rank"] = frame["source"].map(rank).astype(float)
    budget = np.array([[b.budget_in(int(y)) for y in years] for b in scenario.pools])
    return frame, budget.reshape(len(scenario.pools), len(years))


def _money_scale(scenario: Scenario, budget: FloatMatrix, cost: FloatMatrix) -> float:
    """A power of ten (in rupiah) near the typical pool-year budget, so scaled budgets sit near 1.

    Refuses (ScenarioError) money figures spanning more than the model handles, and keeps every
    figure within range of the scale (:mod:`ssk_optimize.model.scaling`).
    """
    rupiah = RUPIAH_PER_UNIT[scenario.money_unit]
    return choose_money_scale(budget, cost, rupiah, check_money_range(scenario))


def _share_keys(programs: pd.DataFrame, years: npt.NDArray[np.int64]) -> pd.DataFrame:
    in_window = (years[None, :] >= programs["start"].to_numpy()[:, None]) & (
        years[None, :] <= programs["end"].to_numpy()[:, None])
    rows, ts = np.nonzero(in_window)
    return pd.DataFrame({"program_row": rows, "t": ts})


def _fund_keys(pairs: pd.DataFrame, share: pd.DataFrame, scenario: Scenario,
               programs: pd.DataFrame, pools: pd.DataFrame) -> pd.DataFrame:
    capex = pairs.loc[pairs["capex"], ["program_row", "pool_row"]]
    keys = capex.merge(share[["program_row", "t"]], on="program_row")
    keys = keys.sort_values(["program_row", "pool_row", "t"], kind="stable")
    locked = _locked(scenario, programs, pools)
    keys = keys.merge(locked, on=["program_row", "pool_row", "t"], how="left")
    keys["locked"] = keys["locked"].fillna(0.0)
    return keys


def _locked(scenario: Scenario, programs: pd.DataFrame, pools: pd.DataFrame) -> pd.DataFrame:
    program_row = _positions(programs["program"])
    pool_row = _positions(pools["pool"])
    start = scenario.horizon[0]
    records = [(program_row[p.id], pool_row[pool], year - start, amount)
               for p in scenario.programs if p.locked
               for year, by_pool in p.locked.items() for pool, amount in by_pool.items()]
    return pd.DataFrame(records, columns=["program_row", "pool_row", "t", "locked"]).astype(
        {"program_row": np.int64, "pool_row": np.int64, "t": np.int64, "locked": float})


def _om_keys(pairs: pd.DataFrame, programs: pd.DataFrame,
             years: npt.NDArray[np.int64]) -> pd.DataFrame:
    """O&M money exists from the year after the window opens (assets built before t)."""
    om_pairs = pairs.loc[pairs["om"], ["program_row", "pool_row"]]
    starts = programs["start"].to_numpy()[om_pairs["program_row"].to_numpy()]
    n_years = len(years)
    first = starts - years[0] + 1
    repeats = np.clip(n_years - first, 0, None)
    keys = pd.DataFrame({
        "program_row": np.repeat(om_pairs["program_row"].to_numpy(), repeats),
        "pool_row": np.repeat(om_pairs["pool_row"].to_numpy(), repeats),
    })
    keys["t"] = np.repeat(first, repeats) + _ranges(repeats)
    return keys.sort_values(["program_row", "pool_row", "t"], kind="stable")


def _ranges(lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """[0..n0-1, 0..n1-1, ...] without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.arange(total) - np.repeat(ends - lengths, lengths)


def _baseline_need(scenario: Scenario, years: npt.NDArray[np.int64]) -> pd.DataFrame:
    """Existing assets' O&M per region and year (positive amounts only), region then year order."""
    need = pd.DataFrame([(row, year - int(years[0]), amount)
                         for row, region in enumerate(scenario.regions)
                         for year, amount in sorted(region.baseline_om.items()) if amount > 0],
                        columns=["region_row", "t", "amount"])
    # typed even when no region declares baseline O&M (an empty frame would be object-typed)
    return need.astype({"region_row": np.int64, "t": np.int64, "amount": float})


def _base_om_keys(scenario: Scenario, need: pd.DataFrame, regions: pd.DataFrame,
                  pools: pd.DataFrame) -> pd.DataFrame:
    sources = set(scenario.rules.baseline_om_sources)
    payers = pools[pools["source"].isin(sources)].reset_index(names="pool_row")
    payers["region_row"] = payers["holder"].map(_positions(regions["region"]))
    payers = payers.dropna(subset=["region_row"]).astype({"region_row": np.int64})
    keys = need.merge(payers[["region_row", "pool_row"]], on="region_row")
    return keys[["region_row", "pool_row", "t"]].sort_values(["region_row", "pool_row", "t"])


def _shortfall_keys(scenario: Scenario, regions: pd.DataFrame, households: FloatMatrix,
                    years: npt.NDArray[np.int64]) -> pd.DataFrame:
    """One shortfall column per target (region, indicator, year): the listed years, or every horizon
    year for a ``trajectory`` (:meth:`~ssk_optimize.scenario.schema.Region.target_shares`)."""
    records = [(row, indicator, year - int(years[0]), share, region.baseline.get(indicator, 0.0))
               for row, region in enumerate(scenario.regions)
               for indicator, by_year in region.target_shares(scenario.horizon).items()
               for year, share in by_year.items()]
    keys = pd.DataFrame(records, columns=["region_row", "indicator", "t", "target", "baseline"])
    keys = keys.astype({"region_row": np.int64, "t": np.int64, "target": float, "baseline": float})
    keys["households"] = households[keys["region_row"].to_numpy(), keys["t"].to_numpy()] \
        if len(keys) else np.zeros(0)
    return keys.sort_values(["region_row", "indicator", "t"], kind="stable")
