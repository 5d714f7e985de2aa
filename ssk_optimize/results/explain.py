"""Why a programme of a run is not fully funded, and what would fund it (``ssk-opt explain``).

:func:`explain_programme` gathers, for one waiting programme of a run and the model rebuilt from
the run's ``scenario.resolved.yaml``:

1. who may fund it: every pool of the scenario, eligible or with the rule that excludes it
   (:func:`~ssk_optimize.scenario.eligibility.pool_reasons`);
2. how full its eligible pools are in its window years (the run's ``pools`` table, with the
   shadow price of the priority stage and its range), and which programmes of higher priority
   use them (the run's ``allocations``), largest first;
3. its limit from the run (``limiting_reason``, ``limiting_detail``);
4. what would fund it: the cheapest budget change (:func:`~ssk_optimize.model.funding.funding_change`,
   every other programme held at its run shares read from the allocations) turned into ``--set``
   overrides (:func:`suggestion_overrides`), which the caller re-solves to verify.

The wording is in :mod:`ssk_optimize.results.explain_text`; this module only computes.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ssk_optimize.errors import UsageError
from ssk_optimize.model.elastic import ElasticProgram
from ssk_optimize.model.formulation import BuiltModel
from ssk_optimize.model.funding import FundingChange, funding_change
from ssk_optimize.model.relaxation import budget_changes, figure_text
from ssk_optimize.results.reader import Run
from ssk_optimize.results.summary import waiting_order
from ssk_optimize.scenario.eligibility import pool_reasons

TOP_USERS = 5


@dataclass(frozen=True)
class Verification:
    """The re-solve of the run's scenario with the suggested overrides."""

    status: str
    funded_before: float
    funded_after: float
    share_before: float
    share_after: float

    @property
    def rises(self) -> bool:
        """True when the programme receives more capital money than in the run."""
        return self.status == "optimal" and self.funded_after > self.funded_before + 1e-6


@dataclass(frozen=True)
class ProgrammeExplanation:
    """Everything ``explain`` says about one programme (module docstring, items 1-4).

    ``programme``: its row of the run's programs table as a dict; ``pools``: every pool with
    ``capex, om`` flags and reasons; ``fullness``: pool-years of its eligible pools in its window
    (``budget, used, unused, shadow_price_priority, range_low, range_high``); ``users``: per
    eligible pool the top programmes of higher priority by money in those years (``pool, program,
    name, priority, amount``); ``overrides``: the suggested ``--set`` texts; ``rule_change``: a
    ``--set`` for a rule when money cannot help and a simple change exists.
    """

    program: str
    name: str
    programme: dict[str, Any]
    pools: pd.DataFrame
    fullness: pd.DataFrame
    users: pd.DataFrame
    change: FundingChange
    overrides: tuple[str, ...]
    rule_change: str | None = None
    verification: Verification | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def verified(self, verification: Verification) -> ProgrammeExplanation:
        """A copy with the re-solve's result."""
        return replace(self, verification=verification)


def waiting_programmes(programs: pd.DataFrame) -> list[str]:
    """The waiting list in the solve summary's order: by gap, largest first, ties by id."""
    return waiting_order(programs)["program"].astype(str).tolist()


def check_program(programs: pd.DataFrame, program: str, folder: object) -> None:
    """UsageError naming the run and the closest ids when ``program`` is not in the run."""
    ids = programs["program"].astype(str).tolist()
    if program in ids:
        return
    close = difflib.get_close_matches(program, ids, n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise UsageError(f"{folder}: no programme {program!r} in this run{hint}")


def explain_programme(run: Run, model: BuiltModel, program: str, held: np.ndarray,
                      elastic: ElasticProgram, solver: str | None = None) -> ProgrammeExplanation:
    """Items 1-4 of the module docstring for ``program`` (without the re-solve)."""
    ix = model.index
    programs = run.tables.programs
    row: dict[str, Any] = {str(k): v for k, v in
                           programs[programs["program"].astype(str) == program].iloc[0].items()}
    name = str(row["name"]) if isinstance(row["name"], str) and row["name"].strip() else program
    p = int(np.flatnonzero(ix.programs["program"].to_numpy(dtype=object) == program)[0])
    start, end = int(ix.programs["start"].iloc[p]), int(ix.programs["end"].iloc[p])
    pools = pool_reasons(ix.scenario, program)
    eligible = pools.loc[pools["capex"] | pools["om"], "pool"].astype(str).tolist()
    table = run.tables.pools.assign(pool=run.tables.pools["pool"].astype(str))
    fullness = table[table["pool"].isin(eligible) & table["year"].between(start, end)][
        ["pool", "year", "budget", "used", "unused", "shadow_price_priority", "range_low",
         "range_high"]].reset_index(drop=True)
    users = _users(run, eligible, start, end, int(row["priority"]), program)
    change = funding_change(model, program, held, solver=solver, elastic=elastic) \
        if bool(row["waiting_list"]) else None
    if change is None:
        raise UsageError(f"{run.folder}: {program} is fully funded in this run; nothing to explain")
    return ProgrammeExplanation(program, name, row, pools, fullness, users, change,
                                suggestion_overrides(model, program, change),
                                _rule_change(model, p, change))


def _users(run: Run, pools: list[str], start: int, end: int, priority: int,
           program: str) -> pd.DataFrame:
    """Per pool, the programmes of higher priority by their money there in ``start..end``."""
    money = run.tables.allocations
    money = money[money["program"].notna()].assign(pool=money["pool"].astype(str),
                                                   program=money["program"].astype(str))
    money = money[money["pool"].isin(pools) & money["year"].between(start, end)
                  & (money["program"] != program)]
    info = run.tables.programs.assign(program=run.tables.programs["program"].astype(str))
    info = info.set_index("program")
    totals = money.groupby(["pool", "program"], observed=True)["amount"].sum().reset_index()
    totals["priority"] = totals["program"].map(info["priority"]).astype(float)
    names = info["name"].where(info["name"].map(lambda n: isinstance(n, str) and bool(n.strip())),
                               info.index.to_series())
    totals["name"] = totals["program"].map(names)
    totals = totals[totals["priority"] > priority]
    totals = totals.sort_values(["pool", "amount", "program"], ascending=[True, False, True])
    return totals.groupby("pool", sort=False).head(TOP_USERS)[
        ["pool", "program", "name", "priority", "amount"]].reset_index(drop=True)


def suggestion_overrides(model: BuiltModel, program: str, change: FundingChange) -> tuple[str, ...]:
    """The change as ``--set`` texts: budgets rounded up, earmarks rounded down, to 2 decimals.

    A pool with a listed budget gets ``pools.B.budget.Y=NEW`` per year that rises; a pool
    projected from ``base`` gets one ``pools.B.base.amount=A``, the least amount (rounded up)
    whose projection covers every year that rises (so its other years rise too). The earmarks
    ``programs.P.locked.Y.B=AMOUNT`` keep the new money for this programme in the lexicographic
    re-solve, which would otherwise give it to whatever ranks first.
    """
    if change.status != "funded":
        return ()
    texts = [str(c["set"]) for c in budget_changes(model, change.added)]
    for pool, year, amount in zip(change.earmarks["pool"], change.earmarks["year"],
                                  change.earmarks["amount"], strict=True):
        texts.append(f"programs.{program}.locked.{int(year)}.{pool}={figure_text(float(amount))}")
    return tuple(texts)


def _rule_change(model: BuiltModel, p: int, change: FundingChange) -> str | None:
    """A simple rule ``--set`` when an implementation capacity limit is what stops it."""
    if change.obstacles.empty or change.reach >= 1.0:
        return None
    families = set(change.obstacles["family"].astype(str))
    programs = model.index.programs
    if "max_per_year" in families:
        quantity = float(programs["quantity"].iloc[p])
        return f"programs.{programs['program'].iloc[p]}.max_per_year={figure_text(quantity)}"
    return None


def explanation_json(explanations: list[ProgrammeExplanation], run: Run) -> dict[str, Any]:
    """The document ``explain --json`` prints: plain types, money in the run's unit."""
    def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
        return [{str(k): _plain(v) for k, v in r.items()} for r in frame.to_dict("records")]

    items = []
    for e in explanations:
        change = e.change
        v = e.verification
        items.append({
            "program": e.program, "name": e.name,
            "funded": _plain(e.programme["funded"]), "gap": _plain(e.programme["gap"]),
            "funded_share": _plain(e.programme["funded_share"]),
            "limiting_reason": str(e.programme["limiting_reason"]),
            "limiting_detail": str(e.programme["limiting_detail"]),
            "pools": records(e.pools), "fullness": records(e.fullness), "users": records(e.users),
            "change": {"status": change.status, "run_share": change.run_share,
                       "reach": _plain(change.reach), "added": records(change.added),
                       "earmarks": records(change.earmarks),
                       "obstacles": records(change.obstacles.drop(columns=["path"], errors="ignore")),
                       "detail": change.detail},
            "overrides": list(e.overrides), "rule_change": e.rule_change,
            "verification": None if v is None else {
                "status": v.status, "funded_before": v.funded_before, "funded_after": v.funded_after,
                "share_before": v.share_before, "share_after": v.share_after, "rises": v.rises},
            "notes": list(e.notes),
        })
    return {"run": str(run.folder), "scenario": run.manifest.scenario,
            "money_unit": run.manifest.money_unit, "programmes": items}


def _plain(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN and inf to None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class RunExplanation:
    """What :func:`ssk_optimize.api.explain_run` returns: the run, one explanation per
    programme (waiting-list order), the scenario file the model was rebuilt from, the language
    and the text (:func:`~ssk_optimize.results.explain_text.explanation_lines`)."""

    run: Run
    programmes: list[ProgrammeExplanation]
    scenario_file: str
    lang: str
    text: tuple[str, ...]
