"""``psoas analyze`` end to end on keypoint CSVs and tiny videos: outputs and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from psoas_coach.cli.__main__ import main
from psoas_coach.pose.csv_io import write_keypoints
from psoas_coach.pose.landmarks import INDEX, NUM_LANDMARKS
from psoas_coach.pose.types import PoseSequence
from psoas_coach.synth.generator import generate
from psoas_coach.synth.spec import SynthSpec


@pytest.fixture(scope="module")
def march_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    rec = generate(SynthSpec(seed=11, n_reps=4))
    path = tmp_path_factory.mktemp("in") / "march.csv.gz"
    write_keypoints(rec.pose, path)
    return path, len(rec.reps)


def upright_pose(knee_bent: bool, frames: int = 60) -> PoseSequence:
    """A person facing the camera side-on, trunk vertical; knees bent 90 (sitting) or straight."""
    xy = np.full((frames, NUM_LANDMARKS, 2), np.nan)
    for side in ("left", "right"):
        xy[:, INDEX[f"{side}_shoulder"]] = (300, 100)
        xy[:, INDEX[f"{side}_hip"]] = (300, 300)
        if knee_bent:
            xy[:, INDEX[f"{side}_knee"]] = (450, 300)
            xy[:, INDEX[f"{side}_ankle"]] = (450, 450)
        else:
            xy[:, INDEX[f"{side}_knee"]] = (300, 450)
            xy[:, INDEX[f"{side}_ankle"]] = (300, 600)
    xy[:, INDEX["nose"]] = (300, 60)
    return PoseSequence.from_arrays(np.arange(frames) / 30, xy, source="upright")


def blank_video(path: Path, seconds: float = 1.0) -> Path:
    """An H.264 clip of plain grey frames: nobody in it."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(30))
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for _ in range(int(30 * seconds)):
            frame = av.VideoFrame.from_ndarray(
                np.full((240, 320, 3), 128, np.uint8), format="rgb24"
            )
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_csv_input_writes_json_and_html(march_csv: tuple[Path, int], tmp_path: Path) -> None:
    path, n_truth = march_csv
    assert main(["analyze", str(path), "--out", str(tmp_path), "--quiet"]) == 0
    report = json.loads((tmp_path / "march.json").read_text())
    assert report["schema"] == "psoas-coach/report@1"
    assert len(report["reps"]) == n_truth
    assert report["summary"]["reps"]["left"] + report["summary"]["reps"]["right"] == n_truth
    for key in (
        "start_s",
        "peak_s",
        "end_s",
        "extension_s",
        "hold_s",
        "knee_angle_peak_deg",
        "hip_angle_peak_deg",
        "faults",
    ):
        assert key in report["reps"][0]
    assert report["config"]["min_hold_s"] == 2.0
    assert isinstance(report["warnings"], list)
    assert "<svg" in (tmp_path / "march.html").read_text()


def test_options_and_config_file_override_thresholds(
    march_csv: tuple[Path, int], tmp_path: Path
) -> None:
    path, _ = march_csv
    config = tmp_path / "coach.toml"
    config.write_text("[analysis]\nmin_hold_s = 1.0\nmax_hold_s = 9.0\n")
    code = main(
        [
            "analyze",
            str(path),
            "--out",
            str(tmp_path),
            "--quiet",
            "--config",
            str(config),
            "--min-extension-s",
            "0.1",
            "--preset",
            "youth",
        ]
    )
    assert code == 0
    report = json.loads((tmp_path / "march.json").read_text())
    assert report["config"]["min_hold_s"] == 1.0
    assert report["config"]["max_hold_s"] == 9.0
    assert report["config"]["min_extension_s"] == 0.1
    assert report["config"]["min_knee_peak_deg"] == 145.0  # from the youth preset
    assert not any(
        {"short_hold", "long_hold", "fast_extension"} & set(r["faults"]) for r in report["reps"]
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.csv", "missing.csv: file not found"),
        (lambda d: _text(d / "notes.txt", "hello"), "unsupported file type"),
        (lambda d: _text(d / "empty.csv", ""), "empty.csv: file is empty"),
        (lambda d: _text(d / "cols.csv", "time_s,nose_x\n0,1\n"), "column nose_y missing"),
        (lambda d: _text(d / "fake.mp4", "this is not a video"), "fake.mp4"),
        (lambda d: _truncated(d / "cut.mp4"), "cut.mp4"),
        (lambda d: blank_video(d / "nobody.mp4"), "nobody found"),
        (lambda d: _pose_csv(d / "standing.csv", upright_pose(False)), "appears to be standing"),
        (lambda d: _pose_csv(d / "sitting.csv", upright_pose(True)), "appears to be sitting"),
    ],
    ids=[
        "missing",
        "not-supported",
        "empty-csv",
        "bad-columns",
        "not-a-video",
        "truncated",
        "nobody",
        "standing",
        "sitting",
    ],
)
def test_bad_input_gets_one_line_and_others_still_run(
    make: object, message: str, march_csv: tuple[Path, int], tmp_path: Path
) -> None:
    assert callable(make)
    bad = make(tmp_path)
    out = tmp_path / "out"
    good, _ = march_csv
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "psoas_coach.cli.__main__",
            "analyze",
            str(bad),
            str(good),
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert message in errors[0] and Path(bad).name in errors[0]
    assert "Traceback" not in done.stderr
    assert (out / "march.json").exists()


def _text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _pose_csv(path: Path, pose: PoseSequence) -> Path:
    write_keypoints(pose, path)
    return path


def _truncated(path: Path) -> Path:
    source = Path(__file__).resolve().parents[2].parent / "shared" / "real" / "glute_bridge.mp4"
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def test_heavy_pose_model_runs_a_real_video_in_two_workers(tmp_path: Path) -> None:
    """`--pose-model heavy` reaches the pose processes (its landmarks differ from the full
    model's on the same frames) and gives a valid report; no download happens (the model file
    comes with the set-up)."""
    from tests.source.test_video import real_video

    video = real_video("glute_bridge.mp4")
    runs = {}
    for model in ("full", "heavy"):
        out = tmp_path / model
        code = main(["analyze", str(video), "--out", str(out), "--quiet", "--pose-model", model])
        assert code == 0
        report = json.loads((out / "glute_bridge.json").read_text())
        assert report["reps"] == [] and report["person_found_share"] > 0.95
        runs[model] = (out / "glute_bridge.csv").read_text()
    assert runs["full"] != runs["heavy"]


def test_unknown_pose_model_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["analyze", "x.mp4", "--out", str(tmp_path), "--pose-model", "giant"])
    assert stop.value.code == 2
    assert "invalid choice: 'giant'" in capsys.readouterr().err
