"""The settled tier: the offline clean-up replayed on a sliding window, released once final.

Offline, clean-up uses the whole recording: outliers are judged against a centred window,
legs drawn on each other are judged by the frames around them, gaps are interpolated from the
frames on both sides, and the low-pass runs forward and backward (no lag).
:class:`SettledCleaner` runs the same steps
(:func:`~psoas_coach.kinematics.cleanup.place_tracks`, then
:func:`~psoas_coach.kinematics.cleanup.smooth_tracks`) on the latest seconds and releases a
frame only once no frame still to come can change it
(:func:`~psoas_coach.kinematics.cleanup.settled_count`: its outlier and coincidence medians
are complete, the run of legs drawn together it lies in has been judged with the frames after
it, the gap it lies in has ended or is too long to bridge) and ``lag_s`` seconds of such
frames follow it, so that the backward pass of the low-pass has settled. The positions, the
``seen`` flags and every verdict fed to the repetition engine are then those of the offline
analysis, and the angles match the offline ones to a fraction of a degree. The frames come
with their leg labels final (``IdentityFilter.settled``). It is causal (it never looks at
frames not yet received); the price is that repetitions are released later: ``lag_s`` after
the last final frame, and at most ``max_wait_s`` after they happened.

Offline (``streaming=False``) the same object keeps every frame and releases them all at
:meth:`SettledCleaner.finish`: one window, the whole recording, the offline clean-up itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from psoas_coach.config import AnalysisConfig
from psoas_coach.kinematics.angles import REQUIRED_JOINTS, SCALE_WINDOW_S
from psoas_coach.kinematics.buffers import FrameRing
from psoas_coach.kinematics.cleanup import (
    Tracks,
    auto_cutoff_hz,
    noise_px,
    place_tracks,
    settled_count,
    settled_cutoff_hz,
    smooth_tracks,
)
from psoas_coach.kinematics.filters import ButterworthFactory, FilterFactory
from psoas_coach.kinematics.medians import WindowMedians
from psoas_coach.kinematics.occlusion import CONTEXT_S
from psoas_coach.pose.landmarks import NUM_LANDMARKS, SIDES, joint
from psoas_coach.pose.types import BoolArray, FloatArray, PoseSequence

#: The landmarks every figure is computed from (angles and pelvis height need no others).
SIGNAL_JOINTS = [joint(s, j) for s in SIDES for j in REQUIRED_JOINTS]
#: Every landmark (offline cleans them all, for the annotated video's skeleton).
ALL_JOINTS = list(range(NUM_LANDMARKS))
#: Seconds of frames before the first unreleased one that the window keeps, beyond the
#: longest gap: the forward low-pass settles from rest within it.
FILTER_SETTLE_S = 1.0
#: Seconds between two runs of the streaming window (frames are released in batches). Each run
#: cleans the whole window (about 3 s), so this sets much of the live engine's CPU: 0.3 s takes
#: about a fifth less per frame than 0.2 s and announces a repetition 0.1 s later (median 2.9 s
#: after its end instead of 2.8 s, devset_hard replayed: ``benchmark_live.py --agreement``).
RELEASE_EVERY_S = 0.3
#: Seconds between two re-estimates of the automatic smoothing cut-off.
CUTOFF_REFRESH_S = 2.0
#: Seconds of frames kept before a run of legs drawn together, beyond the legs' own context
#: (``occlusion.CONTEXT_S``): the outlier and coincidence medians reach this far.
RUN_CONTEXT_S = 0.5


@dataclass(frozen=True)
class SettledBatch:
    """Frames released together: ``time_s`` ``(N,)`` seconds, ``xy`` ``(N, 33, 2)`` pixels,
    per side ``seen`` ``(N,)`` (the leg itself was seen, as offline), ``identity`` ``(N,)``
    (the confidence in each frame's leg labels) and ``found`` ``(N,)`` (the pose estimator
    found the person in the frame, before clean-up filled gaps).

    Only the cleaner's ``joints`` are filled in ``xy``; the other landmarks are NaN.
    """

    time_s: FloatArray
    xy: FloatArray
    seen: dict[str, BoolArray]
    identity: FloatArray
    found: BoolArray

    def __len__(self) -> int:
        return int(self.time_s.size)


class SettledCleaner:
    """Fixed-lag replica of the offline clean-up (after swap correction).

    Args:
        config: the analysis settings (outlier limit, longest gap, smoothing cut-off).
        lag_s: seconds of final frames (see the module) that follow a frame before its release
            (default ``max_gap_s``: the backward low-pass has settled).
        every_s: seconds between two runs over the window (frames are released in batches).
        max_wait_s: seconds after which a frame is released even if frames still to come
            could change it (legs drawn together for longer than this).
        history_s: seconds of frames kept for the frame rate and noise estimates.
        max_fps: highest frame rate expected (sizes the buffer).
        smoother: the low-pass (default: Butterworth at the configured or automatic cut-off).
        joints: the landmarks cleaned and released (default :data:`SIGNAL_JOINTS`).
        streaming: False: release nothing before :meth:`finish` (offline: keep every frame,
            ``max_frames`` of them, and clean the whole recording at once).
        max_frames: frames kept (default ``history_s * max_fps``).
    """

    def __init__(
        self,
        config: AnalysisConfig,
        *,
        lag_s: float | None = None,
        every_s: float = RELEASE_EVERY_S,
        max_wait_s: float = 10.0,
        history_s: float = 120.0,
        max_fps: float = 60.0,
        smoother: FilterFactory | None = None,
        joints: list[int] | None = None,
        streaming: bool = True,
        max_frames: int | None = None,
    ) -> None:
        self.config = config
        self.lag_s = config.max_gap_s if lag_s is None else lag_s
        self.every_s = every_s
        self.max_wait_s = max_wait_s
        self.joints = SIGNAL_JOINTS if joints is None else joints
        self.streaming = streaming
        self._smoother = smoother
        self._ring = FrameRing(max_frames or int(history_s * max_fps), aux=2)
        self.reset()

    def reset(self) -> None:
        """Forget every frame."""
        self._ring.reset()
        self._medians = WindowMedians()  # the running medians of the last window
        self._released_s = float("-inf")
        self._run_s = float("-inf")
        self._cutoff_s = float("-inf")
        self._keep_from_s = float("inf")
        self._first_s = float("nan")
        self.cutoff_hz = float("nan")

    @property
    def fps(self) -> float:
        """Median frame rate of the frames kept, frames per second."""
        return self._ring.fps()

    def update(
        self,
        time_s: float,
        xy: FloatArray,
        thigh_px: float,
        identity: float = 1.0,
        found: bool | None = None,
    ) -> SettledBatch:
        """Add one frame (``xy`` ``(33, 2)`` pixels, visibility-masked, leg labels decided,
        ``identity`` the confidence in those labels, ``found``: the pose estimator found the
        person in it, default: some landmark of ``xy`` is known).

        ``thigh_px`` is the current thigh length estimate in pixels. Returns the frames
        released now (often none: they go in batches every ``every_s`` seconds; none at all
        before :meth:`finish` when not ``streaming``).
        """
        found = bool(np.isfinite(xy).any()) if found is None else found
        self._ring.append(time_s, xy, identity, float(found))
        self._first_s = time_s if np.isnan(self._first_s) else self._first_s
        if not self.streaming or time_s - self._run_s < self.every_s or not np.isfinite(thigh_px):
            return _empty()
        self._run_s = time_s
        return self._release(time_s - self.lag_s, thigh_px)

    def finish(self, thigh_px: float) -> SettledBatch:
        """Release every frame still held (the end of the set is the end of the window)."""
        if not np.isfinite(thigh_px):
            return _empty()
        return self._release(float("inf"), thigh_px)

    def _release(self, until_s: float, thigh_px: float) -> SettledBatch:
        count = self._window_count()
        t, xy = self._ring.last(count)
        if not (t > self._released_s).any():
            return _empty()
        window = np.full(xy.shape, np.nan)
        window[:, self.joints] = xy[:, self.joints]
        end = np.isinf(until_s)
        placed = place_tracks(
            t, window, self.config, thigh_px, growing=not end, medians=self._medians
        )
        final = t.size if end else self._final_count(t, placed)
        last_s = until_s if end else min(until_s, t[final - 1] - self.lag_s) if final else -np.inf
        fresh = (t > self._released_s) & (t <= last_s)
        self._hold_open(t, placed, fresh)
        if not fresh.any():
            return _empty()
        factory = self._smoother or ButterworthFactory(self._cutoff(t[-1], thigh_px, end))
        fresh = fresh[:final]
        # Only the fresh frames are released: the backward pass stops at the first of them.
        tracks = smooth_tracks(t[:final], placed.head(final), factory, int(np.argmax(fresh)))
        out = np.full((int(fresh.sum()), NUM_LANDMARKS, 2), np.nan)
        out[:, self.joints] = tracks.xy[fresh][:, self.joints]
        self._released_s = float(t[:final][fresh][-1])
        seen = {s: tracks.seen[s][fresh] for s in SIDES}
        aux = self._ring.last_aux(count)[:final][fresh]
        return SettledBatch(t[:final][fresh], out, seen, aux[:, 0], aux[:, 1] > 0)

    def _final_count(self, t: FloatArray, placed: Tracks) -> int:
        """Frames of the window no frame still to come can change (:func:`settled_count`),
        and at least those older than ``max_wait_s``."""
        overdue = int(np.searchsorted(t, t[-1] - self.max_wait_s, side="right"))
        return max(settled_count(t, placed, self.config), overdue)

    def _hold_open(self, t: FloatArray, placed: Tracks, fresh: BoolArray) -> None:
        """Keep the next window's start before the run of legs drawn together that the first
        frame left unreleased lies in: the run is judged with the frames before it."""
        pending = np.flatnonzero((t > self._released_s) & ~fresh)
        self._keep_from_s = float("inf")
        if pending.size and placed.legs.coincident[pending[0]]:
            run_start = pending[0]
            while run_start > 0 and placed.legs.coincident[run_start - 1]:
                run_start -= 1
            start_s = float(t[run_start]) - CONTEXT_S - RUN_CONTEXT_S
            self._keep_from_s = max(start_s, float(t[pending[0]]) - self.max_wait_s)

    def raw_noise_px(self) -> float:
        """Frame-to-frame landmark noise in pixels (``kinematics.cleanup.noise_px``) of the
        frames kept, as received (the last ``history_s`` seconds)."""
        t, xy = self._ring.last(len(self._ring))
        return noise_px(PoseSequence.from_arrays(t, xy))

    def _window_count(self) -> int:
        """How many of the latest frames the window holds: from the context before the first
        unreleased frame to the newest."""
        times = self._ring.times()
        pending = times[times > self._released_s]
        if pending.size == 0:
            return 0
        start = min(pending[0] - self.config.max_gap_s - FILTER_SETTLE_S, self._keep_from_s)
        return int(np.count_nonzero(times >= start))

    def _cutoff(self, time_s: float, thigh_px: float, end: bool = False) -> float:
        """The configured cut-off, or the automatic one (Hz): from the noise seen so far, and
        once :data:`SCALE_WINDOW_S` seconds have passed (or the set ended before) the offline
        one, which stays (``cleanup.settled_cutoff_hz``)."""
        if self.config.smoothing_hz:
            return self.config.smoothing_hz
        if self._cutoff_s == np.inf:
            return self.cutoff_hz
        t, xy = self._ring.last(len(self._ring))
        whole = end or (t.size and t[-1] > t[0] + SCALE_WINDOW_S)
        if t.size and whole and t[0] == self._first_s:
            self.cutoff_hz = settled_cutoff_hz(PoseSequence.from_arrays(t, xy))
            self._cutoff_s = np.inf
        elif time_s - self._cutoff_s >= CUTOFF_REFRESH_S or not np.isfinite(self.cutoff_hz):
            self.cutoff_hz = auto_cutoff_hz(PoseSequence.from_arrays(t, xy), thigh_px)
            self._cutoff_s = time_s
        return self.cutoff_hz


def _empty() -> SettledBatch:
    nothing = np.zeros(0, dtype=bool)
    return SettledBatch(
        np.zeros(0),
        np.zeros((0, NUM_LANDMARKS, 2)),
        {s: nothing for s in SIDES},
        np.zeros(0),
        nothing,
    )
