"""A comparison as files and JSON: tidy, one row per key and run (``results/compare.py``).

``-o FILE.parquet`` or ``FILE.csv`` gets the money table (the ``--by`` dimensions, run, amount,
base_amount, delta). An existing file is replaced only if this tool wrote it: a Parquet file whose
metadata says ``ssk_optimize.table = compare``, or a CSV whose first line is a comparison header.
The file is written next to its target and renamed over it, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ssk_optimize.errors import UsageError
from ssk_optimize.results.compare import Comparison
from ssk_optimize.results.files import replace_file

MARKER = b"ssk_optimize.table"


def write_comparison(comparison: Comparison, path: Path) -> Path:
    """Write the money table to ``path`` (.parquet or .csv) atomically; return the path."""
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in (".parquet", ".csv"):
        raise UsageError(f"{path}: -o takes a .parquet or .csv file")
    frame = comparison.money
    if path.exists():
        _check_ours(path, kind, list(frame.columns))
    if not path.parent.is_dir():
        raise UsageError(f"{path.parent}: no such folder")
    def write(staging: Path) -> None:
        if kind == ".csv":
            frame.to_csv(staging, index=False, lineterminator="\n")
            return
        table = pa.Table.from_pandas(frame, preserve_index=False)
        meta = {MARKER: b"compare", b"ssk_optimize.base": comparison.base.encode(),
                b"ssk_optimize.money_unit": comparison.money_unit.encode()}
        pq.write_table(table.replace_schema_metadata(meta), staging, compression="zstd")

    replace_file(path, write)
    return path


def _check_ours(path: Path, kind: str, header: list[str]) -> None:
    refuse = UsageError(f"{path}: exists and was not written by 'ssk-opt compare'; it is left as it "
                        "is (choose another -o)")
    if not path.is_file():
        raise refuse
    if kind == ".parquet":
        try:
            metadata = pq.read_schema(path).metadata or {}
        except Exception:  # not Parquet at all
            raise refuse from None
        if metadata.get(MARKER) != b"compare":
            raise refuse
        return
    with path.open("rb") as handle:
        first = handle.readline().decode("utf-8", "replace").strip()
    if first != ",".join(header):
        raise refuse


def comparison_json(comparison: Comparison) -> str:
    """Every frame of the comparison as JSON records (NaN as null)."""
    frames = {name: getattr(comparison, name) for name in
              ("money", "totals", "programmes", "coverage", "prices", "inputs", "price_checks")}
    data: dict[str, Any] = {"base": comparison.base, "runs": list(comparison.runs),
                            "money_unit": comparison.money_unit, "by": list(comparison.by),
                            "near": comparison.near}
    for name, frame in frames.items():
        data[name] = [_record(r) for r in frame.to_dict(orient="records")]
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def _record(row: dict[Any, Any]) -> dict[str, Any]:
    return {str(k): (None if isinstance(v, float) and math.isnan(v) else
                     (v.item() if hasattr(v, "item") else v)) for k, v in row.items()}


def money_pivot(comparison: Comparison) -> pd.DataFrame:
    """The money table wide, for people: one row per key, a column per run and a delta per run."""
    keys = list(comparison.by)
    wide = comparison.money.pivot_table(index=keys, columns="run", values="amount", aggfunc="sum",
                                        sort=True)
    wide = wide[list(comparison.runs)]
    for name in comparison.runs[1:]:
        wide[f"Δ {name}"] = comparison.money[comparison.money["run"] == name].set_index(keys)["delta"]
    return wide
