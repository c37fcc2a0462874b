"""Reading videos with PyAV: probing, upright RGB frames, frame-rate capping and chunked seeking.

Times are seconds from the start of the video stream, taken from each frame's timestamp, so
variable-frame-rate recordings keep their true timing. Rotation metadata (phones filming in
portrait) is applied, so every image is upright as a player would show it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from psoas_coach.exceptions import InputNotFoundError, VideoError

if TYPE_CHECKING:
    from av.container import InputContainer
    from av.packet import Packet
    from av.video.frame import VideoFrame
    from av.video.plane import VideoPlane
    from av.video.stream import VideoStream

ImageArray = npt.NDArray[np.uint8]

#: File name endings accepted as videos (lower case).
VIDEO_SUFFIXES: Final[frozenset[str]] = frozenset({".mp4", ".mov", ".avi", ".webm", ".mkv"})

#: Frames within this share of a slot before the slot's start still count for it (jitter).
_SLOT_TOLERANCE: Final[float] = 0.25
#: A stream that stops this many seconds (at least) before its announced end is truncated.
_MIN_SHORTFALL_S: Final[float] = 0.5
#: The longest video analysed, seconds (83 minutes): its keypoints at 30 frames a second must
#: fit the 150 000 rows a keypoint CSV may hold (``psoas_coach.pose.csv_io.LIMITS``), and no
#: upload should hold the analysis for hours. Checked on the header and again while decoding
#: (a header may understate the length).
MAX_DURATION_S: Final[float] = 5000.0


@dataclass(frozen=True)
class VideoInfo:
    """What a video holds, as a player shows it.

    Attributes:
        width: upright picture width in pixels (after rotation).
        height: upright picture height in pixels (after rotation).
        fps: average frame rate in frames per second.
        duration_s: length of the video stream in seconds.
        frame_count: number of frames (from the header, or estimated from duration × fps).
        rotation_deg: counter-clockwise rotation applied to the coded picture to make it upright
            (0, 90, 180 or 270 degrees).
        codec: name of the video codec, e.g. ``h264``.
    """

    width: int
    height: int
    fps: float
    duration_s: float
    frame_count: int
    rotation_deg: int
    codec: str


def probe_video(path: Path) -> VideoInfo:
    """Size, frame rate, length, rotation and codec of the video at ``path``.

    Decodes the first frame to read its rotation. Raises :class:`InputNotFoundError` when the
    file does not exist and :class:`VideoError` when it is not a decodable video or is longer
    than :data:`MAX_DURATION_S`.
    """
    with _open(path) as container:
        stream = _video_stream(container, path)
        first = _first_frame(container, stream, path)
        rotation = _rotation_of(first)
        fps = _average_fps(stream)
        duration = _stream_duration_s(container, stream)
        _check_length(path, duration)
        width, height = first.width, first.height
        if rotation in (90, 270):
            width, height = height, width
        frames = stream.frames if stream.frames > 0 else round(duration * fps)
        return VideoInfo(
            width, height, fps, duration, int(frames), rotation, stream.codec_context.name
        )


def iter_frames(
    path: Path,
    *,
    max_fps: float | None = 30.0,
    start_s: float = 0.0,
    end_s: float | None = None,
    max_width: int | None = None,
    decode_threads: int = 0,
    seek_s: float | None = None,
) -> Iterator[tuple[float, ImageArray]]:
    """Yield ``(time_s, image)`` per frame from ``start_s`` (inclusive) to ``end_s`` (exclusive).

    ``time_s`` is seconds from the start of the stream (frame timestamp); ``image`` is the
    upright ``(H, W, 3)`` uint8 RGB picture. Sources faster than ``max_fps`` frames per second
    are thinned by timestamp onto a fixed grid of ``1 / max_fps`` s slots (the first frame of
    each slot is kept), so chunks of one video keep exactly the frames the whole keeps.
    ``max_width`` (pixels) shrinks the upright picture to at most that width, keeping its
    aspect ratio.
    ``decode_threads`` is the decoder's thread count (0: FFmpeg chooses; 1 suits processes
    that already keep every core busy).
    ``seek_s`` is where decoding starts: a keyframe at or before ``start_s`` whose frames up to
    ``start_s`` all lie in the ``1 / max_fps`` slot before it (see :func:`keyframe_times`);
    by default, the keyframe at or before one slot ahead of ``start_s``.

    Raises :class:`InputNotFoundError` for a missing file (at once) and :class:`VideoError` for
    an unreadable one; a file that breaks part-way yields what decodes, then raises
    :class:`VideoError` naming the time of the break.
    """
    if not path.exists():
        raise InputNotFoundError(f"video {path.name}: file not found")
    frames = _generate(path, max_fps, start_s, end_s, decode_threads, seek_s)
    return ((time_s, _to_image(frame, max_width)) for time_s, frame in frames)


def iter_full_and_shrunk(
    path: Path, *, max_fps: float | None = 30.0, max_width: int | None = None
) -> Iterator[tuple[float, ImageArray, ImageArray]]:
    """Yield ``(time_s, image, shrunk)`` per frame: the frames of :func:`iter_frames` at full
    size and, from the same decoded frame, exactly as ``iter_frames(max_width=max_width)``
    shrinks them (a file played live gives its estimator the pictures the offline path does).
    Errors as :func:`iter_frames`.
    """
    if not path.exists():
        raise InputNotFoundError(f"video {path.name}: file not found")
    for time_s, frame in _generate(path, max_fps, 0.0, None, 0, None):
        yield time_s, _to_image(frame, None), _to_image(frame, max_width)


def keyframe_times(path: Path) -> list[float]:
    """Seconds from the stream start of every keyframe of the video at ``path``, in order.

    Read from the packets without decoding (milliseconds for a long file). Decoding that
    starts at one of these gives the same pictures from there on as decoding from the start.
    """
    with _open(path) as container:
        stream = _video_stream(container, path)
        origin = stream.start_time or 0
        base = stream.time_base
        if base is None:
            return [0.0]
        times = {
            float((packet.pts - origin) * base)
            for packet in container.demux(stream)
            if packet.is_keyframe and packet.pts is not None
        }
    return sorted(times) or [0.0]


def _generate(
    path: Path,
    max_fps: float | None,
    start_s: float,
    end_s: float | None,
    decode_threads: int,
    seek_s: float | None = None,
) -> Iterator[tuple[float, VideoFrame]]:
    """The kept decoded frames with their times (opens the file on first use); see
    :func:`iter_frames`."""
    with _open(path) as container:
        stream = _video_stream(container, path)
        _set_threads(stream, decode_threads)
        duration = _stream_duration_s(container, stream)
        slots = _SlotFilter(slot_fps_of(_average_fps(stream), max_fps))
        origin = stream.start_time or 0
        # Start a slot early (or at the given keyframe) so the slot of ``start_s`` is judged
        # on all its frames.
        _seek(
            container, stream, origin, start_s - slots.period_s if seek_s is None else seek_s, path
        )
        reached = _Position(start_s)
        unused = _UnusedFrames(stream, slots.rate, start_s - 2 * slots.period_s)
        for frame in _decode(container, stream, path, reached, unused.skip):
            time_s = _frame_time_s(frame, origin, reached.time_s, stream)
            if end_s is not None and time_s >= end_s:
                return
            if not slots.keep(time_s) or time_s < start_s:
                continue
            _check_length(path, time_s)
            reached.time_s = time_s
            yield time_s, frame
        end = duration if end_s is None else min(end_s, duration)
        _check_complete(path, reached.time_s, end, stream)


@dataclass
class _Position:
    """The time reached in a stream, in seconds (for error messages)."""

    time_s: float


def slot_start_at_or_after(time_s: float, slot_fps: float | None) -> float:
    """The first start of a ``1 / slot_fps`` s slot (see :func:`iter_frames`) at or after
    ``time_s``; ``time_s`` itself when every frame is kept (``slot_fps`` ``None``)."""
    if slot_fps is None:
        return time_s
    return (math.ceil(time_s * slot_fps + _SLOT_TOLERANCE) - _SLOT_TOLERANCE) / slot_fps


def slot_fps_of(info_fps: float, max_fps: float | None) -> float | None:
    """The slot rate :func:`iter_frames` thins a ``info_fps`` source to (``None``: no thinning)."""
    return max_fps if max_fps is not None and info_fps > max_fps else None


class _SlotFilter:
    """Keeps the first frame of each ``1 / max_fps`` s slot; keeps all with ``max_fps=None``."""

    def __init__(self, max_fps: float | None) -> None:
        self._max_fps = max_fps
        self._last_slot: int | None = None

    @property
    def rate(self) -> float | None:
        """Slots per second (``None``: every frame is kept)."""
        return self._max_fps

    @property
    def period_s(self) -> float:
        """Length of one slot in seconds (0 when every frame is kept)."""
        return 0.0 if self._max_fps is None else 1.0 / self._max_fps

    def keep(self, time_s: float) -> bool:
        """Whether the frame at ``time_s`` (seconds) opens a new slot."""
        if self._max_fps is None:
            return True
        slot = math.floor(time_s * self._max_fps + _SLOT_TOLERANCE)
        if self._last_slot is not None and slot <= self._last_slot:
            return False
        self._last_slot = slot
        return True


def _set_threads(stream: VideoStream, count: int) -> None:
    """Let FFmpeg decode ``stream`` with ``count`` threads (0: as many as it likes)."""
    if count == 1:
        stream.thread_type = "NONE"
        return
    stream.thread_type = "AUTO"
    stream.thread_count = max(0, count)


def _open(path: Path) -> InputContainer:
    """Open ``path`` with PyAV, turning failures into product errors."""
    import av

    if not path.exists():
        raise InputNotFoundError(f"video {path.name}: file not found")
    try:
        return av.open(str(path), mode="r")
    except av.FFmpegError as exc:
        reason = exc.strerror or type(exc).__name__
        raise VideoError(
            f"video {path.name}: cannot be read as a video ({reason}; "
            "not a video file, or truncated/corrupt)"
        ) from exc


def _video_stream(container: InputContainer, path: Path) -> VideoStream:
    """The first video stream of ``container``."""
    if not container.streams.video:
        raise VideoError(f"video {path.name}: not a video file (no video stream found)")
    return container.streams.video[0]


def _first_frame(container: InputContainer, stream: VideoStream, path: Path) -> VideoFrame:
    """The first decodable frame of ``stream``."""
    for frame in _decode(container, stream, path, _Position(0.0)):
        return frame
    raise VideoError(f"video {path.name}: no frame could be decoded (file empty or corrupt)")


def _decode(
    container: InputContainer,
    stream: VideoStream,
    path: Path,
    reached: _Position,
    skip: Callable[[Packet[Any]], bool] | None = None,
) -> Iterator[VideoFrame]:
    """Decoded frames of ``stream``, without the packets ``skip`` says; a decoding failure
    becomes :class:`VideoError`.

    ``reached`` holds the time decoded so far, named in the error message.
    """
    import av

    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
            if skip is not None and skip(packet):
                continue
            frames = packet.decode()
        except StopIteration:
            return
        except (av.FFmpegError, EOFError) as exc:
            raise VideoError(
                f"video {path.name}: decoding failed at {reached.time_s:.1f} s "
                "(file truncated or corrupt)"
            ) from exc
        yield from frames


class _UnusedFrames:
    """Which packets hold a frame nothing will use, so they need not be decoded at all: a
    frame no other frame refers to (H.264 slices with ``nal_ref_idc`` 0, in the length-prefixed
    form MP4 and Matroska store) that is dropped anyway, being earlier than ``keep_from_s``
    or not the first of its frame slot (``slot_fps``). Skipping them leaves every kept picture
    exactly as decoding everything gives it; at 60 fps thinned to 30 it halves the decoding
    of a typical phone or ffmpeg file. Other codecs and forms are decoded whole."""

    def __init__(self, stream: VideoStream, slot_fps: float | None, keep_from_s: float) -> None:
        self._slot_fps = slot_fps
        self._keep_from_s = keep_from_s
        self._origin = stream.start_time or 0
        self._base = stream.time_base
        self._length_size = _nal_length_size(stream)
        self._first_in_slot: dict[int, float] = {}

    def skip(self, packet: Packet[Any]) -> bool:
        """Whether ``packet`` need not be decoded (called on every packet, in file order)."""
        if self._length_size is None or packet.pts is None or self._base is None:
            return False
        time_s = float((packet.pts - self._origin) * self._base)
        later_in_slot = self._later_in_slot(time_s)
        if not (later_in_slot or time_s < self._keep_from_s):
            return False
        return _unreferenced_h264(bytes(packet), self._length_size)

    def _later_in_slot(self, time_s: float) -> bool:
        """Whether an earlier frame of ``time_s``'s slot was already seen (notes this one)."""
        if self._slot_fps is None:
            return False
        slot = math.floor(time_s * self._slot_fps + _SLOT_TOLERANCE)
        first = self._first_in_slot.get(slot)
        if first is None or time_s < first:
            self._first_in_slot[slot] = time_s
            if len(self._first_in_slot) > 256:  # frames are only reordered a few slots back
                for old in sorted(self._first_in_slot)[:128]:
                    del self._first_in_slot[old]
            return False
        return time_s > first


def _nal_length_size(stream: VideoStream) -> int | None:
    """Bytes of each NAL unit's length prefix of an H.264 stream stored length-prefixed
    (``avcC`` extradata); ``None`` otherwise."""
    extradata = stream.codec_context.extradata
    if stream.codec_context.name != "h264" or not extradata or extradata[0] != 1:
        return None
    if len(extradata) < 5:
        return None
    return (extradata[4] & 0x03) + 1


def _unreferenced_h264(data: bytes, length_size: int) -> bool:
    """Whether the length-prefixed H.264 access unit ``data`` holds slices and no slice of
    it is a reference (``nal_ref_idc`` 0 in each slice's NAL header)."""
    position, slices = 0, 0
    while position + length_size < len(data):
        length = int.from_bytes(data[position : position + length_size], "big")
        header = data[position + length_size]
        if header & 0x1F in (1, 5):  # coded slice (non-IDR, IDR)
            if header & 0x60:
                return False
            slices += 1
        position += length_size + length
    return slices > 0 and position == len(data)


def _seek(
    container: InputContainer, stream: VideoStream, origin: int, start_s: float, path: Path
) -> None:
    """Seek to the keyframe at or before ``start_s`` seconds (nothing to do at 0)."""
    import av

    if start_s <= 0.0 or stream.time_base is None:
        return
    # A thousandth of a tick of tolerance: a time computed from a keyframe's own timestamp
    # must land on that keyframe, not the one before.
    target = origin + math.floor(start_s / stream.time_base + 1e-3)
    try:
        container.seek(target, stream=stream, backward=True, any_frame=False)
    except av.FFmpegError as exc:
        raise VideoError(
            f"video {path.name}: cannot seek to {start_s:.1f} s (file truncated or corrupt)"
        ) from exc


def _frame_time_s(frame: VideoFrame, origin: int, previous_s: float, stream: VideoStream) -> float:
    """Seconds from the stream start to ``frame`` (one frame after ``previous_s`` if unknown)."""
    if frame.pts is None or stream.time_base is None:
        return previous_s + 1.0 / _average_fps(stream)
    return float((frame.pts - origin) * stream.time_base)


def _to_image(frame: VideoFrame, max_width: int | None) -> ImageArray:
    """The upright ``(H, W, 3)`` uint8 RGB picture of ``frame``, at most ``max_width`` px wide.

    A picture to shrink is shrunk on its Y, U and V planes with OpenCV's area filter and
    converted to RGB at the small size (:func:`_shrunk_rgb`: a quarter of the cost of
    converting at full size first); other formats, and pictures kept at full size, convert
    at full size (FFmpeg) and shrink after.
    """
    rotation = _rotation_of(frame)
    upright_w = frame.height if rotation in (90, 270) else frame.width
    if max_width is not None and upright_w > max_width:
        scale = max_width / upright_w
        image = _shrunk_rgb(frame, scale)
        if image is None:
            image = _shrink(np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8), scale)
    else:
        image = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
    return _rotate_upright(image, rotation)


#: Planar 4:2:0 formats converted on their planes, with their colour range (True: full).
_PLANAR_420: Final[dict[str, bool]] = {"yuv420p": False, "yuvj420p": True}
#: (Kr, Kb) luma weights by FFmpeg colour space (AVCOL_SPC_*); others, and unspecified,
#: convert as BT.601, as FFmpeg does.
_LUMA_WEIGHTS: Final[dict[int, tuple[float, float]]] = {
    1: (0.2126, 0.0722),  # BT.709
    4: (0.30, 0.11),  # FCC
    7: (0.212, 0.087),  # SMPTE 240M
    9: (0.2627, 0.0593),  # BT.2020 non-constant luminance
}
_BT601: Final[tuple[float, float]] = (0.299, 0.114)
#: FFmpeg's AVCOL_RANGE_JPEG: full-range samples.
_FULL_RANGE: Final[int] = 2


def _shrunk_rgb(frame: VideoFrame, scale: float) -> ImageArray | None:
    """``frame`` (still coded, not rotated) shrunk by ``scale`` and converted to RGB on its
    planes, as FFmpeg would convert it (its colour space and range); ``None`` for a format
    other than 8-bit planar 4:2:0."""
    import cv2

    full_range = _PLANAR_420.get(frame.format.name)
    if full_range is None:
        return None
    full_range = full_range or frame.color_range == _FULL_RANGE
    size = (max(1, round(frame.width * scale)), max(1, round(frame.height * scale)))
    planes = [
        cv2.resize(_plane_array(plane), size, interpolation=cv2.INTER_AREA)
        for plane in frame.planes[:3]
    ]
    matrix = _yuv_to_rgb(_LUMA_WEIGHTS.get(frame.colorspace, _BT601), full_range)
    return np.asarray(cv2.transform(cv2.merge(planes), matrix), dtype=np.uint8)


def _plane_array(plane: VideoPlane) -> ImageArray:
    """The samples of one picture plane, without the line padding (no copy)."""
    rows = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(plane.height, plane.line_size)
    return np.asarray(rows[:, : plane.width], dtype=np.uint8)


@functools.cache
def _yuv_to_rgb(weights: tuple[float, float], full_range: bool) -> npt.NDArray[np.float64]:
    """The 3 x 4 affine map from (Y, U, V) samples to (R, G, B) for luma weights (Kr, Kb)."""
    kr, kb = weights
    kg = 1.0 - kr - kb
    luma, chroma = (1.0, 1.0) if full_range else (255.0 / 219.0, 255.0 / 224.0)
    linear = np.array(
        [
            [luma, 0.0, chroma * 2 * (1 - kr)],
            [luma, -chroma * 2 * (1 - kb) * kb / kg, -chroma * 2 * (1 - kr) * kr / kg],
            [luma, chroma * 2 * (1 - kb), 0.0],
        ]
    )
    offset = -linear @ np.array([0.0 if full_range else 16.0, 128.0, 128.0])
    return np.hstack([linear, offset[:, None]])


def shrink_to_width(image: ImageArray, max_width: int | None) -> ImageArray:
    """``image`` resized (area filter) to at most ``max_width`` pixels wide, aspect kept
    (``None``: as it is). The video path and live shrink pictures this one way."""
    width = image.shape[1]
    if max_width is None or width <= max_width:
        return image
    return _shrink(image, max_width / width)


def _shrink(image: ImageArray, scale: float) -> ImageArray:
    """``image`` resized by ``scale`` (< 1) with area averaging."""
    import cv2

    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _rotate_upright(image: ImageArray, rotation_deg: int) -> ImageArray:
    """Turn ``image`` counter-clockwise by ``rotation_deg`` (a multiple of 90) degrees."""
    k = (rotation_deg // 90) % 4
    if k == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, k=k))


def _rotation_of(frame: VideoFrame) -> int:
    """Counter-clockwise display rotation of ``frame`` in degrees, snapped to 0/90/180/270."""
    return round(frame.rotation / 90.0) * 90 % 360


def _average_fps(stream: VideoStream) -> float:
    """Average frame rate of ``stream`` in frames per second (30 when the file does not say)."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate is not None and rate > 0:
            return float(rate)
    return 30.0


def _stream_duration_s(container: InputContainer, stream: VideoStream) -> float:
    """Length of the video stream in seconds (the container's if the stream does not say)."""
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return float(Fraction(container.duration, 1_000_000))
    return 0.0


def _check_length(path: Path, time_s: float) -> None:
    """Raise :class:`VideoError` when the video runs past :data:`MAX_DURATION_S` seconds."""
    if time_s > MAX_DURATION_S:
        raise VideoError(
            f"video {path.name}: longer than the {MAX_DURATION_S / 60:.0f} minutes analysed "
            f"(found {time_s / 60:.0f} minutes): cut it to the sets"
        )


def _check_complete(path: Path, last_s: float, expected_end_s: float, stream: VideoStream) -> None:
    """Raise :class:`VideoError` when decoding stopped well before ``expected_end_s`` seconds."""
    shortfall = max(_MIN_SHORTFALL_S, 3.0 / _average_fps(stream))
    if expected_end_s > 0 and last_s < expected_end_s - shortfall:
        raise VideoError(
            f"video {path.name}: decoding stopped at {last_s:.1f} s of {expected_end_s:.1f} s "
            "(file truncated or corrupt)"
        )
