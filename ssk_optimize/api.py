"""What the CLI and notebooks call: one function per user task.

Each function takes paths and plain options, calls the layers below in order and returns plain
results; it prints nothing (rendering is the CLI's job).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ssk_optimize.errors import Issue, ScenarioError
from ssk_optimize.scenario import LoadedScenario, load_scenario
from ssk_optimize.scenario.summary import ScenarioSummary, summarise

STARTER_NAME = "scenario.yaml"


@dataclass(frozen=True)
class Validation:
    """A validated scenario and its summary."""

    loaded: LoadedScenario
    summary: ScenarioSummary


def validate_file(path: str | Path, overrides: tuple[str, ...] = ()) -> Validation:
    """Load and validate a scenario file; raise ScenarioError listing every problem."""
    loaded = load_scenario(path, overrides)
    return Validation(loaded, summarise(loaded.scenario))


def init_folder(folder: str | Path, force: bool = False) -> Path:
    """Write a starter scenario a planner can edit into ``folder``; return its path."""
    folder = Path(folder)
    target = folder / STARTER_NAME
    if target.exists() and not force:
        raise ScenarioError([Issue("", f"{target} already exists", file=str(target),
                                   fix="choose another folder or pass --force to overwrite")])
    folder.mkdir(parents=True, exist_ok=True)
    text = (resources.files("ssk_optimize") / "templates" / "starter.yaml").read_text("utf-8")
    temporary = target.with_suffix(".yaml.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)
    return target
