"""Time ``api.validate_file`` on every example scenario; print median and max seconds per file.

Usage:
    python benchmarks/validate.py                 # scenarios/*.yaml, 5 runs each
    python benchmarks/validate.py -n 20 scenarios/kalteng.yaml tests/data/valid/tiny.yaml

Each file is validated once untimed first (imports, and the default rule table is parsed once per
process), then ``-n`` times. Times are wall-clock seconds from ``time.perf_counter``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from ssk_optimize import api
from ssk_optimize.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]


def time_file(path: Path, runs: int) -> list[float]:
    """Seconds of each of ``runs`` validations of ``path`` (after one warm-up)."""
    api.validate_file(path)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        api.validate_file(path)
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, time every file, print the table; exit 1 if a file is invalid."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="scenario files (default: scenarios/)")
    parser.add_argument("-n", "--runs", type=int, default=5, help="timed runs per file")
    options = parser.parse_args(argv)
    files = options.files or sorted((ROOT / "scenarios").glob("*.yaml"))
    if not files:
        print("no scenario files found", file=sys.stderr)
        return 1
    width = max(len(str(path.name)) for path in files)
    print(f"{'file':<{width}}  {'programs':>8}  {'median s':>9}  {'max s':>7}  (n={options.runs})")
    for path in files:
        try:
            programs = api.validate_file(path).summary.programs
            times = time_file(path, options.runs)
        except ScenarioError as error:
            print(f"{path.name:<{width}}  invalid: {error}", file=sys.stderr)
            return 1
        print(f"{path.name:<{width}}  {programs:>8}  {statistics.median(times):>9.3f}  "
              f"{max(times):>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
