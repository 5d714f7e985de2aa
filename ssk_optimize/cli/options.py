"""Option bundles shared by commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

scenario_argument: Callable[[Any], Any] = click.argument(
    "scenario", type=click.Path(dir_okay=False, path_type=Path))

overrides_option: Callable[[Any], Any] = click.option(
    "--set", "overrides", multiple=True, metavar="PATH=VALUE",
    help="Change a value without editing files, e.g. pools.dak_lamandau.budget.2027=0 or "
         "'pools[source=DAK].budget*=0.7'. Repeatable; recorded in the results.")
