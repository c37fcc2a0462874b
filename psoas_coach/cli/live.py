"""``psoas live``: live coaching from a camera or a video file, or the browser page (``--serve``).

A desktop window shows the overlay; cues go to the terminal (and to the speakers with
``--speak``); ``--out DIR`` writes the set's ``<stem>.json`` and ``<stem>.html`` as
``psoas analyze`` does, and its keypoints as received (``<stem>.csv``). Exit status: 0 when
the set ran to its end, 1 when the camera or file failed (the report of what was seen is
still written), 2 for a usage or configuration error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psoas_coach.cli.common import error_line
from psoas_coach.config import PRESETS
from psoas_coach.faults.words import LANGUAGES

if TYPE_CHECKING:
    from psoas_coach.config import AnalysisConfig
    from psoas_coach.engine import Analysis
    from psoas_coach.live.desktop import SetOutcome
    from psoas_coach.live.events import Event
    from psoas_coach.live.sources import CameraSource, VideoFileSource


def register(commands: Any) -> None:
    """Add the ``live`` subcommand to ``commands`` (an argparse subparsers object)."""
    parser = commands.add_parser(
        "live",
        help="coach a set live from a camera or a video file (or serve the browser page)",
        description=(
            "Count reps per side, time holds and say cues while the athlete exercises. Keys in "
            "the window: q or Esc ends the set, m mutes. With --serve, a page on this machine "
            "takes the browser's webcam instead."
        ),
    )
    parser.add_argument(
        "--source",
        default="0",
        metavar="SRC",
        help="camera index (default 0) or a video file played as a camera",
    )
    parser.add_argument(
        "--fast", action="store_true", help="play a video file as fast as possible (every frame)"
    )
    parser.add_argument("--no-window", action="store_true", help="run without a window")
    parser.add_argument(
        "--out",
        "-o",
        type=Path,
        metavar="DIR",
        help="write <stem>.json, <stem>.html and the keypoints <stem>.csv here",
    )
    parser.add_argument("--stem", metavar="NAME", help="report file name (default: from source)")
    parser.add_argument(
        "--speak", action="store_true", help="say cues (espeak-ng if installed, else a bell)"
    )
    parser.add_argument("--mute", action="store_true", help="start with cues muted")
    parser.add_argument(
        "--language",
        choices=sorted(LANGUAGES),
        default="en",
        help="language of the cues, shown and spoken (default en)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print no events")
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML or JSON settings")
    parser.add_argument("--preset", choices=sorted(PRESETS), help="youth or adult thresholds")
    server = parser.add_argument_group("browser page")
    server.add_argument(
        "--serve", action="store_true", help="serve the live page (the browser's webcam)"
    )
    server.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    server.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    server.add_argument(
        "--engine-processes",
        type=int,
        metavar="N",
        help="processes the live sets are spread over (default: one per CPU core; 0: the "
        "server's own process)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run a live set (or the server); one-line errors and the exit status."""
    from psoas_coach.config import load_config
    from psoas_coach.exceptions import PsoasError

    try:
        config = load_config(preset=args.preset, path=args.config)
    except PsoasError as err:
        error_line(str(err))
        return 2
    if args.serve:
        from psoas_coach.live.server import serve

        serve(config, host=args.host, port=args.port, engine_processes=args.engine_processes)
        return 0
    return _run_desktop(args, config)


def _run_desktop(args: argparse.Namespace, config: AnalysisConfig) -> int:
    from psoas_coach.exceptions import PsoasError
    from psoas_coach.live.desktop import display_available
    from psoas_coach.live.sources import open_source

    if not args.no_window and not display_available():
        error_line("no display for the window: add --no-window (or use --serve)")
        return 2
    try:
        source = open_source(args.source, realtime=not args.fast)
        outcome = _coach(args, config, source)
    except PsoasError as err:
        error_line(str(err))
        return 1
    if args.out is not None:
        _write(args, outcome.analysis, source.name)
    if outcome.error:
        error_line(outcome.error)
        return 1
    return 0


def _coach(
    args: argparse.Namespace, config: AnalysisConfig, source: CameraSource | VideoFileSource
) -> SetOutcome:
    from psoas_coach.live.analyzer import CoachSettings, LiveAnalyzer
    from psoas_coach.live.desktop import run_set
    from psoas_coach.live.engine import LiveEngine, desktop_threads, mediapipe_backend
    from psoas_coach.live.speech import make_speaker

    analyzer = LiveAnalyzer(
        config,
        coach=CoachSettings(muted=args.mute, language=args.language),
        fps=source.fps,
        source=source.name,
    )
    speaker = make_speaker(args.speak, args.language)
    try:
        with LiveEngine(
            mediapipe_backend(desktop_threads()), analyzer, chunks=source.chunks
        ) as engine:
            return run_set(
                source,
                engine,
                window=not args.no_window,
                speaker=speaker,
                on_event=None if args.quiet else _print_event,
            )
    finally:
        speaker.close()


def _print_event(event: Event) -> None:
    """One line per cue or finished repetition on stdout."""
    from psoas_coach.live.events import Cue, RepFinished

    if isinstance(event, Cue):
        print(f"{event.time_s:7.1f} s  {event.category:>6}: {event.text}", flush=True)
    elif isinstance(event, RepFinished):
        rep, counts = event.rep, event.counts
        faults = ", ".join(rep.faults) or "no faults"
        print(
            f"{event.time_s:7.1f} s     rep: {rep.side} #{counts[rep.side]}, "
            f"hold {rep.hold_s:.1f} s, {faults} (L {counts['left']} / R {counts['right']})",
            flush=True,
        )


def _write(args: argparse.Namespace, analysis: Analysis, source_name: str) -> None:
    from psoas_coach.outputs import write_outputs

    stem = args.stem or _default_stem(source_name)
    for path in write_outputs(analysis, args.out, stem, keypoints=".csv").values():
        print(f"wrote {path}", file=sys.stderr)


def _default_stem(source_name: str) -> str:
    """The input's stem for a file, ``live-<date>-<time>`` for a camera."""
    from psoas_coach.outputs import input_stem

    if source_name.startswith("camera"):
        return f"live-{dt.datetime.now():%Y%m%d-%H%M%S}"
    return input_stem(Path(source_name))
