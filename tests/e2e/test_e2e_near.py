"""--near re-plans (issue 8, Done when 2): the DAK-cut variant moves no more money than without
--near, keeps the lexicographic stage values, and a variant identical to its base moves nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ssk_optimize.api import solve_file
from ssk_optimize.errors import UsageError
from ssk_optimize.results.compare import compare_runs
from ssk_optimize.results.reader import read_run

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
STAGES = ("stage1_shortfall", "stage2_priority", "stage3_preference")
KEY = ["program", "pool", "year", "purpose", "region"]


def moved(base: pd.DataFrame, other: pd.DataFrame) -> float:
    """L1 distance between two allocation tables, from the Parquet rows by an outer merge."""
    plain = [f.astype({c: object for c in KEY}).fillna({"program": ""}) for f in (base, other)]
    both = plain[0].merge(plain[1], on=KEY, how="outer", suffixes=("_a", "_b")).fillna(
        {"amount_a": 0.0, "amount_b": 0.0})
    return float((both["amount_a"] - both["amount_b"]).abs().sum())


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("near")
    solve_file(SCENARIOS / "lamandau.yaml", output=root / "base")
    solve_file(SCENARIOS / "lamandau-dak-cut.yaml", output=root / "cut")
    solve_file(SCENARIOS / "lamandau-dak-cut.yaml", output=root / "cut-near", near=root / "base")
    return root


def test_near_moves_no_more_money_and_keeps_the_stages(folder: Path) -> None:
    base, cut, near = (read_run(folder / n) for n in ("base", "cut", "cut-near"))
    plain = moved(base.tables.allocations, cut.tables.allocations)
    close = moved(base.tables.allocations, near.tables.allocations)
    assert close <= plain * (1 + 1e-9)
    assert near.manifest.near is not None
    assert near.manifest.near["money_moved"] == pytest.approx(close, rel=1e-9)
    assert near.manifest.near["base_scenario_sha256"] == base.manifest.scenario_sha256
    for stage in STAGES:
        assert near.manifest.objective[stage] == pytest.approx(cut.manifest.objective[stage],
                                                               rel=1e-6, abs=1e-6), stage
    assert near.manifest.optimal and near.manifest.raw["plan_check"]["passed"]
    comparison = compare_runs([base, near])
    assert comparison.near["cut-near"] is not None  # compare says which run was re-planned


def test_a_variant_identical_to_its_base_moves_nothing(folder: Path, tmp_path: Path) -> None:
    """Nothing but rounding: the base's amounts are whole rupiah and the solver holds its rows to
    1e-7, so a few rupiah may move in all; 1e-8 of the plan's money (Rp 0.9 juta of 88,923)."""
    result = solve_file(SCENARIOS / "lamandau.yaml", output=tmp_path / "same", near=folder / "base")
    base = read_run(folder / "base").tables.allocations
    tol = 1e-8 * float(base["amount"].sum())
    assert result.manifest["near"]["money_moved"] == pytest.approx(0.0, abs=tol)  # type: ignore[index]
    again = read_run(tmp_path / "same")
    assert moved(base, again.tables.allocations) <= tol


def test_near_a_folder_that_is_not_a_run_is_refused_before_solving(tmp_path: Path) -> None:
    (tmp_path / "junk").mkdir()
    with pytest.raises(UsageError, match="not a complete run folder"):
        solve_file(SCENARIOS / "lamandau.yaml", output=tmp_path / "out", near=tmp_path / "junk")
    assert not (tmp_path / "out").exists()
