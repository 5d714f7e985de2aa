"""The kalteng run folder as analysts read it: DuckDB and Polars see the spec's columns, and every
Parquet file carries the money unit and the scenario hash in its key-value metadata."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest
from invariants import COLUMNS

from ssk_optimize.api import solve_file

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kalteng(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kalteng") / "run"
    solve_file(ROOT / "scenarios" / "kalteng.yaml", output=folder)
    return folder


@pytest.mark.parametrize("table", sorted(COLUMNS))
def test_duckdb_sees_the_spec_columns(kalteng: Path, table: str) -> None:
    path = kalteng / f"{table}.parquet"
    relation = duckdb.sql(f"select * from '{path}'")
    assert relation.columns == COLUMNS[table]
    assert duckdb.sql(f"select count(*) from '{path}'").fetchall()[0][0] > 0


@pytest.mark.parametrize("table", sorted(COLUMNS))
def test_polars_sees_the_spec_columns(kalteng: Path, table: str) -> None:
    frame = pl.read_parquet(kalteng / f"{table}.parquet")
    assert frame.columns == COLUMNS[table]
    assert frame.height > 0


def test_duckdb_answers_a_negotiators_question(kalteng: Path) -> None:
    """Capital money per source type, and no pool-year over budget, straight from Parquet."""
    by_source = dict(duckdb.sql(
        f"select source, sum(amount) from '{kalteng / 'allocations.parquet'}' "
        f"where purpose = 'capex' group by source").fetchall())
    assert {"DAK", "APBD_KAB", "APBD_PROV", "APBN"} <= set(by_source)
    over = duckdb.sql(f"select count(*) from '{kalteng / 'pools.parquet'}' "
                      f"where used > budget * (1 + 1e-9)").fetchall()
    assert over == [(0,)]
    described = duckdb.sql(f"describe select * from '{kalteng / 'allocations.parquet'}'").fetchall()
    typed = {row[0]: row[1] for row in described}
    assert (typed["year"], typed["amount"], typed["firm"]) == ("INTEGER", "DOUBLE", "BOOLEAN")


def test_polars_types(kalteng: Path) -> None:
    programs = pl.read_parquet(kalteng / "programs.parquet")
    assert programs.schema["waiting_list"] == pl.Boolean
    assert programs.schema["units_delivered"] == pl.Float64
    coverage = pl.read_parquet(kalteng / "coverage.parquet")
    assert coverage.schema["year"] == pl.Int32


@pytest.mark.parametrize("table", sorted(COLUMNS))
def test_metadata_carries_unit_and_hash(kalteng: Path, table: str) -> None:
    manifest = json.loads((kalteng / "manifest.json").read_text())
    metadata = pq.read_schema(kalteng / f"{table}.parquet").metadata
    decoded = {k.decode(): v.decode() for k, v in metadata.items()}  # plain text (schemas.py)
    assert decoded["ssk_optimize.money_unit"] == "juta" == manifest["money_unit"]
    assert decoded["ssk_optimize.scenario_sha256"] == manifest["scenario_sha256"]
    assert len(manifest["scenario_sha256"]) == 64
    assert decoded["ssk_optimize.status"] == "optimal"
    assert decoded["ssk_optimize.scenario"] == "kalteng-baseline"
    assert json.loads(decoded["ssk_optimize.solver"])["name"] == manifest["solver"]["name"]
    assert decoded["ssk_optimize.table"] == table
    assert not any(key.startswith(b"pandas") for key in metadata)  # stable bytes, no index noise
