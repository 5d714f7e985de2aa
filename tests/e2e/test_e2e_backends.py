"""Backend conformance through the whole pipeline: HiGHS and PuLP/CBC reach the same stage
objective values on every example and tiny scenario (mip_gap 0), and a time limit on a hard
whole-unit model ends 'not optimal' on both, with the run folder still written and marked.

(``tests/solve`` covers the raw backend statuses; here the pipeline is under test.)
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import pytest
from invariants import RUN_FILES, check_run_folder
from strategies import write_yaml

from ssk_optimize.api import RunResult, solve_file
from ssk_optimize.solve.pulp_backend import PulpBackend

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))
# stage3_after_fixing_integers is left out: its stage 1 holds a shortfall whose 1e-7 hold slack
# lets stage 2 fund a 0.5-juta study worth 2 priority points per juta, so stage 2 differs by 2e-5
# between the solvers' MIP tolerances (HiGHS 4.679815, CBC 4.679914) with the same integers.
TINY = sorted(p for p in (ROOT / "tests" / "data" / "tiny").glob("*.yaml")
              if p.stem != "stage3_after_fixing_integers")
STAGES = ("stage1_shortfall", "stage2_priority", "stage3_preference")
EXACT = ("solver.mip_gap=0",)

pytestmark = pytest.mark.skipif(not PulpBackend("PULP_CBC_CMD", "cbc").available(),
                                reason="CBC is not available here")


def _solve(path: Path, solver: str, folder: Path) -> RunResult:
    return solve_file(path, overrides=EXACT, output=folder / solver, solver=solver)


def assert_same_stages(highs: RunResult, cbc: RunResult) -> None:
    assert highs.solution.status == cbc.solution.status
    for stage in STAGES:
        a = highs.manifest["objective"][stage]  # type: ignore[index]
        b = cbc.manifest["objective"][stage]  # type: ignore[index]
        if a is None or b is None:
            assert a is None and b is None, stage
            continue
        assert a == pytest.approx(b, rel=1e-6, abs=1e-6), stage


@pytest.mark.parametrize("path", EXAMPLES + TINY, ids=[p.stem for p in EXAMPLES + TINY])
def test_highs_and_cbc_reach_the_same_stage_values(path: Path, tmp_path: Path) -> None:
    highs, cbc = _solve(path, "highs", tmp_path), _solve(path, "cbc", tmp_path)
    assert highs.manifest["solver"]["name"] == "highs"  # type: ignore[index]
    assert cbc.manifest["solver"]["name"] == "cbc"  # type: ignore[index]
    assert_same_stages(highs, cbc)
    assert check_run_folder(tmp_path / "cbc") == []  # CBC's allocation is sound too


def hard_scenario(n: int = 150, seed: int = 1, years: int = 4) -> dict[str, Any]:
    """A multi-year knapsack: n whole-unit programmes, each buildable in one year, whose households
    served are strongly correlated with cost (value = cost + 100), against a 99% target every year
    and budgets of half the total cost. Without a limit HiGHS needs about 5 s here (2 cores) and
    CBC more than 5 minutes."""
    rng = random.Random(seed)
    horizon = list(range(2025, 2025 + years))
    programs = []
    for i in range(n):
        cost = rng.randint(100, 1000)
        start = rng.choice(horizon)
        programs.append({
            "id": f"p{i:03d}", "region": "alpha", "subsector": "air_limbah",
            "kind": "construction", "scale": "komunal", "unit_cost": cost,
            "quantity": rng.randint(1, 3), "divisible": False, "years": [start, start],
            "priority": rng.randint(1, 5), "serves": {"akses_layak": cost + 100}})
    total = sum(p["unit_cost"] * p["quantity"] for p in programs)
    return {
        "scenario": f"hard-{n}-{seed}", "horizon": [horizon[0], horizon[-1]], "money_unit": "juta",
        "regions": [{"id": "alpha", "province": "prov", "households": {2025: 1_000_000},
                     "baseline": {"akses_layak": 0},
                     "targets": {"akses_layak": {y: 0.99 for y in horizon}}}],
        "pools": [{"id": "apbd", "source": "APBD_KAB", "holder": "alpha",
                   "budget": {y: round(total / years * 0.5) for y in horizon}}],
        "programs": programs,
        "solver": {"mip_gap": 0.0},
    }


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_time_limit_stops_short_of_optimal_and_still_writes(solver: str, tmp_path: Path) -> None:
    path = write_yaml(hard_scenario(), tmp_path / "hard.yaml")
    clock = time.perf_counter()
    result = solve_file(path, overrides=("solver.time_limit=1",), output=tmp_path / "run",
                        solver=solver)
    elapsed = time.perf_counter() - clock
    assert not result.solution.is_optimal
    assert result.solution.status.value in ("feasible_stopped", "no_solution_stopped")
    assert elapsed < 30, f"a 1 s limit took {elapsed:.1f} s"
    folder = tmp_path / "run"
    assert sorted(p.name for p in folder.iterdir()) == sorted(RUN_FILES)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == result.solution.status.value
    assert manifest["optimal"] is False
    assert manifest["failed_stage"] in ("targets", "priority", "preference")
    assert any("time limit" in w.lower() or "stopped" in w.lower() for w in manifest["warnings"])
    assert check_run_folder(folder) == []  # a stopped point is still a feasible allocation
