"""Write a run folder atomically: four Parquet files, ``manifest.json``, ``scenario.resolved.yaml``.

Every table has a fixed Arrow schema (column names and types never depend on the data), rows are
sorted by key, and the manifest's main fields sit in each file's key-value metadata. Files are
written into a temporary sibling folder which then replaces the target, so a reader finds the
previous complete run or the new complete run, never a half-written one.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ssk_optimize.results.tables import RunTables

ARROW_TYPES = {"text": pa.string(), "number": pa.float64(), "year": pa.int32(), "flag": pa.bool_()}


def _schema(columns: str) -> pa.Schema:
    """``"scenario year:year amount:number"``: columns in order, text unless typed."""
    fields = [(c.partition(":")[0], ARROW_TYPES[c.partition(":")[2] or "text"]) for c in columns.split()]
    return pa.schema(fields)


SCHEMAS: dict[str, pa.Schema] = {
    "allocations": _schema(
        "scenario program code region province subsector kind scale source pool holder firm:flag "
        "year:year purpose amount:number"),
    "programs": _schema(
        "scenario program name code region subsector kind scale priority:number quantity:number "
        "units_delivered:number need:number funded:number gap:number funded_share:number "
        "om_funded:number om_after_horizon:number waiting_list:flag limiting_reason limiting_detail"),
    "pools": _schema(
        "scenario pool source holder firm:flag year:year budget:number used:number unused:number "
        "shadow_price_targets:number shadow_price_priority:number range_low:number range_high:number"),
    "coverage": _schema(
        "scenario region indicator year:year households:number covered:number share:number "
        "target_share:number target_households:number shortfall:number"),
}

METADATA_KEYS = ("scenario", "engine_version", "scenario_sha256", "money_unit", "status")


def write_run(folder: Path, tables: RunTables, manifest: dict[str, Any],
              resolved_yaml: str) -> Path:
    """Write the whole run into ``folder`` atomically; return the folder."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.partial-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        metadata = _metadata(manifest)
        for name, schema in SCHEMAS.items():
            _write_table(staging / f"{name}.parquet", getattr(tables, name), schema, metadata)
        _write_text(staging / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True,
                                                          default=_json_default) + "\n")
        _write_text(staging / "scenario.resolved.yaml", resolved_yaml)
        _replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _metadata(manifest: dict[str, Any]) -> dict[bytes, bytes]:
    data = {key: manifest.get(key) for key in METADATA_KEYS}
    data["solver"] = manifest.get("solver")
    data["objective"] = manifest.get("objective")
    return {f"ssk_optimize.{k}".encode(): json.dumps(v, default=_json_default).encode()
            for k, v in data.items()}


def _write_table(path: Path, frame: pd.DataFrame, schema: pa.Schema,
                 metadata: dict[bytes, bytes]) -> None:
    frame = frame[list(schema.names)]
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    table = table.replace_schema_metadata(metadata)  # drop pandas' own metadata: stable bytes
    pq.write_table(table, path, compression="zstd")
    _fsync(path)


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _replace(staging: Path, folder: Path) -> None:
    """Swap the finished staging folder in; the old run is removed only after the swap."""
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder} exists and is not a folder")
    old = None
    if folder.exists():
        old = folder.parent / f".{folder.name}.old-{uuid.uuid4().hex[:8]}"
        folder.rename(old)
    staging.rename(folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)
