"""The desktop coach's loop: pictures from a source through the engine, to a window and sound.

Keys in the window: ``q`` or Esc ends the set, ``m`` mutes or unmutes the cues. Closing the
window also ends the set. The set also ends at the end of a video file, or when the camera
stops (the message is kept for the caller; what was seen is still reported).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

from psoas_coach.engine import Analysis
from psoas_coach.exceptions import InputError
from psoas_coach.live.engine import FrameResult, LiveEngine
from psoas_coach.live.events import Cue, Event
from psoas_coach.live.overlay import draw_overlay
from psoas_coach.live.sources import FrameSource
from psoas_coach.live.speech import Speaker
from psoas_coach.pose.backend import ImageArray

WINDOW_TITLE = "Psoas Coach - live (q: end set, m: mute)"
QUIT_KEYS = (ord("q"), ord("Q"), 27)
MUTE_KEYS = (ord("m"), ord("M"))
#: Called with every event of the set (e.g. to print it).
EventHook = Callable[[Event], None]


@dataclass(frozen=True)
class SetOutcome:
    """How a set ended: its analysis, pictures processed and the source's error, if any."""

    analysis: Analysis
    frames: int
    error: str | None


def display_available() -> bool:
    """Whether a window can be opened (on Linux: an X11 or Wayland display is set)."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_set(
    source: FrameSource,
    engine: LiveEngine,
    *,
    window: bool,
    speaker: Speaker,
    on_event: EventHook | None = None,
) -> SetOutcome:
    """Play ``source`` through ``engine`` until it ends or the athlete ends the set."""
    frames, error = 0, None
    try:
        for time_s, image, pose_image in source:
            result = engine.process(time_s, image, pose_image)
            source.pause(engine.setup_s)
            frames += 1
            _deliver(result.events, speaker, on_event)
            if window and not _show(image, result, engine):
                break
    except InputError as err:
        error = str(err)
    finally:
        source.close()
        if window:
            _close_window()
    _deliver(engine.finish(), speaker, on_event)
    if source.skipped:
        engine.analyzer.note(
            f"{source.skipped} of {frames + source.skipped} pictures were skipped: this machine "
            "could not keep up with the video's frame rate (counts and holds may differ from "
            "psoas analyze of the same video)"
        )
    return SetOutcome(engine.analyzer.analysis(), frames, error)


def _deliver(
    events: list[Event], speaker: Speaker, on_event: Callable[[Event], None] | None
) -> None:
    for event in events:
        if isinstance(event, Cue) and event.spoken:
            speaker.say(event.text)
        if on_event is not None:
            on_event(event)


def _show(image: ImageArray, result: FrameResult, engine: LiveEngine) -> bool:
    """Draw and show one picture; False when the athlete ends the set."""
    import cv2

    rgb = image.copy()
    draw_overlay(rgb, result.landmarks, result.status)
    cv2.imshow(WINDOW_TITLE, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    key = cv2.waitKey(1) & 0xFF
    if key in MUTE_KEYS:
        engine.analyzer.muted = not engine.analyzer.muted
    if key in QUIT_KEYS:
        return False
    return bool(cv2.getWindowProperty(WINDOW_TITLE, cv2.WND_PROP_VISIBLE) >= 1)


def _close_window() -> None:
    import cv2

    cv2.destroyAllWindows()
    cv2.waitKey(1)
