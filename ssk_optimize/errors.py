"""One exception hierarchy; each class carries the exit code the CLI returns for it.

Exit codes (documented in the README and docs/scenario-format.md; tests/cli checks they agree):
    0    success
    1    invalid scenario (ScenarioError)
    2    usage error (click's own code, and UsageError: e.g. an output folder that is not a run)
    3    infeasible, or not proved optimal (NotOptimal)
    4    solver not available (SolverUnavailable)
    70   internal error, a bug: please report it (EXIT_INTERNAL)
    130  interrupted by Ctrl-C (Interrupted; 128 + SIGINT)
    141  standard output closed early, e.g. piped into ``head`` (EXIT_BROKEN_PIPE; 128 + SIGPIPE)
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_USAGE = 2
"""click's code for a bad command line; UsageError uses the same."""
EXIT_INTERNAL = 70
"""An unexpected exception (EX_SOFTWARE): a bug, reported with a hint to rerun with --debug."""
EXIT_INTERRUPTED = 130
"""Ctrl-C: 128 + SIGINT, as a shell reports a command killed by it."""
EXIT_BROKEN_PIPE = 141
"""Standard output was closed by its reader: 128 + SIGPIPE, as a shell reports ``yes | head``."""


class SskError(Exception):
    """Base class for every error the engine raises on purpose."""

    exit_code: int = 1


@dataclass(frozen=True)
class Issue:
    """One problem found in a scenario, with where it sits and how to fix it.

    ``path`` is the key path inside the scenario (``programs.ipal_kujan.region``), ``file`` and
    ``line`` point at the YAML text (1-based; 0 when unknown), ``column`` is set for syntax errors.
    """

    path: str
    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    fix: str = ""
    severity: str = "error"  # "error" | "warning"

    def location(self) -> str:
        """``lamandau.yaml:41`` or ``lamandau.yaml:41:7``, or the file alone when no line is known."""
        if not self.file:
            return ""
        if self.line and self.column:
            return f"{self.file}:{self.line}:{self.column}"
        if self.line:
            return f"{self.file}:{self.line}"
        return self.file

    def render(self) -> str:
        """One line a planner can act on: ``path (file:line): message (fix)``.

        Without a key path (a syntax error, an empty file) the location leads, as compilers print
        it: ``lamandau.yaml:12:7: message (fix)``.
        """
        where = self.location()
        if self.path:
            head = f"{self.path} ({where})" if where else self.path
        else:
            head = where or "scenario"
        text = f"{head}: {self.message}"
        if self.fix:
            text += f" ({self.fix})"
        return text


@dataclass
class ScenarioError(SskError):
    """The scenario cannot be used; ``issues`` lists every problem found in one pass."""

    issues: list[Issue] = field(default_factory=list)
    exit_code: int = 1

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        errors = [i for i in self.issues if i.severity == "error"]
        lines = [f"invalid scenario: {len(errors)} problem(s)"]
        lines += [f"  {i.render()}" for i in errors]
        return "\n".join(lines)


class UsageError(SskError):
    """The command was asked for something it cannot do as given (e.g. overwrite without --force)."""

    exit_code = EXIT_USAGE


class NotOptimal(SskError):
    """The solver stopped without proving an optimum (infeasible, unbounded, time limit...)."""

    exit_code = 3


class SolverUnavailable(SskError):
    """The requested solver is not installed or cannot be started."""

    exit_code = 4


class Interrupted(SskError):
    """Ctrl-C stopped the command; the message says what was (not) written."""

    exit_code = EXIT_INTERRUPTED
