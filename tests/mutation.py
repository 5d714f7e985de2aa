"""Corrupting a sound run folder for checker tests: copy it, change its tables, check the copy."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from invariants import check_run_folder

Mutation = Callable[[dict[str, pd.DataFrame]], None]
TABLES = ("allocations", "programs", "pools", "coverage")


def mutated_folder(source: Path, folder: Path, change: Mutation) -> list[str]:
    """Copy the run folder ``source`` to ``folder``, apply ``change`` to its four tables (read
    with text columns as text), write them back and return the run-folder checker's messages."""
    shutil.copytree(source, folder)
    tables = {t: plain(pd.read_parquet(folder / f"{t}.parquet")) for t in TABLES}
    change(tables)
    for table, frame in tables.items():
        frame.to_parquet(folder / f"{table}.parquet", index=False)
    return check_run_folder(folder)


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Category columns as text, so a mutation may write a value the file never had."""
    kinds = {c: object for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)}
    return frame.astype(kinds)
