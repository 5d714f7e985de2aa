"""Read a run folder back: typed tables, a typed manifest and the resolved scenario text.

``read_run(folder)`` is what ``compare``, ``report`` and ``export`` start from, and what an analyst
can use from Python instead of four ``read_parquet`` calls. A folder that is not a complete run of
this tool (a file missing, a table with other columns, a layout this version cannot read) is a
:class:`~ssk_optimize.errors.UsageError` naming the folder and what is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from ssk_optimize.errors import UsageError
from ssk_optimize.results.schemas import SCHEMAS, TABLES, read_metadata
from ssk_optimize.results.tables import RunTables

READABLE_FORMATS = ("2",)


@dataclass(frozen=True)
class Manifest:
    """The fields of ``manifest.json`` a reader relies on; ``raw`` keeps the whole file."""

    scenario: str
    engine_version: str
    scenario_sha256: str
    money_unit: str
    status: str
    optimal: bool
    overrides: tuple[str, ...]
    solver: dict[str, Any]
    objective: dict[str, Any]
    warnings: tuple[str, ...]
    near: dict[str, Any] | None
    raw: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class Run:
    """One run folder, read."""

    folder: Path
    tables: RunTables
    manifest: Manifest
    resolved_yaml: str

    @property
    def name(self) -> str:
        """How the run is called in comparisons: its folder's name."""
        return self.folder.name

    @property
    def years(self) -> tuple[int, ...]:
        """The horizon years, from the pools table."""
        return tuple(sorted(int(y) for y in self.tables.pools["year"].unique()))


def read_run(folder: str | Path) -> Run:
    """Read ``folder`` (module docstring); UsageError when it is not a readable run."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder; give a run folder written by 'ssk-opt solve'")
    missing = [f"{t}.parquet" for t in TABLES if not (folder / f"{t}.parquet").is_file()]
    missing += [n for n in ("manifest.json", "scenario.resolved.yaml") if not (folder / n).is_file()]
    if missing:
        raise UsageError(f"{folder}: not a complete run folder (missing {', '.join(missing)})")
    frames = {table: _read_table(folder, table) for table in TABLES}
    try:
        raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"{folder / 'manifest.json'}: cannot be read ({error})") from None
    resolved = (folder / "scenario.resolved.yaml").read_text(encoding="utf-8")
    return Run(folder, RunTables(**frames), _manifest(raw, folder), resolved)


def _read_table(folder: Path, table: str) -> pd.DataFrame:
    path = folder / f"{table}.parquet"
    try:
        arrow = pq.read_table(path)
    except Exception as error:  # pyarrow raises several types for a damaged file
        raise UsageError(f"{path}: cannot be read as Parquet ({error})") from None
    meta = read_metadata(arrow.schema.metadata)
    if meta.get("format") not in READABLE_FORMATS:
        raise UsageError(f"{path}: written in run-folder layout {meta.get('format', '1')!r}; this "
                         f"version reads {', '.join(READABLE_FORMATS)} (solve the scenario again)")
    expected = SCHEMAS[table].names
    if arrow.schema.names != expected:
        raise UsageError(f"{path}: columns {arrow.schema.names} are not those of a {table} table")
    return arrow.to_pandas()


def _manifest(raw: dict[str, Any], folder: Path) -> Manifest:
    try:
        return Manifest(
            scenario=str(raw["scenario"]), engine_version=str(raw["engine_version"]),
            scenario_sha256=str(raw["scenario_sha256"]), money_unit=str(raw["money_unit"]),
            status=str(raw["status"]), optimal=bool(raw.get("optimal", False)),
            overrides=tuple(str(o) for o in raw.get("overrides", [])),
            solver=dict(raw.get("solver") or {}), objective=dict(raw.get("objective") or {}),
            warnings=tuple(str(w) for w in raw.get("warnings", [])),
            near=raw.get("near"), raw=raw)
    except (KeyError, TypeError) as error:
        raise UsageError(f"{folder / 'manifest.json'}: not a manifest of this tool ({error})") from None
