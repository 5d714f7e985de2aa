"""Ctrl-C and closed pipes, with real processes.

Ctrl-C (SIGINT) in the middle of a HiGHS solve stops it promptly (HiGHS is asked to interrupt at
its next check; without that it would finish the stage first), exits 130 with one line and no
traceback, and leaves the previous run folder byte-identical with no staging folder behind.

A closed standard output (``ssk-opt ... | head``) exits 141 quietly, never 1 ("invalid scenario")
or 70 ("internal error"), with the run folder written; a run that is not optimal still exits 3.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ssk_optimize.api import solve_file
from ssk_optimize.errors import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, NotOptimal

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "valid" / "tiny.yaml"
INFEASIBLE = ROOT / "tests" / "data" / "tiny" / "hard_targets_infeasible.yaml"
CLI = [sys.executable, "-m", "ssk_optimize"]

#: The real CLI, told only to announce (a file) when the solver starts.
ANNOUNCING_CLI = textwrap.dedent("""
    import pathlib, sys
    import ssk_optimize.api as api

    ready = pathlib.Path(sys.argv[1])
    original = api.solve_model

    def announce(*args, **kwargs):
        ready.write_text("solving")
        return original(*args, **kwargs)

    api.solve_model = announce
    from ssk_optimize.cli import main
    sys.argv = ["ssk-opt", *sys.argv[2:]]
    main()
""")


def default_sigint() -> None:
    """A child of a background job inherits SIGINT ignored; give it the terminal's default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def slow_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 synthetic kab/kota: about ten seconds of HiGHS, one MILP stage alone several."""
    folder = tmp_path_factory.mktemp("slow")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "-n", "20",
                    "--out", str(folder / "national")], check=True, capture_output=True,
                   timeout=120)
    return folder / "national" / "scenario.yaml"


def test_ctrl_c_during_a_solve_stops_promptly_and_keeps_the_previous_run(
        tmp_path: Path, slow_scenario: Path) -> None:
    output = tmp_path / "runs" / "national"
    solve_file(TINY, output=output)  # the previous run
    before = snapshot(output)
    ready = tmp_path / "solving"
    process = subprocess.Popen(
        [sys.executable, "-c", ANNOUNCING_CLI, str(ready), "solve", str(slow_scenario), "-o",
         str(output)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=default_sigint)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the solve never started"
            time.sleep(0.02)
        time.sleep(1.5)  # well inside the second (MILP) stage, which alone takes seconds
        assert process.poll() is None, "the solve ended before it could be interrupted"
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        stopped_after = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == EXIT_INTERRUPTED, (out, err)
    assert stopped_after < 3.0, f"took {stopped_after:.1f} s to stop after Ctrl-C"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.startswith("Error: interrupted (Ctrl-C)"), err
    assert len(err.strip().splitlines()) == 1
    assert "Results written" not in out
    assert snapshot(output) == before
    assert [p.name for p in output.parent.iterdir()] == ["national"]  # no staging folder left


def run_with_stdout_closed(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Start the CLI with its stdout a pipe whose reader has already gone, as in ``| true``."""
    process = subprocess.Popen([*CLI, *arguments], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read()
    process.wait(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, "", err)


@pytest.mark.parametrize("json_output", [False, True], ids=["summary", "json"])
def test_solve_into_a_closed_pipe_exits_141_quietly(tmp_path: Path, json_output: bool) -> None:
    output = tmp_path / "run"
    done = run_with_stdout_closed("solve", str(TINY), "-o", str(output),
                                  *(["--json"] if json_output else []))
    assert done.returncode == EXIT_BROKEN_PIPE, done.stderr
    assert done.stderr == ""  # no traceback, no "Exception ignored ... BrokenPipeError"
    assert json.loads((output / "manifest.json").read_text())["optimal"] is True


def test_validate_into_a_closed_pipe_exits_141_quietly() -> None:
    done = run_with_stdout_closed("validate", str(TINY))
    assert done.returncode == EXIT_BROKEN_PIPE, done.stderr
    assert done.stderr == ""


def test_a_run_that_is_not_optimal_still_says_so_into_a_closed_pipe(tmp_path: Path) -> None:
    done = run_with_stdout_closed("solve", str(INFEASIBLE), "-o", str(tmp_path / "run"))
    assert done.returncode == NotOptimal.exit_code, done.stderr
    assert done.stderr.startswith("Error: the solve ended 'infeasible'"), done.stderr
    assert "Traceback" not in done.stderr


def test_head_reading_one_line_never_sees_exit_1_or_70(tmp_path: Path) -> None:
    """The everyday form: ``ssk-opt solve ... | head -1`` in a shell, with pipefail."""
    done = subprocess.run(
        ["bash", "-c", 'set -o pipefail; "$@" | head -1', "bash", *CLI, "solve", str(TINY), "-o",
         str(tmp_path / "run")], capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, EXIT_BROKEN_PIPE), done.stderr  # 0 when all fitted the pipe
    assert done.stdout.startswith("tiny: optimal")
    # nothing but warnings (the tiny plan's om_handover warning, printed when all fitted the pipe)
    assert all(line.startswith("Warning: ") for line in done.stderr.splitlines()), done.stderr
