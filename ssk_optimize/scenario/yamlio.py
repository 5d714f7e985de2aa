"""Safe YAML reading that keeps where every value came from (file, line, column).

The text is composed into a node graph by libyaml (PyYAML's C composer, about 60 times faster than
a pure-Python parser on province-sized files) and then walked here, so every key and item keeps
its line and column. Values resolve by the YAML 1.2 core schema (``yes`` stays text, ``1e3`` is a
number). Only plain YAML data is accepted: any tag (``!!python/object``, ``!custom``,
``!!binary``, dates) is refused, so no document can construct objects. Alias bombs are stopped
before expansion: the number of values a document would expand to is counted on the node graph
(each shared node once), and oversized files are refused before they are parsed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ssk_optimize.errors import Issue, ScenarioError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_VALUES = 500_000
#: Deepest nesting of mappings and lists accepted (the format needs about six levels).
MAX_DEPTH = 50

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
    return parse_yaml_text(decode_utf8(path.read_bytes(), shown), shown)


def decode_utf8(data: bytes, shown: str) -> str:
    """UTF-8 text, or an issue at the line of the first byte that is not UTF-8.

    Never replaced silently: a name with a broken byte would reach the results as written wrong.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise ScenarioError([Issue("", f"byte {data[error.start]:#04x} is not UTF-8 text",
                                   file=shown, line=line, column=column,
                                   fix="save the file as UTF-8; most editors offer it under "
                                       "Save as > Encoding")]) from None


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml composer with YAML 1.2 core-schema scalar resolution."""


_Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9][0-9_]*|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("merge", r"^(?:<<)$", "<"),
):
    _Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))

class _Dumper(yaml.SafeDumper):
    """Quotes any text that a YAML 1.1 or a YAML 1.2 reader would take for something else."""


for _first, _resolvers in _Loader.yaml_implicit_resolvers.items():
    for _tag, _regexp in _resolvers:
        _Dumper.add_implicit_resolver(_tag, _regexp, [_first])


def dump_yaml(data: Any) -> str:
    """Block-style YAML in the data's own key order, readable back by :func:`parse_yaml_text`."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100)


_CORE = "tag:yaml.org,2002:"
_PLAIN_TAGS = {_CORE + name for name in ("str", "int", "float", "bool", "null")}


def parse_yaml_text(text: str, shown: str) -> tuple[Any, Locations]:
    """Parse YAML text; syntax errors become one issue with line and column."""
    try:
        document = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = error.problem or error.context or "invalid YAML"
        raise ScenarioError([Issue("", f"YAML syntax error: {problem}", file=shown, line=line,
                                   column=column, fix="fix the YAML at that line and column")]) from None
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        raise ScenarioError([Issue("", f"YAML could not be read: {error}", file=shown)]) from None
    if document is None:
        return None, {}
    if _expanded_size(document, {}) > MAX_VALUES:
        raise ScenarioError([Issue("", f"document expands to more than {MAX_VALUES:,} values "
                                   "(aliases repeated many times?)", file=shown,
                                   fix="remove the repeated aliases (&anchor / *alias)")])
    locations: Locations = {}
    issues: list[Issue] = []
    data = _Walk(shown, locations, issues).value(document, ())
    if issues:
        raise ScenarioError(issues)
    return data, locations


def _expanded_size(node: Node, sizes: dict[int, int]) -> int:
    """How many values ``node`` becomes once every alias is copied out; shared nodes count once.

    Memoised by node identity, so a billion-laughs document costs a few thousand steps, not a
    billion. A node that contains itself (a recursive alias) counts as one value.
    """
    if isinstance(node, ScalarNode):
        return 1
    key = id(node)
    if key in sizes:
        return sizes[key]
    sizes[key] = 1  # in progress: a recursive alias stops here
    children = [v for pair in node.value for v in pair] if isinstance(node, MappingNode) \
        else node.value
    total = 1
    for child in children:
        total += _expanded_size(child, sizes)
        if total > MAX_VALUES:
            break
    sizes[key] = total
    return total


def _scalar(node: ScalarNode) -> Any:
    """A plain scalar by the YAML 1.2 core schema (``010`` is ten, not eight)."""
    text, kind = node.value, node.tag[len(_CORE):]
    if kind == "str":
        return text
    if kind == "null":
        return None
    if kind == "bool":
        return text.lower() == "true"
    cleaned = text.replace("_", "")
    if kind == "int":
        for prefix, base in (("0o", 8), ("0x", 16)):
            if cleaned.startswith(prefix):
                return int(cleaned[2:], base)
        return int(cleaned, 10)
    lowered = cleaned.lower()
    if lowered.endswith((".inf", ".nan")):
        return float(lowered.replace(".inf", "inf").replace(".nan", "nan"))
    return float(cleaned)


class _Walk:
    """Turns composed nodes into dicts, lists and plain scalars, recording each child's place."""

    def __init__(self, shown: str, locations: Locations, issues: list[Issue]) -> None:
        self.shown, self.locations, self.issues = shown, locations, issues
        self.open: set[int] = set()  # collections being walked: their ids detect a recursive alias

    def value(self, node: Node, path: PathKey) -> Any:
        if isinstance(node, MappingNode | SequenceNode):
            return self.collection(node, path)
        if isinstance(node, ScalarNode) and node.tag in _PLAIN_TAGS:
            return _scalar(node)
        self.issue(path, node, f"YAML tag {node.tag} is not allowed",
                   "write plain values; tags never construct objects here")
        return None

    def collection(self, node: MappingNode | SequenceNode, path: PathKey) -> Any:
        """A mapping or list; a recursive alias or absurd nesting is an issue, not a crash."""
        if id(node) in self.open:
            self.issue(path, node, "recursive alias: this value contains itself",
                       "an alias (*name) may not point at a value that encloses it")
            return None
        if len(self.open) >= MAX_DEPTH:
            self.issue(path, node, f"nested more than {MAX_DEPTH} levels deep",
                       "scenario values are a few levels deep; check the brackets")
            return None
        self.open.add(id(node))
        try:
            return self.known_collection(node, path)
        finally:
            self.open.discard(id(node))

    def known_collection(self, node: MappingNode | SequenceNode, path: PathKey) -> Any:
        if isinstance(node, MappingNode) and node.tag == _CORE + "map":
            return self.mapping(node, path)
        if isinstance(node, SequenceNode) and node.tag == _CORE + "seq":
            return self.sequence(node, path)
        self.issue(path, node, f"YAML tag {node.tag} is not allowed",
                   "write plain values; tags never construct objects here")
        return None

    def mapping(self, node: MappingNode, path: PathKey) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        merged: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _CORE + "merge":
                merged += self.merge_pairs(value_node, path)
                continue
            key = self.value(key_node, path)
            if not isinstance(key, str | int) or isinstance(key, bool):
                if key is not None or key_node.tag in _PLAIN_TAGS:
                    self.issue(path, key_node, f"key {key!r} must be a name or a year")
                continue
            if key in result:
                first = self.locations[path + (key,)][1]
                self.issue(path + (key,), key_node, f'duplicate key "{key}" (first given at line '
                           f"{first})", "each key may appear once per mapping")
                continue
            self.place(path + (key,), key_node)
            result[key] = self.value(value_node, path + (key,))
        for key_node, value_node in merged:  # keys written out win over merged ones
            key = self.value(key_node, path)
            if isinstance(key, str | int) and not isinstance(key, bool) and key not in result:
                self.place(path + (key,), key_node)
                result[key] = self.value(value_node, path + (key,))
        return result

    def merge_pairs(self, node: Node, path: PathKey) -> list[tuple[Node, Node]]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        pairs: list[tuple[Node, Node]] = []
        for source in sources:
            if not isinstance(source, MappingNode):
                self.issue(path, node, "a merge key (<<) needs a mapping or a list of mappings")
                return []
            pairs += source.value
        return pairs

    def sequence(self, node: SequenceNode, path: PathKey) -> list[Any]:
        items: list[Any] = []
        for index, item in enumerate(node.value):
            key: str | int = index
            if isinstance(item, MappingNode):
                for key_node, value_node in item.value:
                    if key_node.value == "id" and isinstance(value_node, ScalarNode) \
                            and value_node.tag == _CORE + "str":
                        key = value_node.value
            self.locations.setdefault(path + (key,), self.mark(item))
            items.append(self.value(item, path + (key,)))
        return items

    def place(self, path: PathKey, node: Node) -> None:
        self.locations[path] = self.mark(node)

    def mark(self, node: Node) -> Location:
        return (self.shown, node.start_mark.line + 1, node.start_mark.column + 1)

    def issue(self, path: PathKey, node: Node, message: str, fix: str = "") -> None:
        _, line, column = self.mark(node)
        self.issues.append(Issue(_dotted(path), message, file=self.shown, line=line,
                                 column=column, fix=fix))


def _dotted(path: PathKey) -> str:
    return ".".join(str(part) for part in path)


def dotted(path: PathKey) -> str:
    """``('programs', 'ipal', 'region')`` -> ``programs.ipal.region``."""
    return _dotted(path)
