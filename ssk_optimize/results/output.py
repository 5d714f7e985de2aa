"""Where a run may be written: the output-folder rule, checked before any solving is done.

``ssk-opt solve -o DIR`` replaces ``DIR`` only when it is absent, empty, or a previous run folder
of this tool. A run folder is recognised by its ``manifest.json`` (a JSON object carrying the keys
this tool writes, such as ``engine_version`` and a 64-hex ``scenario_sha256``) and by holding
nothing but the files a run writes (:data:`RUN_FILES`, plus any file a later version lists under
``run_files`` in its manifest, plus desktop clutter such as ``.DS_Store``). Anything else - a
folder with other files, the folder you are in, the folder holding the scenario, a file - is
refused with a :class:`~ssk_optimize.errors.UsageError` naming the folder and suggesting a fresh
one, and is left untouched.

The parent must be writable: a probe folder is created there (and removed) up front, so a folder
under ``/proc``, below a file or on a read-only file system is refused before the solve, as is a
name too long for the file system (the hidden staging sibling ``.NAME.partial-<pid>-<hex>`` must
fit too).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from ssk_optimize.errors import UsageError

RUN_FILES: tuple[str, ...] = ("allocations.parquet", "programs.parquet", "pools.parquet",
                              "coverage.parquet", "manifest.json", "scenario.resolved.yaml")
"""The files every run folder holds (``results/writer.py`` writes exactly these)."""

MANIFEST_KEYS: tuple[str, ...] = ("scenario", "engine_version", "scenario_sha256", "status")
"""Keys every manifest this tool wrote carries; a ``manifest.json`` without them is not ours."""

CLUTTER: frozenset[str] = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
"""Files a desktop adds to any folder it shows; they do not make a folder someone else's."""

MAX_MANIFEST_BYTES = 16 * 1024 * 1024
DEFAULT_PARENT = Path("results")
STAGING_TAIL = ".partial-{pid}-xxxxxxxx"  # the longest sibling name the writer uses, after ".NAME"


@dataclass(frozen=True)
class OutputTarget:
    """A folder a run may be written to; ``new`` when it was absent or empty when checked."""

    folder: Path
    new: bool


def default_folder(scenario_id: str, overrides: Iterable[str] = ()) -> Path:
    """``results/<scenario id>``; with ``--set`` overrides ``results/<id>-<8 hex of their hash>``.

    The hash is of the override texts in order, so a variant never lands in its base run's
    folder and the same overrides find the same folder again. The id is a validated name;
    leading dots are dropped so that ``.`` or ``..`` can never name the results folder itself.
    """
    name = scenario_id.lstrip(".") or "scenario"
    texts = list(overrides)
    if texts:
        name += "-" + overrides_hash(texts)
    return DEFAULT_PARENT / name


def overrides_hash(overrides: Iterable[str]) -> str:
    """First 8 hex digits of the sha256 of the override texts in their order (one per line).

    Order is kept: overrides apply in turn, so ``a*=2 a+=1`` and ``a+=1 a*=2`` are different runs.
    """
    return hashlib.sha256("\n".join(overrides).encode("utf-8")).hexdigest()[:8]


def check_output_folder(folder: str | Path, inputs: Iterable[str | Path] = ()) -> OutputTarget:
    """Raise UsageError unless a run may be written to ``folder``; nothing is changed.

    ``inputs`` are the scenario files being solved: a folder holding one of them is refused even
    when it is a run folder (replacing it would delete the input).
    """
    folder = Path(folder)
    sources = [Path(item) for item in inputs]
    # where to point a user whose folder cannot be used at all: results/<scenario file stem>
    elsewhere = _unused(DEFAULT_PARENT / ((sources[0].stem.lstrip(".") if sources else "") or "run"))
    _check_name(folder, elsewhere)
    absolute = Path(os.path.realpath(folder.parent)) / folder.name
    here = Path(os.path.realpath(os.curdir))
    if absolute == here or absolute in here.parents:
        _refuse(folder, "is the folder you are running in (or holds it)", elsewhere)
    for item in sources:
        source = Path(os.path.realpath(item))
        if absolute in source.parents:
            _refuse(folder, f"holds the scenario file {item}; results would replace it")
    ancestor = _existing_ancestor(folder, absolute, elsewhere)
    _check_lengths(folder, absolute, ancestor)
    new = replaceable_state(folder) == "new"
    _probe(folder, ancestor, elsewhere)
    return OutputTarget(folder, new)


def replaceable_state(folder: Path) -> str:
    """``"new"`` (absent or empty) or ``"run"`` (a previous run); UsageError for anything else."""
    if folder.is_symlink():
        _refuse(folder, "is a symbolic link; give the folder it points to, or a new folder")
    if not folder.exists():
        return "new"
    if not folder.is_dir():
        _refuse(folder, "is a file, not a run folder")
    try:
        entries = sorted(os.listdir(folder))
    except OSError as error:
        _refuse(folder, f"cannot be read ({error.strerror})")
    if not entries:
        return "new"
    reason = run_folder_problem(folder, entries)
    if reason:
        _refuse(folder, f"exists and is not a run folder of ssk-opt ({reason})")
    return "run"


def is_run_folder(folder: str | Path) -> bool:
    """True when ``folder`` is a complete-looking previous run of this tool."""
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        return False
    try:
        entries = sorted(os.listdir(folder))
    except OSError:
        return False
    return bool(entries) and not run_folder_problem(folder, entries)


def run_folder_problem(folder: Path, entries: list[str]) -> str:
    """Why ``folder`` (holding ``entries``) is not one of our run folders; "" when it is."""
    if "manifest.json" not in entries:
        return f"no manifest.json; it holds {_listing(entries)}"
    manifest_path = folder / "manifest.json"
    try:
        if manifest_path.is_symlink() or not manifest_path.is_file():
            return "manifest.json is not a file"
        if manifest_path.stat().st_size > MAX_MANIFEST_BYTES:
            return "manifest.json is too large to be ours"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return "manifest.json is not a readable JSON manifest"
    if not isinstance(manifest, dict):
        return "manifest.json is not a JSON object"
    missing = [key for key in MANIFEST_KEYS if key not in manifest]
    if missing:
        return f"manifest.json lacks {', '.join(missing)}"
    digest = manifest.get("scenario_sha256")
    if not (isinstance(digest, str) and len(digest) == 64
            and all(c in "0123456789abcdef" for c in digest)):
        return "manifest.json has no valid scenario_sha256"
    declared = manifest.get("run_files", [])
    if not (isinstance(declared, list) and all(isinstance(n, str) for n in declared)):
        return "manifest.json has an invalid run_files list"
    allowed = set(RUN_FILES) | {n for n in declared if _plain_name(n)} | CLUTTER
    others = [name for name in entries if name not in allowed]
    if others:
        return f"it also holds {_listing(others)}"
    not_files = [name for name in entries
                 if (folder / name).is_symlink() or not (folder / name).is_file()]
    if not_files:
        return f"{_listing(not_files)} should be plain files"
    return ""


def suggest_folder(folder: Path) -> Path:
    """A sibling that does not exist yet: ``NAME-2``, ``NAME-3``, ... (``results/run-2``...)."""
    name = folder.name
    if name in ("", ".", "..") or name.startswith("."):
        base = DEFAULT_PARENT / (name.lstrip(".")[:100] or "run")
    else:
        base = folder.with_name(name[:100])
    for number in range(2, 1000):
        candidate = base.with_name(f"{base.name}-{number}")
        if not os.path.lexists(candidate):
            return candidate
    return base.with_name(f"{base.name}-{uuid.uuid4().hex[:8]}")


def _unused(folder: Path) -> Path:
    """``folder`` itself when nothing is there yet, else :func:`suggest_folder`."""
    return folder if not os.path.lexists(folder) else suggest_folder(folder)


def _check_name(folder: Path, elsewhere: Path) -> None:
    text = str(folder)
    if text in ("", ".") or folder.name in ("", ".", "..") or os.path.basename(text) in (".", ".."):
        _refuse(folder, "is not a folder name a run can be written to", elsewhere)


def _existing_ancestor(folder: Path, absolute: Path, elsewhere: Path) -> Path:
    """The nearest existing ancestor of ``absolute``; it must be a folder."""
    ancestor = absolute.parent
    while not os.path.lexists(ancestor) and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        _refuse(folder, f"cannot be created: {ancestor} is a file, not a folder", elsewhere)
    return ancestor


def _check_lengths(folder: Path, absolute: Path, ancestor: Path) -> None:
    try:
        limit = int(os.pathconf(ancestor, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        limit = 255
    staging = f".{folder.name}" + STAGING_TAIL.format(pid=os.getpid())
    if len(os.fsencode(folder.name)) > limit or len(os.fsencode(staging)) > limit:
        room = limit - len(os.fsencode(staging)) + len(os.fsencode(folder.name))
        _refuse(folder, f"has a name too long for this file system: at most {max(room, 1)} "
                        f"bytes fit (the hidden staging folder .NAME.partial-<pid>-<hex> beside it "
                        f"must fit in {limit} bytes too)")
    missing = absolute.parent
    while missing != ancestor and missing != missing.parent:
        if len(os.fsencode(missing.name)) > limit:
            _refuse(folder, f"cannot be created: a folder name on its path is longer than {limit} "
                            f"bytes ({missing.name[:20]}...)")
        missing = missing.parent


def _probe(folder: Path, ancestor: Path, elsewhere: Path) -> None:
    """Create (and remove) a folder named like the writer's staging folder where it will go."""
    probe = ancestor / f".{folder.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        probe.mkdir()
    except OSError as error:
        _refuse(folder, f"cannot be written: creating a folder in {ancestor} fails "
                        f"({error.strerror or error})", elsewhere)
    try:
        probe.rmdir()
    except OSError:
        pass


def _plain_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _refuse(folder: Path, why: str, instead: Path | None = None) -> NoReturn:
    raise UsageError(f"output folder '{folder}' {why}. Nothing was changed; choose a new folder, "
                     f"e.g. -o {instead or suggest_folder(folder)}")
