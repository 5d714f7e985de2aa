"""The command line as a user meets it: version, help, init, validate output, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ssk_optimize import __version__, api
from ssk_optimize.cli import cli

COMMANDS = sorted(cli.commands)


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert "ssk-opt" in result.stdout
    assert __version__ in result.stdout


def test_the_group_and_the_commands_we_expect_exist() -> None:
    assert {"validate", "init"} <= set(COMMANDS)


def _last_paragraph(command: click.Command) -> str:
    paragraphs = [p.strip() for p in (command.help or "").strip().split("\n\n")]
    return paragraphs[-1]


@pytest.mark.parametrize("name", [None, *COMMANDS])
def test_help_exits_0_and_ends_with_an_example(name: str | None, runner: CliRunner) -> None:
    command = cli if name is None else cli.commands[name]
    arguments = ["--help"] if name is None else [name, "--help"]
    result = runner.invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    assert _last_paragraph(command).startswith("Example: ssk-opt"), command.help
    if name is not None:
        assert f"ssk-opt {name}" in _last_paragraph(command)
    assert "Example: ssk-opt" in result.stdout


def test_short_help_flag(runner: CliRunner) -> None:
    assert runner.invoke(cli, ["validate", "-h"]).exit_code == 0


def test_init_writes_a_scenario_that_validates(tmp_path: Path, runner: CliRunner) -> None:
    folder = tmp_path / "kabupaten"
    result = runner.invoke(cli, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    written = folder / api.STARTER_NAME
    assert written.is_file()
    assert str(written) in result.stdout
    validated = runner.invoke(cli, ["validate", str(written)])
    assert validated.exit_code == 0, validated.output
    assert "valid" in validated.stdout
    assert "Warning" not in validated.stderr


def test_init_refuses_to_overwrite_without_force(tmp_path: Path, runner: CliRunner) -> None:
    assert runner.invoke(cli, ["init", str(tmp_path)]).exit_code == 0
    written = tmp_path / api.STARTER_NAME
    written.write_text("# my own edits\n", encoding="utf-8")
    refused = runner.invoke(cli, ["init", str(tmp_path)])
    assert refused.exit_code == 2  # a usage error, not an invalid scenario
    assert "already exists" in refused.stderr
    assert "--force" in refused.stderr
    assert written.read_text(encoding="utf-8") == "# my own edits\n"
    forced = runner.invoke(cli, ["init", str(tmp_path), "--force"])
    assert forced.exit_code == 0
    assert written.read_text(encoding="utf-8").startswith("# Starter SSK funding scenario")
    assert not list(tmp_path.glob("*.tmp")), "the temporary file is renamed, never left behind"


def test_validate_prints_a_summary(tiny_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", str(tiny_path)])
    assert result.exit_code == 0, result.output
    assert "tiny: valid. 1 region(s), 3 pools, 4 programmes, years 2025-2027 (3)" in result.stdout
    assert "need exceeds budget" in result.stdout
    assert result.stderr == ""


def test_validate_json_is_parseable(tiny_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", str(tiny_path), "--json",
                                 "--set", "pools.dak_alpha.budget.2027=0"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["scenario"] == "tiny"
    assert summary["horizon"] == [2025, 2027]
    assert (summary["regions"], summary["pools"], summary["programs"]) == (1, 3, 4)
    by_source = {row["source"]: row for row in summary["by_source"]}
    assert set(by_source) == {"APBD_KAB", "DAK", "DANA_DESA"}
    assert by_source["DAK"]["budget"] == pytest.approx(200.0)  # 100 + 100 + 0 after --set
    assert summary["total_budget"] == pytest.approx(sum(r["budget"] for r in by_source.values()))


def test_validate_json_keeps_warnings_off_stdout(tmp_path: Path, tiny_path: Path,
                                                 runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", str(tiny_path), "--json",
                                 "--set", "programs.stbm.scale=regional"])
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)
    assert "Warning: programs.stbm" in result.stderr


@pytest.mark.parametrize("arguments", [
    ["validate"],                                   # missing argument
    ["validate", "x.yaml", "--no-such-option"],     # unknown option
    ["no-such-command"],
    ["validate", "."],                              # a folder, not a file
    ["init"],
])
def test_usage_errors_exit_2(arguments: list[str], runner: CliRunner) -> None:
    result = runner.invoke(cli, arguments)
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.stderr
    assert "Traceback" not in result.output


def test_an_unexpected_error_has_no_traceback_unless_debug(
        tiny_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "validate_file", broken)
    result = runner.invoke(cli, ["validate", str(tiny_path)])
    assert result.exit_code == 70
    assert "unexpected RuntimeError: boom" in result.stderr
    assert "--debug" in result.stderr
    assert "Traceback" not in result.output
    debug = runner.invoke(cli, ["--debug", "validate", str(tiny_path)])
    assert isinstance(debug.exception, RuntimeError)
