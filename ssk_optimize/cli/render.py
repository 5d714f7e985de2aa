"""Shared CLI helpers: error handling with exit codes, rich consoles, money formatting."""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console

from ssk_optimize.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    Issue,
    ScenarioError,
    SskError,
)

F = TypeVar("F", bound=Callable[..., Any])

class _Console(Console):
    """rich's console, except that a reader who left (``| head``) is not exit 1 ("invalid scenario")."""

    def on_broken_pipe(self) -> None:
        """stdout: raise, so the command exits 141 (handle_errors); stderr: go quiet."""
        self.quiet = True
        if not self.stderr:
            raise BrokenPipeError(errno.EPIPE, "the reader of standard output has gone")


def _console(stderr: bool = False) -> Console:
    """Wide tables when output goes to a file or pipe (no terminal to measure).

    ``emoji=False``: a message quoting a user's value (``unknown key ':fire:'``) prints it as
    written, never as an emoji.
    """
    console = _Console(stderr=stderr, highlight=False, soft_wrap=True, emoji=False)
    if not console.is_terminal:
        console = _Console(stderr=stderr, highlight=False, soft_wrap=True, emoji=False, width=160)
    return console


out = _console()
err = _console(stderr=True)


def handle_errors(command: F) -> F:
    """Turn engine errors into ``Error: ...`` on stderr and their exit code; no traceback.

    Ctrl-C exits 130 with one line; a closed standard output (``| head``) exits 141 quietly.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool((click.get_current_context().find_root().obj or {}).get("debug"))
        try:
            return command(*args, **kwargs)
        except SskError as error:
            if debug:
                raise
            print_error(error)
            sys.exit(error.exit_code)
        except KeyboardInterrupt:
            if debug:
                raise
            err.print("Error: interrupted (Ctrl-C)", markup=False)
            sys.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            quiet_stdout()
            sys.exit(EXIT_BROKEN_PIPE)
        except Exception as error:  # noqa: BLE001 - the last line of defence against tracebacks
            if debug:
                raise
            err.print(f"Error: unexpected {type(error).__name__}: {error} "
                      "(run with --debug for the traceback and please report it)", markup=False)
            sys.exit(EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


def quiet_stdout() -> None:
    """After the reader of standard output has gone: send what is left to /dev/null.

    Python would otherwise fail again flushing stdout at exit ("Exception ignored ... Broken
    pipe", exit 120). Only a real file descriptor is redirected (not a test runner's buffer).
    """
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, descriptor)
    finally:
        os.close(devnull)


def print_error(error: SskError) -> None:
    """Print an engine error as plain lines on stderr."""
    if isinstance(error, ScenarioError):
        errors = [i for i in error.issues if i.severity == "error"]
        err.print(f"Error: invalid scenario, {len(errors)} problem(s):", markup=False)
        for issue in errors:
            err.print(f"  {issue.render()}", markup=False)
        return
    err.print(f"Error: {error}", markup=False)


def print_warnings(warnings: tuple[Issue, ...] | list[Issue]) -> None:
    """Warnings go to stderr so ``--json`` output stays clean."""
    for issue in warnings:
        err.print(f"Warning: {issue.render()}", markup=False)


def money(value: float) -> str:
    """Thousands separators, no decimals for large figures (nor for nothing at all)."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"
