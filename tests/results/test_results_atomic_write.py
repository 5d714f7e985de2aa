"""A run folder is written atomically: a reader finds the previous complete run or the new
complete run, never a partial one, whatever moment the writer dies at.

Each test runs a small Python script in a subprocess that calls ``api.solve_file(..., output=DIR)``
with one writer step patched: to raise, or to announce itself (a "ready" file) and block, so the
test can SIGKILL it at that exact moment. Staging folders are hidden siblings
(``.DIR.partial-<pid>-*``); a killed writer leaves its own behind, readers of DIR never see it, and
the next write to DIR removes it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from invariants import RUN_FILES, check_run_folder

from ssk_optimize.api import solve_file

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny" / "whole_unit.yaml"

SCRIPT = textwrap.dedent("""
    import pathlib, shutil, sys, time
    import ssk_optimize.results.writer as writer
    from ssk_optimize.api import solve_file

    scenario, output, point, ready = sys.argv[1:5]
    calls = {"n": 0}

    def stop_here():
        if point.startswith("raise"):
            raise RuntimeError("disk full (simulated)")
        pathlib.Path(ready).write_text("ready")
        time.sleep(120)  # the test kills us here

    def wrap(original, after):
        def patched(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == after:
                stop_here()
            return original(*args, **kwargs)
        return patched

    if point in ("raise-table", "kill-table"):      # before the 3rd of the 4 Parquet files
        writer._write_table = wrap(writer._write_table, 3)
    elif point == "kill-text":                      # before scenario.resolved.yaml
        writer._write_text = wrap(writer._write_text, 2)
    elif point == "kill-swap":                      # just before the staging folder is swapped in
        writer._replace = wrap(writer._replace, 1)
    elif point == "kill-rename":                    # inside a fallback two-rename swap, between them
        writer._exchange = lambda first, second: False
        pathlib.Path.rename = wrap(pathlib.Path.rename, 2)
    elif point == "kill-cleanup":                   # after the swap, removing the previous run
        writer.shutil.rmtree = wrap(shutil.rmtree, 1)
    solve_file(scenario, output=output)
""")


def run_writer(tmp_path: Path, output: Path, point: str) -> subprocess.CompletedProcess[str] | None:
    """Run the script; for ``kill-*`` points wait until it blocks there and SIGKILL it."""
    ready = tmp_path / f"ready-{point}"
    command = [sys.executable, "-c", SCRIPT, str(TINY), str(output), point, str(ready)]
    if point.startswith("raise"):
        return subprocess.run(command, capture_output=True, text=True, timeout=120)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not ready.exists():
        if process.poll() is not None:
            pytest.fail(f"writer ended before reaching {point}: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"writer never reached {point}")
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    return None


def assert_complete(folder: Path) -> None:
    """All six files, each readable, and a sound run."""
    assert sorted(p.name for p in folder.iterdir()) == sorted(RUN_FILES)
    for name in ("allocations", "programs", "pools", "coverage"):
        pd.read_parquet(folder / f"{name}.parquet")
    json.loads((folder / "manifest.json").read_text())
    assert check_run_folder(folder) == []


def leftovers(output: Path) -> list[str]:
    return sorted(p.name for p in output.parent.iterdir() if p.name != output.name
                  and p.name.startswith(f".{output.name}."))


@pytest.fixture
def previous(tmp_path: Path) -> tuple[Path, str]:
    """A complete earlier run in ``runs/out`` and the text of its manifest."""
    output = tmp_path / "runs" / "out"
    solve_file(TINY, output=output)
    return output, (output / "manifest.json").read_text()


def test_error_while_writing_keeps_the_previous_run(tmp_path: Path,
                                                    previous: tuple[Path, str]) -> None:
    output, manifest = previous
    done = run_writer(tmp_path, output, "raise-table")
    assert done is not None and done.returncode != 0
    assert "disk full (simulated)" in done.stderr
    assert_complete(output)
    assert (output / "manifest.json").read_text() == manifest  # untouched
    assert leftovers(output) == []  # the failed writer removed its staging folder


def test_error_on_a_first_run_leaves_nothing(tmp_path: Path) -> None:
    output = tmp_path / "runs" / "out"
    done = run_writer(tmp_path, output, "raise-table")
    assert done is not None and done.returncode != 0
    assert not output.exists()
    assert leftovers(output) == []


@pytest.mark.parametrize("point", ["kill-table", "kill-text", "kill-swap"])
def test_kill_before_the_swap_keeps_the_previous_run(tmp_path: Path, previous: tuple[Path, str],
                                                     point: str) -> None:
    output, manifest = previous
    run_writer(tmp_path, output, point)
    assert_complete(output)
    assert (output / "manifest.json").read_text() == manifest
    stale = leftovers(output)
    assert len(stale) == 1 and stale[0].startswith(".out.partial-")  # the dead writer's staging
    solve_file(TINY, output=output)  # the next run to the same folder cleans it up
    assert_complete(output)
    assert leftovers(output) == []


def test_kill_on_a_first_run_leaves_no_folder(tmp_path: Path) -> None:
    output = tmp_path / "runs" / "out"
    run_writer(tmp_path, output, "kill-table")
    assert not output.exists()


def test_kill_after_the_swap_leaves_the_new_run(tmp_path: Path, previous: tuple[Path, str]) -> None:
    output, manifest = previous
    run_writer(tmp_path, output, "kill-cleanup")
    assert_complete(output)
    assert (output / "manifest.json").read_text() != manifest  # the new run (its own timings)
    solve_file(TINY, output=output)
    assert leftovers(output) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 exchange is Linux-only")
def test_replacing_a_run_is_one_atomic_exchange(tmp_path: Path,
                                                previous: tuple[Path, str]) -> None:
    """A reader polling the folder while it is replaced again and again never misses it."""
    output, _ = previous
    script = (f"from ssk_optimize.api import solve_file\n"
              f"for _ in range(10): solve_file({str(TINY)!r}, output={str(output)!r})\n")
    process = subprocess.Popen([sys.executable, "-c", script])
    missing = 0
    polls = 0
    while process.poll() is None:
        polls += 1
        missing += not (output / "manifest.json").exists()
    assert process.returncode == 0
    assert polls > 100 and missing == 0
    assert_complete(output)


def test_fallback_without_exchange_keeps_the_previous_run_aside(
        tmp_path: Path, previous: tuple[Path, str]) -> None:
    """Without an atomic exchange (not Linux) a kill between the two renames leaves the target
    absent; the previous run survives, complete, as ``.out.old-<pid>-*``, and the next write
    cleans it up."""
    output, manifest = previous
    run_writer(tmp_path, output, "kill-rename")
    assert not output.exists()
    aside = [output.parent / name for name in leftovers(output) if name.startswith(".out.old-")]
    assert len(aside) == 1
    assert (aside[0] / "manifest.json").read_text() == manifest
    assert_complete(aside[0])
    solve_file(TINY, output=output)
    assert_complete(output)
    assert leftovers(output) == []
