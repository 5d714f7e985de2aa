"""``ssk-opt solve -o DIR`` replaces DIR only when it is absent, empty or a previous run folder.

Every other target is refused with exit 2 before the scenario is even read (``load_scenario`` is
made to explode, so a refusal that came after loading or solving fails the test), the message names
the folder and a fresh one, and the file tree is byte-identical afterwards. Default folders come
from the scenario id, plus a hash of the ``--set`` texts when there are any. Two runs racing for a
new folder: one wins, the other exits 2 and leaves the winner's run as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ssk_optimize import api
from ssk_optimize.cli import cli
from ssk_optimize.results.output import RUN_FILES

TINY = Path(__file__).resolve().parents[1] / "data" / "valid" / "tiny.yaml"


def snapshot(root: Path) -> dict[str, object]:
    """Every path under ``root`` (itself included) with its kind, bytes and mode."""
    tree: dict[str, object] = {}
    for path in [root, *sorted(root.rglob("*"))] if root.exists() else []:
        key = str(path.relative_to(root))
        if path.is_symlink():
            tree[key] = ("link", os.readlink(path))
        elif path.is_dir():
            tree[key] = ("dir", path.stat().st_mode)
        else:
            tree[key] = ("file", path.read_bytes(), path.stat().st_mode)
    return tree


def solve(runner: CliRunner, *arguments: str) -> Result:
    return runner.invoke(cli, ["solve", *arguments])


@pytest.fixture
def run_folder(tmp_path: Path) -> Path:
    """A complete earlier run of the tiny scenario in ``tmp/runs/tiny``."""
    folder = tmp_path / "runs" / "tiny"
    api.solve_file(TINY, output=folder)
    return folder


@pytest.fixture
def no_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to read the scenario fails the command with exit 70 (so the test fails)."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the scenario was read before the output folder was checked")

    monkeypatch.setattr(api, "load_scenario", refuse)


def assert_refused(result: Result, named: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: output folder '{named}'"), result.stderr
    assert "Nothing was changed" in result.stderr
    assert "choose a new folder, e.g. -o " in result.stderr


# --- refused targets -----------------------------------------------------------------------------

def test_a_folder_with_other_files_is_refused_and_untouched(
        tmp_path: Path, runner: CliRunner, no_loading: None) -> None:
    folder = tmp_path / "thesis"
    (folder / "chapter").mkdir(parents=True)
    (folder / "draft.docx").write_bytes(b"years of work")
    (folder / "chapter" / "notes.txt").write_text("more")
    before = snapshot(tmp_path)
    result = solve(runner, str(TINY), "-o", str(folder))
    assert_refused(result, str(folder))
    assert "not a run folder" in result.stderr and "draft.docx" in result.stderr
    assert f"-o {folder}-2" in result.stderr
    assert snapshot(tmp_path) == before


def test_the_folder_holding_the_scenario_is_refused(tmp_path: Path, runner: CliRunner,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(cli, ["init", "kab"]).exit_code == 0
    before = snapshot(tmp_path)
    result = solve(runner, "kab/scenario.yaml", "-o", "kab")
    assert_refused(result, "kab")
    assert "kab/scenario.yaml" in result.stderr
    assert snapshot(tmp_path) == before


def test_a_run_folder_holding_the_scenario_being_solved_is_refused(
        run_folder: Path, runner: CliRunner) -> None:
    """Even a run of ours: replacing it would delete the file being solved."""
    before = snapshot(run_folder)
    result = solve(runner, str(run_folder / "scenario.resolved.yaml"), "-o", str(run_folder))
    assert_refused(result, str(run_folder))
    assert "holds the scenario file" in result.stderr
    assert snapshot(run_folder) == before


@pytest.mark.parametrize("target", [".", "", "..", "./", "sub/.."])
def test_the_current_folder_and_dot_names_are_refused(
        target: str, tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
        no_loading: None) -> None:
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "mine.txt").write_text("keep me")
    monkeypatch.chdir(work)
    before = snapshot(tmp_path)
    result = solve(runner, str(TINY), "-o", target)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: output folder"), result.stderr
    assert "-o results/tiny" in result.stderr  # a fresh folder named after the scenario
    assert snapshot(tmp_path) == before


def test_an_empty_current_folder_is_refused_too(tmp_path: Path, runner: CliRunner,
                                               monkeypatch: pytest.MonkeyPatch,
                                               no_loading: None) -> None:
    """Empty folders may be replaced, but never the one the user is in."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    result = solve(runner, str(TINY), "-o", str(empty))
    assert_refused(result, str(empty))
    assert "running in" in result.stderr
    assert list(empty.iterdir()) == []


def test_a_folder_under_proc_is_refused(runner: CliRunner, no_loading: None) -> None:
    if not Path("/proc/self").exists():
        pytest.skip("no /proc")
    target = f"/proc/ssk-opt-test-{os.getpid()}"
    result = solve(runner, str(TINY), "-o", target)
    assert_refused(result, target)
    assert "cannot be written" in result.stderr
    assert not Path(target).exists()


def test_a_parent_that_is_a_file_is_refused(tmp_path: Path, runner: CliRunner,
                                            no_loading: None) -> None:
    """Root ignores permission bits, so the unwritable parent here is a regular file."""
    (tmp_path / "report.pdf").write_bytes(b"%PDF")
    before = snapshot(tmp_path)
    target = tmp_path / "report.pdf" / "deeper" / "run"
    result = solve(runner, str(TINY), "-o", str(target))
    assert_refused(result, str(target))
    assert "is a file, not a folder" in result.stderr
    assert snapshot(tmp_path) == before


def test_a_file_as_the_target_is_refused(tmp_path: Path, runner: CliRunner) -> None:
    target = tmp_path / "scores.csv"
    target.write_text("a,b\n")
    result = solve(runner, str(TINY), "-o", str(target))
    assert result.exit_code == 2, result.output
    assert target.read_text() == "a,b\n"


def test_a_symbolic_link_to_a_run_is_refused(run_folder: Path, runner: CliRunner,
                                             no_loading: None) -> None:
    link = run_folder.parent / "latest"
    link.symlink_to(run_folder, target_is_directory=True)
    before = snapshot(run_folder.parent)
    result = solve(runner, str(TINY), "-o", str(link))
    assert_refused(result, str(link))
    assert "symbolic link" in result.stderr
    assert snapshot(run_folder.parent) == before


def name_max(folder: Path) -> int:
    return int(os.pathconf(folder, "PC_NAME_MAX"))


def test_a_name_longer_than_the_file_system_allows_is_refused(tmp_path: Path, runner: CliRunner,
                                                              no_loading: None) -> None:
    target = tmp_path / ("r" * (name_max(tmp_path) + 1))
    result = solve(runner, str(TINY), "-o", str(target))
    assert_refused(result, str(target))
    assert "too long" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_name_whose_staging_folder_would_not_fit_is_refused(tmp_path: Path, runner: CliRunner,
                                                              no_loading: None) -> None:
    """NAME itself fits, but ``.NAME.partial-<pid>-<hex>`` would not: refuse before solving."""
    target = tmp_path / ("r" * (name_max(tmp_path) - 5))
    result = solve(runner, str(TINY), "-o", str(target))
    assert_refused(result, str(target))
    assert "staging" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_longest_name_that_fits_is_written(tmp_path: Path, runner: CliRunner) -> None:
    room = name_max(tmp_path) - len(f"..partial-{os.getpid()}-12345678")
    target = tmp_path / ("r" * room)
    result = solve(runner, str(TINY), "-o", str(target))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in target.iterdir()) == sorted(RUN_FILES)


@pytest.mark.parametrize("case", ["no_manifest_keys", "manifest_not_json", "manifest_a_list",
                                  "run_plus_user_file", "run_plus_subfolder", "bad_sha256"])
def test_lookalike_run_folders_are_refused(case: str, run_folder: Path, runner: CliRunner,
                                           no_loading: None) -> None:
    manifest = run_folder / "manifest.json"
    if case == "no_manifest_keys":
        manifest.write_text(json.dumps({"name": "my project", "version": 2}))
    elif case == "manifest_not_json":
        manifest.write_text("{not json")
    elif case == "manifest_a_list":
        manifest.write_text("[]")
    elif case == "run_plus_user_file":
        (run_folder / "analysis.xlsx").write_bytes(b"PK")
    elif case == "run_plus_subfolder":
        (run_folder / "plots").mkdir()
    else:
        data = json.loads(manifest.read_text())
        data["scenario_sha256"] = "not a hash"
        manifest.write_text(json.dumps(data))
    before = snapshot(run_folder)
    result = solve(runner, str(TINY), "-o", str(run_folder))
    assert_refused(result, str(run_folder))
    assert snapshot(run_folder) == before


# --- accepted targets ----------------------------------------------------------------------------

def test_absent_and_empty_folders_are_written(tmp_path: Path, runner: CliRunner) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for target in (tmp_path / "new" / "deeper", empty):
        result = solve(runner, str(TINY), "-o", str(target))
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in target.iterdir()) == sorted(RUN_FILES)
        assert f"Results written to {target}" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "new"]  # no probe left


def test_a_previous_run_is_replaced(run_folder: Path, runner: CliRunner) -> None:
    (run_folder / ".DS_Store").write_bytes(b"\0")  # desktop clutter does not block a re-run
    old = (run_folder / "manifest.json").read_text()
    result = solve(runner, str(TINY), "-o", str(run_folder), "--set", "pools.dak_alpha.budget.2027=0")
    assert result.exit_code == 0, result.output
    new = json.loads((run_folder / "manifest.json").read_text())
    assert new["overrides"] == ["pools.dak_alpha.budget.2027=0"] and json.loads(old)["overrides"] == []
    assert sorted(new["run_files"]) == sorted(p.name for p in run_folder.iterdir())


def test_a_run_of_a_later_version_with_more_files_is_replaced(run_folder: Path,
                                                              runner: CliRunner) -> None:
    """Files a later version declares in ``run_files`` count as run files."""
    manifest = json.loads((run_folder / "manifest.json").read_text())
    manifest["run_files"] = [*manifest["run_files"], "plan_check.json"]
    manifest["engine_version"] = "99.0"
    (run_folder / "manifest.json").write_text(json.dumps(manifest))
    (run_folder / "plan_check.json").write_text("{}")
    result = solve(runner, str(TINY), "-o", str(run_folder))
    assert result.exit_code == 0, result.output
    assert not (run_folder / "plan_check.json").exists()


# --- default folders -----------------------------------------------------------------------------

def override_hash(*texts: str) -> str:
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:8]


def test_default_folder_is_named_after_the_scenario_id_and_overrides(
        tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "kabupaten_file.yaml"  # a file name unlike the id
    shutil.copy(TINY, scenario)
    base = runner.invoke(cli, ["solve", scenario.name])
    assert base.exit_code == 0, base.output
    assert (tmp_path / "results" / "tiny" / "manifest.json").is_file()
    assert "Results written to results/tiny" in base.stdout and "hash" not in base.stdout
    base_before = snapshot(tmp_path / "results" / "tiny")

    # (DAK not cut: the whole IPAL unit its locked 2026 money commits must still be affordable in 2026)
    first, second = "pools.dak_alpha.budget.2027=0", "pools[source=DAK].budget*=1.5"
    variant = runner.invoke(cli, ["solve", scenario.name, "--set", first, "--set", second])
    assert variant.exit_code == 0, variant.output
    folder = Path("results") / f"tiny-{override_hash(first, second)}"
    assert f"Results written to {folder}" in variant.stdout
    assert override_hash(first, second) in variant.stdout and "--set" in variant.stdout
    assert json.loads((tmp_path / folder / "manifest.json").read_text())["overrides"] == [first, second]
    assert snapshot(tmp_path / "results" / "tiny") == base_before  # the base run is untouched

    swapped = runner.invoke(cli, ["solve", scenario.name, "--set", second, "--set", first,
                                  "--json"])
    assert swapped.exit_code == 0, swapped.output
    json.loads(swapped.stdout)  # stdout stays JSON; the folder note goes to stderr
    # overrides apply in turn, so the same two in the other order are another run, another folder
    other = Path("results") / f"tiny-{override_hash(second, first)}"
    assert other != folder and f"Results written to {other}" in swapped.stderr
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == sorted(
        ["tiny", folder.name, other.name])


def test_a_dot_scenario_id_never_names_the_results_folder_itself(
        tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """``..yaml`` has the stem ``.``; with the id ``..`` too, the run still gets its own folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "other-run-notes.txt").write_text("keep")
    text = TINY.read_text().replace("scenario: tiny", 'scenario: ".."', 1)
    (tmp_path / "..yaml").write_text(text)
    result = runner.invoke(cli, ["solve", "..yaml"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["other-run-notes.txt",
                                                                        "scenario"]
    assert (tmp_path / "results" / "scenario" / "manifest.json").is_file()


def test_a_default_folder_that_is_not_a_run_is_refused_before_building(
        tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results" / "tiny").mkdir(parents=True)
    (tmp_path / "results" / "tiny" / "budget.xlsx").write_bytes(b"PK")

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the model was built before the output folder was checked")

    monkeypatch.setattr(api, "build_model", refuse)
    before = snapshot(tmp_path)
    result = runner.invoke(cli, ["solve", str(TINY)])
    assert_refused(result, "results/tiny")
    assert "-o results/tiny-2" in result.stderr
    assert snapshot(tmp_path) == before


# --- two runs racing for one new folder ----------------------------------------------------------

RACER = textwrap.dedent("""
    import pathlib, sys, time
    import ssk_optimize.results.writer as writer
    from ssk_optimize.cli import main

    ready, go = map(pathlib.Path, sys.argv[1:3])
    original = writer._replace

    def paused(*args, **kwargs):  # the run is finished and about to be swapped in
        ready.write_text("ready")
        deadline = time.monotonic() + 60
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        return original(*args, **kwargs)

    writer._replace = paused
    sys.argv = ["ssk-opt", "solve", *sys.argv[3:]]
    main()
""")


@pytest.mark.parametrize("winner_fills", ["a_run", "other_files"])
def test_two_runs_racing_for_a_new_folder(tmp_path: Path, winner_fills: str) -> None:
    """The first run checked the folder while it was absent; by the time it has finished,
    someone else wrote the folder. It exits 2 with a clear message and leaves that folder alone."""
    target = tmp_path / "runs" / "new"
    ready, go = tmp_path / "ready", tmp_path / "go"
    slow = subprocess.Popen([sys.executable, "-c", RACER, str(ready), str(go), str(TINY),
                             "-o", str(target)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert slow.poll() is None, slow.communicate()
            assert time.monotonic() < deadline, "the first run never reached the swap"
            time.sleep(0.02)
        if winner_fills == "a_run":
            fast = subprocess.run([sys.executable, "-m", "ssk_optimize", "solve", str(TINY), "-o",
                                   str(target)], capture_output=True, text=True, timeout=60)
            assert fast.returncode == 0, fast.stderr
        else:
            target.mkdir(parents=True)
            (target / "someone-else.txt").write_text("mine")
        before = snapshot(target)
        go.write_text("go")
        out, err = slow.communicate(timeout=60)
    finally:
        if slow.poll() is None:
            slow.kill()
    assert slow.returncode == 2, (out, err)
    assert "Traceback" not in err
    assert err.startswith(f"Error: output folder '{target}'"), err
    if winner_fills == "a_run":
        assert "was written by another run while this one was solving" in err
    assert snapshot(target) == before
    assert [p.name for p in target.parent.iterdir()] == ["new"]  # no staging folder left
