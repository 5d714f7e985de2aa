"""Frozen, typed scenario models: what every layer below the loader receives.

Raw dicts stop in ``scenario/``; everything inward sees these models. Field names are the public
YAML keys of domain.md section 5. Structural rules (types, signs, finiteness, shares in 0..1) live
here; cross-references (unknown ids, cycles, years outside the horizon) live in ``checks.py``.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from ssk_optimize.scenario.vocabulary import (
    DEFAULT_SOURCE_PREFERENCE,
    Kind,
    MoneyUnit,
    Scale,
    SourceType,
    Subsector,
)

# Numbers are strict: YAML gives numbers as numbers, so text such as "4.200" (an Indonesian
# thousands separator read as a decimal point), " 42 " or true is refused, never coerced.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Flag = Annotated[bool, Field(strict=True)]
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]+$", min_length=1, max_length=120)]
Year = Annotated[int, Field(ge=1900, le=2200, strict=True)]
Money = Annotated[Number, Field(ge=0)]
PositiveMoney = Annotated[Number, Field(gt=0)]
Share = Annotated[Number, Field(ge=0, le=1)]
Count = Annotated[Number, Field(ge=0)]
Growth = Annotated[Number, Field(gt=-1, le=10)]
#: Households of one kab/kota (Indonesia has about 70 million in all): a bound that catches typos
#: such as 1e15 before they reach the solver.
MAX_HOUSEHOLDS = 1e8
#: Households one unit may serve, and the weight of one household of shortfall.
MAX_SERVES = 1e7
MAX_WEIGHT = 1e6
MAX_QUANTITY = 1e9
#: The smallest quantity (a thousandth of a unit: 1 m of a km of drainage).
MIN_QUANTITY = 1e-3
#: The smallest non-zero O&M rate: below it the O&M rows are scaled past what a double holds.
MIN_OM_RATE = 1e-6
#: HiGHS aborts the process when asked for far more threads than it can start.
MAX_THREADS = 64


class Frozen(BaseModel):
    """Base for every scenario model: immutable, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


# --------------------------------------------------------------------------- rules


class EligibilityRule(Frozen):
    """One row of the rule table: what a source type may legally fund (domain.md section 3).

    ``subsectors`` maps each allowed sub-sector to the locations a programme needs for it (any one
    of them; an empty list means no location condition). ``locations`` is a condition on every
    programme (any one of them). ``scales_with_bantuan_keuangan`` are extra scales allowed when the
    scenario switches ``bantuan_keuangan`` on.
    """

    kinds: tuple[Kind, ...]
    scales: tuple[Scale, ...]
    subsectors: dict[Subsector, tuple[str, ...]]
    locations: tuple[str, ...] = ()
    region_has_desa: Flag = False
    scales_with_bantuan_keuangan: tuple[Scale, ...] = ()
    evidence: str = ""
    description: str = ""


class MatchingRule(Frozen):
    """Dana pendamping: per rupiah of ``source`` on a programme-year, ``share`` from ``partners``."""

    source: SourceType
    partners: tuple[SourceType, ...] = Field(min_length=1)
    share: Annotated[Number, Field(ge=0, le=100)]
    evidence: str = ""


class RuleTable(Frozen):
    """The complete rule table in force for a run: defaults from ``data/`` plus amendments."""

    eligibility: dict[SourceType, EligibilityRule]
    bantuan_keuangan: Flag = False
    masyarakat_share: Share = 0.20
    dak_supporting_share: Share = 0.05
    matching: tuple[MatchingRule, ...] = ()
    baseline_om_sources: tuple[SourceType, ...] = ("APBD_KAB", "RETRIBUSI")
    #: O&M handover (formulation.md, "O&M after the plan"): warn when the yearly O&M the plan's
    #: assets leave to the next plan exceeds (1 + warning) x the programme O&M paid in the last
    #: horizon year; with ``om_handover_cap`` that comparison is a constraint per region.
    om_handover_warning: Annotated[Number, Field(ge=0, le=100)] = 0.2
    om_handover_cap: Annotated[Number, Field(ge=0, le=100)] | None = None
    evidence: dict[str, str] = {}


# --------------------------------------------------------------------------- regions, pools


#: How a target fills the years between (and before) its listed years.
Trajectory = Literal["linear"]


class Target(Frozen):
    """One indicator's coverage target in one region, written as a flat YAML mapping.

    ``{2027: 0.78, 2029: 0.90}``: shares of households for the listed years only;
    ``{2027: 0.78, 2029: 0.90, trajectory: linear}``: a target for every horizon year, interpolated
    linearly from the baseline share at the start through each listed target and held after the
    last one (:meth:`Region.target_shares`). ``trajectory: null`` (e.g. in a variant that
    ``extends`` a file with a trajectory) means listed years only.
    """

    shares: dict[Year, Share] = {}
    trajectory: Trajectory | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_mapping(cls, value: Any) -> Any:
        """The YAML form: year keys hold the shares, ``trajectory`` the interpolation."""
        if isinstance(value, Target):
            return value
        if not isinstance(value, dict):
            raise ValueError("a target is a mapping of year: share, e.g. {2029: 0.9} or "
                             "{2027: 0.78, 2029: 0.9, trajectory: linear}")
        shaped: dict[str, Any] = {"shares": {k: v for k, v in value.items() if k != "trajectory"}}
        if "trajectory" in value:
            shaped["trajectory"] = value["trajectory"]
        return shaped

    @model_validator(mode="after")
    def _trajectory_has_years(self) -> Target:
        if self.trajectory is not None and not self.shares:
            raise ValueError("a trajectory needs at least one year: share target, e.g. "
                             "{2029: 0.9, trajectory: linear}")
        return self

    @model_serializer(mode="plain")
    def _to_mapping(self) -> dict[Any, Any]:
        """Back to the flat YAML form (``scenario.resolved.yaml`` loads back to the same)."""
        mapping: dict[Any, Any] = dict(self.shares)
        if self.trajectory is not None:
            mapping["trajectory"] = self.trajectory
        return mapping


def interpolate_target(target: Target, start_share: float,
                       horizon: tuple[int, int]) -> dict[int, float]:
    """The target share of each year: the listed years, or every horizon year for a trajectory.

    ``trajectory: linear``: the points are ``(T0 - 1, start_share)`` and each listed
    ``(year, share)``; a horizon year between two points lies on the straight line joining them,
    a year after the last listed one keeps its share. Listed years outside the horizon (refused by
    validation) are ignored.
    """
    first, last = horizon
    listed = {int(y): float(v) for y, v in sorted(target.shares.items()) if first <= y <= last}
    if target.trajectory is None or not listed:
        return listed
    points = [(first - 1, min(max(start_share, 0.0), 1.0))] + list(listed.items())
    shares: dict[int, float] = {}
    for year in range(first, last + 1):
        if year in listed:
            shares[year] = listed[year]
            continue
        after = next(((y, v) for y, v in points if y > year), None)
        if after is None:  # after the last listed year: keep it
            shares[year] = points[-1][1]
            continue
        before = max(((y, v) for y, v in points if y < year), key=lambda point: point[0])
        fraction = (year - before[0]) / (after[0] - before[0])
        # 12 decimals: 0.85, not 0.8500000000000001, in the coverage table
        shares[year] = round(before[1] + (after[1] - before[1]) * fraction, 12)
    return shares


class Region(Frozen):
    """A kabupaten/kota: households, villages, access today and coverage targets."""

    id: Id
    name: str = ""
    province: Id
    households: dict[Year, Annotated[Number, Field(gt=0, le=MAX_HOUSEHOLDS)]] = Field(
        min_length=1
    )
    household_growth: Growth = 0.0
    desa: Annotated[int, Field(ge=0, strict=True)] = 0
    kelurahan: Annotated[int, Field(ge=0, strict=True)] = 0
    baseline: dict[str, Annotated[Count, Field(le=MAX_HOUSEHOLDS)]] = {}
    targets: dict[str, Target] = {}
    baseline_om: dict[Year, Money] = {}
    capex_growth: Annotated[Number, Field(ge=0, le=10)] | None = None
    reference: str = ""

    def start_share(self, indicator: str, horizon: tuple[int, int]) -> float:
        """The baseline share a trajectory starts from: ``baseline / households`` of the first
        horizon year (what the coverage table shows then with nothing built), as the value of the
        year before the horizon."""
        return float(self.baseline.get(indicator, 0.0)) / self.households_in(horizon[0])

    def target_shares(self, horizon: tuple[int, int]) -> dict[str, dict[int, float]]:
        """Each indicator's target share by year (see :func:`interpolate_target`)."""
        return {indicator: interpolate_target(target, self.start_share(indicator, horizon), horizon)
                for indicator, target in self.targets.items()}

    def households_in(self, year: int) -> float:
        """Households in ``year``: listed, else grown from the nearest earlier listed year."""
        if year in self.households:
            return float(self.households[year])
        earlier = [y for y in self.households if y <= year]
        base_year = max(earlier) if earlier else min(self.households)
        growth = (1.0 + self.household_growth) ** (year - base_year)
        return float(self.households[base_year] * growth)


class BudgetBase(Frozen):
    """A projected budget: ``amount * (1 + growth) ** (t - year)``."""

    year: Year
    amount: Money


class Realisation(Frozen):
    """Uniform realisation draw for Monte Carlo sweeps (share of the budget actually spent)."""

    low: Annotated[Number, Field(ge=0, le=2)]
    high: Annotated[Number, Field(ge=0, le=2)]

    @model_validator(mode="after")
    def _ordered(self) -> Realisation:
        if self.low > self.high:
            raise ValueError("realisation.low must not exceed realisation.high")
        return self


class PerRegion(Frozen):
    """Yearly floor and ceiling on what one region may receive from a shared pool."""

    min: Money | None = None
    max: Money | None = None

    @model_validator(mode="after")
    def _ordered(self) -> PerRegion:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("per_region.min must not exceed per_region.max")
        return self


class Pool(Frozen):
    """One source of one holder with a budget per year (listed, or projected from a base)."""

    id: Id
    source: SourceType
    holder: Id
    budget: dict[Year, Money] | None = None
    base: BudgetBase | None = None
    growth: Growth = 0.0
    realisation: Realisation | None = None
    firm: Flag = True
    per_region: PerRegion | None = None
    #: Bantuan keuangan khusus: what this APBD_PROV pool may give each named region's kab/kota
    #: programmes, one amount for every year or an amount per year (missing years: 0).
    recipients: dict[Id, Money | dict[Year, Money]] = {}
    #: The pool has money only from the year after these programmes are complete.
    requires: tuple[Id, ...] = ()
    name: str = ""
    reference: str = ""

    @model_validator(mode="after")
    def _one_budget(self) -> Pool:
        if (self.budget is None) == (self.base is None):
            raise ValueError("give exactly one of `budget` (per year) or `base` (+ `growth`)")
        return self

    @field_validator("recipients")
    @classmethod
    def _provincial(cls, value: dict[str, object], info: ValidationInfo) -> dict[str, object]:
        source = info.data.get("source")  # absent when source itself is invalid
        if value and source is not None and source != "APBD_PROV":
            raise ValueError(f"`recipients` (bantuan keuangan khusus) needs source APBD_PROV, "
                             f"not {source}")
        return value

    def recipient_amount(self, region: str, year: int) -> float:
        """Bantuan keuangan khusus for ``region`` in ``year`` (0 when not listed)."""
        amount = self.recipients.get(region, 0.0)
        if isinstance(amount, dict):
            return float(amount.get(year, 0.0))
        return float(amount)

    def budget_in(self, year: int) -> float:
        """The pool's budget in ``year``: listed (missing years are 0) or projected."""
        if self.budget is not None:
            return float(self.budget.get(year, 0.0))
        assert self.base is not None
        return float(self.base.amount * (1.0 + self.growth) ** (year - self.base.year))


# --------------------------------------------------------------------------- programmes


class UnitCost(Frozen):
    """A unit cost that grows from a base year: ``base * (1 + growth) ** (t - year)``.

    Without ``growth`` the scenario's ``cost_growth`` applies (0 when that is absent too).
    """

    base: PositiveMoney
    year: Year
    growth: Growth | None = None

    def in_year(self, year: int, default_growth: float | None) -> float:
        """The unit cost in ``year`` (``default_growth`` when the cost names no growth)."""
        growth = self.growth if self.growth is not None else (default_growth or 0.0)
        return float(self.base * (1.0 + growth) ** (year - self.year))


class Program(Frozen):
    """One SSK activity: what it costs, how much of it, when, and what it serves."""

    id: Id
    name: str = ""
    code: str = ""
    region: Id
    subsector: Subsector
    kind: Kind
    scale: Scale
    unit: str = "unit"
    unit_cost: PositiveMoney | UnitCost | dict[Year, PositiveMoney]
    quantity: Annotated[Number, Field(ge=MIN_QUANTITY, le=MAX_QUANTITY)]
    min_quantity: Count = 0.0
    years: tuple[Year, Year] | None = None
    divisible: Flag = True
    priority: Annotated[Number, Field(ge=1, le=5)] = 3
    serves: dict[str, Annotated[Count, Field(le=MAX_SERVES)]] = {}
    om_rate: Share = 0.0
    requires: tuple[Id, ...] = ()
    locations: tuple[str, ...] = ()
    sources: tuple[SourceType, ...] | None = None
    #: Mutually exclusive alternatives: at most one of this programme and these is built.
    excludes: tuple[Id, ...] = ()
    #: Share of the cost Dana Desa may pay (default for a programme in desa and kelurahan:
    #: the region's desa / (desa + kelurahan)).
    desa_share: Share | None = None
    locked: dict[Year, dict[Id, Money]] = {}
    max_years: Annotated[int, Field(ge=1, le=50, strict=True)] | None = None
    max_per_year: Annotated[Number, Field(ge=MIN_QUANTITY, le=MAX_QUANTITY)] | None = None
    reference: str = ""

    @field_validator("min_quantity")
    @classmethod
    def _minimum_within_quantity(cls, value: float, info: ValidationInfo) -> float:
        quantity = info.data.get("quantity")  # absent when quantity itself is invalid
        if quantity is not None and value > quantity:
            raise ValueError(f"min_quantity {value:g} exceeds quantity {quantity:g}")
        return value

    @field_validator("om_rate")
    @classmethod
    def _meaningful_om_rate(cls, value: float) -> float:
        if 0 < value < MIN_OM_RATE:
            raise ValueError(f"om_rate {value:g} is below {MIN_OM_RATE:g} (0.0001% of the capital "
                             "cost a year); write 0 for no O&M")
        return value

    @field_validator("years")
    @classmethod
    def _years_forward(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and value[0] > value[1]:
            raise ValueError(f"years {list(value)} run backwards")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Program:
        if not self.divisible and self.quantity != int(self.quantity):
            raise ValueError("a whole-unit programme (divisible: false) needs a whole quantity")
        return self

    @property
    def payment_years(self) -> int:
        """``max_years``: consecutive years one whole unit's payments may spread over (default 1)."""
        return 1 if self.max_years is None else self.max_years

    @field_validator("unit_cost", mode="before")
    @classmethod
    def _unit_cost_form(cls, value: object) -> object:
        """A mapping with a ``base`` key is the growing form; any other mapping is per year."""
        if isinstance(value, dict) and "base" in value:
            return UnitCost.model_validate(value)
        return value

    def cost_in(self, year: int, cost_growth: float | None = None,
                first_year: int | None = None) -> float:
        """Unit cost in ``year``.

        A per-year mapping gives the year's figure; ``{base, year, growth}`` grows from its base
        year (at ``cost_growth`` when it names no growth); a single figure is flat, unless the
        scenario sets ``cost_growth``: then it is the cost in ``first_year`` (the horizon's first
        year) and grows at that rate. Callers holding the scenario use :meth:`Scenario.cost_of`.
        """
        if isinstance(self.unit_cost, dict):
            return float(self.unit_cost[year])
        if isinstance(self.unit_cost, UnitCost):
            return self.unit_cost.in_year(year, cost_growth)
        if cost_growth and first_year is not None:
            return float(self.unit_cost * (1.0 + cost_growth) ** (year - first_year))
        return float(self.unit_cost)


# --------------------------------------------------------------------------- run settings


class Objective(Frozen):
    """How allocations are ranked (domain.md section 4, objective)."""

    mode: Literal["lexicographic", "weighted"] = "lexicographic"
    weights: dict[str, Annotated[Number, Field(ge=0, le=MAX_WEIGHT)]] = {}
    hard_targets: Flag = False
    source_preference: tuple[SourceType, ...] = DEFAULT_SOURCE_PREFERENCE  # type: ignore[assignment]
    stage_weights: tuple[PositiveMoney, PositiveMoney, PositiveMoney] = (1000.0, 10.0, 1.0)

    @field_validator("source_preference")
    @classmethod
    def _no_repeats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        repeated = sorted({s for s in value if value.count(s) > 1})
        if repeated:
            raise ValueError(f"objective.source_preference repeats {repeated}")
        return value


class SolverSettings(Frozen):
    """Which solver, and how long it may take for the whole solve."""

    name: str = "highs"
    method: Literal["auto", "simplex", "ipm"] = "auto"
    time_limit: Annotated[Number, Field(gt=0)] | None = 300.0
    mip_gap: Annotated[Number, Field(ge=0, le=1)] = 1e-4
    threads: Annotated[int, Field(ge=1, le=MAX_THREADS, strict=True)] | None = None

    @field_validator("name")
    @classmethod
    def _known_name(cls, name: str) -> str:
        """``highs``, ``cbc`` or ``pulp:NAME``; whether it is installed is checked at solve time."""
        if name.lower() in ("highs", "cbc") or (name.lower().startswith("pulp:") and len(name) > 5):
            return name
        close = difflib.get_close_matches(name.lower(), ["highs", "cbc"], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(f"unknown solver '{name}'{hint}; use highs, cbc or pulp:NAME")


class Scenario(Frozen):
    """A validated scenario, after ``extends`` and ``--set``: the input of the model builder."""

    scenario: Id
    description: str = ""
    horizon: tuple[Year, Year]
    money_unit: MoneyUnit = "juta"
    #: Yearly growth of unit costs given as one figure or as ``{base, year}`` (no ``growth``).
    cost_growth: Growth | None = None
    rules: RuleTable
    regions: tuple[Region, ...]
    pools: tuple[Pool, ...]
    programs: tuple[Program, ...]
    objective: Objective = Objective()
    solver: SolverSettings = SolverSettings()

    @field_validator("horizon")
    @classmethod
    def _horizon_forward(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] > value[1]:
            raise ValueError(f"horizon {list(value)} runs backwards")
        if value[1] - value[0] > 50:
            raise ValueError("horizon longer than 50 years")
        return value

    @property
    def years(self) -> list[int]:
        """Every year of the horizon, in order."""
        return list(range(self.horizon[0], self.horizon[1] + 1))

    def cost_of(self, program: Program, year: int) -> float:
        """``program``'s unit cost in ``year``, with the scenario's ``cost_growth``."""
        return program.cost_in(year, self.cost_growth, self.horizon[0])

    def window(self, program: Program) -> tuple[int, int]:
        """The programme's delivery window (its ``years`` or the horizon)."""
        return program.years if program.years is not None else self.horizon
