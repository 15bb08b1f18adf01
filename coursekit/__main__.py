"""``python -m coursekit COMMAND``: see ``python -m coursekit --help``."""

from coursekit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
