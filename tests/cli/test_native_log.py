"""MediaPipe's native log lines are dropped from stderr; everything else gets through."""

from __future__ import annotations

import os

import pytest

from psoas_coach.cli.native_log import filtered_stderr


def test_native_lines_dropped_others_kept(capfd: pytest.CaptureFixture[str]) -> None:
    with filtered_stderr():
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
        os.write(2, b"W0000 00:00:1795466576.625582   22097 inference_feedback_manager.cc:114] x\n")
        os.write(2, b"error: clip.mp4: file not found\n")
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called\n")
        os.write(2, b"last line without newline")
    err = capfd.readouterr().err
    assert err == "error: clip.mp4: file not found\nlast line without newline"
