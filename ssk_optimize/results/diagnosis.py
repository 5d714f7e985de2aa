"""The diagnosis of an infeasible scenario, as a planner reads it and as ``diagnosis.parquet``.

A :class:`Diagnosis` holds the clashing rules (an irreducible set: drop any one and the rest can
hold) and up to three relaxation options (cheapest over every lever, budgets only, commitments
only), each a list of scenario values to change with its ``--set`` text and whether a rebuilt
model with those changes was found feasible. :func:`diagnosis_frame` is its table
(``results/schemas.py`` ``diagnosis``), :func:`diagnosis_text` its words (Indonesian by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ssk_optimize.results.diagnosis_words import change_line, conflict_line, word
from ssk_optimize.results.labels import Lang

#: The files an infeasible run adds to its folder.
DIAGNOSIS_FILES = ("diagnosis.parquet", "diagnosis.txt")

#: The options the diagnosis tries, in order: (name, levers allowed).
OPTIONS: tuple[tuple[str, frozenset[str]], ...] = (
    ("cheapest", frozenset({"budget", "commitment", "target", "capacity"})),
    ("budgets", frozenset({"budget"})),
    ("commitments", frozenset({"commitment", "target", "capacity"})),
    ("rules", frozenset({"budget", "commitment", "target", "capacity", "rule"})),
)
#: Tried only when none of the options before it restores feasibility.
LAST_RESORT = "rules"


@dataclass(frozen=True)
class Option:
    """One relaxation: the changes (``model.relaxation.CHANGE_COLUMNS`` plus ``where``) and
    whether the scenario with those ``--set`` changes is feasible."""

    name: str
    changes: pd.DataFrame
    verified: bool | None

    @property
    def budget_added(self) -> float:
        """Money the option adds to budgets, in the scenario's unit (rounded to 1e-2)."""
        budget = self.changes[self.changes["rule"] == "pools.budget"]
        return round(float((budget["suggested"] - budget["current"]).sum()), 2)

    @property
    def overrides(self) -> tuple[str, ...]:
        """The ``--set`` texts of the changes."""
        return tuple(self.changes["set"])


@dataclass(frozen=True)
class Diagnosis:
    """Why a scenario has no feasible plan and what would give it one (module docstring)."""

    scenario: str
    money_unit: str
    conflict: pd.DataFrame  # origins of the clashing rules (model.origins columns + where)
    options: tuple[Option, ...] = ()
    linking: tuple[str, ...] = ()  # programmes with columns in two or more of the clashing rules
    solves: int = 0
    seconds: float = 0.0
    #: HiGHS' own IIS (``getIis``, LPs only) names the same rules: True, False, or None when
    #: not computed (a MILP, another backend, or HiGHS found none)
    solver_iis_agrees: bool | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def rules(self) -> tuple[str, ...]:
        """The distinct rules of the conflict, sorted."""
        return tuple(sorted(set(self.conflict["rule"])))

    def summary(self) -> dict[str, object]:
        """The manifest's ``diagnosis`` entry."""
        return {"rules": list(self.rules),
                "programs": sorted({p for p in self.conflict["program"] if isinstance(p, str)}
                                   | set(self.linking)),
                "pools": sorted({p for p in self.conflict["pool"] if isinstance(p, str)}),
                "options": [{"name": o.name, "set": list(o.overrides), "verified": o.verified,
                             "budget_added": o.budget_added} for o in self.options],
                "solves": self.solves, "seconds": round(self.seconds, 3),
                "solver_iis_agrees": self.solver_iis_agrees,
                "files": list(DIAGNOSIS_FILES)}


def diagnosis_frame(diagnosis: Diagnosis) -> pd.DataFrame:
    """One row per clashing rule (``kind`` conflict, ``option`` 0) then per change of each option
    (``kind`` change, ``option`` 1, 2...), sorted; columns as the ``diagnosis`` schema."""
    conflict = diagnosis.conflict.assign(kind="conflict", option=0, option_name=None,
                                         current=np.nan, suggested=np.nan, unit=None, set=None,
                                         verified=None)
    parts = [conflict]
    for number, option in enumerate(diagnosis.options, start=1):
        parts.append(option.changes.assign(kind="change", option=number, option_name=option.name,
                                           verified=option.verified, family=None, name=None,
                                           other_program=None))
    frame = pd.concat(parts, ignore_index=True).assign(scenario=diagnosis.scenario)
    frame["year"] = frame["year"].astype("Int64")
    order = frame[["rule", "name", "set"]].fillna("").astype(str)
    order["option"] = frame["option"].astype(int)  # 0 is the conflict: it comes first
    frame = frame.loc[order.sort_values(["option", "rule", "name", "set"], kind="stable").index]
    return frame.reset_index(drop=True)


def diagnosis_text(diagnosis: Diagnosis, lang: Lang = "id") -> str:
    """What the planner reads on exit 3 and in ``diagnosis.txt``."""
    lines = [word("infeasible", lang).format(scenario=diagnosis.scenario), "",
             word("conflict", lang)]
    for _, row in diagnosis.conflict.iterrows():
        lines.append("  - " + conflict_line(row, lang))
    if diagnosis.linking:
        lines += ["", word("linking", lang) + " " + ", ".join(diagnosis.linking)]
    if not diagnosis.options:
        lines += ["", word("no_relaxation", lang)]
    for number, option in enumerate(diagnosis.options, start=1):
        check = {True: "checked", False: "unchecked", None: "not_checked"}[option.verified]
        lines += ["", word("option", lang).format(number=number, name=word(option.name, lang),
                                                 check=word(check, lang))]
        for _, change in option.changes.iterrows():
            lines.append("  - " + change_line(change, diagnosis.money_unit, lang))
        lines.append("    " + word("apply", lang) + " " + " ".join(
            f"--set '{text}'" for text in option.overrides))
    lines += [f"  ({note})" for note in diagnosis.notes]
    return "\n".join(lines) + "\n"
