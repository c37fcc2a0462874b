"""``psoas analyze INPUT... --out DIR``: reports from videos or keypoint CSVs.

Each input is analysed on its own: a bad file prints one line naming it and the problem, and
the others go on. Exit status 0 when every input gave a report, 1 when any failed, 2 for usage.
"""

from __future__ import annotations

import argparse
import traceback
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

from psoas_coach.cli.common import add_video_pose_options, error_line
from psoas_coach.config import PRESETS, AnalysisConfig


def _option_name(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


def register(commands: Any) -> None:
    """Add the ``analyze`` subcommand to ``commands`` (an argparse subparsers object)."""
    parser = commands.add_parser(
        "analyze",
        help="analyse videos or keypoint CSVs and write reports",
        description=(
            "Find every psoas-march repetition per leg, time extension and hold, detect faults "
            "and write <stem>.json, <stem>.html (and <stem>.csv keypoints for a video) into DIR."
        ),
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="INPUT",
        help="video (mp4, mov, avi, webm, mkv) or keypoint CSV (.csv, .csv.gz)",
    )
    parser.add_argument(
        "--out",
        "-o",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder for the reports (created if missing)",
    )
    parser.add_argument(
        "--video",
        action="store_true",
        help="also write an annotated H.264 video <stem>.annotated.mp4",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="TOML or JSON file of settings (see `psoas faults` for the names)",
    )
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help="starting thresholds for youth or adult athletes (default: none: the plain defaults)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        metavar="N",
        help="processes for pose estimation of a video (default: 2)",
    )
    add_video_pose_options(parser)
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar or summary table"
    )
    parser.add_argument(
        "--debug", action="store_true", help="print tracebacks of unexpected errors"
    )
    group = parser.add_argument_group(
        "thresholds", "override single settings (defaults: docs/definitions.md section 4)"
    )
    defaults = AnalysisConfig()
    for f in fields(AnalysisConfig):
        group.add_argument(
            _option_name(f.name),
            dest=f"set_{f.name}",
            type=float,
            metavar="X",
            help=f"default {getattr(defaults, f.name):g}",
        )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Analyse every input; print one line per failure and a summary table."""
    from rich.console import Console

    from psoas_coach.config import load_config
    from psoas_coach.exceptions import PsoasError

    console = Console(stderr=True)
    overrides = {f.name: getattr(args, f"set_{f.name}") for f in fields(AnalysisConfig)}
    try:
        config = load_config(
            preset=args.preset,
            path=args.config,
            overrides={k: v for k, v in overrides.items() if v is not None},
        )
    except PsoasError as err:
        error_line(str(err))
        return 2
    if args.workers < 1 or args.max_fps <= 0:
        error_line("--workers must be at least 1 and --max-fps above 0")
        return 2
    rows = _analyze_all(args, config, console)
    if rows and rows[-1].get("interrupted"):
        done = sum(row["ok"] for row in rows)
        error_line(
            f"{rows[-1]['name']}: interrupted; nothing of it was written "
            f"({done} of {len(args.inputs)} inputs done)"
        )
        return 130
    if not args.quiet:
        _print_summary(rows, args.out)
    return 0 if all(row["ok"] for row in rows) else 1


def _analyze_all(
    args: argparse.Namespace, config: AnalysisConfig, console: Any
) -> list[dict[str, Any]]:
    """Analyse every input in turn under one progress display; a summary row per input."""
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from psoas_coach.outputs import input_stem

    rows: list[dict[str, Any]] = []
    stems: set[str] = set()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, disable=args.quiet, transient=True) as bar:
        for path in args.inputs:
            stem = _unique(input_stem(path), stems)
            task = bar.add_task(path.name, total=1.0)

            def progress(share: float, label: str, task: Any = task, name: str = path.name) -> None:
                bar.update(task, completed=share, description=f"{name}: {label}")

            try:
                rows.append(_analyze_one(path, stem, args, config, progress))
            except KeyboardInterrupt:  # Ctrl-C: stop here; the writers leave no half result
                rows.append({"name": path.name, "ok": False, "interrupted": True})
                return rows
            finally:
                bar.remove_task(task)
    return rows


def _analyze_one(
    path: Path,
    stem: str,
    args: argparse.Namespace,
    config: AnalysisConfig,
    progress: Callable[[float, str], None],
) -> dict[str, Any]:
    """Analyse one input into ``args.out``; its summary row (``ok`` False after a one-line
    error on stderr, so the other inputs go on)."""
    from psoas_coach.exceptions import PsoasError
    from psoas_coach.outputs import analyze_file

    try:
        result = analyze_file(
            path,
            args.out,
            config,
            stem=stem,
            video="plain" if args.video else None,
            workers=args.workers,
            max_fps=args.max_fps,
            progress=progress,
            pose_model=args.pose_model,
        )
    except PsoasError as err:
        error_line(str(err))
        return {"name": path.name, "ok": False}
    except Exception as err:
        error_line(
            f"{path}: unexpected failure ({type(err).__name__}: {err}); "
            "please report it (--debug shows the traceback)"
        )
        if args.debug:
            traceback.print_exc()
        return {"name": path.name, "ok": False}
    assert result.analysis is not None
    report = result.analysis.report
    return {"name": path.name, "ok": True, "report": report, "outputs": result.outputs}


def _unique(stem: str, used: set[str]) -> str:
    candidate, n = stem, 2
    while candidate in used:
        candidate, n = f"{stem}-{n}", n + 1
    used.add(candidate)
    return candidate


def _fmt(value: Any, unit: str = "") -> str:
    return "-" if value is None else f"{value:.2f}{unit}"


def _print_summary(rows: list[dict[str, Any]], out_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"psoas analyze → {out_dir}")
    for column in ("input", "reps L/R", "hold L/R s", "ext. L/R s", "faulty reps", "warnings"):
        table.add_column(column, overflow="fold")
    for row in rows:
        if not row["ok"]:
            table.add_row(row["name"], "[red]failed[/red]", "", "", "", "")
            continue
        report = row["report"]
        s = report.summary
        table.add_row(
            row["name"],
            f"{s['reps']['left']}/{s['reps']['right']}",
            f"{_fmt(s['mean_hold_s']['left'])}/{_fmt(s['mean_hold_s']['right'])}",
            f"{_fmt(s['mean_extension_s']['left'])}/{_fmt(s['mean_extension_s']['right'])}",
            str(sum(1 for r in report.reps if r.faults)),
            str(len(report.warnings)),
        )
    Console().print(table)
