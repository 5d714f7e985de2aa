"""The funding rule table: defaults from ``data/rules/indonesia.yaml``, amended by the scenario.

Also the one implementation of rule evaluation: :func:`eligibility_reasons` decides, for every
programme and source type at once (vectorised over programmes), whether the rule row allows it, and
if not, which rule field excludes it. Validation warnings and the model's eligible pairs both use it.
"""

from __future__ import annotations

import copy
import functools
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ssk_optimize.errors import Issue, ScenarioError
from ssk_optimize.scenario.schema import EligibilityRule, RuleTable
from ssk_optimize.scenario.vocabulary import SOURCE_TYPES
from ssk_optimize.scenario.yamlio import Locations, display_name, read_yaml_file

DEFAULT_RULES_NAME = "indonesia.yaml"


def default_rules_path() -> Path:
    """The packaged default rule table (``data/rules/indonesia.yaml`` in the source tree)."""
    packaged = resources.files("ssk_optimize") / "data" / "rules" / DEFAULT_RULES_NAME
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "data" / "rules" / DEFAULT_RULES_NAME


def resolve_rules(amendment: Any, locations: Locations) -> tuple[dict[str, Any], Locations]:
    """Merge the scenario's ``rules:`` block into the default (or replacement) rule table.

    Eligibility rows merge field by field, so ``rules.eligibility.APBN.kinds`` replaces only that
    field; ``rules.eligibility.HIBAH: null`` removes a row. ``rules.file`` replaces the whole
    default table before amendments apply.
    """
    amendment = copy.deepcopy(amendment) if isinstance(amendment, dict) else {}
    rule_file = amendment.pop("file", None)
    rows_amended = amendment.pop("eligibility", None)
    issues: list[Issue] = []
    if rule_file is not None and not (isinstance(rule_file, str) and Path(rule_file).is_file()):
        what = f"rule table not found: {display_name(Path(rule_file))}" \
            if isinstance(rule_file, str) else \
            f"must be the path of a rule table file, got {rule_file!r}"
        issues.append(_issue(("rules", "file"), what, locations,
                             "the path is relative to the scenario file that names it"))
    if rows_amended is not None and not isinstance(rows_amended, dict):
        issues.append(_issue(("rules", "eligibility"), "must be a mapping of source type to rule "
                             "fields, e.g. {APBN: {kinds: [construction]}}", locations))
    if issues:
        raise ScenarioError(issues)
    if isinstance(rule_file, str):
        base, base_locations = read_yaml_file(Path(rule_file))
        _check_rule_file(base, rule_file, locations)
    else:
        base, base_locations = _read_default_table()
    prefixed: Locations = {("rules",) + key: where for key, where in base_locations.items()}
    prefixed.update({key: where for key, where in locations.items() if key[:1] == ("rules",)})
    rows = base.setdefault("eligibility", {})
    if isinstance(rows, dict):
        for source, row in (rows_amended or {}).items():
            if row is None and source in SOURCE_TYPES:
                rows.pop(source, None)  # `HIBAH: null` removes the row: that source funds nothing
            elif isinstance(row, dict) and isinstance(rows.get(source), dict):
                rows[source].update(row)
            else:
                rows[source] = row
    base.update(amendment)
    return base, prefixed


def _check_rule_file(base: Any, rule_file: str, locations: Locations) -> None:
    """A replacement rule table must be a mapping with a non-empty ``eligibility`` mapping.

    An empty or malformed file would otherwise become an empty rule table under which nothing may
    be funded: a scenario that validates and allocates nothing.
    """
    shown = display_name(Path(rule_file))
    problem = ""
    if base is None:
        problem = "is empty"
    elif not isinstance(base, dict):
        what = "a list" if isinstance(base, list) else f"a single value ({base!r})"
        problem = f"holds {what}, not a mapping with an `eligibility:` table"
    elif not isinstance(base.get("eligibility"), dict) or not base["eligibility"]:
        problem = "has no `eligibility:` mapping of source types to rule rows"
    if problem:
        raise ScenarioError([_issue(("rules", "file"), f"rule table {shown} {problem}", locations,
                                    "start from data/rules/indonesia.yaml, which lists every "
                                    "source type with its rule row")])


def _issue(path: tuple[str, ...], message: str, locations: Locations, fix: str = "") -> Issue:
    file, line, _ = locations.get(path) or locations.get(path[:1]) or locations.get((), ("", 0, 0))
    return Issue(".".join(path), message, file=file, line=line, fix=fix)


def _read_default_table() -> tuple[Any, Locations]:
    """The packaged table, parsed once per process (it is read on every load); a fresh copy."""
    path = default_rules_path()
    stat = path.stat()
    data, locations = _parse_default_table(str(path), display_name(path), stat.st_mtime_ns,
                                           stat.st_size)
    return copy.deepcopy(data), dict(locations)


@functools.lru_cache(maxsize=2)
def _parse_default_table(path: str, shown: str, mtime_ns: int,
                         size: int) -> tuple[Any, Locations]:
    return read_yaml_file(Path(path), shown)


def eligibility_reasons(programs: pd.DataFrame, rules: RuleTable, kind_override: str | None = None,
                        ) -> pd.DataFrame:
    """Why each programme may not take money of each source type ('' when the rule allows it).

    ``programs`` needs columns ``kind, scale, subsector, locations`` (tuple), ``sources`` (tuple or
    None) and ``region_desa`` (int), one row per programme. ``kind_override='om'`` asks the O&M
    question: may this source pay the O&M of the programme's assets. Returns a frame indexed like
    ``programs`` with one text column per source type. Loops run over the nine source types, never
    over programmes.
    """
    original_index = programs.index
    programs = programs.reset_index(drop=True)
    kinds = programs["kind"].to_numpy(dtype=object)
    if kind_override is not None:
        kinds = np.full(len(programs), kind_override, dtype=object)
    exploded = programs["locations"].explode()
    reasons: dict[str, np.ndarray] = {}
    for source in SOURCE_TYPES:
        rule = rules.eligibility.get(source)  # type: ignore[call-overload]
        reason = np.full(len(programs), "", dtype=object)
        if rule is None:
            reason[:] = f"no rule row for {source} in the rule table"
            reasons[source] = reason
            continue
        for mask, text in _failures(programs, kinds, exploded, source, rule, rules):
            reason = np.where((reason == "") & mask, text, reason)
        reasons[source] = reason
    return pd.DataFrame(reasons, index=original_index)


def _failures(programs: pd.DataFrame, kinds: np.ndarray, exploded: pd.Series, source: str,
              rule: EligibilityRule, rules: RuleTable) -> list[tuple[np.ndarray, str]]:
    """(excluded mask, reason) per rule condition, in the order a planner would check them."""
    scales = set(rule.scales)
    if rules.bantuan_keuangan:
        scales |= set(rule.scales_with_bantuan_keuangan)
    named = programs["sources"].map(lambda s: s is None or source in s).to_numpy(dtype=bool)
    subsector = programs["subsector"].to_numpy(dtype=object)
    failures = [
        (~named, f"programme's `sources` list does not name {source}"),
        (~np.isin(kinds, list(rule.kinds)),
         f"rule {source}.kinds allows only {_listed(rule.kinds)}"),
        (~np.isin(programs["scale"].to_numpy(dtype=object), list(scales)),
         f"rule {source}.scales allows only {_listed(sorted(scales))}"
         + (" (bantuan_keuangan is off)" if rule.scales_with_bantuan_keuangan
            and not rules.bantuan_keuangan else "")),
        (~np.isin(subsector, list(rule.subsectors)),
         f"rule {source}.subsectors allows only {_listed(rule.subsectors)}"),
    ]
    for name, needed in rule.subsectors.items():
        if needed:
            has = _any_location(exploded, needed, len(programs))
            failures.append(((subsector == name) & ~has,
                             f"rule {source}.subsectors.{name} needs location {_listed(needed, 'or')}"))
    if rule.locations:
        has = _any_location(exploded, rule.locations, len(programs))
        failures.append((~has, f"rule {source}.locations needs location {_listed(rule.locations, 'or')}"))
    if rule.region_has_desa:
        failures.append((programs["region_desa"].to_numpy() <= 0,
                         f"rule {source}.region_has_desa: the region has no desa"))
    return failures


def _any_location(exploded: pd.Series, wanted: tuple[str, ...], n: int) -> np.ndarray:
    hits = exploded.isin(wanted).groupby(level=0).any()
    return hits.reindex(range(n), fill_value=False).to_numpy(dtype=bool)


def _listed(values: Any, joiner: str = "and") -> str:
    values = list(values)
    return "[" + ", ".join(str(v) for v in values) + "]" if joiner == "and" else " or ".join(values)
