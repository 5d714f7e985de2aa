"""A reusable checker of a finished run folder against the rules of domain.md sections 3, 4 and 6.

``check_run_folder(folder)`` reads only what the run wrote: the four Parquet tables, the
manifest and ``scenario.resolved.yaml`` (loaded with :func:`ssk_optimize.scenario.load_scenario`,
the run's own record of what was solved). It recomputes every rule from the scenario and the
money in ``allocations.parquet`` and returns one message per violation (empty list: the run is
sound). Nothing here imports the model or results layers except the reason vocabulary, so the
checker cannot share a bug with the code it checks.

Per-year units are derived from capital money (cost row: ``money = unit_cost * units``), so
readiness, O&M and coverage are checked against the money actually allocated. Whole units
(``divisible: false``) are complete once fully paid (``floor(units paid + 1e-4)``) and serve, cost
O&M and count as a prerequisite only from then on (coverage from the year after); each unit's
payments lie within ``max_years``; ``max_per_year`` and ``capex_growth`` hold (formulation.md 12).

Tolerances: money is compared to 1e-6 of the pool budget (pool rules) or of the programme's
cost (programme rules), plus half a rupiah (the writer drops smaller amounts); units and shares
to 1e-6 of the quantity plus what those dropped amounts would buy; households to 1e-6 of the
region's households; budgets must hold to 1e-9 relative.

No dust (``no_dust``, formulation.md section 8.1): no programme allocation below ``DUST_REL`` of the
programme's full cost (dearest unit cost x quantity) or half a rupiah; no divisible programme
delivering between 0 and ``DUST_UNITS`` units in all; no ``funded_share`` within
1e-6 of 1 without being 1 (a share near 0 needs money, which the first rule covers); whole-unit
programmes deliver integers to 1e-9; no ``unused`` in (0, 1e-9 x budget]; no ``-0.0`` anywhere.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ssk_optimize.results.reasons import REASONS
from ssk_optimize.scenario import load_scenario
from ssk_optimize.scenario.eligibility import eligible_pairs
from ssk_optimize.scenario.schema import Program, Scenario
from ssk_optimize.scenario.vocabulary import RUPIAH_PER_UNIT

#: Column names of domain.md section 6, in order.
COLUMNS: dict[str, list[str]] = {
    "allocations": ["scenario", "program", "code", "region", "province", "subsector", "kind",
                    "scale", "source", "pool", "holder", "firm", "year", "purpose", "amount"],
    "programs": ["scenario", "program", "name", "code", "region", "subsector", "kind", "scale",
                 "priority", "quantity", "units_delivered", "need", "funded", "funded_indicative", "gap",
                 "funded_share", "om_funded", "om_after_horizon", "waiting_list",
                 "limiting_reason", "limiting_detail"],
    "pools": ["scenario", "pool", "source", "holder", "firm", "year", "budget", "used", "unused",
              "shadow_price_targets", "shadow_price_priority", "range_low", "range_high"],
    "coverage": ["scenario", "region", "indicator", "year", "households", "covered", "share",
                 "target_share", "target_households", "shortfall"],
}
KEYS: dict[str, list[str]] = {
    "allocations": ["program", "pool", "year", "purpose", "region"],
    "programs": ["program"],
    "pools": ["pool", "year"],
    "coverage": ["region", "indicator", "year"],
}
RUN_FILES = ("allocations.parquet", "programs.parquet", "pools.parquet", "coverage.parquet",
             "manifest.json", "scenario.resolved.yaml")
WITH_SOLUTION = ("optimal", "feasible_stopped")

REL = 1e-6  # money / share / household tolerance
BUDGET_REL = 1e-9  # budget rows must hold this tightly after clean-up
FULL = 1.0 - 1e-6  # funded_share at or above this is "fully funded"
DUST_REL = 1e-9  # a programme allocation below this share of its full cost is solver dust
DUST_UNITS = 1e-4  # a divisible programme delivering fewer units in all is solver dust
SNAP = 1e-6  # a funded_share this close to 1 must be 1
MAX_PER_CHECK = 8  # messages kept per check (the rest are counted)


class _Report:
    """Collects messages, at most MAX_PER_CHECK per check name."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self._counts: dict[str, int] = defaultdict(int)

    def __call__(self, check: str, message: str) -> None:
        self._counts[check] += 1
        if self._counts[check] <= MAX_PER_CHECK:
            self.messages.append(f"{check}: {message}")

    def finish(self) -> list[str]:
        extra = [f"{check}: ... and {count - MAX_PER_CHECK} more"
                 for check, count in sorted(self._counts.items()) if count > MAX_PER_CHECK]
        return self.messages + extra


def check_run_folder(folder: str | Path) -> list[str]:
    """Every rule violation found in the run folder (empty: the run is sound)."""
    folder = Path(folder)
    report = _Report()
    missing = [name for name in RUN_FILES if not (folder / name).is_file()]
    if missing:
        return [f"files: missing {missing} in {folder}"]
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in COLUMNS}
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    loaded = load_scenario(folder / "scenario.resolved.yaml")
    scenario = loaded.scenario
    for name, frame in tables.items():
        if list(frame.columns) != COLUMNS[name]:
            report("columns", f"{name}.parquet has {list(frame.columns)}, expected {COLUMNS[name]}")
    if report.messages:
        return report.finish()
    _check_manifest(report, manifest, loaded.sha256, scenario)
    if manifest.get("status") not in WITH_SOLUTION:
        for name, frame in tables.items():
            if len(frame):
                report("no_solution", f"status {manifest.get('status')!r} but {name} has "
                       f"{len(frame)} rows")
        return report.finish()
    for name, frame in tables.items():
        _check_sorted(report, name, frame)
        bad = frame["scenario"] != scenario.scenario
        if len(frame) and bad.any():
            report("scenario_column", f"{name}: {int(bad.sum())} rows not named "
                   f"{scenario.scenario!r}")
    checker = _Checker(scenario, tables, report)
    checker.run()
    _check_handover_entry(report, manifest, scenario, tables)
    if manifest.get("status") == "optimal":
        _check_stage1(report, manifest, scenario, tables["coverage"])
    return report.finish()


def _check_handover_entry(report: _Report, manifest: dict[str, Any], scenario: Scenario,
                          tables: dict[str, pd.DataFrame]) -> None:
    """The manifest's ``om_handover``: per region, the O&M left to the next plan (sum of
    ``programs.om_after_horizon``) and the programme O&M money of the last year, and a warning in
    ``warnings`` exactly where the first exceeds (1 + ``rules.om_handover_warning``) x the second."""
    entry = manifest.get("om_handover")
    if not isinstance(entry, dict):
        report("manifest", "om_handover missing")
        return
    rules = scenario.rules
    if entry.get("warning_share") != rules.om_handover_warning or entry.get("cap") != rules.om_handover_cap:
        report("manifest", f"om_handover shares {entry.get('warning_share')}/{entry.get('cap')} != rules")
    last = scenario.horizon[1]
    programs, alloc = tables["programs"], tables["allocations"]
    left = programs.groupby(programs["region"].astype(object))["om_after_horizon"].sum()
    paid_rows = alloc[(alloc["purpose"].astype(object) == "om") & (alloc["year"] == last)]
    paid = paid_rows.groupby(paid_rows["region"].astype(object))["amount"].sum()
    listed = {str(r.get("region")): r for r in entry.get("regions", [])}
    warned = " ".join(str(w) for w in manifest.get("warnings", []))
    for region in scenario.regions:
        a, b = float(left.get(region.id, 0.0)), float(paid.get(region.id, 0.0))
        row = listed.get(region.id)
        if row is None:
            if a > 0 or b > 0:
                report("manifest", f"om_handover: region {region.id} missing")
            continue
        tol = 1e-9 * max(a, b, 1.0)
        if abs(row["om_after_horizon"] - a) > tol or abs(row["om_paid_last_year"] - b) > tol:
            report("manifest", f"om_handover[{region.id}]: {row} != after {a}, paid {b}")
        warn = a - (1.0 + rules.om_handover_warning) * b > 1e-9 * a
        if bool(row["warn"]) != warn or (f"om_handover[{region.id}]" in warned) != warn:
            report("manifest", f"om_handover[{region.id}]: warn {row['warn']} (in warnings: "
                   f"{f'om_handover[{region.id}]' in warned}), expected {warn}")



def _check_stage1(report: _Report, manifest: dict[str, Any], scenario: Scenario,
                  coverage: pd.DataFrame) -> None:
    """Stage 1 counts the shortfall of every target year (each year of a trajectory):
    ``stage1_shortfall = sum weight[k] * shortfall`` over the coverage rows with a target.

    The manifest has the solver's value, the table the reported plan's: per row they may differ
    by 1e-6 of the households plus what the polish may change (a programme within ``SNAP`` of its
    quantity completed, one below ``DUST_UNITS`` units dropped), times the households it serves.
    """
    stage1 = (manifest.get("objective") or {}).get("stage1_shortfall")
    if stage1 is None:
        return
    weights = scenario.objective.weights
    weight = coverage["indicator"].map(lambda k: weights.get(k, 1.0)).to_numpy(dtype=float)
    shortfall = np.nan_to_num(coverage["shortfall"].to_numpy(dtype=float))
    targeted = coverage["target_share"].notna().to_numpy()
    total = float(np.sum(weight * shortfall))
    polish: dict[tuple[str, str], float] = defaultdict(float)
    for program in scenario.programs:
        for k, v in program.serves.items():
            polish[(program.region, k)] += v * (DUST_UNITS + (SNAP + REL) * program.quantity)
    slack = np.array([polish.get((r, k), 0.0) for r, k in zip(coverage["region"], coverage["indicator"],
                                                               strict=True)], dtype=float)
    row_tol = REL * coverage["households"].to_numpy(dtype=float) + slack
    tol = float(np.sum((weight * row_tol)[targeted]))
    if abs(total - stage1) > tol + REL * abs(stage1):
        report("stage1", f"stage1_shortfall {stage1} != sum of weighted shortfall rows {total}")


def _check_manifest(report: _Report, manifest: dict[str, Any], sha256: str,
                    scenario: Scenario) -> None:
    if manifest.get("scenario_sha256") != sha256:
        report("manifest", "scenario_sha256 does not match scenario.resolved.yaml")
    if manifest.get("money_unit") != scenario.money_unit:
        report("manifest", f"money_unit {manifest.get('money_unit')!r} != {scenario.money_unit!r}")
    if manifest.get("scenario") != scenario.scenario:
        report("manifest", f"scenario {manifest.get('scenario')!r} != {scenario.scenario!r}")
    if (manifest.get("status") == "optimal") != bool(manifest.get("optimal")):
        report("manifest", f"status {manifest.get('status')!r} but optimal={manifest.get('optimal')}")


def _check_sorted(report: _Report, name: str, frame: pd.DataFrame) -> None:
    keys = KEYS[name]
    if frame.duplicated(keys).any():
        report("sorted", f"{name}: duplicate keys {keys}")
    expected = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    if not expected[keys].equals(frame[keys].reset_index(drop=True)):
        report("sorted", f"{name}: rows not sorted by {keys}")


class _Checker:
    """The rule checks, sharing the scenario and per-programme money matrices."""

    def __init__(self, scenario: Scenario, tables: dict[str, pd.DataFrame], report: _Report):
        self.s = scenario
        self.report = report
        self.alloc = tables["allocations"]
        self.programs = tables["programs"]
        self.pools = tables["pools"]
        self.coverage = tables["coverage"]
        self.years = list(scenario.years)
        self.t0 = self.years[0]
        self.half_rupiah = 0.5 / RUPIAH_PER_UNIT[scenario.money_unit]
        self.program = {p.id: p for p in scenario.programs}
        self.pool = {b.id: b for b in scenario.pools}
        self.region = {r.id: r for r in scenario.regions}
        n_years = len(self.years)
        self.capex: dict[str, np.ndarray] = {p.id: np.zeros(n_years) for p in scenario.programs}
        self.om: dict[str, np.ndarray] = {p.id: np.zeros(n_years) for p in scenario.programs}
        self.by_pool: dict[tuple[str, str, int], float] = defaultdict(float)  # (p, pool, year)
        self.cost = {p.id: np.array([unit_cost(scenario, p, y) if self._in_window(p, y) else np.nan
                                     for y in self.years]) for p in scenario.programs}

    # ------------------------------------------------------------------ helpers

    def _in_window(self, program: Program, year: int) -> bool:
        start, end = self.s.window(program)
        return start <= year <= end

    def _programme_tol(self, program: Program) -> float:
        cost = float(np.nanmax(self.cost[program.id]))  # the window lies inside the horizon
        return REL * cost * program.quantity + self.half_rupiah

    def _pool_tol(self, pool_id: str, year: int) -> float:
        return REL * self.pool[pool_id].budget_in(year) + self.half_rupiah

    def _unit_tol(self, program: Program) -> float:
        """Units: 1e-6 of the quantity, plus what the dropped sub-half-rupiah amounts would buy
        (the writer drops amounts below half a rupiah, at most one per programme-pool-year)."""
        cheapest = float(np.nanmin(self.cost[program.id]))
        dropped = len(self.years) * len(self.s.pools) * self.half_rupiah / cheapest
        return REL * program.quantity + dropped

    def units(self, program: Program) -> np.ndarray:
        """Units per horizon year derived from capital money (cost row)."""
        return np.nan_to_num(self.capex[program.id] / self.cost[program.id])

    def complete(self, program: Program) -> np.ndarray:
        """Units complete by the end of each year: delivered so far, or for a whole-unit programme
        its fully paid units (units paid within 1e-4 of a whole number count as that number)."""
        paid = np.cumsum(self.units(program))
        return paid if program.divisible else np.floor(paid + 1e-4)

    def serving(self, program: Program) -> np.ndarray:
        """Units serving households in each year: delivered by its end, or (whole units) complete
        by the end of the year before: an unfinished unit serves nobody."""
        done = self.complete(program)
        return done if program.divisible else np.concatenate([[0.0], done[:-1]])

    def om_base(self, program: Program) -> np.ndarray:
        """Capital on which O&M is due from the next year: money per year, or (whole units) the
        cost of the units completed that year at that year's unit cost."""
        if program.divisible:
            return self.capex[program.id]
        completed = np.diff(self.complete(program), prepend=0.0)
        return np.nan_to_num(self.cost[program.id]) * completed

    # ------------------------------------------------------------------ the checks

    def run(self) -> None:
        self.allocation_rows()
        self.pool_budgets()
        self.money_rules()
        self.per_region()
        self.om_obligations()
        self.om_handover()

        self.completion()
        self.capacity()
        self.readiness()
        self.program_rows()
        self.coverage_rows()
        self.no_dust()
        self.alternatives()
        self.recipients()
        self.pool_requires()
        self.desa_share()

    # ------------------------------------------------------------------ issue 9 (D)

    def alternatives(self) -> None:
        """``excludes`` (symmetric): at most one of two excluded programmes builds anything; a
        programme with nothing built whose alternative was built says so (reason ``alternative``,
        unless no pool may fund it at all: ``no_eligible_source`` comes first)."""
        built = {p.id: float(self.units(p).sum()) > self._unit_tol(p) for p in self.s.programs}
        reasons = dict(zip(self.programs["program"], self.programs["limiting_reason"], strict=True))
        details = dict(zip(self.programs["program"], self.programs["limiting_detail"], strict=True))
        pairs = {tuple(sorted((p.id, q))) for p in self.s.programs for q in p.excludes
                 if q in self.program and q != p.id}
        for first, second in sorted(pairs):
            if built[first] and built[second]:
                self.report("excludes", f"{first} and {second} are both built")
        for program in self.s.programs:
            for other in program.excludes:
                if other not in self.program or other == program.id:
                    continue
                for mine, chosen in ((program.id, other), (other, program.id)):
                    if built[chosen] and not built[mine] and reasons.get(mine) not in (
                            "alternative", "no_eligible_source"):
                        self.report("excludes", f"{mine}: nothing built, {chosen} chosen, but the reason "
                                    f"is {reasons.get(mine)!r}, not 'alternative'")
                    if reasons.get(mine) == "alternative" and chosen in _text(details.get(mine)) \
                            and not built[chosen]:
                        self.report("excludes", f"{mine}: reason 'alternative' names {chosen}, which "
                                    "built nothing")

    def recipients(self) -> None:
        """Bantuan keuangan khusus: a pool with ``recipients`` gives capital money to a region's
        programmes outside its rule row's own scales only when the region is a recipient, and at
        most the recipient's amount per year."""
        rule = self.s.rules.eligibility.get("APBD_PROV")  # type: ignore[call-overload]
        own_scales = set(rule.scales) if rule is not None else set()
        for pool in self.s.pools:
            if not pool.recipients:
                continue
            given: dict[tuple[str, int], float] = defaultdict(float)
            for (program_id, pool_id, year), amount in self.by_pool.items():
                program = self.program[program_id]
                if pool_id == pool.id and program.scale not in own_scales:
                    given[(program.region, year)] += amount
            for (region, year), amount in sorted(given.items()):
                if region not in pool.recipients:
                    self.report("recipients", f"{pool.id}/{region}/{year}: {amount:.6f} of bantuan "
                                "keuangan to a region that is not a recipient")
                    continue
                limit = pool.recipients[region]
                limit = float(limit.get(year, 0.0)) if isinstance(limit, dict) else float(limit)
                if amount > limit + self._pool_tol(pool.id, year):
                    self.report("recipients", f"{pool.id}/{region}/{year}: {amount:.6f} > amount {limit}")

    def pool_requires(self) -> None:
        """A pool that ``requires`` programmes spends nothing before the year after they are all
        complete (units from capital money reach the quantity)."""
        spent = self.alloc.groupby(["pool", "year"])["amount"].sum()
        for pool in self.s.pools:
            for needed in pool.requires:
                program = self.program.get(needed)
                if program is None:
                    continue
                done = np.cumsum(self.units(program)) >= program.quantity - self._unit_tol(program)
                for t, year in enumerate(self.years):
                    amount = float(spent.get((pool.id, year), 0.0))
                    if amount > self._pool_tol(pool.id, year) and not (t > 0 and done[t - 1]):
                        self.report("pool_requires", f"{pool.id}/{year}: {amount:.6f} spent before "
                                    f"the year after {needed} is complete")

    def desa_share(self) -> None:
        """Dana Desa capital money of a programme-year <= desa share x its capital cost; the
        share is ``desa_share``, else desa / (desa + kelurahan) where ``locations`` lists both."""
        dana_desa = {b.id for b in self.s.pools if b.source == "DANA_DESA"}
        for program in self.s.programs:
            region = self.region[program.region]
            share = program.desa_share
            if share is None and "desa" in program.locations and "kelurahan" in program.locations \
                    and region.desa + region.kelurahan > 0:
                share = region.desa / (region.desa + region.kelurahan)
            if share is None:
                continue
            for t, year in enumerate(self.years):
                village = sum(self.by_pool.get((program.id, b, year), 0.0) for b in dana_desa)
                if village > share * self.capex[program.id][t] + self._programme_tol(program):
                    self.report("desa_share", f"{program.id}/{year}: Dana Desa {village:.6f} > "
                                f"{share:.6g} x capital {self.capex[program.id][t]:.6f}")

    def no_dust(self) -> None:
        """Figures that exist only because of solver tolerances (module docstring)."""
        report = self.report
        for name, frame in (("allocations", self.alloc), ("programs", self.programs),
                            ("pools", self.pools), ("coverage", self.coverage)):
            for column in frame.columns:
                if pd.api.types.is_float_dtype(frame[column]):
                    values = frame[column].to_numpy(dtype=float)
                    negative = int(np.sum((values == 0.0) & np.signbit(values)))
                    if negative:
                        report("no_dust", f"{name}.{column}: {negative} negative zero(s)")
        for row in self.alloc.itertuples(index=False):
            program = self.program.get(row.program)
            floor = self.half_rupiah
            if program is not None:
                floor = max(floor, DUST_REL * float(np.nanmax(self.cost[program.id])) * program.quantity)
            if 0 < float(row.amount) < floor:
                report("no_dust", f"{row.program or '(baseline)'}/{row.pool}/{row.year}/{row.purpose}: "
                       f"amount {row.amount!r} below the dust threshold {floor:.6g}")
        for row in self.programs.itertuples(index=False):
            program = self.program.get(row.program)
            share, delivered = float(row.funded_share), float(row.units_delivered)
            if program is not None and program.divisible and 0.0 < delivered < DUST_UNITS:
                report("no_dust", f"{row.program}: {delivered!r} units delivered (below {DUST_UNITS})")
            if 1.0 - SNAP < share < 1.0:
                report("no_dust", f"{row.program}: funded_share {share!r} within {SNAP} of 1")
            if program is not None and not program.divisible and delivered != round(delivered) \
                    and abs(delivered - round(delivered)) > 1e-9:
                report("no_dust", f"{row.program}: {delivered!r} units of a whole-unit programme")
        for row in self.pools.itertuples(index=False):
            if 0.0 < float(row.unused) <= BUDGET_REL * abs(float(row.budget)):
                report("no_dust", f"{row.pool}/{row.year}: unused {row.unused!r} within 1e-9 of 0")

    def allocation_rows(self) -> None:
        """Rows name real items, describe them as the scenario does, in the right places."""
        report, s = self.report, self.s
        pairs = eligible_pairs(s)
        capex_ok = set(zip(pairs.loc[pairs["capex"], "program"], pairs.loc[pairs["capex"], "pool"],
                           strict=True))
        om_ok = set(zip(pairs.loc[pairs["om"], "program"], pairs.loc[pairs["om"], "pool"],
                        strict=True))
        baseline_sources = set(s.rules.baseline_om_sources)
        baseline_paid: dict[tuple[str, int], float] = defaultdict(float)
        for row in self.alloc.itertuples(index=False):
            where = f"{row.program or '(baseline)'}/{row.pool}/{row.year}/{row.purpose}"
            year = int(row.year)
            amount = float(row.amount)
            if not (math.isfinite(amount) and amount > 0):
                report("amount", f"{where}: amount {amount!r} is not positive and finite")
                continue
            if year not in self.years:
                report("year", f"{where}: year outside the horizon {s.horizon}")
                continue
            pool = self.pool.get(row.pool)
            if pool is None:
                report("unknown", f"{where}: unknown pool")
                continue
            if (row.source, row.holder, bool(row.firm)) != (pool.source, pool.holder, pool.firm):
                report("describe", f"{where}: source/holder/firm {row.source}/{row.holder}/"
                       f"{row.firm} != scenario {pool.source}/{pool.holder}/{pool.firm}")
            t = year - self.t0
            if row.purpose == "baseline_om":
                region = self.region.get(row.region)
                if pd.notna(row.program) or region is None:
                    report("baseline_om", f"{where}: baseline O&M row must have a null program "
                           f"and a known region (region {row.region!r})")
                    continue
                if pool.holder != row.region or pool.source not in baseline_sources:
                    report("baseline_om", f"{where}: baseline O&M of {row.region} paid by "
                           f"{pool.source} pool held by {pool.holder} (allowed: the region's "
                           f"own {sorted(baseline_sources)} pools)")
                if row.province != region.province:
                    report("describe", f"{where}: province {row.province!r} != {region.province!r}")
                baseline_paid[(row.region, year)] += amount
                continue
            program = self.program.get(row.program)
            if program is None:
                report("unknown", f"{where}: unknown programme")
                continue
            region = self.region[program.region]
            described = (_text(row.code), row.region, row.province, row.subsector, row.kind, row.scale)
            expected = (program.code, program.region, region.province, program.subsector,
                        program.kind, program.scale)
            if described != expected:
                report("describe", f"{where}: {described} != scenario {expected}")
            if row.purpose == "capex":
                if (program.id, pool.id) not in capex_ok:
                    report("eligibility", f"{where}: capital money on a pair the rules forbid")
                if not self._in_window(program, year):
                    report("year_window", f"{where}: capital money outside the programme's "
                           f"years {list(s.window(program))}")
                    continue
                self.capex[program.id][t] += amount
                self.by_pool[(program.id, pool.id, year)] += amount
            elif row.purpose == "om":
                if (program.id, pool.id) not in om_ok:
                    report("eligibility", f"{where}: O&M money on a pair the rules forbid")
                if year <= s.window(program)[0]:
                    report("om_year", f"{where}: O&M money before any asset can exist")
                self.om[program.id][t] += amount
            else:
                report("purpose", f"{where}: purpose {row.purpose!r} not capex/om/baseline_om")
        for region in s.regions:
            for year in self.years:
                need = float(region.baseline_om.get(year, 0.0))
                paid = baseline_paid.get((region.id, year), 0.0)
                if abs(paid - need) > REL * need + self.half_rupiah:
                    report("baseline_om", f"{region.id}/{year}: baseline O&M paid {paid:.6f}, "
                           f"needed {need:.6f}")

    def pool_budgets(self) -> None:
        """Pools table rows, budgets, use; no pool overspent; allocations add up to ``used``."""
        report, s = self.report, self.s
        expected = {(b.id, y) for b in s.pools for y in self.years}
        found = set(zip(self.pools["pool"], self.pools["year"].astype(int), strict=True))
        if found != expected:
            report("pools_rows", f"pool-years {sorted(found ^ expected)[:5]} missing or extra")
        spent = self.alloc.groupby(["pool", "year"])["amount"].sum()
        for row in self.pools.itertuples(index=False):
            pool = self.pool.get(row.pool)
            if pool is None:
                continue
            year = int(row.year)
            where = f"{row.pool}/{year}"
            budget = pool.budget_in(year)
            if abs(row.budget - budget) > BUDGET_REL * budget + 1e-12:
                report("budget", f"{where}: budget {row.budget} != scenario {budget}")
            if (row.source, row.holder, bool(row.firm)) != (pool.source, pool.holder, pool.firm):
                report("describe", f"{where}: pools row describes the pool differently")
            if row.used > budget * (1 + BUDGET_REL) + 1e-12:
                report("overspent", f"{where}: used {row.used!r} > budget {budget!r}")
            total = float(spent.get((row.pool, year), 0.0))
            if abs(total - row.used) > BUDGET_REL * max(budget, row.used) + 1e-9:
                report("used", f"{where}: allocations sum to {total!r}, used says {row.used!r}")
            if abs(row.unused - max(0.0, budget - row.used)) > BUDGET_REL * budget + 1e-9:
                report("unused", f"{where}: unused {row.unused} != budget - used")
            for column in ("shadow_price_targets", "shadow_price_priority"):
                value = getattr(row, column)
                if math.isinf(value) or (math.isfinite(value) and value < -1e-9):
                    report("shadow_price", f"{where}: {column} {value} (more money cannot hurt)")
            low, high = row.range_low, row.range_high
            if not (math.isnan(low) or math.isnan(high)):
                slack = REL * max(budget, 1.0)
                if not low - slack <= budget <= high + slack:
                    report("range", f"{where}: budget {budget} outside its range [{low}, {high}]")

    def money_rules(self) -> None:
        """Locked money, matching, masyarakat share cap, DAK supporting cap."""
        report, s = self.report, self.s
        for program in s.programs:
            for year, by_pool in program.locked.items():
                for pool_id, amount in by_pool.items():
                    got = self.by_pool.get((program.id, pool_id, int(year)), 0.0)
                    if got < amount - self._programme_tol(program):
                        report("locked", f"{program.id}/{pool_id}/{year}: {got:.6f} below the "
                               f"locked {amount}")
        source_of = {b.id: b.source for b in s.pools}
        by_source: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for (program_id, pool_id, year), amount in self.by_pool.items():
            by_source[(program_id, year)][source_of[pool_id]] += amount
        for (program_id, year), money in by_source.items():
            program = self.program[program_id]
            tol = self._programme_tol(program)
            total = sum(money.values())
            for rule in s.rules.matching:
                main = money.get(rule.source, 0.0)
                partner = sum(money.get(p, 0.0) for p in rule.partners)
                if partner < rule.share * main - tol:
                    report("matching", f"{program_id}/{year}: partners {list(rule.partners)} "
                           f"{partner:.6f} < {rule.share} x {rule.source} {main:.6f}")
            community = money.get("MASYARAKAT", 0.0)
            if community > s.rules.masyarakat_share * total + tol:
                report("masyarakat_share", f"{program_id}/{year}: masyarakat {community:.6f} > "
                       f"{s.rules.masyarakat_share} x capital {total:.6f}")
        supporting: dict[tuple[str, int], float] = defaultdict(float)
        for (program_id, pool_id, year), amount in self.by_pool.items():
            if source_of[pool_id] == "DAK" and self.program[program_id].kind == "supporting":
                supporting[(pool_id, year)] += amount
        used = self.alloc.groupby(["pool", "year"])["amount"].sum()
        for (pool_id, year), amount in supporting.items():
            spending = float(used.get((pool_id, year), 0.0))
            if amount > s.rules.dak_supporting_share * spending + self._pool_tol(pool_id, year):
                report("dak_supporting", f"{pool_id}/{year}: supporting {amount:.6f} > "
                       f"{s.rules.dak_supporting_share} x spending {spending:.6f}")

    def per_region(self) -> None:
        """Floors and ceilings per region on shared pools (programme money, capex + O&M)."""
        report, s = self.report, self.s
        limited = [b for b in s.pools if b.per_region is not None]
        if not limited:
            return
        money = self.alloc[self.alloc["purpose"].isin(["capex", "om"])]
        taken = money.groupby(["pool", "region", "year"])["amount"].sum()
        pairs = eligible_pairs(s)
        for pool in limited:
            assert pool.per_region is not None
            mine = pairs[pairs["pool"] == pool.id]
            for region in s.regions:
                for year in self.years:
                    got = float(taken.get((pool.id, region.id, year), 0.0))
                    tol = self._pool_tol(pool.id, year)
                    high, low = pool.per_region.max, pool.per_region.min
                    if high is not None and got > high + tol:
                        report("per_region", f"{pool.id}/{region.id}/{year}: {got:.6f} > max {high}")
                    if low is not None and got < low - tol and self._may_take(mine, region.id, year):
                        report("per_region", f"{pool.id}/{region.id}/{year}: {got:.6f} < min {low}")

    def _may_take(self, pairs: pd.DataFrame, region: str, year: int) -> bool:
        """Whether any programme of ``region`` may take money from the pool in ``year``."""
        for row in pairs.itertuples(index=False):
            program = self.program[row.program]
            if program.region != region:
                continue
            start, end = self.s.window(program)
            if (row.capex and start <= year <= end) or (row.om and year > start):
                return True
        return False

    def om_obligations(self) -> None:
        """O&M fully funded: om[p,t] = om_rate * capital built before t, from the next year on;
        for whole units only units complete before t (no O&M from an unfinished unit)."""
        for program in self.s.programs:
            om = self.om[program.id]
            built = np.concatenate([[0.0], np.cumsum(self.om_base(program))[:-1]])
            need = program.om_rate * built
            tol = self._programme_tol(program)
            for t, year in enumerate(self.years):
                if abs(om[t] - need[t]) > tol:
                    self.report("om", f"{program.id}/{year}: O&M funded {om[t]:.6f}, needed "
                                f"{need[t]:.6f} (om_rate {program.om_rate})")

    def om_handover(self) -> None:
        """With ``rules.om_handover_cap``, per region: om_rate x all capital money of the horizon
        (O&M left to the next plan) <= (1 + cap) x programme O&M money of the last year."""
        cap = self.s.rules.om_handover_cap
        if cap is None:
            return
        for region in self.s.regions:
            mine = [p for p in self.s.programs if p.region == region.id]
            left = sum(p.om_rate * float(self.capex[p.id].sum()) for p in mine)
            paid = sum(float(self.om[p.id][-1]) for p in mine)
            tol = sum(p.om_rate * self._programme_tol(p) for p in mine) + self.half_rupiah * len(mine)
            if left > (1.0 + cap) * paid + tol:
                self.report("om_handover", f"{region.id}: O&M left to the next plan {left:.6f} > "
                            f"(1 + {cap}) x {paid:.6f} paid in {self.years[-1]}")

    def completion(self) -> None:
        """Whole units: units paid by the end of t are complete by t + max_years - 1 (or the end
        of the window), so each unit's payments lie within max_years consecutive years."""
        for program in self.s.programs:
            if program.divisible:
                continue
            span = 1 if program.max_years is None else program.max_years
            end = self.s.window(program)[1] - self.t0
            paid, done = np.cumsum(self.units(program)), self.complete(program)
            for t, year in enumerate(self.years):
                late = paid[t] - done[min(t + span - 1, end)]
                if late > 1e-4:
                    self.report("completion", f"{program.id}/{year}: {paid[t]:.6f} units paid, only "
                                f"{done[min(t + span - 1, end)]:g} complete {span} year(s) on")

    def capacity(self) -> None:
        """``max_per_year`` units in a year; ``capex_growth``: a region's capital money in year t at
        most (1 + g) times that of t - 1, after its first year with money open to its programmes."""
        for program in self.s.programs:
            if program.max_per_year is None:
                continue
            units = self.units(program)
            for t in np.flatnonzero(units > program.max_per_year + self._unit_tol(program)):
                self.report("max_per_year", f"{program.id}/{self.years[t]}: {units[t]:.6f} units "
                            f"> max_per_year {program.max_per_year}")
        pairs = eligible_pairs(self.s)
        capex_pairs = pairs[pairs["capex"]]
        for region in self.s.regions:
            if region.capex_growth is None:
                continue
            mine = [p for p in self.s.programs if p.region == region.id]
            open_years = [t for t, year in enumerate(self.years) for p in mine
                          if self._in_window(p, year) and any(
                              self.pool[b].budget_in(year) > 0
                              for b in capex_pairs.loc[capex_pairs["program"] == p.id, "pool"])]
            if not open_years:
                continue
            spent = sum((self.capex[p.id] for p in mine), np.zeros(len(self.years)))
            for t in range(min(open_years) + 1, len(self.years)):
                year = self.years[t]
                tol = REL * sum(b.budget_in(year) for b in self.s.pools) + \
                    self.half_rupiah * len(self.s.pools) * len(mine)
                if spent[t] > (1 + region.capex_growth) * spent[t - 1] + tol:
                    self.report("capex_growth", f"{region.id}/{year}: capital {spent[t]:.6f} > "
                                f"(1 + {region.capex_growth}) x {spent[t - 1]:.6f}")

    def readiness(self) -> None:
        """Delivered share of p by t <= share of each prerequisite complete by t-1 (a whole-unit
        prerequisite: its fully paid units)."""
        shares = {p.id: np.cumsum(self.units(p)) / p.quantity for p in self.s.programs}
        complete = {p.id: self.complete(p) / p.quantity for p in self.s.programs}
        slack = {p.id: self._unit_tol(p) / p.quantity for p in self.s.programs}
        for program in self.s.programs:
            for needed in program.requires:
                before = np.concatenate([[0.0], complete[needed][:-1]])
                over = shares[program.id] - before
                for t in np.flatnonzero(over > slack[program.id] + slack[needed]):
                    self.report("readiness", f"{program.id}/{self.years[t]}: {shares[program.id][t]:.6f}"
                                f" delivered but {needed} only {before[t]:.6f} by {self.years[t] - 1}")

    def program_rows(self) -> None:
        """The programmes table: delivery, need, gap, shares, O&M, waiting list, reasons."""
        report, s = self.report, self.s
        rows = {row.program: row for row in self.programs.itertuples(index=False)}
        if set(rows) != set(self.program):
            report("programs_rows", f"programmes {sorted(set(rows) ^ set(self.program))} missing "
                   f"or extra")
        for program in s.programs:
            row = rows.get(program.id)
            if row is None:
                continue
            where = program.id
            q = program.quantity
            tol = self._programme_tol(program)
            described = (row.name, _text(row.code), row.region, row.subsector, row.kind, row.scale,
                         float(row.priority), float(row.quantity))
            expected = (program.name, program.code, program.region, program.subsector,
                        program.kind, program.scale, float(program.priority), float(q))
            if described != expected:
                report("describe", f"{where}: {described} != scenario {expected}")
            units = self.units(program)
            delivered = float(row.units_delivered)
            if abs(units.sum() - delivered) > self._unit_tol(program):
                report("units", f"{where}: units_delivered {delivered} but capital money buys "
                       f"{units.sum():.6f} units")
            if delivered > q * (1 + 1e-9):
                report("quantity", f"{where}: units_delivered {delivered} > quantity {q}")
            if delivered < program.min_quantity - self._unit_tol(program):
                report("min_quantity", f"{where}: units_delivered {delivered} < min_quantity "
                       f"{program.min_quantity}")
            if not program.divisible and abs(delivered - round(delivered)) > 1e-6:
                report("whole_units", f"{where}: {delivered} units, but divisible is false")
            funded = float(self.capex[program.id].sum())
            if abs(row.funded - funded) > tol:
                report("funded", f"{where}: funded {row.funded} != capital money {funded}")
            soft = float(self.alloc.loc[(self.alloc["program"].astype(object) == program.id)
                                        & (self.alloc["purpose"].astype(object) == "capex")
                                        & ~self.alloc["firm"].astype(bool), "amount"].sum())
            if abs(row.funded_indicative - soft) > tol:
                report("funded", f"{where}: funded_indicative {row.funded_indicative} != capital "
                       f"money from indicative pools {soft}")
            last_cost = unit_cost(s, program, s.window(program)[1])
            need = row.funded + (q - delivered) * last_cost
            if abs(row.need - need) > tol:
                report("need", f"{where}: need {row.need} != funded + (quantity - units) x "
                       f"last cost = {need}")
            if abs(row.gap - (row.need - row.funded)) > tol:
                report("gap", f"{where}: gap {row.gap} != need - funded")
            if abs(row.funded_share - delivered / q) > 1e-9:
                report("funded_share", f"{where}: funded_share {row.funded_share} != "
                       f"units/quantity {delivered / q}")
            if abs(row.om_funded - self.om[program.id].sum()) > tol:
                report("om_funded", f"{where}: om_funded {row.om_funded} != O&M money "
                       f"{self.om[program.id].sum()}")
            capital = funded if program.divisible else float(self.om_base(program).sum())
            if abs(row.om_after_horizon - program.om_rate * capital) > tol:
                report("om_after_horizon", f"{where}: om_after_horizon {row.om_after_horizon} != "
                       f"om_rate x capital {program.om_rate * capital}")
            waiting = bool(row.funded_share < FULL)
            if bool(row.waiting_list) != waiting:
                report("waiting_list", f"{where}: waiting_list {row.waiting_list} but funded_share "
                       f"{row.funded_share}")
            if row.limiting_reason not in REASONS:
                report("reason", f"{where}: limiting_reason {row.limiting_reason!r} not in {REASONS}")
            elif (row.limiting_reason == "fully_funded") == waiting:
                report("reason", f"{where}: limiting_reason {row.limiting_reason!r} with "
                       f"waiting_list {row.waiting_list}")

    def coverage_rows(self) -> None:
        """covered = baseline + cumulative serves x units; share, target, shortfall arithmetic."""
        report, s = self.report, self.s
        expected_keys = set()
        covered: dict[tuple[str, str], np.ndarray] = {}
        slack: dict[tuple[str, str], float] = {}
        for region in s.regions:
            mine = [p for p in s.programs if p.region == region.id]
            indicators = set(region.baseline) | set(region.targets)
            indicators |= {k for p in mine for k in p.serves}
            for k in indicators:
                total = np.full(len(self.years), float(region.baseline.get(k, 0.0)))
                slack[(region.id, k)] = 0.0
                for program in mine:
                    total += program.serves.get(k, 0.0) * self.serving(program)
                    slack[(region.id, k)] += program.serves.get(k, 0.0) * self._unit_tol(program)
                covered[(region.id, k)] = total
                expected_keys |= {(region.id, k, y) for y in self.years}
        found = set(zip(self.coverage["region"], self.coverage["indicator"],
                        self.coverage["year"].astype(int), strict=True))
        if found != expected_keys:
            report("coverage_rows", f"rows {sorted(found ^ expected_keys)[:5]} missing or extra")
        for row in self.coverage.itertuples(index=False):
            key = (row.region, row.indicator)
            if key not in covered or int(row.year) not in self.years:
                continue
            region = self.region[row.region]
            year = int(row.year)
            t = year - self.t0
            where = f"{row.region}/{row.indicator}/{year}"
            households = region.households_in(year)
            tol = REL * households
            if abs(row.households - households) > tol:
                report("households", f"{where}: {row.households} != scenario {households}")
            if abs(row.covered - covered[key][t]) > tol + slack[key]:
                report("covered", f"{where}: covered {row.covered} != baseline + delivered "
                       f"{covered[key][t]:.6f}")
            if abs(row.share - row.covered / households) > REL:
                report("share", f"{where}: share {row.share} != covered / households")
            target = _target(region, row.indicator, year, self.years)
            if target is None:
                if not (_nan(row.target_share) and _nan(row.target_households) and _nan(row.shortfall)):
                    report("target", f"{where}: no target but target columns are filled")
                continue
            if not abs(row.target_share - target) <= 1e-9:  # NaN too: a target year without one
                report("target", f"{where}: target_share {row.target_share} != {target}")
            if abs(row.target_households - target * households) > tol:
                report("target", f"{where}: target_households {row.target_households} != "
                       f"{target * households}")
            if abs(row.shortfall - max(0.0, row.target_households - row.covered)) > tol:
                report("shortfall", f"{where}: shortfall {row.shortfall} != max(0, target - covered)")


def unit_cost(scenario: Scenario, program: Program, year: int) -> float:
    """The unit cost in ``year``, recomputed here from the scenario's fields (docs/scenario-format.md):
    a per-year mapping as written; ``{base, year, growth}`` as base x (1 + growth)^(t - year), the
    growth defaulting to ``cost_growth`` (else 0); one figure flat, or grown at ``cost_growth``
    from the horizon's first year."""
    cost: Any = program.unit_cost
    if isinstance(cost, dict):
        return float(cost[year])
    default = scenario.cost_growth or 0.0
    if hasattr(cost, "base"):
        growth = cost.growth if cost.growth is not None else default
        return float(cost.base) * (1.0 + growth) ** (year - cost.year)
    return float(cost) * (1.0 + default) ** (year - scenario.horizon[0])

def _target(region: Any, indicator: str, year: int, years: list[int]) -> float | None:
    """The scenario's target share for ``year``, or None.

    Listed years only; with ``trajectory: linear`` every horizon year, on the broken line through
    ``(first year - 1, baseline / households[first year])`` and the listed ``(year, share)``
    points, flat after the last one (formulation.md, "Target trajectories"), by ``np.interp``.
    """
    target = region.targets.get(indicator)
    if target is None:
        return None
    listed = {int(y): float(v) for y, v in target.shares.items()}
    if target.trajectory is None:
        return listed.get(year)
    if not listed or year not in years:
        return None
    start = min(1.0, region.baseline.get(indicator, 0.0) / region.households_in(years[0]))
    xs = [years[0] - 1] + sorted(listed)
    return float(np.interp(year, xs, [start] + [listed[y] for y in sorted(listed)]))


def _nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _text(value: Any) -> str:
    """A nullable text cell as the scenario holds it (null: not given, ``''``)."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
