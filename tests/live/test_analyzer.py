"""The live analysis fed frame by frame from a synthetic recording: the events of a set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from psoas_coach.kinematics.angles import thigh_length_px
from psoas_coach.live.analyzer import CoachSettings
from psoas_coach.live.events import (
    Cue,
    Event,
    HoldEnded,
    HoldStarted,
    HoldTargetMet,
    HoldTick,
    RepFinished,
    RepStarted,
    SetupChanged,
)
from psoas_coach.live.replay import analyzer_for, frames_of, replay
from psoas_coach.outputs import write_outputs
from psoas_coach.pipeline import SIDE_VIEW_WARNING, analyze_pose
from psoas_coach.pose.csv_io import read_keypoints
from psoas_coach.pose.landmarks import joint
from psoas_coach.pose.types import PoseSequence
from psoas_coach.synth.generator import SynthRecording

REP_CYCLE = (RepStarted, HoldStarted, HoldTick, HoldTargetMet, HoldEnded, RepFinished)


def _of(events: list[Event], kind: type[Event]) -> list[Event]:
    return [e for e in events if isinstance(e, kind)]


@pytest.fixture(scope="module")
def clean_set(clean_march: SynthRecording) -> list[Event]:
    events, _ = replay(clean_march.pose)
    return events


def test_setup_passes_before_anything_is_counted(clean_set: list[Event]) -> None:
    setups = _of(clean_set, SetupChanged)
    assert setups[0] == SetupChanged(0.0, False, "start_position", "Bring both legs to 90/90")
    ready = next(e for e in setups if isinstance(e, SetupChanged) and e.ready)
    first_rep = _of(clean_set, RepStarted)[0]
    assert 0.4 <= ready.time_s < first_rep.time_s


def test_every_rep_goes_through_start_hold_countdown_and_finish(
    clean_set: list[Event], clean_march: SynthRecording
) -> None:
    cycle = [type(e) for e in clean_set if type(e) in REP_CYCLE]
    collapsed = [k for i, k in enumerate(cycle) if i == 0 or k is not cycle[i - 1]]
    assert collapsed == list(REP_CYCLE) * len(clean_march.reps)
    finished = [e.rep for e in _of(clean_set, RepFinished) if isinstance(e, RepFinished)]
    assert [r.side for r in finished] == [r.side for r in clean_march.reps]


def test_live_hold_estimate_is_close_to_the_measured_hold(clean_set: list[Event]) -> None:
    ended = [e for e in clean_set if isinstance(e, HoldEnded)]
    finished = [e for e in clean_set if isinstance(e, RepFinished)]
    for live, final in zip(ended, finished, strict=True):
        assert live.side == final.rep.side
        assert live.held_s == pytest.approx(final.rep.hold_s, abs=0.3)


def test_countdown_says_hold_the_seconds_and_switch(clean_set: list[Event]) -> None:
    words = [e.text for e in clean_set if isinstance(e, Cue) and e.category in ("count", "switch")]
    per_rep = " ".join(words).split("Switch")
    assert len(per_rep) == 5 and per_rep[-1] == ""
    for rep_words in per_rep[:-1]:
        assert rep_words.split() == ["Hold", "two"]


def test_counts_follow_finished_reps(clean_set: list[Event]) -> None:
    finished = [e for e in clean_set if isinstance(e, RepFinished)]
    for i, event in enumerate(finished):
        done = [f.rep.side for f in finished[: i + 1]]
        assert event.counts == {s: done.count(s) for s in ("left", "right")}
    assert finished[-1].counts == {"left": 2, "right": 2}


def test_muted_cues_are_shown_not_spoken(clean_march: SynthRecording) -> None:
    events, _ = replay(clean_march.pose, coach=CoachSettings(muted=True))
    cues = _of(events, Cue)
    assert cues and not any(isinstance(c, Cue) and c.spoken for c in cues)


def test_status_shows_the_hold_in_progress(clean_march: SynthRecording) -> None:
    analyzer = analyzer_for(clean_march.pose)
    holds = []
    for time_s, frame in frames_of(clean_march.pose):
        events = analyzer.update(time_s, frame)
        if any(isinstance(e, HoldTick) for e in events):
            holds.append(analyzer.status.hold)
    assert holds and all(h is not None and h.held_s >= 1.0 for h in holds)
    status = analyzer.status
    assert status.ready and set(status.knee_deg) == {"left", "right"}
    assert np.isfinite(analyzer.landmarks).any()


def test_nothing_is_counted_while_the_feet_are_out_of_the_picture(
    clean_march: SynthRecording,
) -> None:
    pose = clean_march.pose
    feet_x = np.nanmin(pose.xy[:, [27, 28], 0])  # ankles: the head is on the left
    narrow = PoseSequence(
        pose.time_s, pose.xy, pose.z, pose.visibility, width=int(feet_x) - 5, height=pose.height
    )
    events, analysis = replay(narrow)
    assert not _of(events, RepFinished) and analysis.report.reps == []
    setup_cues = [e.text for e in events if isinstance(e, Cue) and e.category == "setup"]
    assert setup_cues[0] == "Move the camera so your feet are in view"
    assert len(setup_cues) <= 1 + pose.duration_s / 10  # repeated at most every 10 s
    assert any("never passed" in w for w in analysis.report.warnings)


def test_report_files_are_those_of_psoas_analyze(
    clean_march: SynthRecording, tmp_path: Path
) -> None:
    _, analysis = replay(clean_march.pose)
    files = write_outputs(analysis, tmp_path, "set")
    names = {role: p.name for role, p in files.items()}
    assert names == {
        "angles": "set.angles.svg",
        "holds": "set.holds.svg",
        "json": "set.json",
        "html": "set.html",
    }
    data = json.loads(files["json"].read_text())
    assert data["schema"] == "psoas-coach/report@1"
    assert data["summary"]["reps"] == {"left": 2, "right": 2}
    assert {"index", "side", "start_s", "hold_s", "faults"} <= set(data["reps"][0])
    html = files["html"].read_text()
    assert files["angles"].read_text() in html and files["holds"].read_text() in html


def test_an_upright_athlete_is_told_to_lie_down(clean_march: SynthRecording) -> None:
    pose = clean_march.pose.select(np.arange(90))  # 3 s
    centre = np.nanmean(pose.xy, axis=(0, 1))
    upright = (pose.xy - centre) @ np.array([[0.0, 1.0], [-1.0, 0.0]]) + centre
    events, analysis = replay(
        PoseSequence.from_arrays(pose.time_s, upright, pose.z, pose.visibility)
    )
    problems = [e.problem for e in events if isinstance(e, SetupChanged)]
    assert problems[-1] == "lying" and analysis.report.reps == []


def _filmed_from_the_front(pose: PoseSequence) -> PoseSequence:
    """``pose`` with the right hip a thigh length beside the left one, as a camera at the
    feet sees it."""
    xy = pose.xy.copy()
    left, right = joint("left", "hip"), joint("right", "hip")
    thigh = thigh_length_px(pose)
    xy[:, right] = xy[:, left] + np.array([0.0, thigh])
    return pose.with_xy(xy)


@pytest.mark.parametrize(("front", "warned"), [(False, False), (True, True)])
def test_a_set_not_filmed_from_the_side_is_warned_as_offline(
    clean_march: SynthRecording, front: bool, warned: bool
) -> None:
    pose = _filmed_from_the_front(clean_march.pose) if front else clean_march.pose
    _, live = replay(pose)
    offline = analyze_pose(pose)
    assert (SIDE_VIEW_WARNING in live.report.warnings) is warned
    assert (SIDE_VIEW_WARNING in offline.report.warnings) is warned


def test_the_keypoint_csv_of_a_set_holds_every_landmark_and_gives_its_reps_again(
    clean_march: SynthRecording, tmp_path: Path
) -> None:
    _, analysis = replay(clean_march.pose)
    files = write_outputs(analysis, tmp_path, "set", keypoints=".csv")
    assert files["keypoints"] == tmp_path / "set.csv"
    saved = read_keypoints(files["keypoints"])
    assert len(saved) == len(clean_march.pose)
    found = np.isfinite(clean_march.pose.xy)
    assert np.isfinite(saved.xy[found]).all() and found.any(axis=(0, 2)).all()  # all 33
    np.testing.assert_allclose(
        saved.xy[found], clean_march.pose.xy[found], atol=0.006
    )  # 2 decimals
    again = analyze_pose(saved).report.reps
    for reps in (analysis.report.reps, analyze_pose(clean_march.pose).report.reps):
        assert [(r.side, r.faults) for r in again] == [(r.side, r.faults) for r in reps]
        for figure in ("start_s", "peak_s", "end_s", "hold_s"):
            got, want = (np.array([r.figure(figure) for r in x], float) for x in (again, reps))
            np.testing.assert_allclose(got, want, atol=0.04, err_msg=figure)  # a frame
