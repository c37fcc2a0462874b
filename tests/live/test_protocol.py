"""The ``pose`` message (pose run in the browser): checked field by field, converted to pixels
by the pose layer's one converter, and the failure cases in the same table."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from psoas_coach.live.protocol import PoseMessage, ProtocolError, decode_text, encode_pose
from psoas_coach.pose.backend import FramePose, from_normalized, to_normalized

ROW = [0.5, 0.25, -0.1, 0.9]


def _message(**changes: Any) -> str:
    message = {"type": "pose", "time_s": 1.5, "width": 640, "height": 480}
    message["landmarks"] = [list(ROW) for _ in range(33)]
    message.update(changes)
    return json.dumps(message)


def _with_row(row: list[Any]) -> str:
    return _message(landmarks=[row] + [list(ROW) for _ in range(32)])


def test_a_pose_message_becomes_pixels_of_its_picture() -> None:
    decoded = decode_text(_message())
    assert isinstance(decoded, PoseMessage)
    assert decoded.time_s == 1.5 and decoded.size == (640, 480)
    assert decoded.pose is not None
    np.testing.assert_array_equal(decoded.pose.xy[0], [320.0, 120.0])
    assert decoded.pose.z[0] == pytest.approx(-64.0) and decoded.pose.visibility[0] == 0.9


def test_nobody_found_is_null_landmarks() -> None:
    decoded = decode_text(_message(landmarks=None, time_s=2))
    assert decoded == PoseMessage(2.0, (640, 480), None)


def test_to_normalized_and_back_gives_the_pixels() -> None:
    rng = np.random.default_rng(1)
    pose = FramePose(rng.uniform(0, 600, (33, 2)), rng.normal(size=33), rng.uniform(0, 1, 33))
    again = from_normalized(to_normalized(pose, 640, 480), 640, 480)
    np.testing.assert_allclose(again.xy, pose.xy, rtol=1e-12)
    np.testing.assert_allclose(again.z, pose.z, rtol=1e-12)
    decoded = decode_text(encode_pose(0.5, (640, 480), to_normalized(pose, 640, 480)))
    assert isinstance(decoded, PoseMessage) and decoded.pose is not None
    np.testing.assert_array_equal(decoded.pose.xy, again.xy)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_message(time_s=-1), "pose message: time_s must be a non-negative number, found -1"),
        (_message(time_s="1"), "pose message: time_s must be a non-negative number"),
        (_message(time_s=None), "pose message: time_s must be a non-negative number"),
        (_message(time_s=10**400), "pose message: time_s must be a non-negative number"),
        (_message(time_s=True), "pose message: time_s must be a non-negative number"),
        (_message(width=0), "pose message: width must be a whole number of pixels in 1..4096"),
        (_message(height=640.5), "pose message: height must be a whole number of pixels"),
        (_message(width=5000), "pose message: width must be a whole number of pixels"),
        (_message(landmarks=[ROW] * 32), "pose message: landmarks must be null or 33"),
        (_message(landmarks="x"), "pose message: landmarks must be null or 33"),
        (_with_row([0.5, 0.5, 0.0]), "pose message: landmarks must be null or 33"),
        (_with_row([0.5, "0.5", 0.0, 1.0]), "pose message: landmarks must hold finite numbers"),
        (_with_row([0.5, None, 0.0, 1.0]), "pose message: landmarks must hold finite numbers"),
        (_with_row([0.5, 0.5, 0.0, False]), "pose message: landmarks must hold finite numbers"),
        (
            _message().replace("0.9]", "NaN]", 1),
            "pose message: landmarks must hold finite numbers",
        ),
        (_with_row([2.5, 0.5, 0.0, 1.0]), "pose message: landmark x and y must lie in -1..2"),
        (_with_row([0.5, 0.5, 11.0, 1.0]), "pose message: landmark z must lie in -10..10"),
        (_with_row([0.5, 0.5, 0.0, 1.5]), "pose message: landmark visibility must lie in 0..1"),
        ("[" * 100_000, "text message: 100000 characters is over"),
        ("[" * 5000 + "]" * 5000, "control message: not JSON (nested too deep)"),
        ('{"type": "pose"}', "pose message: time_s must be a non-negative number"),
    ],
)
def test_unusable_pose_messages_say_what_is_wrong(text: str, expected: str) -> None:
    with pytest.raises(ProtocolError) as err:
        decode_text(text)
    assert str(err.value).startswith(expected), str(err.value)
