"""The live analysis after pose: one frame's landmarks in, coaching events out.

Each frame goes through the offline clean-up's first steps (visibility mask, upright frames
dropped, leg labels decided by the offline model run causally,
:class:`~psoas_coach.kinematics.identity.IdentityFilter`) and then two tiers:

* **fast** (no lag beyond a causal low-pass): the overlay's skeleton and angles, the setup
  check, which leg is moving (a ``RepEngine`` fed these angles), the hold countdown and
  in-repetition posture cues;
* **settled** (``settle_lag_s`` behind): *the* analysis engine
  (:class:`~psoas_coach.engine.AnalysisEngine`, the one ``psoas analyze`` runs over a whole
  recording) fed as frames arrive; its repetitions, with the fault rules' verdicts, are the
  counts, the end-of-rep cues and the report. Fed a recording, it gives what
  ``pipeline.analyze_pose`` gives.

Nothing is counted before the setup check passes; then the repetitions that ended after the
athlete got into position count. The engine is fed every frame from the first either way,
so what counts is timed as ``psoas analyze`` times it, to the frame.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

import numpy as np

from psoas_coach.config import AnalysisConfig
from psoas_coach.engine import Analysis, AnalysisEngine, SetFacts
from psoas_coach.faults.base import cue_for
from psoas_coach.faults.judge import RULES
from psoas_coach.faults.words import translate
from psoas_coach.kinematics.angles import Kinematics, frame_kinematics
from psoas_coach.kinematics.filters import FilterFactory
from psoas_coach.kinematics.identity import IdentityFilter, exchange_frame
from psoas_coach.kinematics.posture import UPRIGHT_DEG
from psoas_coach.kinematics.scale import BodyScale
from psoas_coach.live.cues import CueScheduler, number_word
from psoas_coach.live.events import (
    Cue,
    Event,
    HoldStarted,
    HoldTargetMet,
    HoldTick,
    LiveStatus,
    RepFinished,
    SetupChanged,
)
from psoas_coach.live.fast import FastSmoother
from psoas_coach.live.hold import HoldTimer
from psoas_coach.live.recorder import KeypointRecorder
from psoas_coach.live.setup import SetupCheck, SetupVerdict, trunk_tilt_of
from psoas_coach.live.watch import PostureWatch
from psoas_coach.pipeline import set_view_warnings
from psoas_coach.pose.backend import FramePose
from psoas_coach.pose.landmarks import NUM_LANDMARKS, SIDES
from psoas_coach.pose.types import FloatArray
from psoas_coach.reps.engine import RepEngine
from psoas_coach.reps.types import Rep

PRAISE = "Good rep"
_NOBODY = np.full((NUM_LANDMARKS, 2), np.nan)


@dataclass(frozen=True)
class CoachSettings:
    """How the live coach behaves (the thresholds are in ``AnalysisConfig``).

    Attributes:
        cooldown_s: seconds between two cues other than the hold countdown.
        hold_target_s: when to say "switch" (default: ``min_hold_s``, see ``HoldTimer``).
        setup_hold_s: seconds at 90/90 before counting starts.
        setup_tolerance_deg: how far from 90 degrees the start may be (default: fault limit
            plus 15).
        settle_lag_s: seconds of final frames that follow a frame before the settled tier
            releases it (default: ``max_gap_s``; see ``kinematics.settled``).
        require_setup: count only repetitions that end once the setup check has passed (from
            the moment the athlete got into position); False counts from the first frame
            (keypoint replays without a frame). Either way the repetition engine gets every
            frame, so a counted repetition is measured as ``psoas analyze`` measures it.
        muted: cues are shown, not spoken.
        praise: say "Good rep" after a repetition without faults.
        language: the language of cues and set-up messages (a code of
            :data:`psoas_coach.faults.words.LANGUAGES`; the team's on the dashboard).
    """

    cooldown_s: float = 4.0
    hold_target_s: float | None = None
    setup_hold_s: float = 0.5
    setup_tolerance_deg: float | None = None
    settle_lag_s: float | None = None
    require_setup: bool = True
    muted: bool = False
    praise: bool = True
    language: str = "en"


class LiveAnalyzer:
    """Per-frame live analysis of one set.

    Args:
        config: thresholds and clean-up settings, as for ``psoas analyze``.
        coach: live behaviour (cues, setup, lag).
        frame_size: ``(width, height)`` of the pictures in pixels (0: unknown, the in-view
            check then trusts visibility alone).
        fps: expected frame rate (designs the fast tier's low-pass), frames per second.
        source: name of the camera or file, for the report.
        fast_filter: the fast tier's low-pass (default Butterworth 2.5 Hz).
    """

    def __init__(
        self,
        config: AnalysisConfig | None = None,
        *,
        coach: CoachSettings | None = None,
        frame_size: tuple[int, int] = (0, 0),
        fps: float = 30.0,
        source: str = "live",
        fast_filter: FilterFactory | None = None,
    ) -> None:
        self.config = config or AnalysisConfig()
        self.coach = coach or CoachSettings()
        self.frame_size = frame_size
        self.source = source
        c, k = self.config, self.coach
        self._fast = FastSmoother(fps, max_gap_s=c.max_gap_s, factory=fast_filter)
        self._engine = AnalysisEngine(c, lag_s=k.settle_lag_s, max_fps=max(60.0, fps))
        self._setup = SetupCheck(c, tolerance_deg=k.setup_tolerance_deg, hold_s=k.setup_hold_s)
        self._hold = HoldTimer(c, target_s=k.hold_target_s)
        self._watch = PostureWatch(c)
        self._cues = CueScheduler(cooldown_s=k.cooldown_s, muted=k.muted, language=k.language)
        self._scale = BodyScale()
        self._recorder = KeypointRecorder()
        self.reset()

    def reset(self) -> None:
        """Start a new set: forget every frame, repetition and cue (mute is kept)."""
        for part in (self._fast, self._engine, self._setup, self._hold, self._watch):
            part.reset()
        self._cues.reset()
        self._scale.reset()
        self._recorder.reset()
        self._notes: list[str] = []
        self._fast_engine = RepEngine(self.config, judge=RULES)
        self._held: list[Rep] = []
        self._identity = IdentityFilter()
        self._waiting: deque[tuple[float, FloatArray | None, float, bool]] = deque()
        self._verdict = SetupVerdict(False, "", "")
        self._first_s = self._last_s = float("nan")
        self._frames = self._found = 0
        self._watch_cued: dict[str, float] = {}
        self._smooth = np.full((NUM_LANDMARKS, 2), np.nan)
        self._fast_kin: Kinematics | None = None
        self._finished = False

    # --- public state ---------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """True once the setup check passed: repetitions are being counted."""
        return self._setup.ready or not self.coach.require_setup

    @property
    def muted(self) -> bool:
        """Whether cues are only shown, not spoken."""
        return self._cues.muted

    @muted.setter
    def muted(self, value: bool) -> None:
        self._cues.muted = value

    @property
    def reps(self) -> tuple[Rep, ...]:
        """Repetitions counted so far (the settled tier's, with their faults), numbered."""
        kept = self._counted()
        return tuple(r if r.index == i else replace(r, index=i) for i, r in enumerate(kept, 1))

    @property
    def counts(self) -> dict[str, int]:
        """Repetitions per side so far (read every frame: no renumbering)."""
        kept = self._counted()
        return {s: sum(r.side == s for r in kept) for s in SIDES}

    def _counted(self) -> list[Rep]:
        """The engine's repetitions that count, as the engine numbered them."""
        return [r for r in self._engine.reps if self._counts_rep(r)]

    def _counts_rep(self, rep: Rep) -> bool:
        """Whether ``rep`` counts: it ended after the athlete got into position (see
        ``CoachSettings.require_setup``). Its faults, e.g. the same side twice, are judged
        among every repetition the engine found, as offline."""
        if not self.coach.require_setup:
            return True
        return self._setup.ready and rep.end_s >= self._setup.ready_since_s

    @property
    def landmarks(self) -> FloatArray:
        """The latest frame's fast-tier landmarks ``(33, 2)`` in pixels (NaN: unknown)."""
        return self._smooth.copy()

    @property
    def status(self) -> LiveStatus:
        """What to draw for the latest frame."""
        t = self._last_s
        sig = self._fast_kin
        cue, category = self._cues.showing(t)
        return LiveStatus(
            time_s=t if np.isfinite(t) else 0.0,
            ready=self.ready,
            setup_message=""
            if self._verdict.problem == ""
            else translate(self._verdict.message, self.coach.language),
            counts=self.counts,
            active_side=self._fast_engine.active_side(),
            hold=self._hold.state(t),
            knee_deg={s: None if sig is None else _angle_of(sig.knee_deg, s) for s in SIDES},
            hip_deg={s: None if sig is None else _angle_of(sig.hip_deg, s) for s in SIDES},
            cue=cue,
            cue_category=category,
            muted=self.muted,
        )

    # --- per frame ------------------------------------------------------------------------

    def update(self, time_s: float, pose: FramePose | None) -> list[Event]:
        """Analyse one frame at ``time_s`` seconds (``None``: nobody found); its events.

        Frames must come in increasing time; a frame not later than the previous is ignored.
        """
        if self._finished or not (np.isnan(self._last_s) or time_s > self._last_s):
            return []
        self._count_frame(time_s, pose)
        self._recorder.add(time_s, pose)
        xy = self._prepare(time_s, pose)
        self._smooth = self._fast.update(time_s, xy)
        self._fast_kin = frame_kinematics(
            time_s, self._smooth, self._scale.thigh_px, self._engine.axis
        )
        events = self._check_setup(time_s, pose)
        if self.ready:
            events += self._release_held(time_s)
            events += self._coach_frame(self._fast_kin)
        events += self._settle(time_s, self._identity.settled())
        events += self._cues.poll(time_s)
        return events

    def finish(self) -> list[Event]:
        """End the set: release the frames still settling and the last repetition."""
        if self._finished:
            return []
        self._finished = True
        now = self._last_s if np.isfinite(self._last_s) else 0.0
        events = self._settle(now, self._identity.finish())
        for rep in self._engine.finish(self._scale.thigh_px):
            events += self._rep_found(rep, now)
        events += self._cues.poll(now)
        return events

    def note(self, message: str) -> None:
        """Add a warning to the set's report."""
        self._notes.append(message)

    def analysis(self) -> Analysis:
        """The set's report and recorded signals (call after :meth:`finish`)."""
        thigh = self._scale.thigh_px
        fps = self._engine.fps
        keypoints = self._recorder.pose(self.frame_size, self.source)
        jitter = self._engine.raw_noise_px() / thigh if np.isfinite(thigh) and thigh > 0 else 0.0
        facts = SetFacts(
            source=self.source,
            fps=fps,
            duration_s=self._last_s - self._first_s + 1.0 / fps if self._frames else 0.0,
            near_side=self._identity.near_side,
            jitter_thigh=jitter,
            warnings=[*set_view_warnings(keypoints), *self._report_warnings()],
            keypoints=keypoints,
            person_found=self._found / self._frames if self._frames else 0.0,
        )
        return self._engine.analysis(facts, thigh, list(self.reps))

    # --- steps ----------------------------------------------------------------------------

    def _count_frame(self, time_s: float, pose: FramePose | None) -> None:
        self._first_s = time_s if np.isnan(self._first_s) else self._first_s
        self._last_s = time_s
        self._frames += 1
        self._found += pose is not None and bool(np.isfinite(pose.xy).any())

    def _prepare(self, time_s: float, pose: FramePose | None) -> FloatArray | None:
        """The frame's landmarks as offline clean-up starts them, leg labels decided on the
        frames so far (the fast tier's), or None (nobody usable). The frame waits for the
        settled tier until its labels are final."""
        found = pose is not None and bool(np.isfinite(pose.xy).any())
        if pose is None or not found or trunk_tilt_of(pose.xy) > UPRIGHT_DEG:
            self._waiting.append((time_s, None, 1.0, found))
            return None
        self._scale.add_raw(time_s, pose.xy, pose.z)
        self._identity.set_scale(self._scale.thigh_px)
        frame = self._identity.update(time_s, pose.xy, pose.z, pose.visibility, self._scale.z_scale)
        xy = pose.xy.copy()
        xy[~(pose.visibility >= self.config.min_visibility)] = np.nan
        self._waiting.append((time_s, xy, frame.confidence, True))
        return exchange_frame(xy, frame.exchanged)

    def _settle(self, now: float, verdicts: list[dict[str, bool]]) -> list[Event]:
        """Frames whose leg labels are final (``verdicts``, in order, one per frame with
        somebody) into the settled tier; the events of the repetitions it releases."""
        events: list[Event] = []
        todo = deque(verdicts)
        while self._waiting and (self._waiting[0][1] is None or todo):
            time_s, xy, confidence, found = self._waiting.popleft()
            frame = _NOBODY if xy is None else exchange_frame(xy, todo.popleft())
            # Nothing settles before the thigh length is the offline one: every figure of the
            # clean-up is measured in it.
            thigh = self._scale.thigh_px if self._scale.thigh_final else float("nan")
            for rep in self._engine.update(time_s, frame, thigh, identity=confidence, found=found):
                events += self._rep_found(rep, now)
        return events

    def _check_setup(self, time_s: float, pose: FramePose | None) -> list[Event]:
        sig = self._fast_kin
        assert sig is not None
        angles = {
            "knee": {s: float(sig.knee_deg[s][0]) for s in SIDES},
            "hip": {s: float(sig.hip_deg[s][0]) for s in SIDES},
        }
        verdict = self._setup.update(time_s, pose, angles, self.frame_size, self._scale.thigh_px)
        events: list[Event] = []
        if verdict != self._verdict:
            became_ready = verdict.ready and not self._verdict.ready
            self._verdict = verdict
            message = translate(verdict.message, self.coach.language)
            events.append(SetupChanged(time_s, verdict.ready, verdict.problem, message))
            if became_ready:
                events += self._cues.offer(time_s, verdict.message, "setup")
        if verdict.problem:
            events += self._cues.offer(time_s, verdict.message, "setup")
        return events

    def _coach_frame(self, kin: Kinematics) -> list[Event]:
        """Fast tier: moving leg, hold countdown and posture cues."""
        t, knee, hip, pelvis = kin.at(0)
        self._fast_engine.update_frame(kin, 0)
        events = self._hold.update(t, self._fast_engine, knee)
        events += self._countdown(events)
        for code in self._watch.update(t, self._fast_engine, knee, hip, pelvis):
            self._watch_cued[code] = t
            events += self._cues.offer(t, cue_for(code), "fault")
        return events

    def _countdown(self, events: list[Event]) -> list[Cue]:
        """The spoken countdown: "Hold", then the second being held, then "Switch"."""
        cues: list[Cue] = []
        for e in events:
            if isinstance(e, HoldStarted):
                cues += self._cues.offer(e.time_s, "Hold", "count")
            elif isinstance(e, HoldTick) and e.second < e.target_s:
                cues += self._cues.offer(e.time_s, number_word(e.second + 1), "count")
            elif isinstance(e, HoldTargetMet):
                cues += self._cues.offer(e.time_s, "Switch", "switch")
        return cues

    def _rep_found(self, rep: Rep, now: float) -> list[Event]:
        """A repetition the engine released: told now if it counts, kept until the setup
        check passes if it has not yet (it counts then if it ended after that moment)."""
        if not self.ready:
            self._held.append(rep)
            return []
        return self._rep_done(rep, now) if self._counts_rep(rep) else []

    def _release_held(self, now: float) -> list[Event]:
        """Once ready: the held repetitions that count, told now."""
        held, self._held = self._held, []
        return [e for rep in held if self._counts_rep(rep) for e in self._rep_done(rep, now)]

    def _rep_done(self, rep: Rep, now: float) -> list[Event]:
        """A finished repetition: the event, then its first fault cue not said during it."""
        rep = next((r for r in self.reps if r.start_s == rep.start_s and r.side == rep.side), rep)
        events: list[Event] = [RepFinished(now, rep, self.counts)]
        told = {c for c, t in self._watch_cued.items() if rep.start_s - 1.0 <= t <= rep.end_s}
        fresh = [code for code in rep.faults if code not in told]
        if fresh:
            events += self._cues.offer(now, cue_for(fresh[0]), "fault")
        elif not rep.faults and self.coach.praise:
            events += self._cues.offer(now, PRAISE, "praise")
        return events

    def _report_warnings(self) -> list[str]:
        notes = list(self._notes)
        if self.coach.require_setup and not self._setup.ready:
            notes.append(
                f"the setup check never passed, nothing was counted: {self._verdict.message}"
            )
        return notes


def _angle_of(series: dict[str, FloatArray], side: str) -> float | None:
    value = float(series[side][0])
    return value if np.isfinite(value) else None
