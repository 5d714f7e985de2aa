"""Time the whole pipeline on synthetic scenarios of growing size; print one row per size.

Usage:
    python benchmarks/run.py                      # N = 1, 10, 50 kab/kota
    python benchmarks/run.py --national           # ... and N = 514 (all kab/kota)
    python benchmarks/run.py -n 1 -n 100 --lp     # chosen sizes; every programme divisible (an LP)
    python benchmarks/run.py --tracemalloc        # also Python-heap peak (slower)

Each size runs in a fresh subprocess (so the peak memory is that size's own): generate the
scenario with ``benchmarks/generate.py`` into a temporary folder, then time each step of
``api.solve_file``: load (read + validate), build (the LP), solve (all stages and duals), tables,
yaml (dumping ``scenario.resolved.yaml``, which ``solve_file`` does while writing) and write (the
Parquet files and manifest, atomically). ``peak MB`` is the process's maximum resident set size
(``resource.getrusage``), which includes the solver's own memory; ``--tracemalloc`` adds the peak
of Python allocations (numpy and pandas included, HiGHS not).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
COLUMNS = [("regions", 7, "d"), ("programs", 8, "d"), ("vars", 8, "d"), ("rows", 8, "d"),
           ("nnz", 9, "d"), ("int", 5, "d"), ("load s", 7, ".2f"), ("build s", 7, ".2f"),
           ("solve s", 8, ".2f"), ("tables s", 8, ".2f"), ("yaml s", 7, ".2f"),
           ("write s", 7, ".2f"),
           ("total s", 8, ".2f"), ("peak MB", 8, ".0f"), ("status", 16, "s")]


def measure(regions: int, lp_only: bool, trace: bool, time_limit: float | None) -> dict[str, Any]:
    """Generate and solve one size in this process; return the figures."""
    sys.path.insert(0, str(HERE))
    import generate  # noqa: PLC0415 (benchmarks/ is not a package)

    from ssk_optimize.api import solve_model
    from ssk_optimize.model.formulation import build_model
    from ssk_optimize.results.manifest import build_manifest
    from ssk_optimize.results.tables import tabulate
    from ssk_optimize.results.writer import write_run
    from ssk_optimize.scenario import load_scenario

    if trace:
        tracemalloc.start()
    with tempfile.TemporaryDirectory() as folder:
        path = generate.write(Path(folder) / "scenario", regions)
        overrides = ("programs[*].divisible=true",) if lp_only else ()
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        loaded = load_scenario(path, overrides)
        timings["load"] = time.perf_counter() - clock
        clock = time.perf_counter()
        model = build_model(loaded.scenario)
        timings["build"] = time.perf_counter() - clock
        clock = time.perf_counter()
        solution = solve_model(model, time_limit=time_limit)
        timings["solve"] = time.perf_counter() - clock
        clock = time.perf_counter()
        tables, solution, check = tabulate(model, solution)  # tables and the plan check
        timings["tables"] = time.perf_counter() - clock
        clock = time.perf_counter()
        resolved = loaded.resolved_yaml  # the scenario as solved, dumped as YAML
        timings["yaml"] = time.perf_counter() - clock
        clock = time.perf_counter()
        write_run(Path(folder) / "run", tables,
                  build_manifest(loaded, model, solution, timings, plan_check=check, tables=tables),
                  resolved)
        timings["write"] = time.perf_counter() - clock
    figures: dict[str, Any] = {
        "regions": regions, "programs": len(loaded.scenario.programs),
        "vars": model.lp.n_cols, "rows": model.lp.n_rows, "nnz": int(model.lp.matrix.nnz),
        "int": int(model.lp.integrality.sum()),
        **{f"{step} s": seconds for step, seconds in timings.items()},
        "total s": sum(timings.values()),
        "peak MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "status": solution.status.value, "stages": dict(solution.timings),
    }
    if trace:
        figures["python peak MB"] = tracemalloc.get_traced_memory()[1] / 2**20
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--regions", type=int, action="append",
                        help="kab/kota per scenario (repeat; default 1, 10, 50)")
    parser.add_argument("--national", action="store_true", help="also N = 514")
    parser.add_argument("--lp", action="store_true",
                        help="make every programme divisible (time the LP, not the MILP)")
    parser.add_argument("--tracemalloc", action="store_true", help="also the Python-heap peak")
    parser.add_argument("--time-limit", type=float, default=None, help="solver seconds per size")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process: one size
    options = parser.parse_args(argv)
    if options.one is not None:
        print(json.dumps(measure(options.one, options.lp, options.tracemalloc, options.time_limit)))
        return 0
    sizes = options.regions or [1, 10, 50]
    if options.national and 514 not in sizes:
        sizes.append(514)
    columns = list(COLUMNS) + ([("python peak MB", 14, ".0f")] if options.tracemalloc else [])
    print("  ".join(f"{name:>{width}}" for name, width, _ in columns), flush=True)
    for regions in sizes:
        command = [sys.executable, __file__, "--one", str(regions)]
        command += ["--lp"] * options.lp + ["--tracemalloc"] * options.tracemalloc
        if options.time_limit is not None:
            command += ["--time-limit", str(options.time_limit)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"N={regions}: failed\n{done.stderr}", file=sys.stderr)
            return 1
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print("  ".join(f"{row[name]:>{width}{spec}}" for name, width, spec in columns), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
