"""What several commands share: the video pose options and the one-line error."""

from __future__ import annotations

import argparse
import sys

from psoas_coach.pose.mediapipe_backend import DEFAULT_MODEL, POSE_MODELS


def add_video_pose_options(parser: argparse.ArgumentParser) -> None:
    """``--max-fps`` and ``--pose-model``: how a video's pose is estimated."""
    parser.add_argument(
        "--max-fps",
        type=float,
        default=30.0,
        metavar="FPS",
        help="pose estimation rate cap for fast videos (default: 30)",
    )
    parser.add_argument(
        "--pose-model",
        choices=list(POSE_MODELS),
        default=DEFAULT_MODEL,
        help="BlazePose landmark model for videos: full (default) or heavy (2-3x slower, "
        "far more accurate on a leg held extended; README 'Measured accuracy')",
    )


def error_line(message: str) -> None:
    """One line on stderr, never wrapped: ``error: <file>: <problem>``."""
    print(f"error: {' '.join(message.split())}", file=sys.stderr, flush=True)
