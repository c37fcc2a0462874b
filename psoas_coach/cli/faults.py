"""``psoas faults``: list the fault codes, what triggers them and the cue, and the settings."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    """Add the ``faults`` subcommand to ``commands`` (an argparse subparsers object)."""
    parser = commands.add_parser(
        "faults",
        help="list fault codes with their cues, and the default thresholds",
        description="List every fault code the analysis reports, its rule and its cue.",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the fault table and the default configuration."""
    from rich.console import Console
    from rich.table import Table

    from psoas_coach.config import AnalysisConfig
    from psoas_coach.faults.base import registered_rules

    table = Table(title="Fault codes")
    for column in ("code", "when", "cue"):
        table.add_column(column)
    for rule in registered_rules():
        table.add_row(rule.code, rule.description, rule.cue)
    settings = Table(title="Default settings (override with --config FILE or options)")
    settings.add_column("setting")
    settings.add_column("default", justify="right")
    for key, value in AnalysisConfig().to_dict().items():
        settings.add_row(key, f"{value:g}")
    console = Console()
    console.print(table)
    console.print(settings)
    return 0
