"""Signal clean-up of raw keypoints: low visibility, leg identity, the hidden far leg,
outliers, gaps, smoothing.

Order matters: leg identity first (an exchanged frame looks like an outlier of every limb,
:mod:`psoas_coach.kinematics.identity`), then outliers (a single landmark far from its
neighbours in time), then a leg drawn on the other one is removed where it was not there
(:mod:`psoas_coach.kinematics.occlusion`, which judges by the frames around), then short gaps
are bridged by linear interpolation, then a zero-phase low-pass smooths every track. All units
are pixels and seconds. :func:`labelled_pose` is the whole-clip first steps; the analysis
engine runs the rest (:mod:`psoas_coach.kinematics.settled`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from psoas_coach.config import AnalysisConfig
from psoas_coach.kinematics.angles import SCALE_WINDOW_S, thigh_length_px
from psoas_coach.kinematics.filters import FilterFactory, zero_phase
from psoas_coach.kinematics.identity import Identity, apply_identity, decode_identity
from psoas_coach.kinematics.medians import WindowMedians, window_nanmedian
from psoas_coach.kinematics.occlusion import (
    LOWER_LEG,
    MAX_BRIDGE_S,
    LegView,
    leg_view,
    remove_legs,
    settle_frames,
)
from psoas_coach.pose.landmarks import SIDES, joint
from psoas_coach.pose.types import BoolArray, FloatArray, PoseSequence


def labelled_pose(
    pose: PoseSequence, config: AnalysisConfig, scale_px: float
) -> tuple[PoseSequence, Identity]:
    """The clean-up's whole-clip first steps: landmarks under ``config.min_visibility`` made
    missing and the leg labels decided over the whole recording
    (:func:`~psoas_coach.kinematics.identity.decode_identity`, ``scale_px`` the thigh length
    in pixels) and applied. Returns the labelled pose and the identity decided; the rest of
    the clean-up runs in the analysis engine
    (:class:`~psoas_coach.kinematics.settled.SettledCleaner`)."""
    xy = pose.xy.copy()
    xy[pose.visibility < config.min_visibility] = np.nan
    identity = decode_identity(pose, scale_px)
    return apply_identity(pose.with_xy(xy), identity.exchanged), identity


@dataclass(frozen=True)
class Tracks:
    """Landmark tracks after :func:`place_tracks` (and :func:`smooth_tracks`).

    Attributes:
        xy: ``(F, 33, 2)`` cleaned positions in pixels.
        seen: per side ``(F,)`` True where the leg's hip, knee and ankle were seen.
        legs: where a leg was drawn on the other one without being there.
        outliers: number of landmark positions removed as outliers.
        missing: ``(F, 33)`` True where a landmark was missing before gaps were bridged.
    """

    xy: FloatArray
    seen: dict[str, BoolArray]
    legs: LegView
    outliers: int
    missing: BoolArray

    def head(self, count: int) -> Tracks:
        """The first ``count`` frames."""
        legs = self.legs
        view = LegView(
            legs.coincident[:count],
            {s: u[:count] for s, u in legs.unseen.items()},
            min(legs.open_from, count),
        )
        seen = {s: v[:count] for s, v in self.seen.items()}
        return Tracks(self.xy[:count], seen, view, self.outliers, self.missing[:count])


def place_tracks(
    time_s: FloatArray,
    xy: FloatArray,
    config: AnalysisConfig,
    scale_px: float,
    *,
    growing: bool = False,
    medians: WindowMedians | None = None,
) -> Tracks:
    """The clean-up's steps before smoothing (:func:`smooth_tracks` follows): outliers
    removed, legs drawn where they were not removed, gaps bridged; positions ``(F, 33, 2)``
    pixels. Offline on the whole recording, live on a sliding window, both run by
    :class:`~psoas_coach.kinematics.settled.SettledCleaner`.

    ``growing``: the frames are the latest of a recording still coming in; the legs' view
    then says which verdicts are still open (:func:`settled_count`). ``medians``: the running
    medians kept from the previous window (the same results, less work).
    """
    max_dev = config.outlier_px_per_thigh * scale_px
    xy, outliers = remove_outliers(xy, outlier_window(time_s), max_dev, medians, time_s)
    horizon = final_horizon(time_s) if growing else None
    legs = leg_view(PoseSequence.from_arrays(time_s, xy), scale_px, horizon, medians)
    xy = remove_legs(xy, legs.unseen)
    seen = {s: _seen(xy, s) for s in SIDES}
    missing = np.isnan(xy[..., 0]) | np.isnan(xy[..., 1])  # (a reduction over 2 is slow)
    xy = bridge_legs(time_s, fill_gaps(time_s, xy, config.max_gap_s), legs)
    return Tracks(xy, seen, legs, outliers, missing)


def smooth_tracks(
    time_s: FloatArray, tracks: Tracks, smoother: FilterFactory, start: int = 0
) -> Tracks:
    """``tracks`` with every position track low-passed forward and backward (no lag).

    ``start``: only the frames from ``start`` on are wanted (the positions before are NaN;
    :func:`~psoas_coach.kinematics.filters.zero_phase`)."""
    xy = tracks.xy
    flat = zero_phase(smoother, frame_rate(time_s), xy.reshape(len(time_s), -1), start)
    return replace(tracks, xy=flat.reshape(xy.shape))


def frame_rate(time_s: FloatArray) -> float:
    """Frames per second of ``time_s`` ``(F,)``: 1 / the median interval (30 when unknown)."""
    return float(1.0 / median_of(np.diff(time_s))) if time_s.size > 1 else 30.0


def median_of(values: FloatArray) -> float:
    """``np.median`` of finite ``values`` ``(N,)``, N >= 1, from one partition: the middle
    value, or (a + b) / 2 of the two middle ones as numpy's mean of two (the clean-up asks for
    the frame rate several times in every settled-tier window; np.median's overhead is most of
    its cost on a few hundred values)."""
    half = values.size // 2
    if values.size % 2:
        return float(np.partition(values, half)[half])
    part = np.partition(values, (half - 1, half))
    return float((part[half - 1] + part[half]) / 2)


def outlier_window(time_s: FloatArray) -> int:
    """Frames (odd, at least 3) of the outlier median's window: about 0.3 s."""
    return max(3, int(round(0.3 * frame_rate(time_s))) | 1)


def final_horizon(time_s: FloatArray) -> int:
    """Of frames ``time_s`` ``(F,)`` of a recording still coming in, how many have outlier
    verdicts and coincidence that frames still to come cannot change (their medians' windows
    are complete)."""
    reach = outlier_window(time_s) // 2 + settle_frames(frame_rate(time_s)) // 2 + 1
    return max(0, time_s.size - reach)


def settled_count(time_s: FloatArray, tracks: Tracks, config: AnalysisConfig) -> int:
    """How many leading frames of ``tracks`` (:func:`place_tracks` of frames ``time_s``
    ``(F,)`` with ``growing``) frames still to come cannot change: neither their positions,
    nor their ``seen`` flags, nor any verdict on them. Always fewer than ``F``.

    Later frames reach back through the outlier and coincidence medians
    (:func:`final_horizon`), a run of legs drawn together that is still open
    (:func:`~psoas_coach.kinematics.occlusion.open_from`) and a gap that a later frame may
    still bridge.
    """
    count = min(final_horizon(time_s), tracks.legs.open_from)
    longest_s = max(config.max_gap_s, MAX_BRIDGE_S)
    while count > 0:
        before = count
        count = _open_gap_start(time_s, tracks.missing, count, longest_s)
        if count == before:
            break
    return count


def _open_gap_start(time_s: FloatArray, missing: BoolArray, count: int, longest_s: float) -> int:
    """The first frame of the gaps (``missing`` ``(F, N)``) that frame ``count - 1`` lies in
    and that a frame from ``count`` on may still bridge: not longer than ``longest_s`` seconds
    so far, with a known frame before them (``count`` when there are none)."""
    if count == 0:
        return 0
    start = count
    for k in np.flatnonzero(missing[count - 1]).tolist():
        known = np.flatnonzero(~missing[:count, k])
        if known.size and time_s[count] - time_s[known[-1]] <= longest_s:
            start = min(start, int(known[-1]) + 1)
    return start


def _seen(xy: FloatArray, side: str) -> BoolArray:
    """``(F,)`` frames where ``side``'s hip, knee and ankle are all present in ``xy``."""
    parts = [joint(side, p) for p in ("hip", "knee", "ankle")]
    return np.asarray(np.isfinite(xy[:, parts].reshape(len(xy), -1)).all(axis=1))


def bridge_legs(time_s: FloatArray, xy: FloatArray, legs: LegView) -> FloatArray:
    """Interpolate a leg's lower landmarks over gaps up to :data:`MAX_BRIDGE_S` that hold
    frames where it was removed as drawn over (such runs are often longer than ordinary gaps;
    other gaps keep the ordinary limit)."""
    out = xy.copy()
    for side, unseen in legs.unseen.items():
        if unseen.any():
            cols = [joint(side, p) for p in LOWER_LEG]
            bridged = fill_gaps(time_s, xy[:, cols], MAX_BRIDGE_S)
            gap = np.isnan(xy[:, cols]).any(axis=2)
            keep = np.stack([_runs_touching(gap[:, k], unseen) for k in range(len(cols))], axis=1)
            out[:, cols] = np.where(keep[:, :, None], bridged, xy[:, cols])
    return out


def _runs_touching(mask: BoolArray, marked: BoolArray) -> BoolArray:
    """``(F,)`` the frames of the True runs of ``mask`` that hold a frame of ``marked``."""
    label = np.cumsum(np.diff(np.concatenate(([0], mask.astype(np.int8)))) == 1) * mask
    hit = np.unique(label[mask & marked])
    return np.asarray(np.isin(label, hit[hit > 0]))


#: Automatic smoothing: the cut-off (Hz) at the reference noise density, and its bounds.
AUTO_CUTOFF_HZ = 2.0
AUTO_REFERENCE_DENSITY = 0.002
AUTO_CUTOFF_RANGE_HZ = (1.2, 2.5)
_NOISE_JOINTS = [joint(s, j) for s in SIDES for j in ("shoulder", "hip", "knee", "ankle")]


def noise_px(pose: PoseSequence) -> float:
    """Per-frame landmark noise in pixels, from second differences of the main joints.

    For white noise of deviation s, a second difference has deviation s * sqrt(6); the median
    absolute value (times 1.4826) is robust to the movement itself and to outliers.
    """
    xy = pose.xy[:, _NOISE_JOINTS]
    d2 = xy[2:] - 2 * xy[1:-1] + xy[:-2]
    d2 = np.abs(d2[np.isfinite(d2)])
    return float(np.median(d2) * 1.4826 / np.sqrt(6)) if d2.size else 0.0


def auto_cutoff_hz(pose: PoseSequence, scale_px: float) -> float:
    """Smoothing cut-off (Hz) for this recording's noise: lower for noisier signals.

    The noise density (noise in thigh lengths per square root of frame rate) sets how much
    noise survives a given cut-off; the cut-off scales with its inverse square root around
    :data:`AUTO_CUTOFF_HZ` and stays within :data:`AUTO_CUTOFF_RANGE_HZ`.
    """
    density = noise_px(pose) / scale_px / np.sqrt(pose.fps)
    if not np.isfinite(density) or density <= 0:
        return AUTO_CUTOFF_HZ
    cutoff = AUTO_CUTOFF_HZ * np.sqrt(AUTO_REFERENCE_DENSITY / density)
    return float(np.clip(cutoff, *AUTO_CUTOFF_RANGE_HZ))


def settled_cutoff_hz(pose: PoseSequence) -> float:
    """The automatic cut-off (:func:`auto_cutoff_hz`, Hz) of the first
    :data:`~psoas_coach.kinematics.angles.SCALE_WINDOW_S` seconds of ``pose`` (labels decided,
    low-visibility landmarks missing), in thigh lengths of the same frames: live, it is known,
    and kept, once those seconds have passed."""
    first = pose.select(pose.time_s <= pose.time_s[0] + SCALE_WINDOW_S)
    return auto_cutoff_hz(first, thigh_length_px(first, None))


def remove_outliers(
    xy: FloatArray,
    window: int,
    max_dev_px: float,
    medians: WindowMedians | None = None,
    time_s: FloatArray | None = None,
) -> tuple[FloatArray, int]:
    """Hampel-style rejection: NaN out positions farther than ``max_dev_px`` from the median.

    ``xy`` is ``(F, N, 2)``; the median is taken over a centred window of ``window`` frames
    (odd). Returns the filtered copy and the number of landmark positions removed. Landmarks
    missing in every frame are left out of the work (they stay missing). ``medians`` with
    the frame times ``time_s`` ``(F,)``: the medians kept from the previous call.
    """
    n = xy.shape[0]
    out = xy.copy()
    present = np.flatnonzero(np.isfinite(xy).any(axis=0).any(axis=1))
    if n < window or present.size == 0:
        return out, 0
    half = window // 2
    part = xy[:, present]
    gap = np.full((half, *part.shape[1:]), np.nan)
    padded = np.concatenate([gap, part, gap])
    if medians is None or time_s is None:
        median = window_nanmedian(sliding_window_view(padded, window, 0))
    else:
        median = medians("outliers", time_s, padded, window)
    dev = part - median  # its length as np.linalg.norm's (x * x + y * y), without its cost
    bad = np.sqrt(dev[..., 0] * dev[..., 0] + dev[..., 1] * dev[..., 1]) > max_dev_px
    cleaned = part.copy()
    cleaned[bad] = np.nan
    out[:, present] = cleaned
    return out, int(bad.sum())


def fill_gaps(time_s: FloatArray, xy: FloatArray, max_gap_s: float) -> FloatArray:
    """Linearly interpolate each landmark track over gaps up to ``max_gap_s`` seconds.

    ``xy`` is ``(F, N, 2)``. Gaps at the ends and longer gaps stay NaN.
    """
    out = xy.copy()
    flat = out.reshape(out.shape[0], -1)
    nan = np.isnan(flat)
    for k in np.flatnonzero(nan.any(axis=0) & ~nan.all(axis=0)).tolist():
        flat[:, k] = _fill_track(time_s, flat[:, k], nan[:, k], max_gap_s)
    return out


def _fill_track(
    time_s: FloatArray, track: FloatArray, missing: BoolArray, max_gap_s: float
) -> FloatArray:
    good = np.flatnonzero(~missing)
    filled = np.interp(time_s, time_s[good], track[good])
    # Length of the gap each missing frame sits in: time between the known frames around it.
    after = np.searchsorted(good, np.arange(track.size))
    inside = (after > 0) & (after < good.size)
    gap = np.full(track.size, np.inf)
    idx = np.flatnonzero(inside)
    gap[idx] = time_s[good[after[idx]]] - time_s[good[after[idx] - 1]]
    usable = missing & (gap <= max_gap_s + 1e-9)
    return np.where(missing & ~usable, np.nan, np.where(usable, filled, track))
