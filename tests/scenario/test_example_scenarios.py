"""Every example in ``scenarios/`` validates (exit 0), quickly.

The timing here is a loose guard against a pathological slow-down, not a benchmark:
``benchmarks/validate.py`` measures the real figures (the goal is under 1 s per file).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ssk_optimize import api
from ssk_optimize.cli import cli

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
EXAMPLES = sorted(SCENARIOS.glob("*.yaml"))
LOOSE_LIMIT_SECONDS = 5.0

pytestmark = pytest.mark.skipif(not EXAMPLES, reason=f"no example scenarios in {SCENARIOS} yet")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_scenario_validates(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``ssk-opt validate`` exits 0; ``api.validate_file`` inside it is timed."""
    timings: list[float] = []
    validate_file = api.validate_file

    def timed(*args: Any, **kwargs: Any) -> api.Validation:
        start = time.perf_counter()
        try:
            return validate_file(*args, **kwargs)
        finally:
            timings.append(time.perf_counter() - start)

    monkeypatch.setattr(api, "validate_file", timed)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "valid." in result.stdout
    assert "Traceback" not in result.output
    assert len(timings) == 1
    assert timings[0] < LOOSE_LIMIT_SECONDS, f"{path.name} took {timings[0]:.2f} s to validate"
