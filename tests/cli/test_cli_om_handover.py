"""``ssk-opt solve`` shows the O&M handover table and prints its warning on stderr (issue 9)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ssk_optimize.cli import cli

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"


def test_summary_shows_om_after_the_plan(tmp_path: Path, runner: CliRunner) -> None:
    """om_handover.yaml: 15 left to the next plan vs 5 paid in 2026 (+200%, warned)."""
    result = runner.invoke(cli, ["solve", str(TINY / "om_handover.yaml"), "-o", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "O&M after the plan" in result.stdout
    line = next(text for text in result.stdout.splitlines() if "alpha" in text and "+200%" in text)
    assert "5.00" in line and "15.00" in line
    assert "Warning: om_handover[alpha]: the plan leaves 15.00 juta a year" in result.stderr
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text("utf-8"))
    assert any(w.startswith("om_handover[alpha]") for w in manifest["warnings"])


def test_no_warning_when_the_handover_is_within_the_share(tmp_path: Path, runner: CliRunner) -> None:
    """With om_handover_warning 2 the limit is 3 x 5 = 15: the table is shown, no warning."""
    result = runner.invoke(cli, ["solve", str(TINY / "om_handover.yaml"), "-o", str(tmp_path / "run"),
                                 "--set", "rules.om_handover_warning=2"])
    assert result.exit_code == 0, result.output
    assert "O&M after the plan" in result.stdout
    assert "om_handover" not in result.stderr
