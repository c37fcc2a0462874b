"""The one analysis engine (``psoas_coach.engine``): ``psoas analyze`` is it run over a whole
recording; fed the same frames as they arrive (live), it gives the same repetitions."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from psoas_coach.config import AnalysisConfig
from psoas_coach.engine import AnalysisEngine, SetFacts
from psoas_coach.kinematics.angles import thigh_length_px
from psoas_coach.kinematics.cleanup import labelled_pose
from psoas_coach.kinematics.settled import ALL_JOINTS
from psoas_coach.pipeline import analyze_pose
from psoas_coach.pose.types import PoseSequence
from psoas_coach.reps.types import Rep
from psoas_coach.synth.generator import generate
from tests.live.conftest import short_spec

CONFIG = AnalysisConfig()


def labelled(seed: int, *, hard: bool) -> tuple[PoseSequence, float, list[float]]:
    """A synthetic recording's frames as the engine gets them (masked, leg labels decided over
    the whole clip), its thigh length and the confidence in each frame's labels."""
    pose = generate(short_spec(seed, hard=hard, n_reps=4)).pose
    thigh = thigh_length_px(pose)
    frames, identity = labelled_pose(pose, CONFIG, thigh)
    return frames, thigh, identity.confidence.tolist()


def feed(engine: AnalysisEngine, frames: PoseSequence, thigh: float, sure: list[float]) -> int:
    """Every frame into ``engine`` then finish; how many repetitions came out before the end."""
    early = 0
    for i, t in enumerate(frames.time_s.tolist()):
        early += len(engine.update(t, frames.xy[i], thigh, identity=sure[i]))
    engine.finish(thigh)
    return early


def key(rep: Rep) -> tuple[object, ...]:
    """A repetition's side, faults and times to the microsecond."""
    return (rep.side, tuple(rep.faults), *(round(v, 6) for v in times(rep)))


def times(rep: Rep) -> list[float]:
    """Start, end, hold and extension, seconds (NaN: not measured)."""
    figures = [rep.start_s, rep.end_s, rep.figure("hold_s"), rep.figure("extension_s")]
    return [np.nan if v is None else v for v in figures]


@pytest.mark.parametrize(("seed", "hard"), [(5, False), (12, True)])
def test_fed_as_frames_arrive_or_all_at_once_the_engine_finds_the_same_reps(
    seed: int, hard: bool
) -> None:
    frames, thigh, sure = labelled(seed, hard=hard)
    whole = AnalysisEngine(CONFIG, streaming=False, max_frames=len(frames), joints=ALL_JOINTS)
    streaming = AnalysisEngine(CONFIG)
    assert feed(whole, frames, thigh, sure) == 0  # offline: nothing before the end
    assert feed(streaming, frames, thigh, sure) >= len(streaming.reps) - 1  # live: as they end
    assert len(whole.reps) == 4
    # The same reps, sides and faults; times to the frame (the sliding window's low-pass
    # starts from other frames than the whole recording's: hundredths of a frame apart).
    assert [key(r)[:2] for r in streaming.reps] == [key(r)[:2] for r in whole.reps]
    for live, offline in zip(streaming.reps, whole.reps, strict=True):
        np.testing.assert_allclose(times(live), times(offline), atol=0.5 / frames.fps)


def test_psoas_analyze_is_the_engine_run_over_the_recording() -> None:
    pose = generate(short_spec(7, hard=True, n_reps=4)).pose
    frames, thigh, sure = labelled(7, hard=True)
    engine = AnalysisEngine(
        CONFIG, streaming=False, max_fps=pose.fps, max_frames=len(pose), joints=ALL_JOINTS
    )
    feed(engine, frames, thigh, sure)
    offline = analyze_pose(pose)
    assert [key(r) for r in engine.reps] == [key(r) for r in offline.report.reps]
    np.testing.assert_array_equal(offline.pose.xy, engine.analysis(facts(), thigh).pose.xy)


def facts(**changes: object) -> SetFacts:
    base = SetFacts(
        source="set", fps=30.0, duration_s=10.0, near_side="left", jitter_thigh=0.01, warnings=[]
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_engine_warnings_follow_the_sets_and_stay_out_of_a_set_that_is_not_assessable() -> None:
    frames, thigh, sure = labelled(5, hard=False)
    engine = AnalysisEngine(CONFIG, streaming=False, max_frames=len(frames))
    feed(engine, frames, thigh, sure)
    engine.warnings.append("a movement was abandoned")
    report = engine.analysis(facts(warnings=["first"]), thigh).report
    assert report.assessable and len(report.reps) == 4
    assert report.warnings[-2:] == ["first", "a movement was abandoned"]
    shaky = engine.analysis(facts(warnings=["first"], jitter_thigh=0.5), thigh).report
    assert not shaky.assessable and shaky.reps == [] and shaky.warnings[-1] == "first"


def test_a_streaming_record_keeps_its_last_frames_and_says_so() -> None:
    frames, thigh, sure = labelled(5, hard=False)
    engine = AnalysisEngine(CONFIG, max_frames=300)
    feed(engine, frames, thigh, sure)
    analysis = engine.analysis(facts(), thigh)
    assert 300 <= len(analysis.kinematics) < len(frames)
    assert analysis.kinematics.time_s[-1] == frames.time_s[-1]
    assert "the plot shows the last 300 frames only" in analysis.report.warnings
