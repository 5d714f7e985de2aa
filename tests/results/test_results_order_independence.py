"""Order does not change a plan (issue 7): the same scenario written with its regions, pools and
programmes in another order, and with the keys of its mappings in another order, gives the same
tables byte for byte; and a what-if written out as a file gives the same tables as the same
what-if made with ``--set``.

Rule under test (docs/formulation.md, "Order and ties"): the resolved scenario is put in a
canonical order (entries by id, mapping keys sorted) when the LP is built, so the LP is the same
bits whatever the order of the files, and HiGHS (same version, same options) follows the same path
to the same plan.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ssk_optimize.api import solve_file
from ssk_optimize.model.formulation import build_model
from ssk_optimize.model.lp import LinearProgram
from ssk_optimize.scenario import load_scenario
from ssk_optimize.scenario.canonical import canonical_scenario
from ssk_optimize.scenario.yamlio import dump_yaml, read_yaml_file

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
EXAMPLES = sorted(SCENARIOS.glob("*.yaml"))
TABLES = ("allocations", "programs", "pools", "coverage")
ENTRIES = ("regions", "pools", "programs")  # the lists whose order the test permutes
#: Lists whose order means something (a range, a preference, which file extends which): kept.
ORDERED = {"horizon", "years", "extends", "source_preference", "stage_weights", "matching"}


def _shuffled(value: Any, rng: random.Random, key: str = "") -> Any:
    """``value`` with every mapping's keys and the ``ENTRIES`` lists in a random order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng, str(k)) for k, v in items}
    if isinstance(value, list):
        items = [_shuffled(v, rng) for v in value]
        if key in ENTRIES:
            rng.shuffle(items)
        else:
            assert key in ORDERED or not any(isinstance(v, dict) for v in items), key
        return items
    return value


def _shuffled_copy(folder: Path, seed: int) -> Path:
    """Every example scenario, shuffled, into ``folder`` (so ``extends`` finds shuffled parents)."""
    folder.mkdir()
    rng = random.Random(seed)
    for path in EXAMPLES:
        data, _ = read_yaml_file(path)
        (folder / path.name).write_text(dump_yaml(_shuffled(data, rng)), encoding="utf-8")
    return folder


def _assert_same_lp(left: LinearProgram, right: LinearProgram) -> None:
    """The same LP bit for bit: matrix, bounds, integrality, names and every stage objective."""
    for name in ("row_lower", "row_upper", "col_lower", "col_upper", "integrality", "col_names",
                 "row_names"):
        assert np.array_equal(getattr(left, name), getattr(right, name)), name
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(left.matrix, part), getattr(right.matrix, part)), part
    assert [(o.name, o.sense, o.offset, o.scale) for o in left.objectives] == \
        [(o.name, o.sense, o.offset, o.scale) for o in right.objectives]
    for a, b in zip(left.objectives, right.objectives, strict=True):
        assert np.array_equal(a.coefficients, b.coefficients), a.name


def test_shuffling_changes_the_files() -> None:
    """The permutation really reorders entries (a no-op shuffle would prove nothing)."""
    data, _ = read_yaml_file(SCENARIOS / "lamandau.yaml")
    shuffled = _shuffled(data, random.Random(7))
    for key in ENTRIES:
        ids = [item["id"] for item in data[key]]
        assert sorted(ids) == sorted(item["id"] for item in shuffled[key])
        assert len(ids) < 2 or ids != [item["id"] for item in shuffled[key]], key


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_order_of_entries_and_keys_gives_identical_parquet(path: Path, tmp_path: Path) -> None:
    """Same scenario id and content, another order: the four Parquet files are equal byte for
    byte, and so are the scenario hash and ``scenario.resolved.yaml`` (written in canonical
    order); the manifest lists other file paths and its own timings, so it is not compared."""
    reference = solve_file(path, output=tmp_path / "reference")
    assert reference.solution.is_optimal
    for seed in (7, 2024):
        copy = _shuffled_copy(tmp_path / f"shuffled-{seed}", seed)
        run = tmp_path / f"run-{seed}"
        result = solve_file(copy / path.name, output=run)
        assert result.solution.is_optimal
        _assert_same_lp(reference.model.lp, result.model.lp)
        for name in TABLES:
            pd.testing.assert_frame_equal(getattr(reference.tables, name),
                                          getattr(result.tables, name), check_exact=True)
            assert (run / f"{name}.parquet").read_bytes() == \
                (tmp_path / "reference" / f"{name}.parquet").read_bytes(), (seed, name)
        assert result.manifest["scenario_sha256"] == reference.manifest["scenario_sha256"]
        assert (run / "scenario.resolved.yaml").read_bytes() == \
            (tmp_path / "reference" / "scenario.resolved.yaml").read_bytes()


def test_a_scenario_in_file_order_builds_the_canonical_lp(tmp_path: Path) -> None:
    """``build_model`` itself puts the scenario in canonical order: a shuffled scenario loaded in
    its file order (as ``load_scenario`` keeps it) builds the LP of the unshuffled one, and both
    have the same hash."""
    copy = _shuffled_copy(tmp_path / "shuffled", 11)
    original = load_scenario(SCENARIOS / "kalteng.yaml")
    shuffled = load_scenario(copy / "kalteng.yaml")
    assert [p.id for p in shuffled.scenario.programs] != [p.id for p in original.scenario.programs]
    _assert_same_lp(build_model(original.scenario).lp, build_model(shuffled.scenario).lp)
    assert canonical_scenario(shuffled.scenario) == canonical_scenario(original.scenario)
    assert shuffled.sha256 == original.sha256


def test_dak_cut_file_equals_the_set_override() -> None:
    """``lamandau-dak-cut.yaml`` is ``lamandau.yaml --set 'pools[source=DAK].budget*=0.7'``.

    "Same tables" here means: every column of the four tables equal exactly, except ``scenario``,
    the one column that names the run (``lamandau-dak-cut`` vs ``lamandau-baseline``); the file
    also has its own description and pool reference, which no table carries. ``5200 * 0.7`` is
    3639.9999999999995 in floating point while the file says 3640: a number computed by an
    override is rounded to 12 significant digits, so the two give the same resolved budgets, the
    same LP and the same plan (before, the LPs were already equal but the clean-up of the reported
    money used the unrounded budget, and amounts differed in their last bits)."""
    written = solve_file(SCENARIOS / "lamandau-dak-cut.yaml")
    overridden = solve_file(SCENARIOS / "lamandau.yaml",
                            overrides=("pools[source=DAK].budget*=0.7",))
    assert written.solution.is_optimal and overridden.solution.is_optimal
    assert written.manifest["objective"] == overridden.manifest["objective"]
    for name in TABLES:
        left = getattr(written.tables, name)
        right = getattr(overridden.tables, name)
        assert set(left["scenario"]) == {"lamandau-dak-cut"}
        assert set(right["scenario"]) == {"lamandau-baseline"}
        pd.testing.assert_frame_equal(left.drop(columns="scenario"),
                                      right.drop(columns="scenario"), check_exact=True, obj=name)
