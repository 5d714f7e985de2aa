"""The writer's side of the output-folder rule (``results/output.py``, ``results/writer.py``).

``write_run`` checks the target again when it swaps the finished run in: a folder that is not a
run is refused untouched, a run that appeared in a folder that was new when the run began is kept
(another run won the race), and a folder taken between that check and the final rename (the
rename fails with ENOTEMPTY) is reported the same way. Ctrl-C during the swap is held until the
swap is done, even in the two-rename fallback where an interrupt in between would leave no folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from invariants import RUN_FILES, check_run_folder

import ssk_optimize.results.writer as writer
from ssk_optimize.api import RunResult, solve_file
from ssk_optimize.errors import UsageError
from ssk_optimize.results import output

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny" / "whole_unit.yaml"


@pytest.fixture(scope="module")
def solved() -> RunResult:
    return solve_file(TINY)


def write(result: RunResult, folder: Path, new: bool = False) -> Path:
    return writer.write_run(folder, result.tables, result.manifest, result.loaded.resolved_yaml,
                            new=new)


def siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir())


def test_the_run_files_are_what_the_writer_writes(solved: RunResult, tmp_path: Path) -> None:
    folder = write(solved, tmp_path / "run")
    assert sorted(p.name for p in folder.iterdir()) == sorted(output.RUN_FILES) == sorted(RUN_FILES)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert sorted(manifest["run_files"]) == sorted(output.RUN_FILES)
    assert all(key in manifest for key in output.MANIFEST_KEYS)
    assert output.is_run_folder(folder)
    assert not output.is_run_folder(tmp_path)


def test_write_run_refuses_a_folder_that_is_not_a_run(solved: RunResult, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.md").write_text("mine")
    with pytest.raises(UsageError, match="is not a run folder"):
        write(solved, folder)
    assert [p.name for p in folder.iterdir()] == ["notes.md"]
    assert (folder / "notes.md").read_text() == "mine"
    assert siblings(folder) == ["mine"]


def test_a_run_written_meanwhile_into_a_new_folder_is_kept(solved: RunResult,
                                                          tmp_path: Path) -> None:
    folder = write(solved, tmp_path / "run")  # the other run, finished first
    before = (folder / "manifest.json").read_bytes()
    with pytest.raises(UsageError, match="written by another run while this one was solving"):
        write(solved, folder, new=True)
    assert (folder / "manifest.json").read_bytes() == before
    assert siblings(folder) == ["run"]
    assert write(solved, folder, new=False) == folder  # replacing a run we knew about is fine


def test_a_folder_taken_just_before_the_final_rename(solved: RunResult, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The last check saw the folder free; by the rename someone has filled it."""
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "theirs.txt").write_text("theirs")
    monkeypatch.setattr(writer, "replaceable_state", lambda path: "new")
    with pytest.raises(UsageError, match="written by another run") as caught:
        write(solved, folder, new=True)
    assert "-o " in str(caught.value)
    assert [p.name for p in folder.iterdir()] == ["theirs.txt"]
    assert siblings(folder) == ["run"]  # the staging folder is gone


HOLD = textwrap.dedent("""
    import os, pathlib, signal, sys
    import ssk_optimize.results.writer as writer
    from ssk_optimize.cli import main

    mode = sys.argv[1]
    if mode == "fallback":  # two renames; Ctrl-C arrives right after the first
        writer._exchange = lambda first, second: False
        original = pathlib.Path.rename
        calls = []
        def rename(self, target):
            result = original(self, target)
            calls.append(1)
            if len(calls) == 1:
                os.kill(os.getpid(), signal.SIGINT)
            return result
        pathlib.Path.rename = rename
    else:  # Ctrl-C arrives just before the atomic exchange
        original = writer._exchange
        def exchange(first, second):
            os.kill(os.getpid(), signal.SIGINT)
            return original(first, second)
        writer._exchange = exchange
    sys.argv = ["ssk-opt", "solve", *sys.argv[2:]]
    main()
""")


def default_sigint() -> None:
    """A child started from a background job would inherit SIGINT ignored; Python then never
    raises KeyboardInterrupt. Give it the default, as a terminal would."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("mode", ["exchange", "fallback"])
def test_ctrl_c_during_the_swap_is_held_until_it_is_done(tmp_path: Path, mode: str) -> None:
    folder = tmp_path / "run"
    solve_file(TINY, output=folder)
    old = (folder / "manifest.json").read_text()
    done = subprocess.run([sys.executable, "-c", HOLD, mode, str(TINY), "-o", str(folder)],
                          capture_output=True, text=True, timeout=120, preexec_fn=default_sigint)
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    assert "the new run is complete in" in done.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(RUN_FILES)
    assert (folder / "manifest.json").read_text() != old  # the new run (its own timings)
    assert check_run_folder(folder) == []
    assert siblings(folder) == ["run"]


def test_default_folders() -> None:
    assert output.default_folder("lamandau-baseline") == Path("results/lamandau-baseline")
    assert output.default_folder("..") == Path("results/scenario")
    assert output.default_folder(".") == Path("results/scenario")
    assert output.default_folder(".hidden") == Path("results/hidden")
    one = output.default_folder("x", ["a=1", "b=2"])
    assert one == output.default_folder("x", ["a=1", "b=2"]) != output.default_folder("x", ["a=1"])
    # overrides apply in turn: the same texts in another order are another run
    assert one != output.default_folder("x", ["b=2", "a=1"])
    assert one.name.startswith("x-") and len(one.name) == len("x-") + 8


def test_suggestions_do_not_exist_yet(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run-2").mkdir()
    assert output.suggest_folder(tmp_path / "run") == tmp_path / "run-3"
    assert not os.path.lexists(output.suggest_folder(tmp_path / "run"))
