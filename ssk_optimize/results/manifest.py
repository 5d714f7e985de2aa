"""The run manifest: what was solved, with what, how it ended, and how long it took."""

from __future__ import annotations

import math
from typing import Any

from ssk_optimize import __version__
from ssk_optimize.model.formulation import BuiltModel
from ssk_optimize.results.aggregates import om_handover, om_handover_warnings
from ssk_optimize.results.output import RUN_FILES
from ssk_optimize.results.plan_check import PlanCheck
from ssk_optimize.results.tables import RunTables
from ssk_optimize.scenario import LoadedScenario
from ssk_optimize.solve.solution import Solution


def build_manifest(loaded: LoadedScenario, model: BuiltModel, solution: Solution,
                   timings: dict[str, float], plan_check: PlanCheck | None = None,
                   tables: RunTables | None = None) -> dict[str, Any]:
    """Manifest fields of domain.md section 6, plus model size, solver notes, the plan check
    (``plan_check.passed`` is null when there was no plan to check) and, from ``tables``, the O&M
    handover per region (:func:`~ssk_optimize.results.aggregates.om_handover`; its warnings join
    ``warnings``)."""
    values = solution.stage_values
    scenario = loaded.scenario
    handover = handover_entry(tables, scenario.rules) if tables is not None else None
    handover_warnings = om_handover_warnings(om_handover(tables, scenario.rules), scenario.rules,
                                             scenario.money_unit) if tables is not None else []
    return {
        "scenario": scenario.scenario,
        "engine_version": __version__,
        "scenario_sha256": loaded.sha256,
        "overrides": list(loaded.overrides),
        "money_unit": scenario.money_unit,
        "solver": {
            "name": solution.solver, "version": solution.solver_version,
            "method": solution.method, "mip_gap": solution.mip_gap,
            "achieved_mip_gap": _finite(solution.achieved_mip_gap),
        },
        "status": solution.status.value,
        "optimal": solution.is_optimal,
        "failed_stage": solution.failed_stage,
        "objective": {
            "mode": solution.mode,
            "stage1_shortfall": _finite(values.get("targets")),
            "stage2_priority": _finite(values.get("priority")),
            "stage3_preference": _finite(values.get("preference")),
            "approximate": solution.mode == "weighted",
        },
        "integers": {
            "whole_unit_programs": int(len(model.index.whole)),
            "fixed_after_stage2": solution.integers_fixed,
            "duals_from_fixed_lp": solution.duals_from_fixed_lp,
        },
        "model": {
            "variables": model.lp.n_cols, "constraints": model.lp.n_rows,
            "nonzeros": int(model.lp.matrix.nnz), "money_scale": model.index.money_scale,
        },
        "timings": {k: round(float(v), 6) for k, v in sorted(timings.items())},
        "solver_timings": {k: round(float(v), 6) for k, v in sorted(solution.timings.items())},
        "warnings": [w.render() for w in loaded.warnings] + list(solution.notes) + handover_warnings,
        "files": [str(path.name) for path in loaded.files],
        "plan_check": plan_check.manifest_entry() if plan_check is not None else
        {"passed": None, "count": 0, "violations": []},
        "run_files": list(RUN_FILES),  # what the run folder holds; see results/output.py
        "om_handover": handover,
    }


def handover_entry(tables: RunTables, rules: Any) -> dict[str, Any]:
    """The manifest's ``om_handover``: the rule's shares and, per region, the two O&M figures."""
    frame = om_handover(tables, rules)
    return {
        "warning_share": rules.om_handover_warning,
        "cap": rules.om_handover_cap,
        "regions": [{"region": str(region), "last_year": int(last), "om_paid_last_year": float(paid),
                     "om_after_horizon": float(left), "increase": _finite(float(increase)),
                     "warn": bool(warn)}
                    for region, last, paid, left, increase, warn in zip(
                        frame["region"], frame["last_year"], frame["om_paid_last_year"],
                        frame["om_after_horizon"], frame["increase"], frame["warn"], strict=True)],
    }


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)
