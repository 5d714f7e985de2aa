"""Scenario files -> one merged plain dict with a location map.

Handles ``extends:`` (one path or a list; deep merge; lists of mappings merge by ``id``; relative
paths resolve from the file that names them; cycles refused) and ``{table: file.csv|.parquet}``
sections for large regions / pools / programmes lists.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ssk_optimize.errors import Issue, ScenarioError
from ssk_optimize.scenario.yamlio import Location, Locations, PathKey, display_name, read_yaml_file

TABLE_SECTIONS = ("regions", "pools", "programs")
#: Table columns kept as text even when a cell looks like a number or JSON (ids such as ``001``,
#: budget codes such as ``1.03``).
TEXT_COLUMNS = frozenset({"id", "name", "code", "region", "province", "holder", "source",
                          "subsector", "kind", "scale", "unit", "reference", "description"})


def load_merged(path: Path) -> tuple[dict[str, Any], Locations, list[Path]]:
    """Read ``path`` and everything it extends; return merged data, locations and files read."""
    files: list[Path] = []
    data, locations = _load(safe_resolve(path), (), files, shown=display_name(path))
    return data, locations, files


def _load(path: Path, stack: tuple[Path, ...], files: list[Path],
          shown: str | None = None) -> tuple[dict[str, Any], Locations]:
    shown = shown or display_name(path)
    data, locations = read_yaml_file(path, shown)
    files.append(path)
    locations[()] = (shown, 0, 0)  # problems with no nearer location point at the file
    if data is None:
        raise ScenarioError([Issue("", "the file is empty", file=shown, line=1,
                                   fix="start from `ssk-opt init DIR`, which writes a starter scenario")])
    if not isinstance(data, dict):
        raise ScenarioError([Issue("", f"the top level is a {_kind(data)}, expected a mapping of keys "
                                   "(scenario:, horizon:, regions:, ...)", file=shown, line=1)])
    issues: list[Issue] = []
    _expand_tables(data, locations, path.parent, shown, issues)
    _resolve_rule_file(data, path.parent)
    parents = data.pop("extends", None)
    if issues:
        raise ScenarioError(issues)
    if parents is None:
        return data, locations
    merged, merged_locations = _load_parents(parents, path, stack, files, shown, locations)
    merge_into(merged, data, merged_locations, locations)
    return merged, merged_locations


def _load_parents(parents: Any, path: Path, stack: tuple[Path, ...], files: list[Path],
                  shown: str, locations: Locations) -> tuple[dict[str, Any], Locations]:
    line = locations.get(("extends",), (shown, 0, 0))[1]
    names = [parents] if isinstance(parents, str) else parents
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ScenarioError([Issue("extends", "must be a file path or a list of file paths",
                                   file=shown, line=line)])
    merged: dict[str, Any] = {}
    merged_locations: Locations = {}
    for name in names:
        try:
            parent = (path.parent / name).resolve(strict=True)
        except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop (Python 3.11)
            missing = isinstance(error, FileNotFoundError)
            what = "not found" if missing else f"cannot be opened ({_os_reason(error)})"
            raise ScenarioError([Issue("extends", f"extended file {what}: {name} (looked for "
                                       f"{display_name(path.parent / name)})", file=shown,
                                       line=line, fix="paths in `extends` are relative to this "
                                       "file; a symbolic link must not point at itself")]) from None
        if parent in stack + (path,):
            chain = " -> ".join(display_name(p) for p in stack + (path, parent))
            raise ScenarioError([Issue("extends", f"extends cycle: {chain}", file=shown, line=line,
                                       fix="remove one of the `extends` links")])
        if not parent.is_file():
            raise ScenarioError([Issue("extends", f"extended file not found: {name} "
                                       f"(looked for {display_name(parent)})", file=shown, line=line,
                                       fix="paths in `extends` are relative to this file")])
        data, parent_locations = _load(parent, stack + (path,), files)
        merge_into(merged, data, merged_locations, parent_locations)
    return merged, merged_locations


def safe_resolve(path: Path) -> Path:
    """``path.resolve()``, or the plain absolute path when it cannot resolve (a symlink loop);
    the caller's "not found" check then reports it instead of a crash."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def merge_into(base: dict[str, Any], over: dict[str, Any],
               base_locations: Locations, over_locations: Locations) -> None:
    """Deep-merge ``over`` into ``base`` in place; lists of mappings with ``id`` merge by id."""
    _merge_dict(base, over)
    base_locations.update(over_locations)


def _merge_dict(base: dict[Any, Any], over: dict[Any, Any]) -> None:
    for key, value in over.items():
        if key in base and isinstance(base[key], dict) and isinstance(value, dict):
            _merge_dict(base[key], value)
        elif key in base and _is_id_list(base[key]) and _is_id_list(value):
            base[key] = _merge_by_id(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def _is_id_list(value: Any) -> bool:
    # ids must be hashable to merge by them; a list or mapping as id is left for validation
    return isinstance(value, list) and all(
        isinstance(v, dict) and isinstance(v.get("id"), str | int) for v in value)


def _merge_by_id(base: list[dict[str, Any]], over: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged = [copy.deepcopy(item) for item in base]
    position = {item["id"]: index for index, item in enumerate(merged)}
    seen: set[Any] = set()
    for item in over:
        if item["id"] in position and item["id"] not in seen:
            _merge_dict(merged[position[item["id"]]], item)
        else:  # a new id, or one repeated within ``over``: kept, so validation reports it
            position[item["id"]] = len(merged)
            merged.append(copy.deepcopy(item))
        seen.add(item["id"])
    return merged


def _resolve_rule_file(data: dict[str, Any], folder: Path) -> None:
    rules = data.get("rules")
    if isinstance(rules, dict) and isinstance(rules.get("file"), str):
        rules["file"] = str(safe_resolve(folder / rules["file"]))


# --------------------------------------------------------------------------- tables


def _expand_tables(data: dict[str, Any], locations: Locations, folder: Path, shown: str,
                   issues: list[Issue]) -> None:
    """Replace ``programs: {table: x.csv}`` by the table's rows, each row located at its line."""
    for section in TABLE_SECTIONS:
        value = data.get(section)
        if not (isinstance(value, dict) and "table" in value):
            continue
        line = locations.get((section,), (shown, 0, 0))[1]
        extra = sorted(set(value) - {"table"})
        if extra or not isinstance(value["table"], str):
            issues.append(Issue(section, "a table section takes one key, `table: FILE.csv|.parquet`",
                                file=shown, line=line))
            continue
        table_path = safe_resolve(folder / value["table"])
        if not table_path.is_file():
            issues.append(Issue(f"{section}.table", f"table not found: {value['table']} (looked for "
                                f"{display_name(table_path)})", file=shown, line=line,
                                fix="paths are relative to the file that names them"))
            continue
        table_name = display_name(table_path)
        try:
            rows = read_table_rows(table_path, section, table_name, locations, issues)
        except (OSError, ValueError, ImportError, RecursionError) as error:
            issues.append(Issue(f"{section}.table", f"cannot read table {value['table']}: "
                                f"{_reason(error)}", file=shown, line=line,
                                fix="paths are relative to this file"))
            continue
        data[section] = rows


def read_table_rows(path: Path, section: str = "", shown: str = "",
                    locations: Locations | None = None,
                    issues: list[Issue] | None = None) -> list[dict[str, Any]]:
    """Rows of a CSV or Parquet table as dicts; empty cells dropped; JSON text cells decoded.

    Each row and cell is located at its file, row (the CSV line; the 1-based row for Parquet) and
    column, so a problem inside a table is reported there; a cell that cannot be decoded is an
    issue at its row and column, and its row is still read (without that cell).
    """
    import pandas as pd  # imported here: only scenarios with tables pay for pandas at load time

    suffix = path.suffix.lower()
    if suffix == ".csv":
        _check_utf8(path)
        frame = pd.read_csv(path, dtype=object, keep_default_na=False)
    elif suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
    else:
        raise ValueError(f"unsupported table format {suffix!r}; use .csv or .parquet")
    locations = {} if locations is None else locations
    issues = [] if issues is None else issues
    header = 1 if suffix == ".csv" else 0
    columns = [str(c) for c in frame.columns]
    rows = []
    for index, record in enumerate(frame.itertuples(index=False, name=None)):
        line = index + 1 + header
        raw_id = record[columns.index("id")] if "id" in columns else None
        key: str | int = raw_id if isinstance(raw_id, str) and raw_id.strip() else index
        if isinstance(key, str):
            key = key.strip()
        locations[(section, key)] = (shown, line, 0)
        if key != index:
            locations.setdefault((section, index), (shown, line, 0))
        row: dict[str, Any] = {}
        for position, (column, value) in enumerate(zip(columns, record, strict=True)):
            where = (shown, line, position + 1)
            locations[(section, key, column)] = where
            try:
                decoded = _decode_cell(value, column in TEXT_COLUMNS)
            except ValueError as error:
                issues.append(Issue(f"{section}.{key}.{column}", str(error), file=shown, line=line,
                                    column=position + 1,
                                    fix="mapping and list cells are JSON, e.g. {\"2025\": 50}"))
                continue
            if decoded is not _EMPTY:
                row[column] = decoded
        rows.append(row)
    return rows


def _check_utf8(path: Path) -> None:
    """Refuse a table that is not UTF-8 text, naming the line of the first bad byte."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ValueError(f"line {line} is not UTF-8 text (byte {data[error.start]:#04x}); "
                         "save the table as UTF-8") from None


def _os_reason(error: BaseException) -> str:
    if isinstance(error, RuntimeError) or getattr(error, "errno", None) == 40:  # ELOOP
        return "symbolic link loop"
    return getattr(error, "strerror", None) or str(error)


def _reason(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "the data is nested too deeply"
    return str(error)


_EMPTY = object()
_DOTTED_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+$")
#: Deepest nesting accepted in a JSON cell (scenario values are at most a few levels deep).
MAX_CELL_DEPTH = 20


def _decode_cell(value: Any, text_column: bool) -> Any:
    """One table cell as scenario data: numbers stay numbers, JSON text becomes data.

    JSON object keys are always text, so year keys (``{"2025": 50}``) become the years they are.
    """
    if hasattr(value, "tolist"):  # a numpy scalar or array (Parquet list column)
        value = value.tolist()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return _EMPTY
    if not isinstance(value, str):
        return _year_keys(value)
    text = value.strip()
    if text_column:
        return text
    if text[:1] in "{[":
        depth = _nesting(text)
        if depth > MAX_CELL_DEPTH:
            raise ValueError(f"cell is nested {depth} levels deep (at most {MAX_CELL_DEPTH})")
        try:
            return _year_keys(json.loads(text))
        except json.JSONDecodeError as error:
            raise ValueError(f"cell {text[:40]!r} is not valid JSON: {error.msg} "
                             f"(character {error.pos + 1})") from None
    if _DOTTED_THOUSANDS.match(text):
        raise ValueError(f"{text!r} is ambiguous: write {text.replace('.', '')} for "
                         f"{int(text.replace('.', '')):,}, or {float(text):g} for the decimal "
                         "(Indonesian thousands separators are not decimal points)")
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for number in (int, float):
        try:
            return number(text)
        except ValueError:
            pass
    return text


def _nesting(text: str) -> int:
    """Deepest bracket nesting of JSON text, counted without parsing (strings ignored roughly)."""
    depth = deepest = 0
    for char in text:
        if char in "{[":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "}]":
            depth -= 1
    return deepest


def _year_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {int(k) if isinstance(k, str) and k.isdigit() else k: _year_keys(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_year_keys(v) for v in value]
    return value


def _kind(value: Any) -> str:
    return {list: "list", str: "text", int: "number", float: "number", bool: "true/false"}.get(
        type(value), type(value).__name__)


def location_of(locations: Mapping[PathKey, Location], path: PathKey) -> tuple[str, int, int]:
    """The location of ``path`` or of its nearest located ancestor."""
    for cut in range(len(path), -1, -1):
        found = locations.get(path[:cut])
        if found is not None:
            return found
    return ("", 0, 0)
