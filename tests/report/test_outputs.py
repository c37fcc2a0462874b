"""The one writer of an analysis's files (``outputs.write_outputs``): what it writes, in which
order, and that a warning met on the way reaches the stored reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psoas_coach.outputs import write_outputs
from tests.report.conftest import MakeAnalysis


def test_plots_are_rendered_once_for_the_files_and_the_html(
    make_analysis: MakeAnalysis, tmp_path: Path
) -> None:
    analysis = make_analysis([("left", 2.0, 3.0, []), ("right", 12.0, 3.0, [])])
    files = write_outputs(analysis, tmp_path, "set")
    assert sorted(files) == ["angles", "holds", "html", "json"]
    html = files["html"].read_text()
    for role in ("angles", "holds"):
        assert files[role].read_text().startswith("<svg") and files[role].read_text() in html


def test_a_video_that_cannot_be_drawn_is_a_warning_of_the_saved_report(
    make_analysis: MakeAnalysis, tmp_path: Path
) -> None:
    analysis = make_analysis([("left", 2.0, 3.0, [])])
    files = write_outputs(analysis, tmp_path, "set", video="plain", source=None)
    assert "video" not in files and not list(tmp_path.glob("*.mp4"))
    warning = "annotated video not written: there is no video to draw on"
    assert warning in json.loads(files["json"].read_text())["warnings"]
    assert warning in files["html"].read_text()


def test_a_skeleton_video_needs_no_picture(make_analysis: MakeAnalysis, tmp_path: Path) -> None:
    files = write_outputs(
        make_analysis([("left", 2.0, 3.0, [])]), tmp_path, "set", video="skeleton"
    )
    assert files["video"].name == "set.annotated.mp4" and files["video"].stat().st_size > 0
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_writing_stopped_part_way_leaves_no_half_set(
    make_analysis: MakeAnalysis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("psoas_coach.report.html.write_html", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(make_analysis(), tmp_path, "set")
    assert list(tmp_path.iterdir()) == [], "plots and JSON written before the stop stayed"


class CancelledError(Exception):
    """What a cancelled job's progress callback raises."""


def test_the_annotated_video_reports_its_frames_and_a_cancel_there_leaves_nothing(
    make_analysis: MakeAnalysis, tmp_path: Path
) -> None:
    heard: list[tuple[float, str]] = []

    def cancel_after_ten(share: float, label: str) -> None:
        heard.append((share, label))
        if label.startswith("annotated video 10/"):
            raise CancelledError

    with pytest.raises(CancelledError):
        write_outputs(
            make_analysis([("left", 2.0, 3.0, [])]),
            tmp_path,
            "set",
            video="skeleton",
            progress=cancel_after_ten,
        )
    assert list(tmp_path.iterdir()) == [], "a half-written video or report stayed"
    total = heard[0][1].split("/")[1]
    assert [label for _, label in heard[:3]] == [f"annotated video {n}/{total}" for n in range(3)]
    shares = [share for share, _ in heard]
    assert shares == sorted(shares) and 0.8 < shares[0] < shares[-1] < 1.0
