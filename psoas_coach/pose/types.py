"""The one pose type of the pipeline: :class:`PoseSequence`.

A recording's keypoints as numpy arrays, frames × 33 BlazePose landmarks. Pixels with origin
top-left and y down; time in seconds. A landmark that was not detected is NaN in ``xy`` and ``z``
and 0 in ``visibility``; a frame with nobody in it has every landmark missing.

Enter it only through converters (``pose.csv_io.read_keypoints``,
``pose.mediapipe_backend`` results) or :meth:`PoseSequence.from_arrays`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from psoas_coach.pose.landmarks import MIRROR, NUM_LANDMARKS

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class PoseSequence:
    """Keypoints of one recording.

    Attributes:
        time_s: ``(F,)`` frame times in seconds, strictly increasing.
        xy: ``(F, 33, 2)`` landmark positions in pixels (NaN where missing).
        z: ``(F, 33)`` MediaPipe relative depth (NaN where missing or unknown).
        visibility: ``(F, 33)`` landmark visibility in [0, 1] (0 where missing).
        width: frame width in pixels (0 if unknown).
        height: frame height in pixels (0 if unknown).
        source: name of the file or camera the keypoints came from.
    """

    time_s: FloatArray
    xy: FloatArray
    z: FloatArray
    visibility: FloatArray
    width: int = 0
    height: int = 0
    source: str = ""

    def __post_init__(self) -> None:
        n = self.time_s.shape[0] if self.time_s.ndim == 1 else -1
        shapes = {
            "time_s": (self.time_s.shape, (n,)),
            "xy": (self.xy.shape, (n, NUM_LANDMARKS, 2)),
            "z": (self.z.shape, (n, NUM_LANDMARKS)),
            "visibility": (self.visibility.shape, (n, NUM_LANDMARKS)),
        }
        for name, (found, expected) in shapes.items():
            if found != expected:
                raise ValueError(f"PoseSequence.{name}: expected shape {expected}, found {found}")
        if n > 1 and not bool(np.all(np.diff(self.time_s) > 0)):
            raise ValueError("PoseSequence.time_s: times must be strictly increasing")

    @classmethod
    def from_arrays(
        cls,
        time_s: npt.ArrayLike,
        xy: npt.ArrayLike,
        z: npt.ArrayLike | None = None,
        visibility: npt.ArrayLike | None = None,
        *,
        width: int = 0,
        height: int = 0,
        source: str = "",
    ) -> PoseSequence:
        """Build a sequence, converting to float64 and filling ``z``/``visibility`` if absent.

        Missing landmarks (NaN or infinite in ``xy``) get visibility 0 and NaN depth; infinite
        depth is NaN.
        """
        t = np.asarray(time_s, dtype=np.float64)
        p = np.array(xy, dtype=np.float64)
        n = t.shape[0]
        zz = np.full((n, NUM_LANDMARKS), np.nan) if z is None else np.array(z, dtype=np.float64)
        if visibility is None:
            vis = np.ones((n, NUM_LANDMARKS))
        else:
            vis = np.nan_to_num(np.array(visibility, dtype=np.float64), nan=0.0)
        if p.shape == (n, NUM_LANDMARKS, 2):
            missing = ~(np.isfinite(p[..., 0]) & np.isfinite(p[..., 1]))  # (all over 2: slow)
            p[missing] = np.nan
            if visibility is None:  # ones: 1 where present (the clip below, without its cost)
                vis = np.where(missing, 0.0, 1.0)
            elif vis.shape == missing.shape:
                vis = np.where(missing, 0.0, np.clip(vis, 0.0, 1.0))
            if z is not None and zz.shape == missing.shape:  # (no depth: NaN already)
                zz[missing | ~np.isfinite(zz)] = np.nan
        return cls(t, p, zz, vis, width=width, height=height, source=source)

    @classmethod
    def empty(cls, *, width: int = 0, height: int = 0, source: str = "") -> PoseSequence:
        """A sequence with no frames."""
        return cls(
            np.zeros(0),
            np.zeros((0, NUM_LANDMARKS, 2)),
            np.zeros((0, NUM_LANDMARKS)),
            np.zeros((0, NUM_LANDMARKS)),
            width=width,
            height=height,
            source=source,
        )

    def __len__(self) -> int:
        return int(self.time_s.shape[0])

    @property
    def detected(self) -> BoolArray:
        """``(F,)`` True where a person was found (any landmark present)."""
        return np.asarray(~np.isnan(self.xy[:, :, 0]).all(axis=1))

    @property
    def duration_s(self) -> float:
        """Seconds from the first to the last frame plus one frame period (0 when empty)."""
        if len(self) == 0:
            return 0.0
        return float(self.time_s[-1] - self.time_s[0] + 1.0 / self.fps)

    @property
    def fps(self) -> float:
        """Median frame rate in frames per second (30 if it cannot be estimated)."""
        if len(self) < 2:
            return 30.0
        return float(1.0 / np.median(np.diff(self.time_s)))

    def select(self, index: npt.ArrayLike) -> PoseSequence:
        """The frames picked by ``index`` (a slice, mask or index array)."""
        i = np.asarray(index) if not isinstance(index, slice) else index
        return PoseSequence(
            self.time_s[i],
            self.xy[i],
            self.z[i],
            self.visibility[i],
            width=self.width,
            height=self.height,
            source=self.source,
        )

    def with_xy(self, xy: FloatArray) -> PoseSequence:
        """A copy with landmark positions ``xy`` (``(F, 33, 2)`` pixels), the rest unchanged."""
        return PoseSequence(
            self.time_s,
            xy,
            self.z,
            self.visibility,
            width=self.width,
            height=self.height,
            source=self.source,
        )

    def mirrored(self, frames: BoolArray) -> PoseSequence:
        """A copy where left and right landmark labels are exchanged on ``frames`` (``(F,)``)."""
        xy, z, vis = self.xy.copy(), self.z.copy(), self.visibility.copy()
        m = list(MIRROR)
        xy[frames] = self.xy[frames][:, m]
        z[frames] = self.z[frames][:, m]
        vis[frames] = self.visibility[frames][:, m]
        return PoseSequence(
            self.time_s, xy, z, vis, width=self.width, height=self.height, source=self.source
        )

    @staticmethod
    def concat(parts: list[PoseSequence]) -> PoseSequence:
        """Join sequences in time order (e.g. chunks of one video processed in parallel)."""
        if not parts:
            return PoseSequence.empty()
        first = parts[0]
        return PoseSequence(
            np.concatenate([p.time_s for p in parts]),
            np.concatenate([p.xy for p in parts]),
            np.concatenate([p.z for p in parts]),
            np.concatenate([p.visibility for p in parts]),
            width=first.width,
            height=first.height,
            source=first.source,
        )
