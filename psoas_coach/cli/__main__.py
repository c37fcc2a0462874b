"""``psoas``: the command line. One module per subcommand; heavy imports inside commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from psoas_coach import __version__
from psoas_coach.cli import analyze, batch, faults, live, serve, user


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``psoas`` with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="psoas",
        description="Psoas Coach: reps, holds, faults and cues for the supine banded psoas march.",
    )
    parser.add_argument("--version", action="version", version=f"psoas-coach {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    analyze.register(commands)
    batch.register(commands)
    faults.register(commands)
    serve.register(commands)
    live.register(commands)
    user.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``psoas`` with ``argv``; returns the exit status (0 ok, 1 an input failed, 2 usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from psoas_coach.cli.native_log import filtered_stderr

    with filtered_stderr():  # MediaPipe's native log lines never reach the user
        status: int = args.run(args)
    return status


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
