"""The annotated video: overlay content and a browser-playable H.264 MP4 written atomically."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest

from psoas_coach.pose.landmarks import joint
from psoas_coach.report.annotate import Annotator, nearest_index, write_annotated_video
from psoas_coach.report.drawing import SIDE_RGB, to_ascii
from psoas_coach.report.html import AnalysisLike
from psoas_coach.report.plots import TARGET_COLOR

#: The ``make_analysis`` fixture (tests/report/conftest.py): plans of (side, start_s, hold_s,
#: fault codes) tuples, keyword options ``source``, ``duration_s``, ``warnings``.
MakeAnalysis = Callable[..., AnalysisLike]

Image = npt.NDArray[np.uint8]
FPS = 30.0  # the frame rate of the fixture's analyses
BACKGROUND = 100
GREEN = tuple(int(TARGET_COLOR[i : i + 2], 16) for i in (1, 3, 5))


def blank(height: int = 480, width: int = 640) -> Image:
    return np.full((height, width, 3), BACKGROUND, dtype=np.uint8)


def frames(n: int, height: int = 481, width: int = 641) -> Iterator[tuple[float, Image]]:
    for i in range(n):
        yield i / FPS, blank(height, width)


def decode(path: Path) -> tuple[str, list[Image]]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        name = str(stream.codec_context.name)
        images = [
            np.asarray(f.to_ndarray(format="rgb24"), np.uint8) for f in container.decode(stream)
        ]
    return name, images


def has_color(image: Image, rgb: tuple[int, ...]) -> bool:
    return bool(np.all(image == np.array(rgb, dtype=np.uint8), axis=-1).any())


def test_video_is_h264_with_every_frame_and_the_skeleton_drawn(
    tmp_path: Path, make_analysis: MakeAnalysis
) -> None:
    analysis = make_analysis()
    out = tmp_path / "annotated.mp4"
    seen: list[int] = []
    n = write_annotated_video(frames(90), analysis, out, fps=FPS, progress=seen.append)
    assert n == 90 and seen == list(range(1, 91))
    codec, images = decode(out)
    assert codec == "h264"
    assert len(images) == 90
    assert images[0].shape == (480, 640, 3)  # odd input size cropped to even
    leg = analysis.pose.xy[45]
    thigh_mid = (leg[joint("left", "hip")] + leg[joint("left", "knee")]) / 2
    x, y = int(thigh_mid[0]), int(thigh_mid[1])
    drawn = images[45][y - 1 : y + 2, x - 1 : x + 2].astype(int)
    assert np.abs(drawn - BACKGROUND).max() > 40  # the thigh line is there
    untouched = images[45][400:470, 20:200].astype(int)  # bottom-left: no overlay
    assert np.abs(untouched - BACKGROUND).max() < 12


def test_video_is_faststart_and_leaves_no_temporary_files(
    tmp_path: Path, make_analysis: MakeAnalysis
) -> None:
    out = tmp_path / "clip.mp4"
    out.write_bytes(b"old")
    write_annotated_video(frames(10, 240, 320), make_analysis(), out, fps=25.0)
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_failure_midway_keeps_the_old_file(tmp_path: Path, make_analysis: MakeAnalysis) -> None:
    out = tmp_path / "clip.mp4"
    out.write_bytes(b"old")

    def broken() -> Iterator[tuple[float, Image]]:
        yield 0.0, blank()
        raise OSError("camera unplugged")

    with pytest.raises(OSError, match="camera unplugged"):
        write_annotated_video(broken(), make_analysis(), out, fps=FPS)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


@pytest.mark.parametrize(
    ("stream", "fps", "message"),
    [
        ([], FPS, "no frames"),
        ([(0.0, blank())], 0.0, "fps must be positive"),
        ([(0.0, blank().astype(np.float32))], FPS, "expected uint8"),
        ([(0.0, blank()), (0.1, blank(240, 320))], FPS, "expected 640x480"),
    ],
)
def test_bad_input_is_refused(
    tmp_path: Path,
    stream: list[tuple[float, Image]],
    fps: float,
    message: str,
    make_analysis: MakeAnalysis,
) -> None:
    out = tmp_path / "x.mp4"
    with pytest.raises(ValueError, match=message):
        write_annotated_video(stream, make_analysis(), out, fps=fps)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("time_s", "left", "right"),
    [(0.0, 0, 0), (6.0, 1, 0), (11.5, 1, 1), (23.9, 2, 2)],
)
def test_rep_counter_counts_finished_reps(
    time_s: float, left: int, right: int, make_analysis: MakeAnalysis
) -> None:
    assert Annotator(make_analysis()).reps_done(time_s) == {"left": left, "right": right}


def test_hold_timer_turns_green_after_the_minimum_hold(make_analysis: MakeAnalysis) -> None:
    analysis = make_analysis()
    rep = analysis.report.reps[0]
    annotator = Annotator(analysis)
    early = annotator.draw(blank(), rep.hold_start_s + 0.5)
    late = annotator.draw(blank(), rep.hold_start_s + 2.2)
    assert not has_color(early, GREEN)
    assert has_color(late, GREEN)


def test_cue_banner_after_a_faulty_rep_and_good_rep_after_a_clean_one(
    make_analysis: MakeAnalysis,
) -> None:
    analysis = make_analysis()
    clean, faulty = analysis.report.reps[0], analysis.report.reps[1]
    annotator = Annotator(analysis)
    after_clean = annotator.draw(blank(), clean.end_s + 0.5)
    assert has_color(after_clean[400:], GREEN)  # "Good rep" at the bottom
    after_faulty = annotator.draw(blank(), faulty.end_s + 0.5)
    assert not has_color(after_faulty[300:], GREEN)
    assert np.abs(after_faulty[440:].astype(int) - BACKGROUND).max() > 40


def test_skeleton_uses_the_side_colours_and_scales_to_the_frame(
    make_analysis: MakeAnalysis,
) -> None:
    image = Annotator(make_analysis()).draw(blank(960, 1280), 0.0)
    assert has_color(image, SIDE_RGB["left"]) or has_color(image, SIDE_RGB["right"])
    knee = make_analysis().pose.xy[0, joint("right", "knee")] * 2
    patch = image[int(knee[1]) - 3 : int(knee[1]) + 4, int(knee[0]) - 3 : int(knee[0]) + 4]
    assert has_color(patch, SIDE_RGB["right"])


@pytest.mark.parametrize(
    ("times", "t", "expected"),
    [
        ([], 1.0, None),
        ([0.0], 5.0, 0),
        ([0.0, 1.0, 2.0], 1.4, 1),
        ([0.0, 1.0], 0.6, 1),
        ([0.0, 1.0], -3.0, 0),
        ([0.0, 1.0], 9.0, 1),
    ],
)
def test_nearest_index(times: list[float], t: float, expected: int | None) -> None:
    assert nearest_index(np.asarray(times, dtype=np.float64), t) == expected


def test_to_ascii_maps_what_hershey_fonts_cannot_draw() -> None:
    assert to_ascii("Hold 2–3 s at 90° – ‘easy’") == "Hold 2-3 s at 90 deg - 'easy'"
