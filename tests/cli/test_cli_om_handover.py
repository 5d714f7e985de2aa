"""``ssk-opt solve`` shows the O&M handover table and prints its warning on stderr (issue 9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


@pytest.mark.parametrize("example", ["lamandau", "katingan", "kalteng"])
def test_every_example_summary_shows_the_om_handed_over(example: str, tmp_path: Path,
                                                        runner: CliRunner) -> None:
    """Issue 9, Done when 3: the solve summary of each example shows, per kab/kota, the O&M paid
    in the last year beside the O&M left to the next plan, as the manifest has them."""
    scenario = Path(__file__).resolve().parents[2] / "scenarios" / f"{example}.yaml"
    result = runner.invoke(cli, ["solve", str(scenario), "-o", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "O&M after the plan" in result.stdout
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text("utf-8"))
    regions = manifest["om_handover"]["regions"]
    assert regions
    lines = result.stdout.splitlines()
    for row in regions:
        shown = [text for text in lines if f" {row['region']} " in text and "│" in text]
        assert any(f"{row['om_after_horizon']:,.0f}" in text for text in shown), row
