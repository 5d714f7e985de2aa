"""Allow ``python -m ssk_optimize``."""

from ssk_optimize.cli import main

if __name__ == "__main__":
    main()
