"""The live page's WebSocket protocol (``psoas-live@1``): what the browser and server send.

Browser → server:

* a **binary** message per picture: 8 bytes little-endian float64, the capture time in
  seconds (any clock that only goes forward, e.g. ``performance.now() / 1000``), then the
  picture as JPEG (or PNG) bytes;
* **text** JSON controls: ``{"type": "mute", "muted": true}``, ``{"type": "end"}`` (end the
  set: the server answers with the report and starts a new set), ``{"type": "reset"}``.

Server → browser (text JSON):

* ``{"type": "ready", "protocol", "max_fps", "hold": {"min_s", "max_s", "target_s"}, "lang"}``
  once; ``lang`` is the language of the cue texts that follow (``en``, ``de`` or ``fr``: the
  team's cue language), the language the browser's speech should speak them in;
* ``{"type": "frame", "time_s", "landmarks", "status", "events", "ms"}`` per picture:
  ``landmarks`` 33 ``[x, y]`` pairs in [0, 1] of the picture's width and height (``null`` where
  unknown), ``status`` a :class:`~psoas_coach.live.events.LiveStatus`, ``events`` the
  coaching events (each ``{"type": ...}``), ``ms`` the server's processing times;
* ``{"type": "report", "report", "events"}`` after ``end``: the report (docs/report.md);
* ``{"type": "error", "message"}`` for a message that cannot be used; the connection stays.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from psoas_coach.exceptions import InputError
from psoas_coach.pose.backend import ImageArray
from psoas_coach.pose.types import FloatArray

PROTOCOL = "psoas-live@1"
HEADER = struct.Struct("<d")
#: The largest picture message accepted, bytes, and the largest picture side, pixels.
MAX_FRAME_BYTES = 4_000_000
MAX_SIDE_PX = 4096


class ProtocolError(InputError):
    """A message from the browser that cannot be used (the connection stays open)."""


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


def decode_control(text: str) -> dict[str, Any]:
    """Parse a text control message: a JSON object with a known ``type``."""
    try:
        message = json.loads(text)
    except json.JSONDecodeError as err:
        raise ProtocolError(f"control message: not JSON ({err.msg})") from None
    if not isinstance(message, dict) or message.get("type") not in ("mute", "end", "reset"):
        raise ProtocolError(
            "control message: expected an object with type mute, end or reset, "
            f"found {text[:60]!r}"
        )
    if message["type"] == "mute" and not isinstance(message.get("muted"), bool):
        raise ProtocolError("control message: mute needs a true/false 'muted'")
    return message


def normalized_landmarks(xy: FloatArray, width: int, height: int) -> list[list[float] | None]:
    """``(33, 2)`` pixels as ``[x, y]`` shares of the picture (``None`` where unknown)."""
    out: list[list[float] | None] = []
    for x, y in xy.tolist():
        known = math.isfinite(x) and math.isfinite(y)
        out.append([round(x / width, 4), round(y / height, 4)] if known else None)
    return out
