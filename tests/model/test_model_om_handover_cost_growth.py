"""Issue 9 (helper C): O&M after the plan (``rules.om_handover_warning`` / ``om_handover_cap``) and
unit-cost inflation (``unit_cost: {base, year, growth}``, ``cost_growth``), on tiny hand-worked
scenarios solved on every backend (style of ``test_model_hand_worked.py``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from invariants import check_run_folder, unit_cost
from test_model_hand_worked import assert_allocation, program_row, solve_tiny

from ssk_optimize.model.formulation import build_model
from ssk_optimize.results.aggregates import om_handover
from ssk_optimize.results.plan_check import check_plan
from ssk_optimize.results.values import extract_values
from ssk_optimize.scenario import load_scenario
from ssk_optimize.scenario.schema import UnitCost

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"


def test_om_handover_warning_without_cap(tmp_path: Path, solver: str) -> None:
    """No cap: both programmes are built in full (stage 2, budgets 50 and 200 suffice).

    ``early`` 5 units x 10 = 50 in 2025; its O&M in 2026 = 0.1 x 50 = 5; ``late`` 10 x 10 = 100
    in 2026. O&M left to the next plan = 0.1 x (50 + 100) = 15; paid in 2026 = 5; 15 > 1.2 x 5,
    so the manifest warns (+200%). With ``om_handover_warning: 2`` the limit is 3 x 5 = 15 and
    15 is not above it: no warning. No ``om_handover`` rows without a cap.
    """
    result = solve_tiny("om_handover", tmp_path, solver)
    assert_allocation(result, {("early", "apbd", 2025, "capex"): 50.0,
                               ("early", "apbd", 2026, "om"): 5.0,
                               ("late", "apbd", 2026, "capex"): 100.0})
    assert "om_handover" not in result.model.family_rows
    entry = result.manifest["om_handover"]
    assert entry["warning_share"] == 0.2 and entry["cap"] is None
    [region] = entry["regions"]
    assert region["region"] == "alpha" and region["last_year"] == 2026
    assert region["om_paid_last_year"] == pytest.approx(5.0)
    assert region["om_after_horizon"] == pytest.approx(15.0)
    assert region["increase"] == pytest.approx(2.0) and region["warn"] is True
    warnings = [w for w in result.manifest["warnings"] if w.startswith("om_handover[alpha]")]
    assert len(warnings) == 1 and "200% more than the 5.00 it pays in 2026" in warnings[0]
    assert result.folder is not None
    manifest = json.loads((result.folder / "manifest.json").read_text("utf-8"))
    assert manifest["om_handover"] == entry

    relaxed = solve_tiny("om_handover", tmp_path / "relaxed", solver, "rules.om_handover_warning=2")
    assert relaxed.manifest["om_handover"]["regions"][0]["warn"] is False
    assert not any(w.startswith("om_handover") for w in relaxed.manifest["warnings"])
    assert relaxed.folder is not None and check_run_folder(relaxed.folder) == []


def test_om_handover_cap(tmp_path: Path, solver: str) -> None:
    """Cap 0.5: ``0.1 x (50 + 10 u_late) <= 1.5 x 0.1 x 10 u_early``, i.e. ``u_late <= u_early / 2``.

    Stage 2 maximises ``5 x 1.1 x u_early / 5 + 5 x 1.0 x u_late / 10 = 1.1 u_early + 0.5 u_late``
    with ``u_early <= 5``: ``u_early = 5``, ``u_late = 2.5`` (25 of money). Left to the next plan
    7.5 = 1.5 x 5 paid in 2026 (the row binds); ``late`` waits with ``om_burden`` naming the cap.
    The warning still fires (7.5 > 1.2 x 5): the cap is looser than the warning share.
    """
    result = solve_tiny("om_handover_cap", tmp_path, solver)
    assert_allocation(result, {("early", "apbd", 2025, "capex"): 50.0,
                               ("early", "apbd", 2026, "om"): 5.0,
                               ("late", "apbd", 2026, "capex"): 25.0})
    names = result.model.lp.row_names[result.model.family_rows["om_handover"]]
    assert list(names) == ["om_handover[alpha]"]
    late = program_row(result, "late")
    assert late["units_delivered"] == pytest.approx(2.5)
    assert late["limiting_reason"] == "om_burden"
    assert "rules.om_handover_cap binds for alpha in 2026" in str(late["limiting_detail"])
    [region] = result.manifest["om_handover"]["regions"]
    assert region["om_after_horizon"] == pytest.approx(7.5)
    assert region["increase"] == pytest.approx(0.5) and region["warn"] is True
    assert result.manifest["om_handover"]["cap"] == 0.5


def test_om_handover_cap_is_checked(tmp_path: Path) -> None:
    """The uncapped plan (15 left vs 5 paid) breaks a cap of 0.5: the plan check names
    ``om_handover`` for the region, and the run-folder checker does too once the run's
    scenario carries the cap."""
    result = solve_tiny("om_handover", tmp_path, "highs")
    assert result.solution.x is not None and result.folder is not None
    capped = load_scenario(TINY / "om_handover_cap.yaml").scenario
    values = extract_values(result.model, result.solution.x)
    check = check_plan(capped, result.tables, values.units)
    [violation] = [v for v in check.violations if v.rule == "om_handover"]
    assert violation.region == "alpha" and violation.magnitude == pytest.approx(15.0 - 7.5)
    assert check_plan(result.loaded.scenario, result.tables, values.units).passed

    folder = tmp_path / "tampered"
    shutil.copytree(result.folder, folder)
    resolved = folder / "scenario.resolved.yaml"
    text = resolved.read_text("utf-8")
    assert "om_handover_warning: 0.2" in text
    resolved.write_text(text.replace("om_handover_warning: 0.2",
                                     "om_handover_warning: 0.2\n  om_handover_cap: 0.5"), "utf-8")
    messages = check_run_folder(folder)
    assert any(m.startswith("om_handover: alpha") for m in messages), messages


def test_om_handover_frame_counts_programme_om_only(tmp_path: Path) -> None:
    """Baseline O&M (existing assets) is on neither side: adding ``baseline_om`` to the region
    leaves both figures as they were (baseline money is ``baseline_om`` in the allocations)."""
    plain = solve_tiny("om_handover", tmp_path, "highs")
    with_base = solve_tiny("om_handover", tmp_path / "base", "highs",
                           "regions.alpha.baseline_om.2026=3", "pools.apbd.budget.2026=203")
    assert with_base.solution.is_optimal
    frame = om_handover(with_base.tables, with_base.loaded.scenario.rules)
    assert frame["om_paid_last_year"].tolist() == pytest.approx([5.0])
    assert frame["om_after_horizon"].tolist() == pytest.approx([15.0])
    assert om_handover(plain.tables, plain.loaded.scenario.rules)["warn"].tolist() == [True]


def test_unit_cost_growth(tmp_path: Path, solver: str) -> None:
    """``tangki``: 10 x 1.1^(t - 2024) = 11, 12.1, 13.31; its pool (110 a year, quantity 30 not
    reached) is spent in full every year: 10 + 9.0909 + 8.2645 = 27.3554 units. Need = funded 330
    + (30 - 27.3554) x 13.31 (the last year's grown cost) = 365.2; gap 35.2.
    ``ipal``: one figure 20 grown at cost_growth 0.05 from 2025: 20, 21, 22.05; DAK 20, 21, 0
    buys one unit in 2025 and one in 2026; need = 41 + 1 x 22.05 = 63.05, gap 22.05.
    """
    result = solve_tiny("unit_cost_growth", tmp_path, solver)
    assert_allocation(result, {("tangki", "apbd", 2025, "capex"): 110.0,
                               ("tangki", "apbd", 2026, "capex"): 110.0,
                               ("tangki", "apbd", 2027, "capex"): 110.0,
                               ("ipal", "dak", 2025, "capex"): 20.0,
                               ("ipal", "dak", 2026, "capex"): 21.0})
    tangki = program_row(result, "tangki")
    units = 110 / 11 + 110 / 12.1 + 110 / 13.31
    assert tangki["units_delivered"] == pytest.approx(units, rel=1e-6)
    assert tangki["need"] == pytest.approx(330 + (30 - units) * 13.31, rel=1e-6)
    assert tangki["gap"] == pytest.approx((30 - units) * 13.31, rel=1e-5)
    ipal = program_row(result, "ipal")
    assert ipal["units_delivered"] == pytest.approx(2.0)
    assert ipal["need"] == pytest.approx(63.05) and ipal["gap"] == pytest.approx(22.05)
    cost = result.model.index.cost
    rows = list(result.model.index.programs["program"])
    np.testing.assert_allclose(cost[rows.index("tangki")], [11.0, 12.1, 13.31])
    np.testing.assert_allclose(cost[rows.index("ipal")], [20.0, 21.0, 22.05])


def test_unit_cost_forms() -> None:
    """The four forms and ``cost_growth``: a per-year mapping is as written (cost_growth does not
    touch it); ``{base, year, growth}`` grows from its own base year; ``{base, year}`` takes
    cost_growth (0 without it); one figure is flat unless cost_growth is set, then it is the
    first horizon year's cost. The LP's cost matrix, ``Scenario.cost_of`` and the run-folder
    checker's own formula agree."""
    scenario = load_scenario(TINY / "unit_cost_growth.yaml").scenario
    tangki = next(p for p in scenario.programs if p.id == "tangki")
    assert isinstance(tangki.unit_cost, UnitCost)
    forms = {
        "listed": {2025: 5.0, 2026: 6.0, 2027: 7.0},
        "own": UnitCost(base=10, year=2024, growth=0.1),
        "default": UnitCost(base=10, year=2026),
        "flat": 20.0,
    }
    programs = tuple(tangki.model_copy(update={"id": name, "unit_cost": cost})
                     for name, cost in forms.items())
    for growth, expected in ((0.05, {"listed": [5, 6, 7], "own": [11, 12.1, 13.31],
                                     "default": [10 / 1.05, 10, 10.5], "flat": [20, 21, 22.05]}),
                             (None, {"listed": [5, 6, 7], "own": [11, 12.1, 13.31],
                                     "default": [10, 10, 10], "flat": [20, 20, 20]})):
        s = scenario.model_copy(update={"programs": programs, "cost_growth": growth})
        matrix = build_model(s).index.cost
        for row, program in enumerate(sorted(programs, key=lambda p: p.id)):
            want = expected[program.id]
            np.testing.assert_allclose(matrix[row], want, err_msg=program.id)
            np.testing.assert_allclose([s.cost_of(program, y) for y in s.years], want)
            np.testing.assert_allclose([unit_cost(s, program, y) for y in s.years], want)


def test_magnitude_warning_reads_the_base_figure(tmp_path: Path) -> None:
    """A growing cost typed in rupiah (6,800,000 juta for a septic tank of 6.8 juta) is reported on
    its base figure; the same base at a sane size is not, even at high growth."""
    from ssk_optimize.scenario.magnitudes import check_magnitudes

    scenario = load_scenario(TINY / "unit_cost_growth.yaml").scenario

    def warnings(cost: UnitCost) -> list[str]:
        programs = tuple(p.model_copy(update={"unit_cost": cost}) if p.id == "tangki" else p
                         for p in scenario.programs)
        return [i.render() for i in check_magnitudes(scenario.model_copy(update={"programs": programs}), {})
                if i.path.startswith("programs.tangki.unit_cost")]

    [typed] = warnings(UnitCost(base=6_800_000, year=2024, growth=0.04))
    assert "unit_cost 6,800,000 juta is" in typed and "was it typed in rupiah?" in typed
    assert warnings(UnitCost(base=6.8, year=2024, growth=0.5)) == []
