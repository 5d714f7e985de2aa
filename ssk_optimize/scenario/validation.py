"""Merged scenario dict -> frozen :class:`Scenario`, with every problem reported in one pass.

Regions, pools and programmes are validated item by item, so one bad programme does not hide the
problems of the others, and cross-reference checks still run on the items that are sound.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from ssk_optimize.errors import Issue, ScenarioError
from ssk_optimize.scenario.checks import check_references, check_warnings
from ssk_optimize.scenario.loading import location_of
from ssk_optimize.scenario.magnitudes import check_magnitudes, figure
from ssk_optimize.scenario.rules import resolve_rules
from ssk_optimize.scenario.schema import (
    EligibilityRule,
    Objective,
    PerRegion,
    Pool,
    Program,
    Region,
    RuleTable,
    Scenario,
    SolverSettings,
)
from ssk_optimize.scenario.yamlio import Locations, PathKey

SECTIONS: dict[str, type[BaseModel]] = {"regions": Region, "pools": Pool, "programs": Program}
_ALL_FIELDS = sorted({name for model in (Scenario, Region, Pool, Program, RuleTable, Objective,
                                         SolverSettings, EligibilityRule, PerRegion)
                      for name in model.model_fields} | {"extends", "file", "table"})


def build_scenario(data: dict[str, Any], locations: Locations) -> tuple[Scenario, list[Issue]]:
    """Validate merged data; raise :class:`ScenarioError` with every error, else return warnings."""
    issues: list[Issue] = []
    rules_data, rule_locations = _rules(data, locations, issues)
    locations = {**rule_locations, **locations}
    items: dict[str, list[BaseModel]] = {}
    raw_ids: dict[str, list[str]] = {}
    for section, model in SECTIONS.items():
        items[section], raw_ids[section] = _validate_items(data, section, model, locations, issues)
    header = {k: v for k, v in data.items() if k not in SECTIONS and k != "rules"}
    scenario = None
    rule_table = None
    if rules_data is not None:
        rule_table = _model_or_none(RuleTable, rules_data, ("rules",), data, locations, issues)
    # the header (horizon, money_unit, objective...) is checked even when the rules are broken,
    # against an empty stand-in table, so one run reports both
    header.update(rules=rule_table or RuleTable(eligibility={}),
                  **{k: tuple(v) for k, v in items.items()})
    scenario = _model_or_none(Scenario, header, (), data, locations, issues)
    if rule_table is None:
        scenario = None
    issues += check_references(data, items, raw_ids, locations)
    errors = [i for i in issues if i.severity == "error"]
    if errors or scenario is None:
        raise ScenarioError(issues)
    magnitudes = check_magnitudes(scenario, locations)
    errors = [i for i in magnitudes if i.severity == "error"]
    if errors:  # the checks below compute with these figures
        raise ScenarioError(errors)
    warnings = magnitudes + check_warnings(scenario, locations)
    errors = [i for i in warnings if i.severity == "error"]
    if errors:
        raise ScenarioError(errors)
    return scenario, warnings


def _rules(data: dict[str, Any], locations: Locations,
           issues: list[Issue]) -> tuple[dict[str, Any] | None, Locations]:
    """The rule table to validate, or None when it could not be assembled (issues say why)."""
    raw = data.get("rules")
    if raw is not None and not isinstance(raw, dict):
        issues.append(_issue(("rules",), "must be a mapping of rule settings", locations))
        return None, {}
    try:
        return resolve_rules(raw, locations)
    except ScenarioError as error:
        issues.extend(error.issues)
        return None, {}


def _validate_items(data: dict[str, Any], section: str, model: type[BaseModel],
                    locations: Locations, issues: list[Issue]) -> tuple[list[BaseModel], list[str]]:
    raw = data.get(section)
    if raw is None:
        issues.append(_issue((section,), f"required section `{section}` is missing", locations,
                             fix=f"add a `{section}:` list (see `ssk-opt init`)"))
        return [], []
    if not isinstance(raw, list):
        issues.append(_issue((section,), f"`{section}` must be a list of mappings", locations))
        return [], []
    valid: list[BaseModel] = []
    ids: list[str] = []
    for index, item in enumerate(raw):
        key: str | int = index
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            key = item["id"]
            ids.append(item["id"])
        if not isinstance(item, dict):
            issues.append(_issue((section, key), "each entry must be a mapping of keys", locations))
            continue
        found = _model_or_none(model, item, (section, key), data, locations, issues)
        if found is not None:
            valid.append(found)
    return valid, ids


def _model_or_none(model: type[BaseModel], raw: dict[str, Any], prefix: PathKey,
                   data: dict[str, Any], locations: Locations, issues: list[Issue]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        issues.extend(_convert(error, prefix, raw, locations))
        return None


def _convert(error: ValidationError, prefix: PathKey, raw: dict[str, Any],
             locations: Locations) -> list[Issue]:
    """Pydantic errors -> issues with our key paths, lines and a fix; one issue per path.

    Never returns an empty list for a failed model: an entry that fails validation is always
    reported, so no region, pool or programme can vanish from a scenario silently.
    """
    seen: dict[PathKey, Issue] = {}
    details = error.errors()
    # a mapping key that is itself invalid (an unknown source type) explains every error below it
    bad_keys = {_clean_loc(d["loc"], raw)[0] for d in details if "[key]" in d["loc"]}
    for detail in details:
        loc, union_branch = _clean_loc(detail["loc"], raw)
        value = _value_at(raw, loc[:1])
        if union_branch and (("dict" in union_branch) != isinstance(value, dict)):
            continue  # an error from the union branch that does not match the value's shape
        if "[key]" not in detail["loc"] and any(loc[:len(k)] == k for k in bad_keys):
            continue
        path = prefix + loc
        if path not in seen:
            message, fix = _message(detail, loc)
            seen[path] = _issue(path, message, locations, fix)
    if not seen:  # every error was filtered as a union branch: report the first one as it is
        loc, _ = _clean_loc(details[0]["loc"], raw)
        message, fix = _message(details[0], loc)
        seen[prefix + loc] = _issue(prefix + loc, message, locations, fix)
    return list(seen.values())


#: Pydantic names the branch of a union it tried in the error location (``float``,
#: ``dict[int,constrained-float]``, ``function-after[...]``); these are not keys of the scenario.
_BRANCH_NAMES = frozenset({"float", "int", "str", "bool", "none", "dict", "list", "tuple"})
#: Fields of models whose YAML form is a flat mapping (a target's year: share entries sit beside
#: its ``trajectory``): not keys of the scenario, so an error below one is placed at the mapping.
_FLAT_FIELDS = frozenset({"shares"})


def _clean_loc(loc: tuple[Any, ...], raw: Any) -> tuple[PathKey, str]:
    """The key path of an error location, without union branch tags; and the first tag.

    The location is walked alongside the raw data, so a user's key that looks like a tag
    (``2025-2026``, ``akses-layak``) stays a key and is reported at its own place.
    """
    cleaned: list[str | int] = []
    branch = ""
    node = raw
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list | tuple) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(part, str) and ("[" in part or "-" in part or part in _BRANCH_NAMES):
            branch = branch or part
            continue
        elif part in _FLAT_FIELDS and isinstance(node, dict):
            continue
        else:
            node = None
        cleaned.append(int(part) if isinstance(part, str) and part.isdigit() else part)
    return tuple(cleaned), branch


def _value_at(raw: Any, loc: PathKey) -> Any:
    for part in loc:
        raw = raw.get(part) if isinstance(raw, dict) else None
    return raw


def _message(detail: Any, loc: PathKey) -> tuple[str, str]:
    kind, ctx, value = detail["type"], detail.get("ctx", {}), detail.get("input")
    last = str(loc[-1]) if loc else ""
    if kind == "missing" and isinstance(loc[-1] if loc else None, int):
        return f"too few values: item {int(last) + 1} is missing", ""
    if kind == "missing":
        return f"required key `{last}` is missing", f"add `{last}: ...`"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(last, _ALL_FIELDS, n=1)
        return f"unknown key '{last}'" + (f" (did you mean '{close[0]}'?)" if close else ""), \
            "remove it or correct its spelling"
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", ""))
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",")]
        close = difflib.get_close_matches(str(value), options, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"{value!r} is not one of {expected}{hint}", ""
    if kind == "finite_number":
        return f"must be a finite number, got {value!r}", "NaN and infinity are not money or counts"
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        sign = ">=" if kind == "greater_than_equal" else ">"
        return f"must be {sign} {figure(bound)}, got {figure(value)}", \
            "money, counts and shares cannot be negative"
    if kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        fix = "shares are written 0..1, e.g. 0.9 for 90%" if bound == 1 else ""
        return f"must be at most {figure(bound)}, got {figure(value)}", fix
    if kind == "string_pattern_mismatch":
        return f"{value!r} is not a valid id", "ids use letters, digits, _ . and - only"
    if kind == "value_error":
        return str(detail["msg"]).removeprefix("Value error, "), ""
    if kind in ("float_type", "int_type", "bool_type") and ("[key]" not in detail["loc"]):
        return _strict_message(kind, value)
    if kind == "int_type" and isinstance(value, str):
        if "targets" in loc:
            close = difflib.get_close_matches(value, ["trajectory"], n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            return f"key {value!r} is neither a year nor `trajectory`{hint}", \
                "a target maps years to shares, e.g. {2027: 0.78, 2029: 0.9, trajectory: linear}"
        return f"key {value!r} is not a year", "years are written as numbers, one per key: 2025: 50"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"wrong type: {detail['msg'].lower()}, got {value!r}", ""
    return str(detail["msg"]), ""


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:[.,]\d{3})+$")


def _strict_message(kind: str, value: Any) -> tuple[str, str]:
    """Why a value is not the number (or true/false) the key needs, and what to write instead."""
    wanted = {"float_type": "a number", "int_type": "a whole number",
              "bool_type": "true or false"}[kind]
    if isinstance(value, bool):
        return f"must be {wanted}, got {str(value).lower()}", "true/false is not a number"
    if not isinstance(value, str):
        return f"must be {wanted}, got {value!r}", ""
    text = value.strip()
    if kind == "bool_type":
        return f"must be true or false, got text {value!r}", "write true or false without quotes"
    if _THOUSANDS.match(text):
        digits = re.sub(r"[.,]", "", text)
        return f"must be {wanted}, got text {value!r}", \
            f"write {digits}; Indonesian thousands separators are not decimal points"
    try:
        number = float(text)
    except ValueError:
        return f"must be {wanted}, got text {value!r}", "write digits, e.g. 100 (no quotes)"
    plain = f"{number:g}" if not text.lstrip("+").isdigit() else text.lstrip("+")
    return f"must be {wanted}, got text {value!r}", f"write {plain} without quotes or spaces"


def _issue(path: PathKey, message: str, locations: Locations, fix: str = "") -> Issue:
    file, line, column = location_of(locations, path)
    return Issue(".".join(str(p) for p in path), message, file=file, line=line, fix=fix)
