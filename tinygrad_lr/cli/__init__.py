"""The ``tinygrad-lr`` command line: one module per subcommand, each with ``register(subparsers)``.

A subcommand module defines ``register(subparsers)``, which adds its parser and sets
``func`` (called with the parsed arguments, returning an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .. import __version__

SUBCOMMANDS = ("demo", "check", "train", "predict", "graph")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand.

    >>> from tinygrad_lr.cli import build_parser
    >>> args = build_parser().parse_args(["check", "--x1", "3"])
    >>> args.command, args.x1, args.loss
    ('check', 3.0, 'sigmoid')
    """
    parser = argparse.ArgumentParser(
        prog="tinygrad-lr",
        description="Logistic regression on a small reverse-mode autodiff engine.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv=None) -> int:
    """Run the CLI with ``argv`` (default: ``sys.argv[1:]``); returns the exit code.

    >>> from tinygrad_lr.cli import main
    >>> main(["check"])  # prints the table of hand-derived and engine values
    x1=1  x2=2  w1=0.5  w2=-0.2  b=0.1  y=1
    ...
    engine and hand-derived agree (tol 1e-12)
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()
    except BrokenPipeError:
        # `tinygrad-lr predict ... | head -1`: the reader has what it wanted. Exit as a
        # program killed by SIGPIPE would (128 + 13), without a message or a traceback.
        _discard_stdout()
        return 141
    return code


def _discard_stdout() -> None:
    """Point stdout at the null device, so the flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):  # no real file descriptor (captured)
        pass


if __name__ == "__main__":
    sys.exit(main())
