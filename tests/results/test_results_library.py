"""The results layer as a library: read_run gives back what solve wrote, and the SSK tables
(Tabel 5.1 and 5.2) are right on a hand-derived case and add up on every example."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from ssk_optimize.api import solve_file
from ssk_optimize.errors import UsageError
from ssk_optimize.results.aggregates import tabel_5_1, tabel_5_2
from ssk_optimize.results.reader import read_run
from ssk_optimize.results.schemas import KEYS, SCHEMAS, TABLES

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny"
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def om_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("om") / "run"
    solve_file(TINY / "om_next_year.yaml", output=folder)
    return folder


def test_read_run_gives_back_the_tables_and_manifest(om_run: Path) -> None:
    run = read_run(om_run)
    manifest = json.loads((om_run / "manifest.json").read_text())
    assert run.manifest.scenario == "tiny-om" == manifest["scenario"]
    assert run.manifest.money_unit == "juta" and run.manifest.optimal
    assert run.manifest.scenario_sha256 == manifest["scenario_sha256"]
    assert run.years == (2025, 2026) and run.name == "run"
    for table in TABLES:
        frame = getattr(run.tables, table)
        assert list(frame.columns) == SCHEMAS[table].names
        keys = list(KEYS[table])
        # sorted dictionaries: sorting the frame read back keeps its order
        assert frame.sort_values(keys, kind="stable").index.tolist() == frame.index.tolist()
    baseline = run.tables.allocations
    assert baseline["program"].notna().all()  # this scenario has no baseline O&M


def test_read_run_refuses_what_is_not_a_run(om_run: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a folder"):
        read_run(tmp_path / "absent")
    partial = tmp_path / "partial"
    shutil.copytree(om_run, partial)
    (partial / "pools.parquet").unlink()
    with pytest.raises(UsageError, match=r"missing pools\.parquet"):
        read_run(partial)
    other = tmp_path / "other"
    shutil.copytree(om_run, other)
    pd.DataFrame({"x": [1]}).to_parquet(other / "pools.parquet")
    with pytest.raises(UsageError, match="layout"):
        read_run(other)


def test_tabel_5_1_hand_derived(om_run: Path) -> None:
    """build: 100 capital in 2025, O&M 20 in 2026; later: 80 capital in 2026 of a need of 100."""
    grid = tabel_5_1(read_run(om_run).tables)
    assert grid.loc["air_limbah", [2025, 2026, "total"]].tolist() == pytest.approx([100, 80, 180])
    assert grid.loc["om", [2025, 2026, "total"]].tolist() == pytest.approx([0, 20, 20])
    assert grid.loc["total", [2025, 2026, "total"]].tolist() == pytest.approx([100, 100, 200])
    assert grid.loc["air_limbah", ["need", "gap"]].tolist() == pytest.approx([200, 20])
    assert grid.loc["apbd_murni", "total"] == pytest.approx(200)
    assert grid.loc["commitment", "total"] == pytest.approx(200)


def test_tabel_5_2_hand_derived(om_run: Path) -> None:
    grid = tabel_5_2(read_run(om_run).tables)
    government = grid.loc["group_government"]
    assert government.loc["APBD_KAB", [2025, 2026, "total"]].tolist() == pytest.approx([100, 100, 200])
    assert government.loc["subtotal", "total"] == pytest.approx(200)
    assert grid.loc[("group_non_government", "subtotal"), "total"] == 0
    assert grid.loc[("", "total"), "total"] == pytest.approx(200)
    assert grid.loc[("", "gap"), "total"] == pytest.approx(20)
    assert np.isnan(grid.loc[("", "gap"), 2025])


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_two_tables_add_up_on_every_example(path: Path, tmp_path: Path) -> None:
    run = read_run(solve_file(path, output=tmp_path / "run").folder)  # type: ignore[arg-type]
    money = float(run.tables.allocations["amount"].sum())
    t1, t2 = tabel_5_1(run.tables), tabel_5_2(run.tables)
    assert t1.loc["total", "total"] == pytest.approx(money, rel=1e-12)
    assert t2.loc[("", "total"), "total"] == pytest.approx(money, rel=1e-12)
    subtotals = t2.xs("subtotal", level="row")["total"].sum()
    assert subtotals == pytest.approx(money, rel=1e-12)
    years = [c for c in t1.columns if isinstance(c, int)]
    assert t1.loc["total", years].sum() == pytest.approx(money, rel=1e-12)
    assert t1.loc["total", "gap"] == pytest.approx(run.tables.programs["gap"].sum(), rel=1e-12)
    metadata = pq.read_schema(run.folder / "programs.parquet").metadata
    assert metadata[b"ssk_optimize.format"] == b"2"
