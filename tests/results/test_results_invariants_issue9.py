"""The run-folder checker catches broken issue-9 rules: each test breaks one in a sound folder
(whole-unit completion, max_years, max_per_year, capex_growth)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from invariants import check_run_folder

from ssk_optimize.api import solve_file

TINY = Path(__file__).resolve().parents[2] / "tests" / "data" / "tiny"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("sound9")
    folders = {}
    for name, overrides in (("whole_unit_completion", ()), ("capacity_max_per_year", ()),
                            ("capacity_capex_growth", ()),
                            ("whole_unit_max_years", ("programs.plant.max_years=3",))):
        folders[name] = solve_file(TINY / f"{name}.yaml", output=base / name,
                                   overrides=overrides).folder
    assert all(folder is not None and check_run_folder(folder) == [] for folder in folders.values())
    return folders  # type: ignore[return-value]


def broken(runs: dict[str, Path], name: str, tmp_path: Path, table: str,
           change: object, yaml: tuple[str, str] | None = None) -> set[str]:
    """Copy a sound folder, change one table (and optionally the resolved scenario), check it."""
    folder = tmp_path / name
    shutil.copytree(runs[name], folder)
    frame = pd.read_parquet(folder / f"{table}.parquet")
    change(frame)  # type: ignore[operator]
    frame.to_parquet(folder / f"{table}.parquet", index=False)
    if yaml is not None:
        path = folder / "scenario.resolved.yaml"
        text = path.read_text()
        assert yaml[0] in text
        path.write_text(text.replace(yaml[0], yaml[1]))
    return {message.split(":", 1)[0] for message in check_run_folder(folder)}


def test_coverage_from_an_unfinished_unit_is_caught(runs: dict[str, Path], tmp_path: Path) -> None:
    def serve_early(frame: pd.DataFrame) -> None:
        frame.loc[frame["year"] == 2025, ["covered", "share", "shortfall"]] = [600.0, 0.6, 0.0]
    assert "covered" in broken(runs, "whole_unit_completion", tmp_path, "coverage", serve_early)


def test_om_of_an_unfinished_unit_is_caught(runs: dict[str, Path], tmp_path: Path) -> None:
    def pay_late(frame: pd.DataFrame) -> None:  # the plant paid in 2026: its 2026 O&M is too early
        frame.loc[frame["purpose"] == "capex", "year"] = 2026
    assert "om" in broken(runs, "whole_unit_completion", tmp_path, "allocations", pay_late)


def test_payments_beyond_max_years_are_caught(runs: dict[str, Path], tmp_path: Path) -> None:
    found = broken(runs, "whole_unit_max_years", tmp_path, "allocations", lambda frame: None,
                   yaml=("max_years: 3", "max_years: 2"))
    assert "completion" in found


def test_max_per_year_is_caught(runs: dict[str, Path], tmp_path: Path) -> None:
    def more(frame: pd.DataFrame) -> None:
        frame.loc[frame["year"] == 2025, "amount"] = 40.0
    assert "max_per_year" in broken(runs, "capacity_max_per_year", tmp_path, "allocations", more)


def test_capex_growth_is_caught(runs: dict[str, Path], tmp_path: Path) -> None:
    def faster(frame: pd.DataFrame) -> None:
        frame.loc[frame["year"] == 2027, "amount"] = 80.0
    assert "capex_growth" in broken(runs, "capacity_capex_growth", tmp_path, "allocations", faster)
