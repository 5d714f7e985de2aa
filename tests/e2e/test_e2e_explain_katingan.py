"""ssk-opt explain on Katingan: every waiting programme gets a reason in words and a suggestion
that an independent re-solve confirms (more money for it than in the run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssk_optimize import api
from ssk_optimize.results.reader import read_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def explained(tmp_path_factory: pytest.TempPathFactory) -> api.RunExplanation:
    folder = tmp_path_factory.mktemp("explain-katingan") / "katingan"
    api.solve_file(ROOT / "scenarios" / "katingan.yaml", output=folder)
    return api.explain_run(folder, lang="en")


def test_every_waiting_programme_is_explained(explained: api.RunExplanation) -> None:
    programs = explained.run.tables.programs
    waiting = programs[programs["waiting_list"]].sort_values(["gap", "program"], ascending=[False, True])
    assert [e.program for e in explained.programmes] == waiting["program"].astype(str).tolist()
    text = "\n".join(explained.text)
    pool_ids = set(read_run(explained.run.folder).tables.pools["pool"].astype(str))
    for item in explained.programmes:
        block = text[text.index(f"({item.program})\n"):]
        block = block[:block.index("\n\n")] if "\n\n" in block else block
        # the binding pools: those the run's waiting-list detail says are used up
        binding = {p for p in pool_ids if p in str(item.programme["limiting_detail"])}
        assert binding, item.programme["limiting_detail"]
        assert item.change.status == "funded", (item.program, item.change.detail)
        raised = set(item.change.added["pool"])
        assert raised and raised & binding, (item.program, raised, binding)
        assert any(f"--set 'pools.{p}." in block for p in raised & binding), item.program


def test_suggestions_fund_more_in_an_independent_re_solve(explained: api.RunExplanation) -> None:
    resolved = explained.run.folder / "scenario.resolved.yaml"
    before = explained.run.tables.programs.set_index("program")["funded"]
    checked = 0
    for item in explained.programmes:
        if item.change.status != "funded":
            continue
        # the resolved scenario already holds the run's overrides: apply only the suggestion
        after = api.solve_file(resolved, overrides=item.overrides, output=None)
        assert after.solution.is_optimal, item.program
        funded = after.tables.programs.set_index("program")["funded"]
        assert funded[item.program] > before[item.program] + 1e-6, (item.program, item.overrides)
        checked += 1
    assert checked == len(explained.programmes) == 14
