"""The designed infeasible corpus (``tests/data/infeasible``): each scenario validates, is infeasible
for exactly one designed reason, and its hand-derived relaxation (``fix`` in ``<name>.expected.yaml``)
makes it feasible.

The ``.expected.yaml`` files also say what an infeasibility diagnosis must name (rules, programmes,
pools, YAML lines); this test checks only the corpus itself, not a diagnosis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ssk_optimize import api
from ssk_optimize.solve.status import SolveStatus

CORPUS = Path(__file__).resolve().parents[1] / "data" / "infeasible"
CASES = sorted(p for p in CORPUS.glob("*.yaml") if not p.name.endswith(".expected.yaml"))
KEYS = {"rules", "programs", "pools", "lines", "fix"}


def expected_of(path: Path) -> dict[str, Any]:
    """The ``<name>.expected.yaml`` beside a scenario."""
    expected = yaml.safe_load(path.with_name(f"{path.stem}.expected.yaml").read_text(encoding="utf-8"))
    assert isinstance(expected, dict) and set(expected) == KEYS, f"{path.name}: keys {sorted(expected)}"
    return expected


def test_corpus_has_enough_scenarios() -> None:
    assert len(CASES) >= 12, f"only {len(CASES)} scenarios in {CORPUS}"
    for path in CASES:
        assert path.with_name(f"{path.stem}.expected.yaml").is_file(), f"{path.name} has no expected file"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_infeasible_scenario(path: Path) -> None:
    """Valid, infeasible as written, optimal with the expected relaxation."""
    expected = expected_of(path)
    assert expected["rules"] and expected["lines"] and expected["fix"], path.name
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("#"), f"{path.name}: no comment saying why it is infeasible"
    assert all(1 <= line <= len(lines) for line in expected["lines"]), path.name

    api.validate_file(path)  # the conflict is in the LP, not in validation

    result = api.solve_file(path, solver="highs")
    assert not result.solution.is_optimal
    assert result.solution.status is SolveStatus.INFEASIBLE, result.solution.status

    fixed = api.solve_file(path, overrides=tuple(expected["fix"]), solver="highs")
    assert fixed.solution.is_optimal, fixed.solution.status
