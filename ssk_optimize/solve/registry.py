"""Solver names as users write them in a scenario (``solver: {name: highs}``) -> backends.

``highs`` (default) is HiGHS through highspy; ``cbc`` is CBC through PuLP; ``pulp:NAME`` is any
solver PuLP knows (``pulp:GLPK_CMD``, ``pulp:GUROBI_CMD``...). An unknown or missing solver raises
:class:`~ssk_optimize.errors.SolverUnavailable` (exit 4) listing what would work here.
"""

from __future__ import annotations

import warnings

import pulp

from ssk_optimize.errors import SolverUnavailable
from ssk_optimize.solve.base import Backend
from ssk_optimize.solve.highs import HighsBackend
from ssk_optimize.solve.pulp_backend import CBC_NAMES, PulpBackend

DEFAULT_SOLVER = "highs"
PULP_PREFIX = "pulp:"


def _pulp_solvers() -> list[str]:
    """Names of the PuLP solvers that can run here (PuLP probes each one)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return [str(name) for name in pulp.listSolvers(onlyAvailable=True)]


def available_backends() -> list[str]:
    """Every name :func:`get_backend` would accept on this machine, default first."""
    names = [DEFAULT_SOLVER]
    if PulpBackend(CBC_NAMES[0], "cbc").available():
        names.append("cbc")
    names += [PULP_PREFIX + name for name in _pulp_solvers()]
    return names


def get_backend(name: str = DEFAULT_SOLVER) -> Backend:
    """The backend called ``name``; raise SolverUnavailable if unknown or not installed."""
    key = name.strip()
    backend: Backend | None = None
    if key.lower() == "highs":
        backend = HighsBackend()
    elif key.lower() == "cbc":
        backend = PulpBackend(CBC_NAMES[0], "cbc")
    elif key.lower().startswith(PULP_PREFIX) and key[len(PULP_PREFIX) :]:
        solver_name = key[len(PULP_PREFIX) :]
        known = solver_name in pulp.listSolvers() or solver_name in CBC_NAMES
        backend = PulpBackend(solver_name) if known else None
    if backend is None or not backend.available():
        state = "is not available here" if backend is not None else "is unknown"
        raise SolverUnavailable(f"solver {name!r} {state}; available: {', '.join(available_backends())}")
    return backend
