"""Scenario layer: read YAML (with ``extends`` and ``--set``), validate, freeze.

``load_scenario`` is the only entry point the layers above need.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ssk_optimize.errors import Issue
from ssk_optimize.scenario.canonical import canonical_scenario
from ssk_optimize.scenario.loading import load_merged, location_of
from ssk_optimize.scenario.overrides import apply_overrides
from ssk_optimize.scenario.schema import Pool, Program, Region, Scenario
from ssk_optimize.scenario.validation import build_scenario
from ssk_optimize.scenario.vocabulary import SOURCE_TYPES
from ssk_optimize.scenario.yamlio import Location, PathKey, dump_yaml

__all__ = ["LoadedScenario", "Pool", "Program", "Region", "Scenario", "load_scenario",
           "resolved_yaml"]


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with what it was built from: files, overrides, warnings, hash.

    ``locations`` maps a path into the merged scenario data to the (file, line, column) of the
    value written there, after ``extends`` (the file that set the value last wins) and ``--set``
    (an override is located at its own text, ``--set PATH=VALUE``, line 0). Paths are tuples of
    keys as the YAML reads: mapping keys (years are ints), and list items of ``regions``,
    ``pools`` and ``programs`` by their ``id`` (a list item without a text id by its position):
    ``("pools", "lmd_dak", "budget", 2027)``. Rules taken from the default table have no
    location of their own.
    """

    scenario: Scenario
    path: Path
    files: tuple[Path, ...]
    overrides: tuple[str, ...]
    warnings: tuple[Issue, ...] = field(default_factory=tuple)
    locations: Mapping[PathKey, Location] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False)

    def where(self, path: PathKey) -> str:
        """``file:line`` of the value at ``path``, or of its nearest located parent.

        ``("pools", "lmd_dak", "budget", 2027)`` is the 2027 figure's line; a key the file does
        not write (a default) falls back to the mapping or list item that holds it, then to the
        file itself (shown without a line). An override is shown as its ``--set`` text.
        """
        file, line, _ = location_of(self.locations, tuple(path))
        return f"{file}:{line}" if line > 0 else file

    @property
    def resolved_yaml(self) -> str:
        """The scenario as solved, after ``extends`` and ``--set`` (loads back to the same)."""
        return resolved_yaml(self.scenario)

    @property
    def sha256(self) -> str:
        """Hash of the resolved scenario (order-independent): two runs with the same hash solved
        the same model."""
        return scenario_sha256(self.scenario)


def load_scenario(path: str | Path, overrides: tuple[str, ...] | list[str] = ()) -> LoadedScenario:
    """Read, merge, override and validate a scenario file; raise ScenarioError on any problem."""
    path = Path(path)
    data, locations, files = load_merged(path)
    apply_overrides(data, locations, tuple(overrides))
    scenario, warnings = build_scenario(data, locations)
    return LoadedScenario(scenario, path, tuple(files), tuple(overrides), tuple(warnings),
                          MappingProxyType(locations))


def scenario_dict(scenario: Scenario) -> dict[str, object]:
    """Plain JSON-compatible data of a scenario, defaults filled in, absent options left out."""
    return scenario.model_dump(mode="json", exclude_none=True)


def scenario_sha256(scenario: Scenario) -> str:
    """A stable hash of the resolved scenario, whatever the order of its entries.

    Hashed in canonical order (:func:`~ssk_optimize.scenario.canonical.canonical_scenario`, the
    order the model is built in), so the same scenario written in another order has the same hash,
    as it has the same LP and plan.
    """
    data = scenario_dict(canonical_scenario(scenario))
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def resolved_yaml(scenario: Scenario) -> str:
    """YAML text of the resolved scenario, readable by :func:`load_scenario`."""
    data = json.loads(json.dumps(scenario_dict(scenario)), object_hook=_int_year_keys)
    # the text amends the default table when loaded back: rows this table lacks (it came from
    # `rules.file`, or a row was removed) are written as `SOURCE: null`, which removes them
    rows = data["rules"]["eligibility"]
    rows.update({source: None for source in SOURCE_TYPES if source not in rows})
    header = "# Resolved scenario: every default filled in, `extends` and `--set` applied.\n"
    return header + dump_yaml(data)


def _int_year_keys(mapping: dict[str, object]) -> dict[object, object]:
    return {int(k) if k.isdigit() else k: v for k, v in mapping.items()}
