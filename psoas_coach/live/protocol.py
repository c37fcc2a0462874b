"""The live page's WebSocket protocol (``psoas-live@1``): what the browser and server send.

Browser → server:

* a **binary** message per picture: 8 bytes little-endian float64, the capture time in
  seconds (any clock that only goes forward, e.g. ``performance.now() / 1000``), then the
  picture as JPEG (or PNG) bytes;
* or, when pose runs in the browser, a **text** ``pose`` message per picture instead:
  ``{"type": "pose", "time_s", "width", "height", "landmarks"}``: the capture time (same clock
  rules as a picture's), the size in pixels of the picture pose ran on, and BlazePose's 33
  ``[x, y, z, visibility]`` in MediaPipe's normalised form (x, y shares of width and height,
  z on the scale of x), or ``null`` when nobody was found. No pose estimator runs on the
  server for it: the landmarks go into the same live engine a picture's would;
* **text** JSON controls: ``{"type": "mute", "muted": true}``, ``{"type": "end"}`` (end the
  set: the server answers with the report and starts a new set), ``{"type": "reset"}``.

Frames (pictures or pose messages) must come with increasing times, at most
``max_fps`` pictures or ``max_pose_fps`` pose messages a second.

Server → browser (text JSON):

* ``{"type": "ready", "protocol", "max_fps", "max_pose_fps", "pose_modes", "hold": {"min_s",
  "max_s", "target_s"}, "session", "resume_s", "resumed", "last_time_s", "lang"}`` once:
  ``session`` is the token to resume this set with (``?resume=TOKEN`` on the WebSocket's
  address) within ``resume_s`` seconds of a dropped connection; ``resumed`` says whether this
  connection continues such a set, ``last_time_s`` the time of its last frame (``null``: none
  yet); ``lang`` is the language of the cue texts that follow (``en``, ``de`` or ``fr``: the
  team's cue language), the language the browser's speech should speak them in;
* ``{"type": "frame", "time_s", "landmarks", "status", "events", "ms"}`` per picture:
  ``landmarks`` 33 ``[x, y]`` pairs in [0, 1] of the picture's width and height (``null`` where
  unknown), ``status`` a :class:`~psoas_coach.live.events.LiveStatus`, ``events`` the
  coaching events (each ``{"type": ...}``), ``ms`` the server's processing times;
* ``{"type": "report", "report", "events"}`` after ``end``: the report (docs/report.md);
* ``{"type": "error", "message"}`` for a message that cannot be used; the connection stays.

The server closes the connection with a WebSocket close code and a short reason for the page
to show (:class:`CloseConnectionError`): too many unusable messages in a row (1003), times
going backwards or frames too fast (1008), nothing received for a while (1001), the server
busy (1013).
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from psoas_coach.exceptions import InputError
from psoas_coach.pose.backend import FramePose, ImageArray, from_normalized
from psoas_coach.pose.landmarks import NUM_LANDMARKS
from psoas_coach.pose.types import FloatArray

PROTOCOL = "psoas-live@1"
HEADER = struct.Struct("<d")
#: The largest picture message accepted, bytes, and the largest picture side, pixels.
MAX_FRAME_BYTES = 4_000_000
MAX_SIDE_PX = 4096
#: The largest text message accepted, bytes (a pose message is about 3 kB).
MAX_TEXT_BYTES = 16_000
#: Landmark ranges a pose message may hold: x and y (shares of the picture, BlazePose places
#: limbs out of the picture a little outside [0, 1]), z (on the scale of x), visibility.
XY_RANGE = (-1.0, 2.0)
Z_RANGE = (-10.0, 10.0)
CONTROLS = ("mute", "end", "reset")
#: The ranges above per column of a landmark row (x, y, z, visibility).
_LOWEST = np.array([XY_RANGE[0], XY_RANGE[0], Z_RANGE[0], 0.0])
_HIGHEST = np.array([XY_RANGE[1], XY_RANGE[1], Z_RANGE[1], 1.0])


class ProtocolError(InputError):
    """A message from the browser that cannot be used (the connection stays open)."""


class CloseConnectionError(InputError):
    """A connection the server closes: ``code`` (WebSocket close code) and ``reason`` (a short
    text for the page, under WebSocket's 123-byte limit)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason[:120]

    def __reduce__(self) -> tuple[type[CloseConnectionError], tuple[int, str]]:
        return (CloseConnectionError, (self.code, self.reason))


@dataclass(frozen=True)
class PoseMessage:
    """One decoded ``pose`` message: capture time (s), the picture's ``(width, height)``
    pixels and the landmarks in pixels of that picture (``None``: nobody found)."""

    time_s: float
    size: tuple[int, int]
    pose: FramePose | None


@dataclass(frozen=True)
class Picture:
    """One decoded picture message: capture time (s) and RGB ``(H, W, 3)`` uint8 pixels."""

    time_s: float
    image: ImageArray


def decode_picture(data: bytes) -> Picture:
    """Parse a binary picture message; :class:`ProtocolError` says what is wrong."""
    import cv2

    if len(data) <= HEADER.size:
        raise ProtocolError(f"picture message: expected a time and an image, found {len(data)} B")
    if len(data) > MAX_FRAME_BYTES:
        raise ProtocolError(f"picture message: {len(data)} B is over {MAX_FRAME_BYTES} B")
    (time_s,) = HEADER.unpack_from(data)
    if not math.isfinite(time_s) or time_s < 0:
        raise ProtocolError(f"picture message: time must be a non-negative number, found {time_s}")
    buffer = np.frombuffer(data, dtype=np.uint8, offset=HEADER.size)
    bgr = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    if bgr is None:
        raise ProtocolError("picture message: the image is not a readable JPEG or PNG")
    if max(bgr.shape[:2]) > MAX_SIDE_PX:
        raise ProtocolError(f"picture message: image {bgr.shape[1]}x{bgr.shape[0]} is too large")
    rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
    return Picture(float(time_s), rgb)


def encode_picture(time_s: float, image_rgb: ImageArray, quality: int = 80) -> bytes:
    """A binary picture message for ``image_rgb`` at ``time_s`` (what the page sends)."""
    import cv2

    ok, jpeg = cv2.imencode(
        ".jpg", cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise ValueError("encode_picture: JPEG encoding failed")
    return HEADER.pack(time_s) + jpeg.tobytes()


def decode_text(text: str) -> dict[str, Any] | PoseMessage:
    """Parse a text message: a :class:`PoseMessage`, or a control (a JSON object with a known
    ``type``); :class:`ProtocolError` says what is wrong."""
    if len(text) > MAX_TEXT_BYTES:
        raise ProtocolError(f"text message: {len(text)} characters is over {MAX_TEXT_BYTES}")
    try:
        message = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        reason = err.msg if isinstance(err, json.JSONDecodeError) else "nested too deep"
        raise ProtocolError(f"control message: not JSON ({reason})") from None
    if isinstance(message, dict) and message.get("type") == "pose":
        return decode_pose(message)
    if not isinstance(message, dict) or message.get("type") not in CONTROLS:
        raise ProtocolError(
            "control message: expected an object with type pose, mute, end or reset, "
            f"found {text[:60]!r}"
        )
    if message["type"] == "mute" and not isinstance(message.get("muted"), bool):
        raise ProtocolError("control message: mute needs a true/false 'muted'")
    return message


def decode_pose(message: dict[str, Any]) -> PoseMessage:
    """Check a parsed ``pose`` message and convert its landmarks to pixels (through the pose
    layer's :func:`~psoas_coach.pose.backend.from_normalized`)."""
    time_s = _finite(message.get("time_s"))
    if time_s is None or time_s < 0:
        found = repr(message.get("time_s"))[:30]
        raise ProtocolError(f"pose message: time_s must be a non-negative number, found {found}")
    width, height = message.get("width"), message.get("height")
    for name, side in (("width", width), ("height", height)):
        if not isinstance(side, int) or isinstance(side, bool) or not 1 <= side <= MAX_SIDE_PX:
            raise ProtocolError(
                f"pose message: {name} must be a whole number of pixels in 1..{MAX_SIDE_PX}, "
                f"found {side!r}"
            )
    assert isinstance(width, int) and isinstance(height, int)
    landmarks = message.get("landmarks", ())
    if landmarks is None:
        return PoseMessage(time_s, (width, height), None)
    raw = _landmark_array(landmarks)
    return PoseMessage(time_s, (width, height), from_normalized(raw, width, height))


def _landmark_array(landmarks: Any) -> FloatArray:
    """``(33, 4)`` landmarks of a pose message, checked for shape, type and range."""
    if (
        not isinstance(landmarks, list)
        or len(landmarks) != NUM_LANDMARKS
        or not all(isinstance(row, list) and len(row) == 4 for row in landmarks)
    ):
        raise ProtocolError(
            f"pose message: landmarks must be null or {NUM_LANDMARKS} [x, y, z, visibility] lists"
        )
    raw = _finite_rows(landmarks)
    if raw is None:
        raise ProtocolError("pose message: landmarks must hold finite numbers only")
    if bool(((raw >= _LOWEST) & (raw <= _HIGHEST)).all()):
        return raw
    lows, highs = raw.min(axis=0).tolist(), raw.max(axis=0).tolist()  # per column x, y, z, v
    checks = (
        ("x and y", min(lows[:2]), max(highs[:2]), XY_RANGE),
        ("z", lows[2], highs[2], Z_RANGE),
        ("visibility", lows[3], highs[3], (0.0, 1.0)),
    )
    for name, least, most, (low, high) in checks:
        if least < low or most > high:
            raise ProtocolError(
                f"pose message: landmark {name} must lie in {low:g}..{high:g}, found "
                f"{least:g}..{most:g}"
            )
    return raw


def _finite_rows(rows: list[list[Any]]) -> FloatArray | None:
    """``(33, 4)`` floats of ``rows`` (33 lists of 4) if every value is a finite JSON number
    (not a boolean; as :func:`_finite` one by one), else None."""
    numbers = [v for row in rows for v in row]
    if not set(map(type, numbers)) <= {int, float}:  # a subclass, bool included: one by one
        checked = [_finite(v) for v in numbers]
        if any(v is None for v in checked):
            return None
        numbers = checked
    try:
        raw = np.array(numbers, dtype=np.float64).reshape(NUM_LANDMARKS, 4)
    except OverflowError:  # an int beyond the largest float
        return None
    return raw if bool(np.isfinite(raw).all()) else None


def _finite(value: Any) -> float | None:
    """``value`` as a float if it is a finite JSON number (not a boolean), else None."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def encode_pose(time_s: float, size: tuple[int, int], landmarks: FloatArray | None) -> str:
    """A ``pose`` message (what the page sends when pose runs in the browser):
    ``landmarks`` ``(33, 4)`` normalised rows, or ``None`` (nobody found)."""
    rows = None if landmarks is None else np.asarray(landmarks, dtype=np.float64).tolist()
    message = {"type": "pose", "time_s": time_s, "width": size[0], "height": size[1]}
    return json.dumps({**message, "landmarks": rows})


def normalized_landmarks(xy: FloatArray, width: int, height: int) -> list[list[float] | None]:
    """``(33, 2)`` pixels as ``[x, y]`` shares of the picture (``None`` where unknown)."""
    isfinite = math.isfinite  # every frame: 33 landmarks
    return [
        [round(x / width, 4), round(y / height, 4)] if isfinite(x) and isfinite(y) else None
        for x, y in xy.tolist()
    ]
