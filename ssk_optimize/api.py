"""What the CLI and notebooks call: one function per user task.

Each function takes paths and plain options, calls the layers below in order and returns plain
results; it prints nothing (rendering is the CLI's job).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ssk_optimize.errors import ScenarioError, UsageError
from ssk_optimize.model.elastic import elastic_program
from ssk_optimize.model.formulation import BuiltModel, build_model
from ssk_optimize.model.funding import run_shares
from ssk_optimize.model.near import with_near_stage
from ssk_optimize.model.objective import normalisers
from ssk_optimize.model.origins import column_bounds, linking_programs, row_origins
from ssk_optimize.model.relaxation import scenario_changes
from ssk_optimize.model.snap import snap_refinement
from ssk_optimize.results import explain as ex
from ssk_optimize.results.compare import money_moved
from ssk_optimize.results.diagnosis import (
    DIAGNOSIS_FILES,
    LAST_RESORT,
    OPTIONS,
    Diagnosis,
    Option,
    diagnosis_frame,
    diagnosis_text,
)
from ssk_optimize.results.explain import RunExplanation
from ssk_optimize.results.explain_text import explanation_lines
from ssk_optimize.results.labels import Lang
from ssk_optimize.results.manifest import build_manifest
from ssk_optimize.results.output import check_output_folder, default_folder
from ssk_optimize.results.reader import read_run
from ssk_optimize.results.tables import RunTables, tabulate
from ssk_optimize.results.writer import write_run
from ssk_optimize.scenario import LoadedScenario, load_scenario
from ssk_optimize.scenario.canonical import canonical_scenario
from ssk_optimize.scenario.summary import ScenarioSummary, summarise
from ssk_optimize.scenario.vocabulary import RUPIAH_PER_UNIT
from ssk_optimize.solve.base import Backend, SolverOptions
from ssk_optimize.solve.conflict import ConflictFinder, ConflictSearchStopped
from ssk_optimize.solve.lexicographic import solve_stages
from ssk_optimize.solve.registry import get_backend
from ssk_optimize.solve.solution import Solution
from ssk_optimize.solve.status import SolveStatus

STARTER_NAME = "scenario.yaml"

#: HiGHS' own IIS is compared with the diagnosis only on LPs up to this many rows: it took 192 s
#: on a 10-kab/kota LP (3,590 rows) where the diagnosis' own search took 4 s.
IIS_CROSS_CHECK_ROWS = 1000


@dataclass(frozen=True)
class Validation:
    """A validated scenario and its summary."""

    loaded: LoadedScenario
    summary: ScenarioSummary


def origins(loaded: LoadedScenario, model: BuiltModel) -> pd.DataFrame:
    """Where every LP row and scenario-set column bound comes from, down to the file and line.

    One line per row (``kind`` ``row``, ``index`` the row id) then per bounded column (``kind``
    ``column``, ``index`` the column id, ``bound`` lower or upper): ``name, family, rule,
    program, pool, region, year, other_program, indicator, path`` as
    :func:`~ssk_optimize.model.origins.row_origins` and ``where``, the ``file:line`` of the value
    at ``path`` (or of its nearest located parent; an override shows its ``--set`` text). Each
    distinct path is looked up once.
    """
    rows = row_origins(model).rename(columns={"row": "index"}).assign(kind="row", bound=None)
    cols = column_bounds(model).rename(columns={"col": "index"}).assign(
        kind="column", family=None, other_program=None)
    table = pd.concat([rows, cols.drop(columns="value")], ignore_index=True)
    table["where"] = _where(loaded, table["path"])
    return table[["kind", "index", "name", "family", "bound", "rule", "program", "pool", "region",
                  "year", "other_program", "indicator", "path", "where"]]


def _where(loaded: LoadedScenario, paths: pd.Series) -> pd.Series:
    """``file:line`` of each scenario path, each distinct path looked up once."""
    located = {path: loaded.where(path) for path in pd.unique(paths.to_numpy(dtype=object))}
    return paths.map(located)


def diagnose(loaded: LoadedScenario, model: BuiltModel, solver: str | None = None,
             time_limit: float | None = None) -> Diagnosis:
    """Why ``model`` has no feasible point, in rules, programmes, pools and YAML lines.

    On the elastic program (:mod:`ssk_optimize.model.elastic`): an irreducible set of clashing
    rules (elastic then deletion filter, :mod:`ssk_optimize.solve.conflict`), then the cheapest
    relaxation over each set of levers of :data:`~ssk_optimize.results.diagnosis.OPTIONS`, each
    turned into ``--set`` changes (:mod:`ssk_optimize.model.relaxation`) and checked by loading
    the scenario with them, rebuilding and testing feasibility. Raises ConflictSearchStopped when
    a solve ends without a verdict (a time limit).
    """
    clock = time.perf_counter()
    elastic = elastic_program(model)
    backend, options = _backend(model, solver, time_limit)
    lever = elastic.elastics["lever"].to_numpy(dtype=object)
    with ConflictFinder(backend, elastic.lp, elastic.cols, elastic.elastics["group"].to_numpy(),
                        elastic.elastics["price"].to_numpy(dtype=float), options) as finder:
        clash = finder.conflict()
        whole = finder.needs_whole_numbers(clash)
        small = not model.lp.is_mip and model.lp.n_rows <= IIS_CROSS_CHECK_ROWS
        solver_iis = finder.solver_subset(elastic.elastics["lp_row"].to_numpy(dtype=np.int64)) \
            if small else None
        found: list[Option] = []
        for name, levers in OPTIONS:
            if name == LAST_RESORT and found:
                continue
            relaxation = finder.relax(np.isin(lever, list(levers)))
            if relaxation is None:
                continue
            changes = scenario_changes(model, elastic, relaxation.violation)
            if changes.empty or any(o.overrides == tuple(changes["set"]) for o in found):
                continue
            changes["where"] = _where(loaded, changes["path"])
            found.append(Option(name, changes.drop(columns="path"),
                                _feasible_with(loaded, tuple(changes["set"]), backend, options)))
        solves = finder.stats
    conflict = elastic.groups.iloc[clash].reset_index(drop=True)
    kind = conflict["kind"].to_numpy()
    index = conflict["index"].to_numpy(dtype=np.int64)
    linking = linking_programs(model, index[kind == "row"], index[kind == "column"])
    conflict = pd.concat([conflict, _whole_unit_rows(model, conflict, linking, whole)],
                         ignore_index=True)
    conflict["where"] = _where(loaded, conflict["path"])
    conflict = conflict[["rule", "family", "name", "program", "pool", "region", "year",
                         "indicator", "other_program", "where"]]
    agrees = None if solver_iis is None else solver_iis.tolist() == clash.tolist()
    return Diagnosis(loaded.scenario.scenario, loaded.scenario.money_unit, conflict, tuple(found),
                     linking=tuple(linking), solves=solves.solves,
                     seconds=time.perf_counter() - clock, solver_iis_agrees=agrees)


def _whole_unit_rows(model: BuiltModel, conflict: pd.DataFrame, linking: list[str],
                     fractions_hold: bool) -> pd.DataFrame:
    """``programs.divisible`` lines for whole-unit programmes in the conflict: all it involves
    when the rules would hold with fractions, else those whose fractional ``min_quantity`` the
    whole-unit rule rounds up (4.5 becomes 5 units)."""
    programs = model.index.programs
    whole = set(programs.loc[~programs["divisible"], "program"])
    if fractions_hold:
        involved = sorted(whole & (set(conflict["program"].dropna()) | set(linking)))
    else:
        minimum = programs.set_index("program")["min_quantity"]
        bounded = conflict.loc[conflict["rule"] == "programs.min_quantity", "program"].dropna()
        involved = sorted(p for p in whole & set(bounded) if float(minimum[p]) % 1 > 1e-9)
    return pd.DataFrame({"rule": "programs.divisible", "family": "whole", "program": involved,
                         "name": [f"whole[{p}]" for p in involved],
                         "path": [("programs", p, "divisible") for p in involved]})


def _feasible_with(loaded: LoadedScenario, changes: tuple[str, ...], backend: Backend,
                   options: SolverOptions) -> bool | None:
    """Whether the scenario with ``changes`` added to its overrides has a feasible plan (None:
    the changed scenario does not load, or the solve found no verdict)."""
    try:
        changed = load_scenario(loaded.path, loaded.overrides + changes)
    except ScenarioError:
        return None
    model = build_model(canonical_scenario(changed.scenario))
    session = backend.open(model.lp, options)
    try:
        status = session.solve().status
    finally:
        session.close()
    if status.is_optimal:
        return True
    return False if status is SolveStatus.INFEASIBLE else None


def _backend(model: BuiltModel, solver: str | None,
             time_limit: float | None) -> tuple[Backend, SolverOptions]:
    settings = model.index.scenario.solver
    backend = get_backend(solver or settings.name)
    options = SolverOptions(name=backend.name, method=settings.method,
                            time_limit=time_limit if time_limit is not None else settings.time_limit,
                            mip_gap=settings.mip_gap, threads=settings.threads)
    return backend, options


def validate_file(path: str | Path, overrides: tuple[str, ...] = ()) -> Validation:
    """Load and validate a scenario file; raise ScenarioError listing every problem."""
    loaded = load_scenario(path, overrides)
    return Validation(loaded, summarise(loaded.scenario))


def init_folder(folder: str | Path, force: bool = False) -> Path:
    """Write a starter scenario a planner can edit into ``folder``; return its path."""
    folder = Path(folder)
    target = folder / STARTER_NAME
    if target.exists() and not force:
        raise UsageError(f"{target} already exists; choose another folder or pass --force")
    folder.mkdir(parents=True, exist_ok=True)
    text = (resources.files("ssk_optimize") / "templates" / "starter.yaml").read_text("utf-8")
    temporary = target.with_suffix(".yaml.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)
    return target


@dataclass(frozen=True)
class RunResult:
    """A finished run: the scenario, the solution, its tables and where they were written."""

    loaded: LoadedScenario
    model: BuiltModel
    solution: Solution
    tables: RunTables
    manifest: dict[str, object]
    folder: Path | None
    diagnosis: Diagnosis | None = None


def solve_file(path: str | Path, overrides: tuple[str, ...] = (), output: str | Path | None = None,
               solver: str | None = None, time_limit: float | None = None,
               progress: Callable[[str], None] | None = None, *,
               default_output: bool = False, near: str | Path | None = None,
               lang: Lang = "id") -> RunResult:
    """Load, build, solve and (with ``output``) write a run folder atomically.

    ``default_output`` without ``output``: write to ``results/<scenario id>`` (with ``-<hash>``
    of the overrides when there are any). The folder must be absent, empty or a previous run
    (UsageError otherwise, nothing changed): ``output`` is checked before the scenario is read,
    the default folder right after, both before anything is built or solved.

    ``result.loaded.scenario`` is the scenario in canonical order (by id,
    :mod:`ssk_optimize.scenario.canonical`), the order of the model's rows and of
    ``scenario.resolved.yaml``.

    Returns whatever the solver reached; callers test ``result.solution.is_optimal`` (the CLI
    exits 3 when it is not). A scenario proved infeasible is diagnosed (:func:`diagnose`):
    ``result.diagnosis``, the manifest's ``diagnosis`` entry, and ``diagnosis.parquet`` and
    ``diagnosis.txt`` (in ``lang``) in the folder. Raises ScenarioError (invalid input) or
    SolverUnavailable.
    """
    say = progress or (lambda message: None)
    timings: dict[str, float] = {}
    target = None if output is None else check_output_folder(output, inputs=(path,))
    clock = time.perf_counter()
    say("Reading scenario")
    # canonical order (regions, pools, programmes by id), the order the model is built in, so
    # `loaded.scenario`, the model's rows and `scenario.resolved.yaml` agree whatever the files' order
    loaded = load_scenario(path, overrides)
    loaded = replace(loaded, scenario=canonical_scenario(loaded.scenario))
    if target is None and default_output:
        target = check_output_folder(default_folder(loaded.scenario.scenario, loaded.overrides),
                                     inputs=loaded.files)
    elif target is not None:  # the files it extends must not be inside the folder either
        check_output_folder(target.folder, inputs=loaded.files)
    timings["load"] = time.perf_counter() - clock
    clock = time.perf_counter()
    say("Building the LP")
    model = build_model(loaded.scenario)
    base_run = None
    if near is not None:  # read before solving: a wrong folder costs no solve
        if loaded.scenario.objective.mode != "lexicographic":
            raise UsageError("--near adds a stage after the lexicographic ones; it needs "
                             "objective.mode: lexicographic")
        base_run = read_run(near)
        factor = RUPIAH_PER_UNIT[base_run.manifest.money_unit] / RUPIAH_PER_UNIT[loaded.scenario.money_unit]
        model = with_near_stage(model, base_run.tables.allocations, factor)
    timings["build"] = time.perf_counter() - clock
    clock = time.perf_counter()
    say(f"Solving {model.lp.n_cols:,} variables x {model.lp.n_rows:,} constraints")
    solution = solve_model(model, solver, time_limit)
    timings["solve"] = time.perf_counter() - clock
    clock = time.perf_counter()
    say("Writing results")
    tables, solution, check = tabulate(model, solution)  # a plan breaking a rule: not optimal
    timings["tables"] = time.perf_counter() - clock
    manifest = build_manifest(loaded, model, solution, timings, plan_check=check, tables=tables)
    diagnosis = None
    if solution.status is SolveStatus.INFEASIBLE:
        say("Finding the clashing rules")
        clock = time.perf_counter()
        try:
            diagnosis = diagnose(loaded, model, solver, time_limit)
        except ConflictSearchStopped as stopped:
            manifest["warnings"].append(f"no diagnosis: {stopped}")
        timings["diagnosis"] = time.perf_counter() - clock
        manifest["timings"]["diagnosis"] = round(timings["diagnosis"], 6)
    if diagnosis is not None:
        manifest["diagnosis"] = diagnosis.summary()
        manifest["run_files"] = [*manifest["run_files"], *DIAGNOSIS_FILES]
    if base_run is not None:  # money moved as the tables show it (the report drops solver dust)
        base_money = base_run.tables.allocations.assign(amount=base_run.tables.allocations["amount"] * factor)
        manifest["near"] = {"base_run": str(base_run.folder), "base_scenario": base_run.manifest.scenario,
                            "base_scenario_sha256": base_run.manifest.scenario_sha256,
                            "money_moved": money_moved(base_money, tables.allocations)}
    folder = None
    if target is not None:
        clock = time.perf_counter()
        written = None if diagnosis is None else (diagnosis_frame(diagnosis),
                                                  diagnosis_text(diagnosis, lang))
        folder = write_run(target.folder, tables, manifest, loaded.resolved_yaml, new=target.new,
                           diagnosis=written)
        timings["write"] = time.perf_counter() - clock
    return RunResult(loaded, model, solution, tables, manifest, folder, diagnosis)


def solve_model(model: BuiltModel, solver: str | None = None,
                time_limit: float | None = None) -> Solution:
    """Run the stages of a built model with the scenario's solver settings (or overrides)."""
    objective = model.index.scenario.objective
    backend, options = _backend(model, solver, time_limit)
    scales = normalisers(model.index) if objective.mode == "weighted" else None
    return solve_stages(model.lp, backend, options, mode=objective.mode,
                        stage_weights=objective.stage_weights, stage_scales=scales,
                        fix_integers_after_stage=2, dual_stages=(0, 1),
                        refine=lambda x: snap_refinement(model, x))


def explain_run(run_dir: str | Path, program: str | None = None, lang: Lang = "id",
                solver: str | None = None) -> RunExplanation:
    """Why the waiting programmes of a run (or ``program``) are not fully funded, and what would
    fund them: a :class:`~ssk_optimize.results.explain.RunExplanation`.

    The model is rebuilt from the run's ``scenario.resolved.yaml`` (the run's ``--set`` overrides
    are already in it, so a re-solve applies only the suggestion; to apply it to the original
    files, add the run's overrides first). Every suggestion is verified by a re-solve of that file
    with the suggested overrides (no output folder). UsageError: not a run folder, a run with no
    feasible plan, an unknown programme (with the closest ids) or a fully funded one.
    """
    if lang not in ("id", "en"):
        raise UsageError(f"--lang must be id or en, got {lang!r}")
    run = read_run(run_dir)
    if run.manifest.status not in ("optimal", "feasible_stopped"):
        raise UsageError(f"{run.folder}: the run has no feasible plan (status {run.manifest.status}); "
                         "explain needs a feasible run")
    programs = run.tables.programs
    if program is not None:
        ex.check_program(programs, program, run.folder)
    names = [program] if program is not None else ex.waiting_programmes(programs)
    path = run.folder / "scenario.resolved.yaml"
    loaded = load_scenario(path)
    loaded = replace(loaded, scenario=canonical_scenario(loaded.scenario))
    notes: tuple[str, ...] = ()
    if loaded.sha256 != run.manifest.scenario_sha256:
        notes = (f"{path} no longer hashes to the run's scenario_sha256: the model may differ from "
                 "the run's",)
    model = build_model(loaded.scenario)
    factor = RUPIAH_PER_UNIT[run.manifest.money_unit] / RUPIAH_PER_UNIT[loaded.scenario.money_unit]
    held = run_shares(model, run.tables.allocations, factor)
    elastic = elastic_program(model)
    explained = []
    for name in names:
        item = ex.explain_programme(run, model, name, held, elastic, solver)
        if item.overrides:
            result = solve_file(path, overrides=item.overrides, output=None, solver=solver)
            after = result.tables.programs
            after_row = after[after["program"].astype(str) == name].to_dict("records")[0]
            item = item.verified(ex.Verification(
                result.solution.status.value, float(item.programme["funded"]), float(after_row["funded"]),
                float(item.programme["funded_share"]), float(after_row["funded_share"])))
        explained.append(replace(item, notes=notes))
    text = explanation_lines(explained, run, lang)
    return ex.RunExplanation(run, explained, str(path), lang, text)
