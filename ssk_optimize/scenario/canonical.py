"""The canonical order of a scenario: what makes a plan independent of how the files are ordered.

A scenario lists regions, pools and programmes, and its mappings (budgets, targets, serves, ...)
in the order they were written, after ``extends`` merged the files. None of these orders means
anything, yet the LP's rows and columns follow them, and a solver facing tied optima picks one by
the path it takes through the LP. :func:`canonical_scenario` therefore sorts the regions, pools
and programmes by id, each programme's ``requires`` and ``excludes`` and each pool's
``requires`` by id, and the keys of every mapping they hold
(years ascending, names alphabetically). :func:`~ssk_optimize.model.index.build_index` builds the
LP from the canonical scenario, and :func:`~ssk_optimize.scenario.scenario_sha256` hashes it (so the
hash in the manifest and in every Parquet file is the same for any order).
:func:`~ssk_optimize.api.solve_file` solves and reports the canonical scenario (its
``scenario.resolved.yaml`` lists entries by id); :func:`~ssk_optimize.scenario.load_scenario` itself
keeps the order of the files after the ``extends`` merge.
Lists whose order means something are kept: ``horizon``, ``years``, ``source_preference``,
``stage_weights``, ``rules.matching``. See docs/formulation.md, "Order and ties".
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from ssk_optimize.scenario.schema import Scenario

Model = TypeVar("Model", bound=BaseModel)


def canonical_scenario(scenario: Scenario) -> Scenario:
    """``scenario`` in canonical order (the same object when it already is)."""
    update: dict[str, Any] = {}
    for name in ("regions", "pools", "programs"):
        items = tuple(_sorted_mappings(item) for item in getattr(scenario, name))
        items = tuple(sorted(items, key=lambda item: item.id))
        if name in ("programs", "pools"):
            items = tuple(_sorted_requires(item) for item in items)
        if any(a is not b for a, b in zip(items, getattr(scenario, name), strict=True)):
            update[name] = items
    objective = _sorted_mappings(scenario.objective)
    if objective is not scenario.objective:
        update["objective"] = objective
    return scenario.model_copy(update=update) if update else scenario


def _sorted_requires(item: Model) -> Model:
    """``requires`` (and a programme's ``excludes``) sorted by id: sets written as lists."""
    update = {}
    for name in ("requires", "excludes"):
        value = getattr(item, name, None)
        if value is not None and tuple(sorted(value)) != tuple(value):
            update[name] = tuple(sorted(value))
    return item.model_copy(update=update) if update else item


def _sorted_mappings(model: Model) -> Model:
    """``model`` with every mapping field's keys sorted, nested mappings too."""
    update = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, dict):
            ordered = _sorted_dict(value)
            if not _same_order(value, ordered):
                update[name] = ordered
    return model.model_copy(update=update) if update else model


def _sorted_dict(value: dict[Any, Any]) -> dict[Any, Any]:
    keys = sorted(value, key=lambda key: (type(key).__name__, key))
    return {key: _sorted_value(value[key]) for key in keys}


def _sorted_value(value: Any) -> Any:
    """A mapping's value with its own mappings sorted (a region's ``Target`` holds one)."""
    if isinstance(value, dict):
        return _sorted_dict(value)
    if isinstance(value, BaseModel):
        return _sorted_mappings(value)
    return value


def _same_order(left: Any, right: Any) -> bool:
    if isinstance(left, BaseModel):
        return left is right
    if not isinstance(left, dict):
        return True
    return list(left) == list(right) and all(_same_order(left[k], right[k]) for k in left)
