"""Live vs offline agreement on the same video: reps per side, holds, rep start and end.

Every video given (files, or folders of videos) goes through the product three times, as a
user would run it:

- offline: ``psoas analyze VIDEO --out DIR`` (default analysis settings);
- live real time: ``psoas live --source VIDEO --no-window --quiet --out DIR``, the file played
  at its own frame rate as a camera (a picture more than 1 s late is skipped, so a machine
  that stays behind skips);
- live fast: the same with ``--fast``, every picture, as fast as they can be processed.

The reps of each live report are paired one-to-one with the offline reps of the same side whose
``[start_s, end_s]`` overlap theirs, greedy by overlap (intersection over union, any overlap
counts: :func:`psoas_coach.synth.scoring.match_reps`). Printed per video and over all videos:
reps per side of each run, matched reps, reps found by only one of the two, and on the matched
pairs the largest and mean absolute difference (seconds) of the hold (pairs where both measured
it), the start and the end, with the mean signed difference (live minus offline) in brackets,
and the pictures each run analysed (fewer in real time than offline: pictures skipped because
the machine could not keep up, which changes the estimator's landmarks and so the reps).
A 45 s video takes about 25 s offline, 45 s live real time and 25 s live fast.
``--other-work BUSY:IDLE`` keeps one core busy in bursts meanwhile (a machine doing other
work), to see whether real time still keeps up.

Examples::

    python scripts/live_agreement.py ../shared/render_dev ../shared/real
    python scripts/live_agreement.py ../shared/real/leg_raise_1.mp4 --json > agreement.json
    python scripts/live_agreement.py clip.mp4 --keep /tmp/agreement   # keep the reports
    python scripts/live_agreement.py ../shared/render_dev --other-work 1:1  # a busy machine

Run by a Python without the project installed, the script restarts itself with the project's
``.venv/bin/python``. Exit status: 0; 1 when a run failed (its last error line is printed and
the next video goes on); 2 for a missing or unsupported argument.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from busy_machine import add_other_work_option, other_work

try:
    from psoas_coach.outputs import VIDEO_SUFFIXES, input_stem, is_video
    from psoas_coach.pose.landmarks import SIDES
    from psoas_coach.report.model import Report
    from psoas_coach.reps.types import Rep
    from psoas_coach.synth.scoring import match_reps
except ModuleNotFoundError as missing:  # a Python without the project: use the project's venv
    project_venv = Path(__file__).resolve().parents[1] / ".venv"
    venv_python = project_venv / "bin" / "python"
    if Path(sys.prefix).resolve() == project_venv.resolve() or not venv_python.exists():
        raise SystemExit(f"error: {missing} (install the project: bash scripts/setup.sh)") from None
    os.execv(venv_python, [str(venv_python), *sys.argv])

#: The runs of each video, key -> column title; the first is the reference.
MODES = {"offline": "offline", "live": "live real time", "live_fast": "live fast"}
LIVE_MODES = ("live", "live_fast")
CAPTION = "diff: max / mean |live - offline| (signed mean) over matched reps"


class RunError(Exception):
    """A run of the product that failed; the message is one line."""


class UsageError(Exception):
    """A command-line argument that is missing or not a video; the message is one line."""


@dataclass(frozen=True)
class Spread:
    """Differences in seconds (live minus offline): largest and mean absolute, mean signed."""

    count: int
    max_abs: float | None
    mean_abs: float | None
    mean: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        """The spread of ``values`` (seconds); ``None`` figures when there are none."""
        if not values:
            return cls(0, None, None, None)
        absolute = [abs(v) for v in values]
        n = len(values)
        return cls(n, max(absolute), sum(absolute) / n, sum(values) / n)

    def cell(self) -> str:
        """``max / mean (signed mean)`` in seconds, ``-`` when nothing was compared."""
        if self.max_abs is None or self.mean_abs is None or self.mean is None:
            return "-"
        return f"{self.max_abs:.2f} / {self.mean_abs:.2f} ({self.mean:+.2f})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, seconds rounded to the millisecond."""
        return {
            "pairs": self.count,
            "max_abs_s": _round(self.max_abs),
            "mean_abs_s": _round(self.mean_abs),
            "mean_s": _round(self.mean),
        }


@dataclass
class Comparison:
    """Offline reps against one live run's: matched pairs and the reps only one of them found."""

    pairs: list[tuple[Rep, Rep]] = field(default_factory=list)
    only_offline: list[Rep] = field(default_factory=list)
    only_live: list[Rep] = field(default_factory=list)

    def __add__(self, other: Comparison) -> Comparison:
        return Comparison(
            self.pairs + other.pairs,
            self.only_offline + other.only_offline,
            self.only_live + other.only_live,
        )

    def difference(self, name: str) -> Spread:
        """Spread of figure ``name`` (``"hold_s"``, ``"start_s"``...) over pairs measuring it."""
        figures = [(off.figure(name), live.figure(name)) for off, live in self.pairs]
        return Spread.of([b - a for a, b in figures if a is not None and b is not None])

    def to_dict(self) -> dict[str, Any]:
        """Counts, differences and the unmatched reps, JSON-ready."""
        return {
            "matched": len(self.pairs),
            "hold": self.difference("hold_s").to_dict(),
            "start": self.difference("start_s").to_dict(),
            "end": self.difference("end_s").to_dict(),
            "only_offline": [rep_brief(r) for r in self.only_offline],
            "only_live": [rep_brief(r) for r in self.only_live],
        }


def compare(offline: Sequence[Rep], live: Sequence[Rep]) -> Comparison:
    """Pair reps of the same side by overlap of ``[start_s, end_s]`` (greedy, one-to-one)."""
    result = Comparison()
    for side in SIDES:
        ours = [r for r in offline if r.side == side]
        theirs = [r for r in live if r.side == side]
        pairs = match_reps(ours, theirs, min_iou=0.0)
        paired_ours, paired_theirs = {p.truth for p in pairs}, {p.pred for p in pairs}
        result.pairs += [(ours[p.truth], theirs[p.pred]) for p in pairs]
        result.only_offline += [r for i, r in enumerate(ours) if i not in paired_ours]
        result.only_live += [r for i, r in enumerate(theirs) if i not in paired_theirs]
    return result


@dataclass
class VideoResult:
    """The three runs of one video: reports, wall times (seconds) and comparisons."""

    video: Path
    reports: dict[str, Report]
    seconds: dict[str, float]
    #: Pictures each run analysed (rows of its keypoint CSV): a live real-time run that
    #: analysed fewer than offline skipped pictures it could not keep up with.
    pictures: dict[str, int]

    def comparisons(self) -> dict[str, Comparison]:
        """Offline against each live run."""
        offline = self.reports["offline"].reps
        return {m: compare(offline, self.reports[m].reps) for m in LIVE_MODES}

    def counts(self) -> dict[str, dict[str, int]]:
        """Reps per side of each run."""
        return {
            m: {s: sum(r.side == s for r in rep.reps) for s in SIDES}
            for m, rep in self.reports.items()
        }


def rep_brief(rep: Rep) -> dict[str, Any]:
    """Side, start, end and hold (seconds) of a rep."""
    return {"side": rep.side, "start_s": rep.start_s, "end_s": rep.end_s, "hold_s": rep.hold_s}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description="Live coaching (real time and fast) against the offline analysis, per video."
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="VIDEO", help="videos or folders")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--plain", action="store_true", help="plain text tables, even with rich")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the reports in DIR")
    add_other_work_option(parser)
    return parser.parse_args(argv)


def collect_videos(inputs: Sequence[Path]) -> list[Path]:
    """The videos named, folders replaced by their videos (sorted); UsageError otherwise."""
    videos: list[Path] = []
    for path in inputs:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and is_video(p))
            if not found:
                raise UsageError(f"{path}: folder holds no video ({_kinds()})")
            videos += found
        elif not path.exists():
            raise UsageError(f"{path}: no such file or folder")
        elif not is_video(path):
            raise UsageError(f"{path}: not a video ({_kinds()})")
        else:
            videos.append(path)
    return list(dict.fromkeys(videos))


def _kinds() -> str:
    return ", ".join(s[1:] for s in VIDEO_SUFFIXES)


def command(mode: str, video: Path, out: Path) -> list[str]:
    """The ``psoas`` command line of ``mode`` on ``video``, reports into ``out``."""
    psoas = [sys.executable, "-m", "psoas_coach.cli"]
    if mode == "offline":
        return [*psoas, "analyze", str(video), "--out", str(out), "--quiet"]
    fast = ["--fast"] if mode == "live_fast" else []
    live = ["live", "--source", str(video), "--no-window", "--quiet", "--out", str(out)]
    return [*psoas, *live, *fast]


def run_mode(mode: str, video: Path, out: Path) -> tuple[Report, float, int]:
    """The report of one run of ``video``, its wall time (seconds) and the pictures it
    analysed (rows of its keypoint CSV); RunError if it fails."""
    report_path = out / f"{input_stem(video)}.json"
    csv_path = out / f"{input_stem(video)}.csv"
    report_path.unlink(missing_ok=True)
    csv_path.unlink(missing_ok=True)
    started = time.perf_counter()
    done = subprocess.run(command(mode, video, out), capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()] or ["(no message)"]
        last = lines[-1].strip().removeprefix("error: ")
        raise RunError(f"{MODES[mode]} failed (exit {done.returncode}): {last}")
    try:
        report = Report.load(report_path)
        with csv_path.open() as rows:
            pictures = sum(1 for _ in rows) - 1
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise RunError(f"{MODES[mode]}: report {report_path} unreadable: {err}") from err
    return report, seconds, pictures


def run_video(video: Path, work: Path, progress: Callable[[str], None]) -> VideoResult:
    """The three runs of ``video`` (reports under ``work``), one after the other."""
    reports: dict[str, Report] = {}
    seconds: dict[str, float] = {}
    pictures: dict[str, int] = {}
    for mode, title in MODES.items():
        reports[mode], seconds[mode], pictures[mode] = run_mode(mode, video, work / mode)
        progress(f" {title} {seconds[mode]:.0f} s,")
    return VideoResult(video, reports, seconds, pictures)


def run_all(
    videos: Sequence[Path], root: Path, shown: Callable[[VideoResult], None]
) -> tuple[list[VideoResult], list[str]]:
    """Every video's runs, a progress line per video on stderr; results and failure lines."""
    results: list[VideoResult] = []
    failures: list[str] = []
    for k, video in enumerate(videos, 1):
        _progress(f"[{k}/{len(videos)}] {video.name}:")
        try:
            result = run_video(video, root / f"{k:02d}-{input_stem(video)}", _progress)
        except RunError as err:
            _progress(" failed\n")
            failures.append(f"{video}: {err}")
            print(f"error: {failures[-1]}", file=sys.stderr, flush=True)
            continue
        _progress(" done\n")
        results.append(result)
        shown(result)
    return results, failures


def _progress(text: str) -> None:
    print(text, end="", file=sys.stderr, flush=True)


def table_rows(
    counts: dict[str, dict[str, int]],
    seconds: dict[str, float],
    pictures: dict[str, int],
    comparisons: dict[str, Comparison],
) -> list[list[str]]:
    """Rows of the figures table: a label, then offline, live real time, live fast."""

    def row(label: str, cell: Callable[[Comparison], str]) -> list[str]:
        return [label, "", *(cell(comparisons[m]) for m in LIVE_MODES)]

    return [
        *([f"reps {s}", *(str(counts[m][s]) for m in MODES)] for s in SIDES),
        row("matched reps", lambda c: str(len(c.pairs))),
        row("only offline", lambda c: str(len(c.only_offline))),
        row("only live", lambda c: str(len(c.only_live))),
        row("hold diff s", lambda c: c.difference("hold_s").cell()),
        row("start diff s", lambda c: c.difference("start_s").cell()),
        row("end diff s", lambda c: c.difference("end_s").cell()),
        ["pictures analysed", *(str(pictures[m]) for m in MODES)],
        ["run time s", *(f"{seconds[m]:.0f}" for m in MODES)],
    ]


def unmatched_lines(comparisons: dict[str, Comparison]) -> list[str]:
    """One line per rep found by only one of offline and a live run."""
    lines = []
    for mode, comparison in comparisons.items():
        lines += [
            f"  offline only (vs {MODES[mode]}): {_words(r)}" for r in comparison.only_offline
        ]
        lines += [f"  {MODES[mode]} only: {_words(r)}" for r in comparison.only_live]
    return lines


def _words(rep: Rep) -> str:
    hold = "-" if rep.hold_s is None else f"{rep.hold_s:.2f} s"
    return f"{rep.side} {rep.start_s:.2f}-{rep.end_s:.2f} s, hold {hold}"


def show_table(title: str, rows: list[list[str]], plain: bool) -> None:
    """Print a table with the run titles as header (rich when installed and not ``plain``)."""
    if plain or importlib.util.find_spec("rich") is None:
        _plain_table(title, [["", *MODES.values()], *rows])
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        "",
        *MODES.values(),
        title=title,
        caption=CAPTION,
        title_justify="left",
        caption_justify="left",
    )
    for row in rows:
        table.add_row(*row)
    for column in table.columns[1:]:
        column.justify = "right"
    Console().print(table)


def _plain_table(title: str, rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print(title)
    for row in rows:
        cells = [
            row[0].ljust(widths[0]),
            *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)),
        ]
        print("  ".join(cells))
    print(CAPTION)


def show_video(result: VideoResult, plain: bool) -> None:
    """The figures of one video, then the reps only one run found, and not-assessable notes."""
    offline = result.reports["offline"]
    title = f"{result.video} ({offline.duration_s:.1f} s at {offline.fps:g} fps)"
    comparisons = result.comparisons()
    rows = table_rows(result.counts(), result.seconds, result.pictures, comparisons)
    show_table(title, rows, plain)
    notes = [
        f"  {MODES[m]}: not assessable: {r.not_assessable_reason}"
        for m, r in result.reports.items()
        if not r.assessable
    ]
    for line in [*notes, *unmatched_lines(comparisons)]:
        print(line)
    print()


def overall(
    results: Sequence[VideoResult],
) -> tuple[dict[str, dict[str, int]], dict[str, float], dict[str, int], dict[str, Comparison]]:
    """Counts, run times and pictures summed over videos, comparisons pooled."""
    counts = {m: {s: sum(r.counts()[m][s] for r in results) for s in SIDES} for m in MODES}
    seconds = {m: sum(r.seconds[m] for r in results) for m in MODES}
    pictures = {m: sum(r.pictures[m] for r in results) for m in MODES}
    comparisons = {m: sum((r.comparisons()[m] for r in results), Comparison()) for m in LIVE_MODES}
    return counts, seconds, pictures, comparisons


def figures_document(results: Sequence[VideoResult], failures: Sequence[str]) -> dict[str, Any]:
    """Every figure, JSON-ready: per video, overall, and the failed runs."""

    def block(
        counts: dict[str, dict[str, int]],
        seconds: dict[str, float],
        pictures: dict[str, int],
        comparisons: dict[str, Comparison],
    ) -> dict[str, Any]:
        return {
            "counts": counts,
            "run_seconds": {m: round(s, 1) for m, s in seconds.items()},
            "pictures": pictures,
            "versus_offline": {m: c.to_dict() for m, c in comparisons.items()},
        }

    videos = [
        {"video": str(r.video), "duration_s": r.reports["offline"].duration_s}
        | block(r.counts(), r.seconds, r.pictures, r.comparisons())
        for r in results
    ]
    return {"videos": videos, "overall": block(*overall(results)), "failed": list(failures)}


def main(argv: Sequence[str] | None = None) -> int:
    """Run every video three ways and print the agreement; the exit status."""
    args = parse_args(argv)
    try:
        videos = collect_videos(args.inputs)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    shown = (lambda r: None) if args.json else (lambda r: show_video(r, args.plain))
    with tempfile.TemporaryDirectory(prefix="live_agreement-") as tmp, other_work(args.other_work):
        results, failures = run_all(videos, args.keep or Path(tmp), shown)
    if args.json:
        print(json.dumps(figures_document(results, failures), indent=2))
    elif results:
        title = f"Overall: {len(results)} of {len(videos)} videos"
        show_table(title, table_rows(*overall(results)), args.plain)
    if failures:
        print(f"error: {len(failures)} of {len(videos)} videos failed", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
