"""The exit-code tables in README.md and docs/scenario-format.md, the list in errors.py and the
``ssk-opt --help`` text name exactly the codes the code can return, so they cannot drift apart.

The codes in code: 0, every ``SskError`` subclass's ``exit_code``, click's usage-error code, and
the constants the CLI exits with (internal error, Ctrl-C, closed stdout).
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from ssk_optimize import errors
from ssk_optimize.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = {"README.md": "### Exit codes", "docs/scenario-format.md": "## Exit codes"}


def _subclasses(base: type[errors.SskError]) -> list[type[errors.SskError]]:
    found: list[type[errors.SskError]] = []
    for sub in base.__subclasses__():
        assert issubclass(sub, errors.SskError)
        found += [sub, *_subclasses(sub)]
    return found


def codes_in_code() -> set[int]:
    classes: list[type[errors.SskError]] = [errors.SskError, *_subclasses(errors.SskError)]
    return ({errors.EXIT_OK, errors.EXIT_USAGE, errors.EXIT_INTERNAL, errors.EXIT_INTERRUPTED,
             errors.EXIT_BROKEN_PIPE} | {int(cls.exit_code) for cls in classes})


def table(path: str, heading: str) -> dict[int, str]:
    """``| code | meaning |`` rows of the table under ``heading``."""
    text = (ROOT / path).read_text(encoding="utf-8")
    assert heading in text, f"{path} has no '{heading}' section"
    section = text.split(heading, 1)[1]
    rows: dict[int, str] = {}
    for line in section.splitlines()[1:]:
        if line.startswith("#"):
            break
        match = re.match(r"\|\s*(\d+)\s*\|(.*)\|\s*$", line)
        if match:
            code = int(match.group(1))
            assert code not in rows, f"{path}: code {code} listed twice"
            rows[code] = match.group(2)
    return rows


def test_the_codes_in_code_are_the_ones_we_expect() -> None:
    """A guard on the collector itself: a dropped class or constant shows up here."""
    assert codes_in_code() == {0, 1, 2, 3, 4, 70, 130, 141}
    assert click.UsageError.exit_code == errors.EXIT_USAGE == errors.UsageError.exit_code
    assert errors.Interrupted.exit_code == errors.EXIT_INTERRUPTED


@pytest.mark.parametrize("path", sorted(DOCS))
def test_doc_tables_list_exactly_the_codes_in_code(path: str) -> None:
    rows = table(path, DOCS[path])
    assert set(rows) == codes_in_code(), f"{path} lists {sorted(rows)}"


@pytest.mark.parametrize("path", sorted(DOCS))
def test_doc_tables_put_init_over_an_existing_file_and_refused_folders_under_2(path: str) -> None:
    """``init`` raises UsageError (exit 2), and so does a refused output folder."""
    rows = table(path, DOCS[path])
    assert "init" in rows[2] and "output folder" in rows[2]
    assert "init" not in rows[1]
    assert "Ctrl-C" in rows[130] and "report" in rows[70]


def test_the_errors_docstring_lists_the_same_codes() -> None:
    doc = errors.__doc__ or ""
    listed = {int(code) for code in re.findall(r"^\s+(\d+)\s{2,}\S", doc, flags=re.MULTILINE)}
    assert listed == codes_in_code()


def test_the_help_text_lists_the_same_codes() -> None:
    help_text = " ".join((cli.help or "").split())
    sentence = help_text.split("Exit codes:", 1)[1].split(".", 1)[0]
    listed = {int(code) for code in re.findall(r"(?:^|,)\s*(\d+)\s", sentence)}
    assert listed == codes_in_code(), sentence
