"""The ``coursekit`` command line: one module per sub-command.

Each module in ``COMMANDS`` defines ``add_parser(subparsers)`` (which registers its parser and
sets ``func`` to a function ``args -> int`` exit status).
"""

from __future__ import annotations

import argparse
import importlib
import sys

# sub-command modules, in the order `--help` lists them
COMMANDS = ["start", "doctor", "data", "student", "run", "slides"]


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m coursekit`` parser, with one sub-parser per module in ``COMMANDS``.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="python -m coursekit",
        description="coursekit: environment check, data sets, and course building tools.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"coursekit.cli.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m coursekit``: parse ``argv`` and call the chosen sub-command.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: the sub-command's, or 2 (help printed) when none was given.
    """
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)
