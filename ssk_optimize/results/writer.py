"""Write a run folder atomically: four Parquet files, ``manifest.json``, ``scenario.resolved.yaml``.

Every table has a fixed Arrow schema (``results/schemas.py``: column names and types never depend
on the data), rows are sorted by key, and the manifest's main fields sit in each file's key-value
metadata. Files are
written into a temporary sibling folder which then replaces the target, so a reader finds the
previous complete run or the new complete run, never a half-written one.

Only a folder that is absent, empty or a previous run may be replaced (``results/output.py``); the
writer checks this again just before the swap, and when the folder was new when the run began but
another run has written it since, it refuses (UsageError) and leaves that run in place. Ctrl-C is
held back during the swap itself and honoured right after it.

Replacing an existing run is one atomic exchange of the two folders on Linux (``renameat2`` with
``RENAME_EXCHANGE``), so even a kill at that moment leaves the previous or the new run in place.
Elsewhere the old run is first renamed aside (a kill in between leaves the target absent, with
the previous run intact in ``.NAME.old-*``). Staging folders are hidden siblings
``.NAME.partial-<pid>-<random>``; a writer killed before the swap leaves one behind, and the next
write to the same folder removes those whose process is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import signal
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from ssk_optimize.errors import Interrupted, UsageError
from ssk_optimize.results.output import replaceable_state, suggest_folder
from ssk_optimize.results.schemas import TABLES, arrow_table, file_metadata
from ssk_optimize.results.tables import RunTables


def write_run(folder: Path, tables: RunTables, manifest: dict[str, Any],
              resolved_yaml: str, *, new: bool = False,
              diagnosis: tuple[pd.DataFrame, str] | None = None) -> Path:
    """Write the whole run into ``folder`` atomically; return the folder.

    ``folder`` must be absent, empty or a previous run, else UsageError before anything is
    written. ``new``: it was absent or empty when this run began (``check_output_folder``), so a
    run found there at swap time was written by another run meanwhile; it is kept (UsageError).
    ``diagnosis``: an infeasible run's table and text, written as ``diagnosis.parquet`` and
    ``diagnosis.txt`` (the manifest's ``run_files`` must list them).
    """
    folder = Path(folder)
    replaceable_state(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(folder)
    staging = folder.parent / f".{folder.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        for name in TABLES:
            _write_table(staging / f"{name}.parquet", getattr(tables, name), name,
                         file_metadata(manifest, name))
        _write_text(staging / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True,
                                                          default=_json_default) + "\n")
        _write_text(staging / "scenario.resolved.yaml", resolved_yaml)
        if diagnosis is not None:
            _write_table(staging / "diagnosis.parquet", diagnosis[0], "diagnosis",
                         file_metadata(manifest, "diagnosis"))
            _write_text(staging / "diagnosis.txt", diagnosis[1])
        with _interrupts_held() as interrupted:
            _replace(staging, folder, new)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if interrupted:
        raise Interrupted(f"interrupted (Ctrl-C) while the results were being written; the new "
                          f"run is complete in {folder}")
    return folder


def _write_table(path: Path, frame: pd.DataFrame, name: str, metadata: dict[bytes, bytes]) -> None:
    pq.write_table(arrow_table(frame, name, metadata), path, compression="zstd")
    _fsync(path)


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _replace(staging: Path, folder: Path, new: bool = False) -> None:
    """Swap the finished staging folder in; the old run is removed only after the swap.

    The target is checked again here (still absent, empty or a run of ours). A target that was
    absent but is taken by the time of the final rename (two runs racing to create it) makes the
    rename fail; that becomes a UsageError and the other run's folder stays as it is.
    """
    state = replaceable_state(folder)
    if new and state == "run":
        raise UsageError(_taken(folder))
    if state == "run" and _exchange(staging, folder):
        shutil.rmtree(staging, ignore_errors=True)  # it now holds the previous run
        _fsync_folder(folder.parent)
        return
    old = None
    if state == "run":
        old = folder.parent / f".{folder.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        folder.rename(old)
    try:
        staging.rename(folder)
    except OSError as error:
        if error.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise
        kept = f"; the previous run is kept in {old}" if old is not None else ""
        raise UsageError(_taken(folder) + kept) from None
    _fsync_folder(folder.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _taken(folder: Path) -> str:
    return (f"output folder '{folder}' was written by another run while this one was solving; "
            f"that run is left as it is and these results were not written. Run again with a "
            f"new folder, e.g. -o {suggest_folder(folder)}")


@contextlib.contextmanager
def _interrupts_held() -> Iterator[list[int]]:
    """Hold Ctrl-C (SIGINT) back while the folders are swapped; the caller honours it after.

    Only on the main thread and when Python's own handler is installed (never overriding a
    handler someone else set).
    """
    received: list[int] = []
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield received
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, previous)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(first: Path, second: Path) -> bool:
    """Atomically swap two existing paths (Linux ``renameat2``); False where not supported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # no libc symbol (old glibc, musl without it)
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second),
                 _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):  # kernel or file system says no
        return False
    raise OSError(code, os.strerror(code), str(second))


def _fsync_folder(path: Path) -> None:
    """Make a rename durable (best effort: not every platform can open a folder)."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _remove_stale(folder: Path) -> None:
    """Remove ``.NAME.partial-<pid>-*`` / ``.NAME.old-<pid>-*`` siblings of dead writers.

    (``check_output_folder`` probes the parent with an empty ``.NAME.partial-<pid>-*`` folder of
    the same form.)"""
    for prefix in (f".{folder.name}.partial-", f".{folder.name}.old-"):
        for path in folder.parent.glob(f"{_glob_escape(prefix)}*"):
            pid = path.name[len(prefix):].partition("-")[0]
            if pid.isdigit() and not _alive(int(pid)) and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    except OSError:
        return True
    return True


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)
