"""Accuracy benchmark: run the analysis over labelled recordings and print how close it gets.

Every keypoint recording (``*.csv`` / ``*.csv.gz``) or video (``*.mp4``, ...) in DIR with a
``*.truth.json`` beside it (the devset layout, what ``scripts/make_synth.py`` writes, or the
rendered videos of ``../shared/render_dev``) is analysed; a video goes the whole way, pose
estimation included, as ``psoas analyze`` takes it. Predicted reps are matched to truth reps
by time overlap (:mod:`psoas_coach.synth.scoring`). Figures the analysis reports as not
measured (``null``) are counted apart, not in the errors.

Examples::

    python scripts/score.py ../shared/devset
    python scripts/score.py ../shared/devset_hard
    python scripts/score.py ../shared/render_dev --keypoints /tmp/render_kp   # keep the pose
    python scripts/score.py ../shared/render_dev --pose-model heavy   # BlazePose heavy
    python scripts/score.py /tmp/synth_hard --preset adult --json > scores.json

Exit code 0, or 2 when DIR is missing or holds no labelled recording.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path
from typing import Any

from psoas_coach.config import AnalysisConfig
from psoas_coach.pose.mediapipe_backend import DEFAULT_MODEL, POSE_MODELS, MediaPipeBackend
from psoas_coach.pose.parallel import BackendFactory
from psoas_coach.pose.types import PoseSequence
from psoas_coach.reps.types import Rep
from psoas_coach.synth.scoring import (
    BenchmarkScore,
    RecordingScore,
    score_recording,
    summarize_scores,
)

SUFFIXES = (".csv.gz", ".csv", ".mp4", ".mov", ".avi", ".webm", ".mkv")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="Score the analysis against labelled recordings.")
    parser.add_argument(
        "dir", type=Path, help="folder of *.csv(.gz) recordings with *.truth.json beside them"
    )
    parser.add_argument(
        "--config", type=Path, default=None, help="analysis settings file (TOML or JSON)"
    )
    parser.add_argument("--preset", default=None, help="analysis preset (youth, adult)")
    parser.add_argument(
        "--json", action="store_true", help="print the figures as JSON instead of tables"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="pose processes for a video (default 2)"
    )
    parser.add_argument(
        "--pose-model",
        choices=list(POSE_MODELS),
        default=DEFAULT_MODEL,
        help="BlazePose landmark model for videos (default full)",
    )
    parser.add_argument(
        "--keypoints",
        type=Path,
        default=None,
        help="folder for a video's keypoint CSV: written there, and read instead of the video"
        " when present (re-score without estimating the pose again)",
    )
    add_detect_option(parser)
    return parser.parse_args(argv)


def add_detect_option(parser: argparse.ArgumentParser) -> None:
    """``--detect-each-frame``: a study of how BlazePose crops its picture (see
    :func:`pose_backend_factory`)."""
    parser.add_argument(
        "--detect-each-frame",
        action="store_true",
        help="for videos: crop every frame by BlazePose's detector box instead of following the"
        " body (a study, not the product's way)",
    )


def pose_backend_factory(model: str, detect_each_frame: bool) -> BackendFactory | None:
    """The estimators for a video: ``None`` (the product's own, BlazePose ``model`` following
    the body), or with ``detect_each_frame`` BlazePose cropping every frame by its detector's
    box (``MediaPipeBackend(track=False)``)."""
    if not detect_each_frame:
        return None
    return partial(MediaPipeBackend, model=model, track=False)


def labelled_recordings(folder: Path) -> list[tuple[Path, Path]]:
    """``(recording, truth)`` pairs in ``folder``, sorted by name."""
    pairs = []
    for path in sorted(folder.iterdir()):
        suffix = next((s for s in SUFFIXES if path.name.endswith(s)), None)
        if suffix is None:
            continue
        truth = path.with_name(path.name.removesuffix(suffix) + ".truth.json")
        if truth.exists():
            pairs.append((path, truth))
    return pairs


def load_truth(path: Path) -> list[Rep]:
    """The truth reps of a ``*.truth.json`` file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Rep.from_dict(r) for r in data["reps"]]


def score_one(
    recording: Path,
    truth_path: Path,
    config: AnalysisConfig,
    *,
    workers: int = 2,
    keypoints: Path | None = None,
    pose_model: str = "full",
    backend_factory: BackendFactory | None = None,
) -> RecordingScore:
    """Analyse one recording and score it; a product error is reported as an empty prediction.

    A video's pose is estimated with ``workers`` processes and BlazePose ``pose_model`` (by
    ``backend_factory``'s estimators when given), or read from ``keypoints`` (a folder) when an
    earlier run left its CSV there.
    """
    from psoas_coach.exceptions import PsoasError
    from psoas_coach.pipeline import analyze_pose

    truth = load_truth(truth_path)
    name = recording.name.split(".")[0]
    try:
        pose = recording_pose(recording, workers, keypoints, pose_model, backend_factory)
        report = analyze_pose(pose, config).report
    except PsoasError as err:
        return score_recording(name, truth, [], error=str(err))
    note = "" if report.assessable else "not assessable"
    if report.person_found_share < 0.99:
        note = f"person {100 * report.person_found_share:.1f} % {note}"
    return score_recording(name, truth, report.reps, error=note.strip())


def recording_pose(
    recording: Path,
    workers: int,
    keypoints: Path | None,
    pose_model: str = "full",
    backend_factory: BackendFactory | None = None,
) -> PoseSequence:
    """The keypoints of a recording: read from a CSV, or estimated from a video (and kept in
    the ``keypoints`` folder when given), by ``backend_factory``'s estimators when given."""
    from psoas_coach.pose.csv_io import is_keypoint_csv, read_keypoints, write_keypoints
    from psoas_coach.pose.video_pose import estimate_video

    if is_keypoint_csv(recording):
        return read_keypoints(recording)
    cached = None if keypoints is None else keypoints / f"{recording.stem}.csv.gz"
    if cached is not None and cached.exists():
        return read_keypoints(cached)
    pose = estimate_video(
        recording, workers=workers, model=pose_model, backend_factory=backend_factory
    ).pose
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        write_keypoints(pose, cached)
    return pose


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_tables(scores: list[RecordingScore], total: BenchmarkScore) -> None:
    """Per-recording lines, the headline figures and the per-fault table."""
    from rich.console import Console
    from rich.table import Table

    rows = Table(title="Recordings (worst absolute errors over matched reps, seconds)")
    width = max((len(s.name) for s in scores), default=9)
    rows.add_column("recording", no_wrap=True, min_width=width)
    for col in ("truth", "pred", "match", "hold", "ext", "start", "end", "FN/FP"):
        rows.add_column(col, justify="right", no_wrap=True)
    rows.add_column("note", min_width=12)
    for s in scores:
        fn, fp = s.fault_misses()
        rows.add_row(
            s.name,
            str(s.n_truth),
            str(s.n_pred),
            str(len(s.pairs)),
            _f(s.worst(s.hold_err_s), 2),
            _f(s.worst(s.extension_err_s), 2),
            _f(s.worst(s.start_err_s), 2),
            _f(s.worst(s.end_err_s), 2),
            f"{fn}/{fp}",
            s.error,
            style=None if s.count_exact and not s.error else "yellow",
        )
    head = Table(title="Overall")
    head.add_column("figure")
    head.add_column("value", justify="right")
    head.add_row("recordings", str(total.recordings))
    head.add_row("exact rep count (share)", _f(total.count_exact_share))
    head.add_row(
        "reps truth / predicted / matched",
        f"{total.truth_reps} / {total.pred_reps} / {total.matched_reps}",
    )
    head.add_row("side accuracy (matched)", _f(total.side_accuracy))
    for label, value in (
        ("hold", total.hold_mae_s),
        ("extension", total.extension_mae_s),
        ("start", total.start_mae_s),
        ("end", total.end_mae_s),
    ):
        head.add_row(f"{label} MAE (s)", _f(value))
    for figure, count in total.not_measured.items():
        head.add_row(f"{figure} not measured (matched reps)", str(count))
    head.add_row("mean fault F1", _f(total.mean_fault_f1))
    faults = Table(title="Faults")
    for col in ("code", "tp", "fp", "fn", "precision", "recall", "F1"):
        faults.add_column(col, justify="left" if col == "code" else "right")
    for code, c in total.faults.items():
        faults.add_row(
            code, str(c.tp), str(c.fp), str(c.fn), _f(c.precision), _f(c.recall), _f(c.f1)
        )
    console = Console()
    for table in (rows, head, faults):
        console.print(table)


def main(argv: list[str] | None = None) -> int:
    """Score every labelled recording in the folder; returns the exit code."""
    args = parse_args(argv)
    folder: Path = args.dir
    items = labelled_recordings(folder) if folder.is_dir() else []
    if not items:
        reason = (
            "is not a folder" if not folder.is_dir() else "holds no *.csv(.gz) with a *.truth.json"
        )
        print(f"score: {folder} {reason}", file=sys.stderr)
        return 2
    from rich.console import Console
    from rich.progress import Progress

    from psoas_coach.config import load_config
    from psoas_coach.exceptions import ConfigError

    try:
        config = load_config(preset=args.preset, path=args.config)
    except ConfigError as err:
        print(f"score: {err}", file=sys.stderr)
        return 2
    scores: list[RecordingScore] = []
    factory = pose_backend_factory(args.pose_model, args.detect_each_frame)
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("analysing", total=len(items))
        for recording, truth in items:
            scores.append(
                score_one(
                    recording,
                    truth,
                    config,
                    workers=args.workers,
                    keypoints=args.keypoints,
                    pose_model=args.pose_model,
                    backend_factory=factory,
                )
            )
            progress.advance(task)
    total = summarize_scores(scores)
    if args.json:
        print(
            json.dumps(
                {"overall": total.to_dict(), "recordings": [_row(s) for s in scores]}, indent=1
            )
        )
    else:
        print_tables(scores, total)
    return 0


def _row(s: RecordingScore) -> dict[str, Any]:
    fn, fp = s.fault_misses()
    return {
        "name": s.name,
        "truth": s.n_truth,
        "pred": s.n_pred,
        "matched": len(s.pairs),
        "worst_hold_s": s.worst(s.hold_err_s),
        "worst_extension_s": s.worst(s.extension_err_s),
        "worst_start_s": s.worst(s.start_err_s),
        "worst_end_s": s.worst(s.end_err_s),
        "fault_fn": fn,
        "fault_fp": fp,
        "error": s.error,
    }


if __name__ == "__main__":
    raise SystemExit(main())
