"""Solving one scenario twice gives identical tables, and (except the manifest's timings)
identical files, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ssk_optimize.api import solve_file

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("allocations", "programs", "pools", "coverage")
VOLATILE = ("timings", "solver_timings")  # wall-clock seconds: the only run-to-run difference


@pytest.mark.parametrize("scenario", ["kalteng", "lamandau"])
def test_two_runs_are_identical(scenario: str, tmp_path: Path) -> None:
    path = ROOT / "scenarios" / f"{scenario}.yaml"
    first = solve_file(path, output=tmp_path / "first")
    second = solve_file(path, output=tmp_path / "second")
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(first.tables, name), getattr(second.tables, name),
                                      check_exact=True)
        written = [pd.read_parquet(tmp_path / run / f"{name}.parquet") for run in ("first", "second")]
        pd.testing.assert_frame_equal(*written, check_exact=True)
        assert (tmp_path / "first" / f"{name}.parquet").read_bytes() == \
            (tmp_path / "second" / f"{name}.parquet").read_bytes(), name
    assert (tmp_path / "first" / "scenario.resolved.yaml").read_bytes() == \
        (tmp_path / "second" / "scenario.resolved.yaml").read_bytes()
    manifests = [json.loads((tmp_path / run / "manifest.json").read_text())
                 for run in ("first", "second")]
    for manifest in manifests:
        for key in VOLATILE:
            manifest.pop(key)
    assert manifests[0] == manifests[1]


def test_tables_are_in_key_order_not_solver_order(tmp_path: Path) -> None:
    """Rows follow the keys, so a reordered scenario file gives the same tables."""
    path = ROOT / "scenarios" / "lamandau.yaml"
    result = solve_file(path)
    keys = {"allocations": ["program", "pool", "year", "purpose"], "programs": ["program"],
            "pools": ["pool", "year"], "coverage": ["region", "indicator", "year"]}
    for name, key in keys.items():
        frame = getattr(result.tables, name)
        assert frame[key].equals(frame.sort_values(key)[key].reset_index(drop=True)), name
