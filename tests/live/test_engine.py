"""The live engine on a file: its tracker settles at each chunk as the offline chunks' does."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from psoas_coach.live.analyzer import LiveAnalyzer
from psoas_coach.live.engine import LiveEngine
from psoas_coach.live.sources import VideoFileSource
from psoas_coach.pose.backend import FramePose, ImageArray
from psoas_coach.pose.video_pose import estimate_video
from psoas_coach.synth.generator import generate
from tests.live.conftest import short_spec
from tests.pose.test_video_pose import ResetCounter
from tests.source.test_video import steady_clip

BODY = generate(short_spec(3)).pose


class CountingBody(ResetCounter):
    """A body lying down whose depth ``z`` counts the frames since the tracker's last reset."""

    def estimate(self, image_rgb: ImageArray, time_s: float) -> FramePose | None:
        count = super().estimate(image_rgb, time_s)
        assert count is not None
        return FramePose(BODY.xy[0], count.xy[:, 0], BODY.visibility[0])


def test_a_file_played_live_settles_its_tracker_as_the_chunks_do(tmp_path: Path) -> None:
    clip = steady_clip(tmp_path / "clip.mp4", 30, 9.0, gop=30, fixed_gop=True)
    offline = estimate_video(clip, workers=1, backend_factory=CountingBody, pose_width=None)
    source = VideoFileSource(clip, realtime=False)
    assert len(source.chunks) == 2
    with LiveEngine(CountingBody(), LiveAnalyzer(fps=30.0), chunks=source.chunks) as engine:
        live = [engine.process(*picture).pose for picture in source]
    assert all(pose is not None for pose in live)
    counts = [pose.z[0] for pose in live if pose is not None]
    # Without the warm-up replay the second chunk would count from 1 at 6 s, not from 31.
    np.testing.assert_array_equal(counts, offline.pose.z[:, 0])
    assert counts[180] == 31
