"""A short description of a validated scenario: what ``ssk-opt validate`` prints."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ssk_optimize.scenario.eligibility import eligible_pairs
from ssk_optimize.scenario.schema import Scenario


@dataclass(frozen=True)
class ScenarioSummary:
    """Counts, and need against budget per source type, in the scenario's money unit."""

    name: str
    money_unit: str
    horizon: tuple[int, int]
    regions: int
    pools: int
    programs: int
    eligible_pairs: int
    om_pairs: int
    total_need: float
    total_budget: float
    by_source: pd.DataFrame  # source, pools, budget, eligible_need, eligible_programs


def summarise(scenario: Scenario) -> ScenarioSummary:
    """Need of every programme (quantity x unit cost in its last year) against pool budgets."""
    need = {p.id: p.quantity * scenario.cost_of(p, scenario.window(p)[1]) for p in scenario.programs}
    pairs = eligible_pairs(scenario)
    capex = pairs[pairs["capex"]]
    budgets = pd.DataFrame({
        "source": [b.source for b in scenario.pools],
        "budget": [sum(b.budget_in(t) for t in scenario.years) for b in scenario.pools],
    })
    by_source = budgets.groupby("source").agg(pools=("budget", "size"), budget=("budget", "sum"))
    reach = capex.drop_duplicates(["program", "source"])
    reach = reach.assign(need=reach["program"].map(need).astype(float))
    eligible = reach.groupby("source").agg(eligible_need=("need", "sum"),
                                           eligible_programs=("program", "size"))
    table = by_source.join(eligible, how="left").fillna(0).reset_index()
    table["eligible_programs"] = table["eligible_programs"].astype(int)
    return ScenarioSummary(
        name=scenario.scenario,
        money_unit=scenario.money_unit,
        horizon=scenario.horizon,
        regions=len(scenario.regions),
        pools=len(scenario.pools),
        programs=len(scenario.programs),
        eligible_pairs=int(len(capex)),
        om_pairs=int(pairs["om"].sum()),
        total_need=float(sum(need.values())),
        total_budget=float(budgets["budget"].sum()),
        by_source=table.sort_values("source").reset_index(drop=True),
    )
