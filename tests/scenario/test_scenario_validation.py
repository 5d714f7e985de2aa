"""Validation as a whole: one pass reports everything, issues render as a planner reads them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ssk_optimize.errors import Issue, ScenarioError
from ssk_optimize.scenario import load_scenario

TINY = Path(__file__).resolve().parents[1] / "data" / "valid" / "tiny.yaml"


@pytest.mark.parametrize(("issue", "text"), [
    (Issue("programs.x.region", "unknown region 'b'", "s.yaml", 41, fix="check it"),
     "programs.x.region (s.yaml:41): unknown region 'b' (check it)"),
    (Issue("", "YAML syntax error: oops", "s.yaml", 3, 7), "s.yaml:3:7: YAML syntax error: oops"),
    (Issue("horizon", "runs backwards", "s.yaml"), "horizon (s.yaml): runs backwards"),
    (Issue("horizon", "runs backwards"), "horizon: runs backwards"),
    (Issue("", "no location at all"), "scenario: no location at all"),
])
def test_issue_render(issue: Issue, text: str) -> None:
    assert issue.render() == text


def test_scenario_error_lists_errors_not_warnings() -> None:
    error = ScenarioError([Issue("a", "bad"), Issue("b", "meh", severity="warning")])
    assert str(error) == "invalid scenario: 1 problem(s)\n  a: bad"
    assert error.exit_code == 1


def test_problems_in_every_section_come_in_one_pass(tmp_path: Path) -> None:
    text = TINY.read_text(encoding="utf-8")
    for old, new in [("    desa: 10\n", "    desa: -1\n"),               # a region
                     ("    source: DAK\n", "    source: DAKK\n"),         # a pool
                     ("    quantity: 100\n", "    quantity: many\n"),     # a programme
                     ("    requires: [ded_ipal]\n", "    requires: [ded]\n"),  # a reference
                     ("money_unit: juta\n", "money_unit: jt\n"),          # the header
                     ("  weights: {akses_layak: 1", "  weights: {akses_layk: 1")]:  # objective
        assert text.count(old) == 1
        text = text.replace(old, new)
    path = tmp_path / "many.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    paths = sorted(issue.path for issue in caught.value.issues)
    assert paths == ["money_unit", "objective.weights.akses_layk", "pools.dak_alpha.source",
                     "programs.ipal.requires.0", "programs.tangki.quantity",
                     "regions.alpha.desa"]
    assert all(issue.file.endswith("many.yaml") and issue.line > 0
               for issue in caught.value.issues)


def test_the_scenario_is_frozen_with_defaults_filled_in() -> None:
    scenario = load_scenario(TINY).scenario
    stbm = scenario.programs[-1]
    assert (stbm.priority, stbm.min_quantity, stbm.divisible, stbm.om_rate) == (3, 0, True, 0)
    assert scenario.window(stbm) == (2025, 2027)
    assert scenario.years == [2025, 2026, 2027]
    assert scenario.objective.mode == "lexicographic"
    with pytest.raises(ValidationError):
        stbm.quantity = 5


def test_loaded_scenario_records_where_it_came_from() -> None:
    loaded = load_scenario(TINY, ["pools.dak_alpha.budget.2027=0"])
    assert loaded.path == TINY
    assert loaded.files == (TINY.resolve(),)
    assert loaded.overrides == ("pools.dak_alpha.budget.2027=0",)
    assert loaded.warnings == ()
    assert len(loaded.sha256) == 64
    assert loaded.sha256 == load_scenario(TINY, ["pools.dak_alpha.budget.2027=0"]).sha256
    assert loaded.sha256 != load_scenario(TINY).sha256
