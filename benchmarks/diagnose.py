"""Time the infeasibility diagnosis against the feasible solve of the same generated province.

Usage:
    python benchmarks/diagnose.py                 # 50 kab/kota, every programme divisible (an LP)
    python benchmarks/diagnose.py -n 10 --milp    # 10 kab/kota with the whole-unit programmes

Generates a scenario with ``benchmarks/generate.py``, then for the feasible scenario and for each
infeasible variant (``--set`` overrides that make one kab/kota's commitments clash with its
budgets, as planners do when they commit too much) times ``api.solve_file`` end to end, without
writing a folder. An infeasible run's time is everything the planner waits for: the failing
stage-1 solve, then the diagnosis (the conflict search, every relaxation option and each
option's rebuild-and-check). Prints one row per case and the ratio to the feasible solve (the
target of issue 10: at most 3).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def variants(path: Path, region: str) -> dict[str, tuple[str, ...]]:
    """Infeasible variants (ids of benchmarks/generate.py): each passes validation (every value
    is plausible on its own) and clashes only in the LP."""
    from ssk_optimize.scenario import load_scenario

    scenario = load_scenario(path).scenario
    regions = sorted(r.id for r in scenario.regions)[:5]
    construction = [p for p in scenario.programs if p.region in regions and p.kind == "construction"]
    tanks = next(p for p in scenario.programs if p.id == f"{region}_ts_desa")
    return {
        "5 kab/kota commit all construction": tuple(
            f"programs.{p.id}.min_quantity={p.quantity:g}" for p in construction),
        "hard targets (every region short)": ("objective.hard_targets=true",),
        "capacity below a commitment": (
            f"programs.{tanks.id}.max_per_year={tanks.quantity / 10:g}",
            f"programs.{tanks.id}.min_quantity={tanks.quantity * 0.8:g}"),
    }


def timed(path: Path, overrides: tuple[str, ...]) -> tuple[float, str, float | None, int | None]:
    """Seconds of ``solve_file``, its status, the diagnosis' own seconds and solves."""
    from ssk_optimize import api

    clock = time.perf_counter()
    result = api.solve_file(path, overrides)
    seconds = time.perf_counter() - clock
    diagnosis = result.diagnosis
    return (seconds, result.solution.status.value, None if diagnosis is None else diagnosis.seconds,
            None if diagnosis is None else diagnosis.solves)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--regions", type=int, default=50)
    parser.add_argument("--milp", action="store_true", help="keep the whole-unit programmes")
    parser.add_argument("--region", default="r0007", help="the kab/kota whose commitments clash")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import generate  # noqa: PLC0415 (benchmarks/ is not a package)

    base = () if args.milp else ("programs[*].divisible=true",)
    with tempfile.TemporaryDirectory() as folder:
        path = generate.write(Path(folder) / "scenario", args.regions)
        feasible, status, _, _ = timed(path, base)
        print(f"{args.regions} kab/kota, {'MILP' if args.milp else 'LP'}; feasible solve "
              f"{feasible:.1f} s ({status})")
        print(f"{'case':36} {'status':12} {'total s':>8} {'diagnosis s':>12} {'solves':>7} {'ratio':>6}")
        for name, overrides in variants(path, args.region).items():
            seconds, status, diagnosis, solves = timed(path, base + overrides)
            print(f"{name:36} {status:12} {seconds:8.1f} {diagnosis or 0:12.1f} {solves or 0:7d} "
                  f"{seconds / feasible:6.2f}")


if __name__ == "__main__":
    main()
