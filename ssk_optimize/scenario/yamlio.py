"""Safe YAML reading that keeps where every value came from (file, line, column).

Only plain YAML data is accepted: any tag (``!!python/object``, ``!custom``, ``!!binary``) is refused,
so no document can construct objects. Alias bombs are stopped before expansion: the number of values
a document would expand to is counted on the parsed graph (each shared node once), and oversized
files are refused before they are parsed.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ssk_optimize.errors import Issue, ScenarioError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_VALUES = 500_000

PathKey = tuple[str | int, ...]
Location = tuple[str, int, int]  # display file, 1-based line, 1-based column
Locations = dict[PathKey, Location]


def display_name(path: Path) -> str:
    """A file name as a user reads it in a message: relative to the working folder when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


def read_yaml_file(path: Path, shown: str | None = None) -> tuple[Any, Locations]:
    """Read one YAML file into plain Python data plus a location for every key and item."""
    shown = shown or display_name(path)
    if not path.is_file():
        raise ScenarioError([Issue("", f"file not found: {shown}", file=shown,
                                   fix="check the path; relative paths start at the file that names them")])
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ScenarioError([Issue("", f"file is {size / 2**20:.1f} MiB, above the "
                                   f"{MAX_FILE_BYTES // 2**20} MiB limit for YAML", file=shown,
                                   fix="keep large lists in CSV or Parquet with `table:`")])
    text = path.read_text(encoding="utf-8", errors="replace")
    return parse_yaml_text(text, shown)


def parse_yaml_text(text: str, shown: str) -> tuple[Any, Locations]:
    """Parse YAML text; syntax errors become one issue with line and column."""
    yaml = YAML(typ="rt", pure=True)
    try:
        document = yaml.load(text)
    except DuplicateKeyError as error:
        mark = error.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise ScenarioError([Issue("", f"duplicate key: {error.problem}", file=shown, line=line,
                                   column=column, fix="each key may appear once per mapping")]) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = error.problem or error.context or "invalid YAML"
        raise ScenarioError([Issue("", f"YAML syntax error: {problem}", file=shown, line=line,
                                   column=column, fix="fix the YAML at that line and column")]) from None
    except (YAMLError, ValueError, RecursionError) as error:
        raise ScenarioError([Issue("", f"YAML could not be read: {error}", file=shown)]) from None
    size = _expanded_size(document, {})
    if size > MAX_VALUES:
        raise ScenarioError([Issue("", f"document expands to more than {MAX_VALUES:,} values "
                                   "(aliases repeated many times?)", file=shown,
                                   fix="remove the repeated aliases (&anchor / *alias)")])
    locations: Locations = {}
    issues: list[Issue] = []
    data = _to_plain(document, (), shown, locations, issues)
    if issues:
        raise ScenarioError(issues)
    return data, locations


def _expanded_size(node: Any, sizes: dict[int, int]) -> int:
    """How many values ``node`` becomes once every alias is copied out; shared nodes count once.

    Memoised by node identity, so a billion-laughs document costs a few thousand steps, not a
    billion. A node that contains itself (a recursive alias) counts as one value.
    """
    if not isinstance(node, dict | list):
        return 1
    key = id(node)
    if key in sizes:
        return sizes[key]
    sizes[key] = 1  # in progress: a recursive alias stops here
    children = node.values() if isinstance(node, dict) else node
    total = 1
    for child in children:
        total += _expanded_size(child, sizes)
        if total > MAX_VALUES:
            break
    sizes[key] = total
    return total


def _tag_of(node: Any) -> str | None:
    tag = getattr(node, "tag", None)
    value = getattr(tag, "value", tag)
    return value if isinstance(value, str) and value else None


def _to_plain(node: Any, path: PathKey, shown: str, locations: Locations,
              issues: list[Issue]) -> Any:
    """Copy ruamel's round-trip nodes into dicts/lists, recording each child's line."""
    tag = _tag_of(node)
    if tag is not None:
        line, column = _node_position(node)
        if not line:  # tagged scalars carry no position: point at their key instead
            _, line, column = locations.get(path, (shown, 0, 0))
        issues.append(Issue(_dotted(path), f"YAML tag {tag} is not allowed", file=shown, line=line,
                            column=column, fix="write plain values; tags never construct objects here"))
        return None
    if isinstance(node, CommentedMap):
        result: dict[Any, Any] = {}
        for key in node:
            try:
                line, column = node.lc.key(key)
            except KeyError:  # a key brought in by a merge (`<<: *anchor`): point at the mapping
                line, column = node.lc.line or 0, node.lc.col or 0
            if not isinstance(key, str | int) or isinstance(key, bool):
                issues.append(Issue(_dotted(path), f"key {key!r} must be a name or a year",
                                    file=shown, line=line + 1, column=column + 1))
                continue
            child_path = path + (key,)
            locations[child_path] = (shown, line + 1, column + 1)
            result[key] = _to_plain(node[key], child_path, shown, locations, issues)
        return result
    if isinstance(node, CommentedSeq):
        items: list[Any] = []
        for index, item in enumerate(node):
            line, column = node.lc.item(index)
            item_key: str | int = index
            if isinstance(item, CommentedMap) and isinstance(item.get("id"), str):
                item_key = item["id"]
            child_path = path + (item_key,)
            locations.setdefault(child_path, (shown, line + 1, column + 1))
            items.append(_to_plain(item, child_path, shown, locations, issues))
        return items
    if isinstance(node, bytes | dt.date | dt.datetime):
        _, line, column = locations.get(path, (shown, 0, 0))
        issues.append(Issue(_dotted(path), f"value of type {type(node).__name__} is not allowed",
                            file=shown, line=line, column=column,
                            fix="write years as plain numbers and text in quotes"))
        return None
    if isinstance(node, str):
        return str(node)  # drop ruamel's scalar string subclasses
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _node_position(node: Any) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    if lc is not None and getattr(lc, "line", None) is not None:
        return lc.line + 1, (lc.col or 0) + 1
    return 0, 0


def _dotted(path: PathKey) -> str:
    return ".".join(str(part) for part in path)


def dotted(path: PathKey) -> str:
    """``('programs', 'ipal', 'region')`` -> ``programs.ipal.region``."""
    return _dotted(path)
