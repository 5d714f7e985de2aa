"""ssk_optimize: funding scenario optimisation for Indonesian sanitation strategies (SSK)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ssk-optimize")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
