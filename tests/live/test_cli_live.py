"""``psoas live`` from the command line: a video played as a camera, and what goes wrong
(a camera that cannot be opened or stops sending pictures, a file cut short, no display)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from psoas_coach.cli.__main__ import main
from psoas_coach.exceptions import InputError
from psoas_coach.live.analyzer import LiveAnalyzer
from psoas_coach.live.desktop import run_set
from psoas_coach.live.engine import LiveEngine, mediapipe_backend
from psoas_coach.live.sources import (
    FILE_MAX_LAG_S,
    CameraSource,
    VideoFileSource,
    open_source,
)
from psoas_coach.live.speech import SilentSpeaker, make_speaker
from psoas_coach.pose.csv_io import read_keypoints


def _stderr_lines(capsys: pytest.CaptureFixture[str]) -> tuple[str, list[str]]:
    out, err = capsys.readouterr()
    return out, [line for line in err.splitlines() if line.startswith(("error", "wrote"))]


def test_a_video_played_headless_writes_the_reports(
    short_real_mp4: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["live", "--source", str(short_real_mp4), "--no-window", "--fast"]
    status = main([*command, "--out", str(tmp_path)])
    out, lines = _stderr_lines(capsys)
    assert status == 0
    names = ("bridge.csv", "bridge.angles.svg", "bridge.json", "bridge.html")
    assert lines == [f"wrote {tmp_path / name}" for name in names]
    report = json.loads((tmp_path / "bridge.json").read_text())
    assert report["source"] == "bridge.mp4" and report["summary"]["reps"] == {"left": 0, "right": 0}
    assert "setup: Bring both legs to 90/90" in out
    keypoints = read_keypoints(tmp_path / "bridge.csv")  # every frame, all 33 landmarks
    assert len(keypoints) == 60 and np.isfinite(keypoints.xy).all(axis=2).any(axis=0).all()


def test_a_camera_that_cannot_be_opened_is_one_line_and_status_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["live", "--source", "9", "--no-window"]) == 1
    out, err = capsys.readouterr()
    assert err == "error: camera 9: cannot be opened (no such camera, or it is in use)\n"


def test_a_camera_that_stops_sending_pictures_ends_the_set_with_a_message(
    short_real_mp4: Path,
) -> None:
    camera = CameraSource(str(short_real_mp4), stall_timeout_s=0.3)  # a device that runs dry
    with LiveEngine(mediapipe_backend(), LiveAnalyzer(source=camera.name)) as engine:
        outcome = run_set(camera, engine, window=False, speaker=SilentSpeaker())
    assert outcome.frames == 60
    assert outcome.error is not None
    assert re.fullmatch(
        rf"camera {short_real_mp4}: stopped sending pictures at \d+\.\d s "
        r"\(nothing for 0\.3 s: unplugged or in use\?\)",
        outcome.error,
    )
    assert outcome.analysis.report.duration_s > 0.5


def test_a_file_cut_short_reports_what_was_seen_and_fails(
    short_real_mp4: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cut = tmp_path / "cut.mp4"
    data = short_real_mp4.read_bytes()
    cut.write_bytes(data[: len(data) * 6 // 10])
    status = main(
        ["live", "--source", str(cut), "--no-window", "--fast", "-q", "-o", str(tmp_path)]
    )
    _, lines = _stderr_lines(capsys)
    assert status == 1
    reports = [f"wrote {tmp_path / 'cut.json'}", f"wrote {tmp_path / 'cut.html'}"]
    assert [line for line in lines if line.endswith((".json", ".html"))] == reports
    assert lines[-1].startswith("error: video cut.mp4: decoding stopped at")


BAD_SOURCES = [
    ("missing.mp4", "missing.mp4: file not found (give a camera index or a video file)"),
    ("notes.txt", "notes.txt: not a video (avi, mkv, mov, mp4, webm) nor a camera index"),
]


@pytest.mark.parametrize(("source", "message"), BAD_SOURCES, ids=["missing", "not-a-video"])
def test_bad_sources_are_one_line(
    source: str,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["live", "--source", source, "--no-window"]) == 1
    assert capsys.readouterr().err == f"error: {message}\n"


def test_a_window_without_a_display_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["live", "--source", "0"]) == 2
    assert "add --no-window" in capsys.readouterr().err


def test_a_file_plays_at_its_own_frame_rate_unless_fast(short_real_mp4: Path) -> None:
    for realtime, at_least_s in ((True, 1.8), (False, 0.0)):
        source = VideoFileSource(short_real_mp4, realtime=realtime)
        start = time.monotonic()
        times = [picture.time_s for picture in source]
        assert time.monotonic() - start >= at_least_s
        assert len(times) + source.skipped == 60  # a late picture is skipped, as a camera would
        assert times == sorted(times) and (realtime or source.skipped == 0)


def test_a_file_played_live_waits_for_the_readers_own_setup_work(short_real_mp4: Path) -> None:
    """The reader's own work on the first picture (the model starting, a chunk's warm-up)
    for longer than the lag allowance skips the pictures due meanwhile, unless the reader
    says so with `pause`: then the file shows them that much later, every one."""
    setup_s = FILE_MAX_LAG_S + 0.4
    for pause, skips in ((False, True), (True, False)):
        source = VideoFileSource(short_real_mp4, realtime=True)
        shown = 0
        for _ in source:
            if shown == 0:
                time.sleep(setup_s)
                if pause:
                    source.pause(setup_s)
            shown += 1
        assert shown + source.skipped == 60
        assert (source.skipped > 0) == skips


def test_a_file_played_live_absorbs_a_stall_shorter_than_its_lag_allowance(
    short_real_mp4: Path,
) -> None:
    """A reader that stalls for less than FILE_MAX_LAG_S catches up without losing a
    picture; a longer stall loses pictures."""
    for stall_s, skips in ((0.7 * FILE_MAX_LAG_S, False), (FILE_MAX_LAG_S + 0.4, True)):
        source = VideoFileSource(short_real_mp4, realtime=True)
        assert source.fps == 30
        shown = 0
        for _ in source:
            if shown == 20:
                time.sleep(stall_s)
            shown += 1
        assert shown + source.skipped == 60
        assert (source.skipped > 0) == skips


def test_a_file_source_stopped_early_stops_its_decoder(short_real_mp4: Path) -> None:
    pictures = iter(VideoFileSource(short_real_mp4, realtime=False))
    first = [next(pictures).time_s for _ in range(3)]
    assert first == sorted(first)
    pictures.close()  # type: ignore[attr-defined]
    assert not [t for t in threading.enumerate() if t.name.startswith("decode ")]


def test_the_engine_says_how_long_its_setup_work_took(short_real_mp4: Path) -> None:
    with LiveEngine(mediapipe_backend(), LiveAnalyzer()) as engine:
        setup = []
        for picture in VideoFileSource(short_real_mp4, realtime=False):
            engine.process(picture.time_s, picture.image, picture.pose_image)
            setup.append(engine.setup_s)
    assert setup[0] > 0.0  # the first picture starts the model
    assert max(setup[1:]) < 0.005  # a camera has no chunks to warm up: nothing after


def test_sources_by_name(short_real_mp4: Path) -> None:
    assert isinstance(open_source(str(short_real_mp4)), VideoFileSource)
    with pytest.raises(InputError, match="camera 9: cannot be opened"):
        open_source("9")


def test_speech_never_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    speaker = make_speaker(True)  # no espeak-ng on PATH: the terminal bell
    speaker.say("Hold")
    speaker.close()
    make_speaker(False).say("nothing")


@pytest.mark.skipif(
    shutil.which("xvfb-run") is None, reason="needs xvfb-run (apt-get install xvfb)"
)
def test_the_window_runs_on_a_display(short_real_mp4: Path, tmp_path: Path) -> None:
    entry = "from psoas_coach.cli.__main__ import entry; entry()"
    live = ["live", "--source", str(short_real_mp4), "--out", str(tmp_path)]
    command = ["xvfb-run", "-a", sys.executable, "-c", entry, *live]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "bridge.json").is_file()


def test_cues_in_another_language(
    short_real_mp4: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["live", "--source", str(short_real_mp4), "--no-window", "--fast"]
    assert main([*command, "--language", "fr"]) == 0
    out, _ = _stderr_lines(capsys)
    assert "setup: Mets les deux jambes en 90/90" in out
    assert "Bring both legs" not in out
