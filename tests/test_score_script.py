"""``scripts/score.py`` and ``scripts/pose_error.py``: how they choose the pose estimator."""

from __future__ import annotations

import pickle

from psoas_coach.pose.mediapipe_backend import MediaPipeBackend
from tests.live.test_benchmark_live import _script_module


def test_the_product_estimator_unless_detecting_each_frame_is_asked() -> None:
    score = _script_module("score")
    assert score.parse_args(["dir"]).detect_each_frame is False
    assert score.pose_backend_factory("full", False) is None  # estimate_video's own default
    args = score.parse_args(["dir", "--detect-each-frame", "--pose-model", "heavy"])
    factory = score.pose_backend_factory(args.pose_model, args.detect_each_frame)
    factory = pickle.loads(pickle.dumps(factory))  # it travels to the pose processes
    with factory() as backend:
        assert isinstance(backend, MediaPipeBackend)
        assert (backend.model, backend.track) == ("heavy", False)


def test_pose_error_takes_the_same_option() -> None:
    _script_module("score")  # run as a script, pose_error finds score.py beside it
    pose_error = _script_module("pose_error")
    assert pose_error.parse_args(["dir", "--detect-each-frame"]).detect_each_frame is True
    assert pose_error.parse_args(["dir"]).detect_each_frame is False
