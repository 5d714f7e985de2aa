"""Every example scenario solves to optimality, passes the post-solve plan check, and its run folder
passes every invariant."""

from __future__ import annotations

from pathlib import Path

import pytest
from invariants import check_run_folder

from ssk_optimize.api import solve_file

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_run_folder_is_sound(path: Path, tmp_path: Path) -> None:
    """Default settings (HiGHS, the scenario's own mip_gap), written to a run folder."""
    result = solve_file(path, output=tmp_path / "run")
    assert result.solution.is_optimal, result.solution.notes
    assert result.manifest["plan_check"] == {"passed": True, "count": 0, "violations": []}
    assert check_run_folder(tmp_path / "run") == []
    programs = result.tables.programs
    assert programs["waiting_list"].any(), "the examples need more than their budgets"
    assert (programs["units_delivered"] > 0).any()
