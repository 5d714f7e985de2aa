"""Command-line overrides: ``--set PATH=VALUE``, ``--set PATH*=FACTOR``, ``--set PATH+=AMOUNT``.

A path is dotted keys; a list of mappings is entered by item id (``pools.dak_lamandau``) or by a
selector that may match many items (``pools[source=DAK]``, ``programs[*]``); a list of plain values
by position (``horizon.1``). Multiplying a mapping scales every number inside it; ``budget*=`` (or
``+=``) on a pool projected from ``base`` scales ``base.amount``. Values are read as YAML with the
same safety rules as scenario files (no tags); scaling a target keeps its ``trajectory``. A
number computed by ``*=`` or ``+=`` is rounded to 12 significant digits, so an override gives the
figure a file would hold.

An intermediate key must exist, unless it is a key of the scenario format (``rules``, ``objective``,
``solver``, a field such as ``serves``), a year or a source type: those start as an empty mapping,
so ``--set rules.bantuan_keuangan=true`` works on a file without a ``rules:`` block. Anything else
(a typo) is an invalid scenario, never a silent new key.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any

from ssk_optimize.errors import Issue, ScenarioError
from ssk_optimize.scenario.schema import (
    BudgetBase,
    EligibilityRule,
    Objective,
    PerRegion,
    Pool,
    Program,
    Realisation,
    Region,
    RuleTable,
    Scenario,
    SolverSettings,
)
from ssk_optimize.scenario.vocabulary import SOURCE_TYPES
from ssk_optimize.scenario.yamlio import Locations, parse_yaml_text

_SEGMENT = re.compile(r"^(?P<name>[^\[\]]+)?(?:\[(?P<selector>[^\]]*)\])?$")

#: Keys that may be created on the way to a value (they are part of the scenario format).
_FORMAT_KEYS = frozenset(
    {name for model in (Scenario, RuleTable, EligibilityRule, Region, Pool, BudgetBase,
                        Realisation, PerRegion, Program, Objective, SolverSettings)
     for name in model.model_fields} | set(SOURCE_TYPES))


@dataclass(frozen=True)
class Override:
    """One parsed ``--set``: where, how (``=``, ``*=``, ``+=``) and the value."""

    text: str
    segments: tuple[str, ...]
    operator: str
    value: Any


def parse_override(text: str) -> Override:
    """Split ``pools[source=DAK].budget*=0.7`` into path segments, operator and value."""
    depth, cut, operator = 0, -1, ""
    for index, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth == 0 and text[index:index + 2] in ("*=", "+="):
            cut, operator = index, text[index:index + 2]
            break
        if depth == 0 and char == "=":
            cut, operator = index, "="
            break
    if cut <= 0:
        raise ScenarioError([_issue(text, "expected PATH=VALUE, PATH*=FACTOR or PATH+=AMOUNT")])
    path, raw = text[:cut].strip(), text[cut + len(operator):].strip()
    segments = tuple(_split_path(path))
    try:
        value = parse_yaml_text(raw, "command line")[0] if raw else None
    except ScenarioError as error:
        problems = "; ".join(issue.message for issue in error.issues)
        raise ScenarioError([_issue(text, f"cannot read the value {raw!r}: {problems}")]) from None
    if operator != "=" and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise ScenarioError([_issue(text, f"{operator} needs a number, got {raw!r}")])
    return Override(text, segments, operator, value)


def apply_overrides(data: dict[str, Any], locations: Locations, texts: tuple[str, ...]) -> None:
    """Apply every ``--set`` in order; collect every unknown path before raising."""
    issues: list[Issue] = []
    for text in texts:
        try:
            override = parse_override(text)
            _apply(data, locations, override)
        except ScenarioError as error:
            issues.extend(error.issues)
    if issues:
        raise ScenarioError(issues)


def _split_path(path: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in path:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "." and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _apply(data: dict[str, Any], locations: Locations, override: Override) -> None:
    targets: list[tuple[Any, Any, tuple[Any, ...]]] = [(None, data, ())]
    last = len(override.segments) - 1
    for position, segment in enumerate(override.segments):
        match = _SEGMENT.match(segment)
        if not segment or match is None:
            raise ScenarioError([_issue(override.text, f"cannot read path segment {segment!r}")])
        name, selector = match.group("name"), match.group("selector")
        next_targets = []
        for _, node, path in targets:
            if name is not None:
                next_targets.extend(_step(node, name, path, override, final=position == last
                                          and selector is None))
            else:
                next_targets.append((None, node, path))
        if selector is not None:
            next_targets = _select(next_targets, selector, override)
        targets = next_targets
    for parent, _, path in targets:
        _write(parent, path[-1], override)
        locations[tuple(path)] = (f"--set {override.text}", 0, 0)


def _step(node: Any, name: str, path: tuple[Any, ...], override: Override,
          final: bool) -> list[tuple[Any, Any, tuple[Any, ...]]]:
    if isinstance(node, dict):
        key = _dict_key(node, name)
        if (final and name == "budget" and key is None and override.operator != "="
                and isinstance(node.get("base"), dict)):
            # scaling the budget of a projected pool scales its base amount
            return [(node["base"], node["base"].get("amount"), path + ("base", "amount"))]
        if key is None and final:
            key = int(name) if name.isdigit() else name
            return [(node, None, path + (key,))]
        if key is None and (name in _FORMAT_KEYS or name.isdigit()):
            key = int(name) if name.isdigit() else name
            node[key] = {}
        if key is None:
            raise ScenarioError([_unknown(override, path, name, [str(k) for k in node])])
        return [(node, node[key], path + (key,))]
    if isinstance(node, list):
        ids = [item.get("id") for item in node if isinstance(item, dict)]
        for item in node:
            if isinstance(item, dict) and item.get("id") == name:
                return [(node, item, path + (name,))]
        if name.isdigit() and int(name) < len(node) and not ids:
            return [(node, node[int(name)], path + (int(name),))]
        raise ScenarioError([_unknown(override, path, name, [str(i) for i in ids if i is not None])])
    raise ScenarioError([_issue(override.text, f"{'.'.join(map(str, path))} is a single value; "
                                f"it has no key {name!r}")])


def _select(targets: list[tuple[Any, Any, tuple[Any, ...]]], selector: str,
            override: Override) -> list[tuple[Any, Any, tuple[Any, ...]]]:
    chosen = []
    for _, node, path in targets:
        if not isinstance(node, list):
            raise ScenarioError([_issue(override.text, f"[{selector}] selects items of a list, "
                                        f"but {'.'.join(map(str, path))} is not a list")])
        key, _, wanted = selector.partition("=")
        for index, item in enumerate(node):
            if not isinstance(item, dict):
                continue
            if selector.strip() == "*" or _matches(item.get(key.strip()), wanted.strip()):
                chosen.append((node, item, path + (item.get("id", index),)))
    if not chosen:
        raise ScenarioError([_issue(override.text, f"selector [{selector}] matches nothing")])
    return chosen


def _matches(value: Any, wanted: str) -> bool:
    if isinstance(value, bool):  # [firm=false] as YAML writes it
        return str(value).lower() == wanted.lower()
    return str(value) == wanted


def _dict_key(node: dict[Any, Any], name: str) -> Any:
    if name in node:
        return name
    if name.isdigit() and int(name) in node:
        return int(name)
    return None


def _write(parent: Any, key: Any, override: Override) -> None:
    if isinstance(parent, list) and isinstance(key, str):
        key = next(i for i, item in enumerate(parent) if isinstance(item, dict) and item.get("id") == key)
    if override.operator == "=":
        parent[key] = override.value
        return
    if key not in (parent if isinstance(parent, dict) else range(len(parent))):
        raise ScenarioError([_issue(override.text, f"{override.operator} needs an existing value")])
    parent[key] = _scale(parent[key], override)


def _scale(value: Any, override: Override) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        result = value * override.value if override.operator == "*=" else value + override.value
        return _significant(result)
    if isinstance(value, dict):  # a target's `trajectory: linear` is kept, its shares scaled
        return {k: v if k == "trajectory" and isinstance(v, str) else _scale(v, override)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_scale(v, override) for v in value]
    raise ScenarioError([_issue(override.text, f"{override.operator} needs numbers, found text")])


def _significant(number: int | float) -> int | float:
    """A computed number rounded to 12 significant digits (integers kept), so ``5200 * 0.7`` is
    3640 as written in a file, not 3639.9999999999995: the override and the file it stands for
    give the same resolved scenario and the same plan (docs/formulation.md, "Order and ties")."""
    if isinstance(number, float) and math.isfinite(number):
        return float(f"{number:.12g}")
    return number


def _unknown(override: Override, path: tuple[Any, ...], name: str, known: list[str]) -> Issue:
    where = ".".join(map(str, path)) or "the top level"
    message = f"unknown path: {where} has no {name!r}"
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        message += f" (did you mean {close[0]!r}?)"
    return _issue(override.text, message)


def _issue(text: str, message: str) -> Issue:
    return Issue(f"--set {text}", message, file="command line",
                 fix="paths look like pools.dak_lamandau.budget.2027 or pools[source=DAK].budget")
