"""``psoas batch INPUT... --out DIR``: many recordings at once, one Ray task per recording.

By default the command starts a private local Ray with ``--workers`` worker processes and
stops it at the end; ``--ray ADDRESS`` sends the tasks to a running cluster instead (inputs
and ``DIR`` must then be on storage every node sees at the same path). ``DIR/batch.json``
indexes every outcome; a re-run skips what is done and retries what failed. Exit status 0
when every input is done, 1 when any failed, 2 for usage (or no cluster), 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psoas_coach.cli.common import add_video_pose_options, error_line
from psoas_coach.config import PRESETS

if TYPE_CHECKING:
    from psoas_coach.cluster.batch import BatchResult
    from psoas_coach.cluster.inputs import InputProblem

#: Failed inputs listed in the summary table (the index has them all).
MAX_FAILURES_SHOWN = 20


def register(commands: Any) -> None:
    """Add the ``batch`` subcommand to ``commands`` (an argparse subparsers object)."""
    parser = commands.add_parser(
        "batch",
        help="analyse many videos or keypoint CSVs on a Ray cluster (local by default)",
        description=(
            "Analyse every input as one task on Ray: a local Ray started here, or the cluster "
            "at --ray. Writes the reports as `psoas analyze` does and DIR/batch.json, the index "
            "of outcomes. A re-run skips inputs already done (same content, analysis version "
            "and settings) and retries those that failed."
        ),
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="INPUT",
        help="video, keypoint CSV, folder of them, or a CSV manifest with columns "
        "athlete,date,file (outputs then go to DIR/<athlete>/<date>/)",
    )
    parser.add_argument(
        "--out", "-o", type=Path, required=True, metavar="DIR", help="folder for the outputs"
    )
    parser.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="address of a running Ray cluster (host:port, or auto); default: start a local Ray",
    )
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes of the local Ray (default: the machine's cores)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        metavar="N",
        help="tries more for a task whose worker died (default: 2)",
    )
    add_video_pose_options(parser)
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML or JSON file of settings")
    parser.add_argument(
        "--preset", choices=sorted(PRESETS), help="starting thresholds for youth or adult athletes"
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar or summary table"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Collect the inputs, run the batch on Ray, print the summary."""
    from psoas_coach.cluster.batch import run_batch
    from psoas_coach.cluster.engine import connect
    from psoas_coach.cluster.inputs import collect_inputs
    from psoas_coach.config import load_config
    from psoas_coach.exceptions import PsoasError
    from psoas_coach.pose.parallel import machine_cores

    if (args.workers is not None and args.workers < 1) or args.retries < 0 or args.max_fps <= 0:
        error_line("--workers must be at least 1, --retries at least 0, --max-fps above 0")
        return 2
    try:
        config = load_config(preset=args.preset, path=args.config)
        items, problems = collect_inputs(args.inputs, exclude=args.out)
        for problem in problems:
            error_line(problem.reason)
        cpus = args.workers or machine_cores()
        with connect(args.ray, cpus=cpus) as engine, _Bar(len(items), args.quiet) as update:
            result = run_batch(
                items,
                args.out,
                config,
                engine,
                max_fps=args.max_fps,
                pose_model=args.pose_model,
                retries=args.retries,
                on_update=update,
            )
    except PsoasError as err:
        error_line(str(err))
        return 2
    except KeyboardInterrupt:  # before the first task: nothing was written
        error_line(f"{args.out}: interrupted before the batch started")
        return 130
    return _finish(result, problems, args)


def _finish(result: BatchResult, problems: list[InputProblem], args: argparse.Namespace) -> int:
    """Report failures and the summary; the exit status."""
    for entry in result.entries:
        if entry.status == "failed":
            error_line(entry.reason)
    if result.interrupted:
        c = result.counts
        error_line(
            f"{args.out}: interrupted after {c.finished} of {c.total} inputs; "
            "nothing half-written was left; run the same command again to resume"
        )
        return 130
    if not args.quiet:
        _print_summary(result, args.out)
    return 0 if result.counts.failed == 0 and not problems else 1


class _Bar:
    """A rich progress bar of a batch: done, failed, skipped and the time left."""

    def __init__(self, total: int, quiet: bool) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
        )
        self.progress = Progress(*columns, console=Console(stderr=True), disable=quiet)
        self.task = self.progress.add_task("batch", total=total)

    def __enter__(self) -> Any:
        self.progress.start()
        return self.update

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, counts: Any) -> None:
        """Show ``counts`` (:class:`~psoas_coach.cluster.batch.Counts`)."""
        description = f"done {counts.done}  failed {counts.failed}  skipped {counts.skipped}"
        self.progress.update(self.task, completed=counts.finished, description=description)


def _print_summary(result: BatchResult, out_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    c = result.counts
    minutes = result.seconds / 60
    rate = c.done / minutes if minutes > 0 else 0.0
    table = Table(title=f"psoas batch → {out_dir} (index: {out_dir / 'batch.json'})")
    for column in ("inputs", "done", "skipped (done before)", "failed", "time", "videos/min"):
        table.add_column(column)
    table.add_row(
        str(c.total), str(c.done), str(c.skipped), str(c.failed),
        f"{result.seconds:.1f} s", f"{rate:.1f}",
    )  # fmt: skip
    console = Console()
    console.print(table)
    failed = [e for e in result.entries if e.status == "failed"]
    if failed:
        rows = Table(title="failed inputs (see batch.json)")
        rows.add_column("input", overflow="fold")
        rows.add_column("reason", overflow="fold")
        for entry in failed[:MAX_FAILURES_SHOWN]:
            rows.add_row(Path(entry.input).name, entry.reason)
        console.print(rows)
