"""One file written atomically: the report, the workbook and the comparison table.

:func:`replace_file` writes into a hidden temporary sibling (``.NAME.<random>.partial``), syncs it,
gives it the permissions a new file would get (``mkstemp`` makes it private; these files are for
sharing), then renames it over the target. A reader, or a crash, sees the previous file or the new
one, never half of one; a failed write leaves no temporary behind. Whether the target may be
replaced at all is the caller's check (each command recognises its own files).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ssk_optimize.errors import UsageError


def replace_file(path: Path, write: Callable[[Path], object], option: str = "-o") -> None:
    """Call ``write(temporary)`` and rename the result over ``path``; create missing folders.

    A folder that cannot be written is a UsageError naming it (``option`` is the flag to change).
    """
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=folder)
    except OSError as error:
        raise UsageError(f"cannot write in {folder} ({error.strerror}); choose another {option}") from None
    os.close(descriptor)
    temporary = Path(name)
    try:
        write(temporary)
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
