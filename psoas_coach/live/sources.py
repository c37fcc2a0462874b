"""Where live pictures come from: a camera, or a video file played as if it were one.

A source is an iterable of :class:`Picture`: seconds since the set started, an upright RGB
``(H, W, 3)`` uint8 picture and, from a file, the picture shrunk for the pose estimator as
``psoas analyze`` shrinks it. A camera that cannot be opened, or stops sending
pictures for ``stall_timeout_s`` seconds, raises :class:`~psoas_coach.exceptions.InputError`
with a one-line message; a file that breaks part-way raises ``VideoError`` after the pictures
it could decode.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np

from psoas_coach.exceptions import InputError, InputNotFoundError
from psoas_coach.pose.backend import POSE_WIDTH, ImageArray
from psoas_coach.pose.chunks import Span, plan_spans
from psoas_coach.source.video import (
    VIDEO_SUFFIXES,
    iter_full_and_shrunk,
    keyframe_times,
    probe_video,
)

#: Seconds a file played in real time may fall behind its own clock before a picture is
#: skipped. A camera drops what its capture queue (OpenCV's V4L2 queue holds four pictures)
#: cannot hold, but a file has every picture: a reader held up for a moment (the machine busy
#: elsewhere) shows the next ones a little late and catches up, since a picture costs less than
#: a frame period on average. A skipped picture changes BlazePose's later landmarks too (its
#: tracker crops each picture around the previous landmarks), so only a reader that stays
#: behind, one slower than the file on average, loses pictures, and the report counts them.
FILE_MAX_LAG_S = 1.0
#: Pictures a file's decoder (a thread of its own, beside the pose estimator) may run ahead.
DECODE_AHEAD_FRAMES = 8


class Picture(NamedTuple):
    """One picture of a live set: its time (s), the upright RGB picture and the picture the
    pose estimator gets (``None``: the engine shrinks ``image`` itself)."""

    time_s: float
    image: ImageArray
    pose_image: ImageArray | None = None


Frames = Iterator[Picture]


class FrameSource(Protocol):
    """Pictures of a live set, in time order."""

    name: str
    fps: float
    #: The chunks at whose start the pose estimator is settled afresh, as offline (empty for a
    #: camera; see :class:`~psoas_coach.live.engine.LiveEngine`).
    chunks: list[Span]
    #: Pictures dropped because they were late (a file played in real time).
    skipped: int

    def __iter__(self) -> Frames:
        """A :class:`Picture` per picture."""
        ...

    def close(self) -> None:
        """Release the device or file."""
        ...

    def pause(self, seconds: float) -> None:
        """The reader spent ``seconds`` on work of its own that a steady stream would not
        wait for (the pose model's start, a file's chunk warm-up): a file played in real time
        shows its next pictures that much later instead of skipping them; a camera does not
        wait."""
        ...


class CameraSource:
    """A camera through OpenCV (``cv2.VideoCapture``): an index (0, 1, ...) or a device path.

    Args:
        device: camera index, or a path/URL OpenCV can open as a capture device.
        width, height: the picture size asked of the camera, pixels.
        stall_timeout_s: seconds without a picture after which the camera counts as stopped.
    """

    def __init__(
        self,
        device: int | str,
        *,
        width: int = 640,
        height: int = 480,
        stall_timeout_s: float = 3.0,
    ) -> None:
        import cv2

        self.name = f"camera {device}"
        self.chunks: list[Span] = []
        self.skipped = 0
        self.stall_timeout_s = stall_timeout_s
        self._log_level = cv2.getLogLevel()
        cv2.setLogLevel(0)  # OpenCV's own console warnings off: errors are ours, one line
        self._capture = cv2.VideoCapture(device)
        if not self._capture.isOpened():
            self.close()
            raise InputError(f"{self.name}: cannot be opened (no such camera, or it is in use)")
        self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        rate = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = rate if 1.0 <= rate <= 120.0 else 30.0

    def __iter__(self) -> Frames:
        """Pictures as they arrive, timed by this machine's monotonic clock from the first."""
        import cv2

        origin = last = time.monotonic()
        while True:
            ok, bgr = self._capture.read()
            now = time.monotonic()
            if ok and bgr is not None:
                last = now
                yield Picture(
                    now - origin, np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                )
            elif now - last > self.stall_timeout_s:
                raise InputError(
                    f"{self.name}: stopped sending pictures at {last - origin:.1f} s "
                    f"(nothing for {self.stall_timeout_s:g} s: unplugged or in use?)"
                )
            else:
                time.sleep(0.01)

    def pause(self, seconds: float) -> None:
        """A camera does not wait: pictures taken meanwhile are lost."""

    def close(self) -> None:
        """Release the camera (and give OpenCV its console warnings back)."""
        import cv2

        self._capture.release()
        cv2.setLogLevel(self._log_level)


class VideoFileSource:
    """A video file played as a camera.

    Args:
        path: the video.
        realtime: play at the file's own frame rate (a picture more than ``max_lag_s``
            late when it would be shown is skipped); False plays every picture as fast as they
            can be processed.
        max_fps: pictures per second kept from faster files (as ``psoas analyze`` does).
        pose_width: each picture also comes shrunk to this width for the pose estimator,
            as ``psoas analyze`` shrinks it (``None``: not shrunk).
        max_lag_s: seconds a picture may be late before it is skipped (see
            :data:`FILE_MAX_LAG_S`).
    """

    def __init__(
        self,
        path: Path,
        *,
        realtime: bool = True,
        max_fps: float = 30.0,
        pose_width: int | None = POSE_WIDTH,
        max_lag_s: float = FILE_MAX_LAG_S,
    ) -> None:
        if not path.exists():
            raise InputNotFoundError(f"{path}: file not found")
        self.path = path
        self.name = path.name
        self.realtime = realtime
        self.max_fps = max_fps
        self.pose_width = pose_width
        self.max_lag_s = max_lag_s
        info = probe_video(path)
        self.fps = min(info.fps, max_fps)
        self.skipped = 0
        self.chunks = plan_spans(info, keyframe_times(path), max_fps)
        self._origin = time.monotonic()

    def __iter__(self) -> Frames:
        """Pictures with their timestamps, paced like a camera when ``realtime``: decoded on a
        thread of their own ahead of the reader (as a camera takes pictures while the reader
        works), and a picture more than ``max_lag_s`` late is skipped."""
        first = True
        for picture in _decoded_ahead(self.path, self.max_fps, self.pose_width):
            if first:  # the file is open and decoding: its clock starts now
                self._origin = time.monotonic() - picture.time_s
                first = False
            if self.realtime:
                wait = self._origin + picture.time_s - time.monotonic()
                if wait < -self.max_lag_s:
                    self.skipped += 1
                    continue
                time.sleep(max(0.0, wait))
            yield picture

    def pause(self, seconds: float) -> None:
        """Show the next pictures ``seconds`` later (see :meth:`FrameSource.pause`)."""
        self._origin += max(0.0, seconds)

    def close(self) -> None:
        """Nothing held between pictures."""


def _decoded_ahead(path: Path, max_fps: float, pose_width: int | None) -> Frames:
    """The pictures of :func:`iter_full_and_shrunk`, decoded by a thread of their own up to
    :data:`DECODE_AHEAD_FRAMES` ahead (an error of the file is raised after the pictures before
    it). Closing the generator stops the thread."""
    ahead: queue.Queue[Picture | BaseException | None] = queue.Queue(DECODE_AHEAD_FRAMES)
    stop = threading.Event()

    def put(item: Picture | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def decode() -> None:
        try:
            for time_s, image, small in iter_full_and_shrunk(
                path, max_fps=max_fps, max_width=pose_width
            ):
                if not put(Picture(time_s, image, small)):
                    return
        except BaseException as err:  # handed to the reader, raised there
            put(err)
            return
        put(None)

    thread = threading.Thread(target=decode, name=f"decode {path.name}", daemon=True)
    thread.start()
    try:
        while (item := ahead.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def open_source(spec: str, *, realtime: bool = True) -> CameraSource | VideoFileSource:
    """A camera for an index (``"0"``), else a video file; one-line errors otherwise."""
    if spec.isdigit():
        return CameraSource(int(spec))
    path = Path(spec)
    if not path.exists():
        raise InputNotFoundError(f"{path}: file not found (give a camera index or a video file)")
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        kinds = ", ".join(sorted(s[1:] for s in VIDEO_SUFFIXES))
        raise InputError(f"{path}: not a video ({kinds}) nor a camera index")
    return VideoFileSource(path, realtime=realtime)
