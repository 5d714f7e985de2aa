"""Property test: on 200 random valid scenarios, every run folder satisfies every invariant.

The strategy (``strategies.scenarios``) builds scenarios that are feasible by construction, so
each must also solve to ``optimal``. Each example is written as YAML, solved through
``api.solve_file`` into a temporary run folder and checked by ``invariants.check_run_folder``,
which reads only that folder.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from invariants import check_run_folder
from strategies import scenarios, write_yaml

from ssk_optimize.api import solve_file


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=scenarios())
def test_random_scenarios_keep_every_invariant(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_yaml(data, Path(folder) / "scenario.yaml")
        note(path.read_text(encoding="utf-8"))
        result = solve_file(path, output=Path(folder) / "run")
        assert result.solution.is_optimal, (result.solution.status, result.solution.notes)
        assert check_run_folder(Path(folder) / "run") == []

