"""Video reading: probing, rotation metadata, timestamps, frame-rate capping, chunks and errors.

Clips are written in code with PyAV (H.264); the truncated cases cut bytes off copies of the
real recordings in ``../shared/real``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from psoas_coach.exceptions import InputNotFoundError, VideoError
from psoas_coach.source import video as video_module
from psoas_coach.source.video import VIDEO_SUFFIXES, iter_frames, probe_video

REAL_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "real"

Image = npt.NDArray[np.uint8]


def real_video(name: str) -> Path:
    """Path of a real recording in ``../shared/real``; fails the test clearly if it is missing."""
    path = REAL_DIR / name
    if not path.is_file():
        pytest.fail(f"real test video {path} is missing: these tests need ../shared/real")
    return path


def marker_image(width: int = 64, height: int = 32) -> Image:
    """A black ``(height, width, 3)`` image with a white block in its top-left quarter."""
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[: height // 2, : width // 2] = 255
    return image


def write_clip(
    path: Path,
    images: Sequence[Image],
    times_s: Sequence[float],
    *,
    rotation_deg: int = 0,
    gop: int = 10,
    fixed_gop: bool = False,
) -> Path:
    """Write ``images`` shown at ``times_s`` (seconds, millisecond precision) as H.264.

    ``rotation_deg`` stores a display matrix turning the picture counter-clockwise. Keyframes
    come at most ``gop`` frames apart, and also where the picture changes a lot unless
    ``fixed_gop`` (then exactly every ``gop`` frames).
    """
    import av

    height, width = images[0].shape[:2]
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.gop_size = gop
        if fixed_gop:
            stream.codec_context.options = {"x264-params": "scenecut=0"}
        if rotation_deg:
            stream.set_display_rotation(rotation_deg)
        for image, time_s in zip(images, times_s, strict=True):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = round(time_s * 1000), Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def steady_clip(
    path: Path, fps: float, seconds: float, *, gop: int = 10, fixed_gop: bool = False
) -> Path:
    """A ``seconds`` long clip at ``fps`` frames per second whose brightness counts frames."""
    count = round(fps * seconds)
    images = [np.full((48, 64, 3), (7 * i) % 256, dtype=np.uint8) for i in range(count)]
    times = [i / fps for i in range(count)]
    return write_clip(path, images, times, gop=gop, fixed_gop=fixed_gop)


def times_of(path: Path, max_fps: float | None) -> list[float]:
    """Frame times (seconds) that :func:`iter_frames` yields for ``path``."""
    return [t for t, _ in iter_frames(path, max_fps=max_fps)]


def test_probe_reports_size_rate_length_and_codec(tmp_path: Path) -> None:
    clip = steady_clip(tmp_path / "clip.mp4", 30, 2.0)
    info = probe_video(clip)
    assert (info.width, info.height, info.rotation_deg, info.codec) == (64, 48, 0, "h264")
    assert info.fps == pytest.approx(30, rel=0.02)
    assert info.duration_s == pytest.approx(2.0, abs=0.05)
    assert info.frame_count == 60


def test_frames_are_rgb_uint8_with_stream_times(tmp_path: Path) -> None:
    clip = steady_clip(tmp_path / "clip.mp4", 30, 1.0)
    frames = list(iter_frames(clip))
    assert len(frames) == 30
    time_s, image = frames[0]
    assert (time_s, image.shape, image.dtype.name) == (0.0, (48, 64, 3), "uint8")
    assert np.allclose([t for t, _ in frames], np.arange(30) / 30, atol=1e-3)


@pytest.mark.parametrize(
    ("rotation_deg", "upright_shape", "white_corner"),
    [
        (0, (32, 64), "top-left"),
        (90, (64, 32), "bottom-left"),  # turned a quarter counter-clockwise
        (-90, (64, 32), "top-right"),  # a phone held upright: a quarter clockwise
        (180, (32, 64), "bottom-right"),
    ],
)
def test_rotation_metadata_makes_the_picture_upright(
    tmp_path: Path, rotation_deg: int, upright_shape: tuple[int, int], white_corner: str
) -> None:
    clip = write_clip(
        tmp_path / "rotated.mp4",
        [marker_image()] * 3,
        [0, 1 / 30, 2 / 30],
        rotation_deg=rotation_deg,
    )
    info = probe_video(clip)
    assert (info.height, info.width) == upright_shape
    assert info.rotation_deg == rotation_deg % 360
    _, image = next(iter_frames(clip))
    assert image.shape[:2] == upright_shape
    h, w = upright_shape
    quarters = {
        "top-left": image[: h // 2, : w // 2],
        "top-right": image[: h // 2, w // 2 :],
        "bottom-left": image[h // 2 :, : w // 2],
        "bottom-right": image[h // 2 :, w // 2 :],
    }
    brightest = max(quarters, key=lambda k: float(quarters[k].mean()))
    assert brightest == white_corner


def test_variable_frame_rate_keeps_the_true_timestamps(tmp_path: Path) -> None:
    times = [0.0, 0.05, 0.06, 0.2, 0.25, 0.4, 0.41, 0.42, 0.6, 0.9]
    clip = write_clip(tmp_path / "vfr.mp4", [marker_image()] * len(times), times)
    assert times_of(clip, max_fps=None) == pytest.approx(times, abs=1e-3)
    # Capped at 10 fps (slots of 0.1 s starting at -0.025 s): the first frame of each slot.
    assert times_of(clip, max_fps=10.0) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.9], abs=1e-3)


def test_a_60_fps_source_is_thinned_to_30(tmp_path: Path) -> None:
    clip = steady_clip(tmp_path / "fast.mp4", 60, 1.0)
    kept = times_of(clip, max_fps=30.0)
    assert len(kept) == 30
    assert np.allclose(np.diff(kept), 1 / 30, atol=1e-3)
    assert len(times_of(clip, max_fps=None)) == 60


def test_sources_at_or_below_the_cap_keep_every_frame(tmp_path: Path) -> None:
    clip = steady_clip(tmp_path / "slow.mp4", 25, 1.0)
    assert len(times_of(clip, max_fps=30.0)) == 25


@pytest.mark.parametrize("max_fps", [None, 30.0])
# 51/60 s is a keyframe (x264, keyframes every 7 frames) and the second frame of its 1/30 s slot.
@pytest.mark.parametrize("cut_s", [0.5, 51 / 60, 0.99, 1.013, 1.5])
def test_chunks_join_into_the_whole(tmp_path: Path, max_fps: float | None, cut_s: float) -> None:
    clip = steady_clip(tmp_path / "clip.mp4", 60, 2.0, gop=7)
    whole = list(iter_frames(clip, max_fps=max_fps))
    first = list(iter_frames(clip, max_fps=max_fps, end_s=cut_s))
    second = list(iter_frames(clip, max_fps=max_fps, start_s=cut_s))
    assert [t for t, _ in first + second] == [t for t, _ in whole]
    assert all(t < cut_s for t, _ in first) and all(t >= cut_s for t, _ in second)
    # Pixels match too: the seek decoded the frames before the cut from their keyframe.
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(first + second, whole, strict=True))


def test_max_width_shrinks_keeping_the_aspect_ratio(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "wide.mp4", [marker_image(128, 64)] * 2, [0.0, 0.1])
    _, image = next(iter_frames(clip, max_width=32))
    assert image.shape == (16, 32, 3)
    assert image[:8, :16].mean() > 200 and image[8:, 16:].mean() < 50


def test_frames_nothing_uses_are_not_decoded_and_the_kept_ones_are_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from psoas_coach.source import video

    clip = steady_clip(tmp_path / "clip.mp4", 60, 4.0, gop=60)  # x264 makes B-frames
    every = list(iter_frames(clip, max_fps=None))  # nothing dropped: every frame decoded
    skipped: list[bool] = []
    skip = video._UnusedFrames.skip

    def counted(self: video._UnusedFrames, packet: object) -> bool:
        skipped.append(skip(self, packet))  # type: ignore[arg-type]
        return skipped[-1]

    monkeypatch.setattr(video._UnusedFrames, "skip", counted)
    thinned = list(iter_frames(clip, max_fps=30.0))
    assert [t for t, _ in thinned] == [t for t, _ in every][::2]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(thinned, every[::2], strict=True))
    assert sum(skipped) >= len(every) // 5, "dropped B-frames were decoded"
    skipped.clear()
    later = list(iter_frames(clip, max_fps=30.0, start_s=2.5, seek_s=2.0))  # 2 s: keyframe
    assert [t for t, _ in later] == [t for t, _ in thinned if t >= 2.5 - 1e-6]
    assert all(
        np.array_equal(a, b) for (_, a), (_, b) in zip(later, thinned[-len(later) :], strict=True)
    )
    assert sum(skipped) > 0


def test_unreferenced_h264_access_units_are_told_by_their_slice_headers() -> None:
    from psoas_coach.source.video import _unreferenced_h264

    def unit(*headers: int) -> bytes:
        return b"".join(len(b"xx").to_bytes(4, "big") + bytes([h]) + b"x" for h in headers)

    assert _unreferenced_h264(unit(0x06, 0x01), 4)  # SEI, then a slice with nal_ref_idc 0
    assert not _unreferenced_h264(unit(0x21), 4)  # a slice with nal_ref_idc 1
    assert not _unreferenced_h264(unit(0x65), 4)  # IDR slice
    assert not _unreferenced_h264(unit(0x06), 4)  # no slice at all
    assert not _unreferenced_h264(unit(0x01)[:-1], 4)  # cut short: not trusted


def colourful_image(width: int, height: int) -> Image:
    """A smooth picture with every hue and brightness (no detail finer than a few pixels)."""
    x = np.linspace(0.0, 1.0, width)[None, :]
    y = np.linspace(0.0, 1.0, height)[:, None]
    channels = [
        0.5 + 0.45 * np.sin(2 * np.pi * (x + phase) + 3 * y) * np.cos(np.pi * y)
        for phase in (0.0, 1 / 3, 2 / 3)
    ]
    return np.asarray(np.stack(channels, axis=-1) * 255, dtype=np.uint8)


@pytest.mark.parametrize(
    ("pix_fmt", "colorspace", "color_range", "size"),
    [
        ("yuv420p", "itu601", "MPEG", (320, 180)),
        ("yuv420p", "itu709", "MPEG", (320, 180)),
        ("yuv420p", "bt2020", "MPEG", (322, 182)),
        ("yuv420p", "itu601", "JPEG", (321, 181)),  # odd sizes: chroma planes round up
        ("yuvj420p", "itu709", "JPEG", (320, 180)),
    ],
)
def test_shrinking_on_the_planes_matches_converting_at_full_size(
    pix_fmt: str, colorspace: str, color_range: str, size: tuple[int, int]
) -> None:
    import av
    import cv2

    from psoas_coach.source.video import _to_image

    rgb = colourful_image(*size)
    coded = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
        format=pix_fmt, dst_colorspace=colorspace, dst_color_range=color_range
    )
    fast = _to_image(coded, 128)
    height = round(size[1] * 128 / size[0])
    by_ffmpeg = cv2.resize(
        coded.to_ndarray(format="rgb24"), (128, height), interpolation=cv2.INTER_AREA
    )
    original = cv2.resize(rgb, (128, height), interpolation=cv2.INTER_AREA)
    assert fast.shape == by_ffmpeg.shape == (height, 128, 3)
    to_ffmpeg = np.abs(fast.astype(int) - by_ffmpeg.astype(int))
    to_original = np.abs(fast.astype(int) - original.astype(int))
    assert to_ffmpeg.mean() < 1.5 and to_ffmpeg.max() <= 12
    assert to_original.mean() < 2.5


def test_a_rotated_picture_is_shrunk_to_its_upright_width(tmp_path: Path) -> None:
    clip = write_clip(
        tmp_path / "rotated.mp4", [marker_image(128, 64)] * 2, [0.0, 0.1], rotation_deg=90
    )
    _, image = next(iter_frames(clip, max_width=32))
    assert image.shape == (64, 32, 3)
    assert image[32:, :16].mean() > 200 and image[:32, 16:].mean() < 50


def test_accepted_suffixes() -> None:
    assert {".mp4", ".mov", ".avi", ".webm", ".mkv"} == set(VIDEO_SUFFIXES)


def _text_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.mp4"
    path.write_text("these are notes, not a video\n")
    return path


def _audio_only(tmp_path: Path) -> Path:
    import av

    path = tmp_path / "voice.mkv"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 800), dtype=np.int16), format="s16", layout="mono"
        )
        frame.sample_rate, frame.pts = 8000, 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def _header_cut(tmp_path: Path) -> Path:
    """glute_bridge.mp4 keeps its index at the end: cutting the tail loses it."""
    data = real_video("glute_bridge.mp4").read_bytes()
    path = tmp_path / "cut_index.mp4"
    path.write_bytes(data[: len(data) * 3 // 4])
    return path


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda tmp: tmp / "absent.mp4", InputNotFoundError, "video absent.mp4: file not found"),
        (_text_file, VideoError, "video notes.mp4: cannot be read as a video"),
        (_audio_only, VideoError, "video voice.mkv: not a video file (no video stream found)"),
        (_header_cut, VideoError, "video cut_index.mp4: cannot be read as a video"),
    ],
    ids=["missing", "text-file", "audio-only", "index-cut-off"],
)
def test_unusable_files_raise_one_line_errors(
    tmp_path: Path, make: Callable[[Path], Path], error: type[Exception], message: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(error) as probed:
        probe_video(path)
    assert str(probed.value).startswith(message)
    assert "\n" not in str(probed.value)
    with pytest.raises(error):
        list(iter_frames(path))


def test_a_truncated_file_yields_what_decodes_then_fails(tmp_path: Path) -> None:
    source = real_video("leg_raise_2.mp4")  # 8.6 s, index at the start
    path = tmp_path / "truncated.mp4"
    shutil.copyfile(source, path)
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size * 6 // 10)
    times: list[float] = []
    with pytest.raises(VideoError, match=r"^video truncated\.mp4: .*(truncated or corrupt)"):
        for time_s, _ in iter_frames(path, max_width=160):
            times.append(time_s)
    assert 2.0 < times[-1] < 8.0
    assert len(times) == pytest.approx(times[-1] * 24 + 1, abs=2)


def test_keypoints_of_the_longest_video_fit_a_keypoint_csv() -> None:
    from psoas_coach.pose.csv_io import LIMITS

    assert LIMITS.rows >= video_module.MAX_DURATION_S * 30.0
    assert LIMITS.duration_s >= video_module.MAX_DURATION_S


def test_a_video_over_the_length_limit_is_refused_by_header_and_while_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 2 s clip against a 1.5 s limit: the probe refuses it from the header; decoding with
    no probe (a header may understate the length) stops at the first frame past the limit."""
    path = steady_clip(tmp_path / "long.mp4", fps=10.0, seconds=2.0)
    monkeypatch.setattr(video_module, "MAX_DURATION_S", 1.5)
    message = r"^video long\.mp4: longer than the 0 minutes analysed \(found 0 minutes\)"
    with pytest.raises(VideoError, match=message):
        probe_video(path)
    times: list[float] = []
    with pytest.raises(VideoError, match=message):
        for time_s, _ in iter_frames(path):
            times.append(time_s)
    assert times and 1.4 < times[-1] <= 1.5
