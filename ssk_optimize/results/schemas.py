"""The run folder's tables as Arrow sees them: columns, types, keys and file metadata.

One place for what ``writer`` writes, ``reader`` reads and ``tables`` builds (docs/results-format.md
is the analyst's version of this module).

- Columns never depend on the data. Text columns whose values repeat (ids of pools, regions,
  sources, purposes, reasons) are Arrow dictionaries, which pandas reads as ``category``, Polars
  as ``Categorical`` and DuckDB as ``VARCHAR``; text that is unique per row (programme ids in
  ``programs``, names, details) is plain ``string``. Neither is ever a Python object column.
- Nulls mean "does not apply": an allocation row of baseline O&M has no programme, so
  ``program``, ``code``, ``subsector``, ``kind`` and ``scale`` are null there, never ``''``.
- Rows are sorted by :data:`KEYS`, which are unique per table; dictionaries are sorted, so a
  ``category`` column sorts as its text does.
- Key-value metadata (:func:`file_metadata`): ``ssk_optimize.<field>`` keys; scalar fields are
  plain UTF-8 text (``ssk_optimize.money_unit`` = ``juta``), nested ones (``solver``, ``objective``)
  JSON objects; ``ssk_optimize.table`` names the table and ``ssk_optimize.format`` the version of
  this layout.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

FORMAT_VERSION = "2"
"""Version of the run-folder layout; 2: dictionary text, nulls for baseline O&M, plain metadata."""

TABLES = ("allocations", "programs", "pools", "coverage")

_TYPES = {
    "text": pa.string(),
    "category": pa.dictionary(pa.int32(), pa.string()),
    "number": pa.float64(),
    "year": pa.int32(),
    "flag": pa.bool_(),
}


def _schema(columns: str) -> pa.Schema:
    """``"scenario:category year:year amount:number"``: columns in order, text unless typed."""
    fields = [(c.partition(":")[0], _TYPES[c.partition(":")[2] or "text"]) for c in columns.split()]
    return pa.schema(fields)


SCHEMAS: dict[str, pa.Schema] = {
    "allocations": _schema(
        "scenario:category program:category code:category region:category province:category "
        "subsector:category kind:category scale:category source:category pool:category "
        "holder:category firm:flag year:year purpose:category amount:number"),
    "programs": _schema(
        "scenario:category program name code region:category subsector:category kind:category "
        "scale:category priority:number quantity:number units_delivered:number need:number "
        "funded:number funded_indicative:number gap:number funded_share:number om_funded:number "
        "om_after_horizon:number waiting_list:flag limiting_reason:category limiting_detail"),
    "pools": _schema(
        "scenario:category pool:category source:category holder:category firm:flag year:year "
        "budget:number used:number unused:number shadow_price_targets:number "
        "shadow_price_priority:number range_low:number range_high:number"),
    "coverage": _schema(
        "scenario:category region:category indicator:category year:year households:number "
        "covered:number share:number target_share:number target_households:number "
        "shortfall:number"),
    # only in an infeasible run (results/diagnosis.py): the clashing rules and the changes
    "diagnosis": _schema(
        "scenario:category kind:category option:year option_name:category rule:category "
        "family:category name program:category pool:category region:category year:year "
        "indicator:category other_program:category where current:number suggested:number "
        "unit:category set verified:flag"),
}

KEYS: dict[str, tuple[str, ...]] = {
    "allocations": ("program", "pool", "year", "purpose", "region"),
    "programs": ("program",),
    "pools": ("pool", "year"),
    "coverage": ("region", "indicator", "year"),
    "diagnosis": ("kind", "option", "rule", "name", "set"),
}
"""The sort order of each table; unique per row (``program`` is null only for baseline O&M,
whose rows are told apart by ``region``)."""

METADATA_SCALARS = ("scenario", "engine_version", "scenario_sha256", "money_unit", "status")
METADATA_OBJECTS = ("solver", "objective")
PREFIX = "ssk_optimize."


def arrow_table(frame: pd.DataFrame, table: str, metadata: dict[bytes, bytes] | None = None) -> pa.Table:
    """``frame`` as the Arrow table ``table``: its schema, dictionaries in sorted order, no pandas
    metadata (stable bytes).

    Sorted dictionaries make a pandas ``category`` sort like the text it stands for, so sorting a
    table read back by :data:`KEYS` keeps its row order.
    """
    schema = SCHEMAS[table]
    columns = []
    for field in schema:
        values = frame[field.name] if field.name in frame else pd.Series([], dtype=object)
        if pa.types.is_dictionary(field.type):
            columns.append(_sorted_dictionary(values))
        else:
            columns.append(pa.array(values.to_numpy(dtype=object) if field.type == pa.string()
                                    else values.to_numpy(), type=field.type, from_pandas=True))
    return pa.Table.from_arrays(columns, schema=schema.with_metadata(metadata or {}))


def _sorted_dictionary(values: pd.Series) -> pa.DictionaryArray:
    text = values.astype(object).to_numpy()
    missing = pd.isna(text)
    words = np.unique(text[~missing].astype(str)) if (~missing).any() else np.array([], dtype=str)
    indices = np.searchsorted(words, np.where(missing, "", text).astype(str)).astype(np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(indices, mask=missing, type=pa.int32()),
                                          pa.array(words.astype(object), type=pa.string()))


def file_metadata(manifest: dict[str, Any], table: str) -> dict[bytes, bytes]:
    """The key-value metadata of one table's file (module docstring)."""
    data: dict[str, str] = {"format": FORMAT_VERSION, "table": table}
    for key in METADATA_SCALARS:
        value = manifest.get(key)
        data[key] = "" if value is None else str(value)
    for key in METADATA_OBJECTS:
        data[key] = json.dumps(_plain(manifest.get(key)), sort_keys=True, allow_nan=False)
    return {f"{PREFIX}{k}".encode(): v.encode() for k, v in data.items()}


def read_metadata(metadata: dict[bytes, bytes] | None) -> dict[str, Any]:
    """Decode :func:`file_metadata` (keys without the prefix; objects parsed)."""
    decoded: dict[str, Any] = {}
    for raw_key, raw_value in (metadata or {}).items():
        key = raw_key.decode()
        if not key.startswith(PREFIX):
            continue
        name, text = key[len(PREFIX):], raw_value.decode()
        decoded[name] = json.loads(text) if name in METADATA_OBJECTS else text
    return decoded


def _plain(value: Any) -> Any:
    """JSON-ready: non-finite numbers become null (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
