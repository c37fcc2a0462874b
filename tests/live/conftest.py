"""Shared inputs of the live tests, built in code: synthetic recordings with their truth,
and a real video from ``../shared/real``."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest

from psoas_coach.source.video import iter_frames
from psoas_coach.synth.generator import SynthRecording, generate, random_spec
from psoas_coach.synth.spec import FaultRates, SynthSpec

REAL_DIR = Path(__file__).resolve().parents[3] / "shared" / "real"


def real_video(name: str) -> Path:
    """A real recording in ``../shared/real``; fails the test clearly when it is missing."""
    path = REAL_DIR / name
    if not path.is_file():
        pytest.fail(f"real test video {path} is missing: these tests need ../shared/real")
    return path


def short_spec(seed: int, *, hard: bool = False, n_reps: int = 4) -> SynthSpec:
    """A devset-like (or hard) spec with few repetitions, so a replay takes seconds."""
    return replace(random_spec(seed, hard=hard), n_reps=n_reps)


@pytest.fixture(scope="session")
def clean_march() -> SynthRecording:
    """Four clean, fault-free repetitions alternating sides at 30 fps."""
    spec = SynthSpec(
        seed=3,
        n_reps=4,
        faults=FaultRates(**{name: 0.0 for name in FaultRates.__dataclass_fields__}),
        dropouts_per_min=0.0,
        swaps_per_min=0.0,
        noise_scale=1.0,
    )
    return generate(spec)


def write_mp4(path: Path, frames: list[npt.NDArray[np.uint8]], fps: int = 30) -> Path:
    """Encode RGB frames as H.264 MP4 with the index first (``+faststart``), so a copy cut
    short still opens and decodes up to the cut."""
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for image in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(stream.encode(None))
    return path


def real_frames(name: str, seconds: float, width: int) -> list[npt.NDArray[np.uint8]]:
    """The first ``seconds`` of a real video, resized to ``width`` pixels (even height)."""
    import cv2

    frames: list[npt.NDArray[np.uint8]] = []
    for time_s, image in iter_frames(real_video(name)):
        if time_s >= seconds:
            break
        height = 2 * round(image.shape[0] * width / image.shape[1] / 2)
        small = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
        frames.append(np.asarray(small, dtype=np.uint8))
    return frames


@pytest.fixture(scope="session")
def short_real_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of the real glute-bridge video at 320 px wide, 30 fps."""
    folder = tmp_path_factory.mktemp("video")
    return write_mp4(folder / "bridge.mp4", real_frames("glute_bridge.mp4", 2.0, 320))
