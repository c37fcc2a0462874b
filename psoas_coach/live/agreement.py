"""Live against offline, exactly: which figures of two reports differ, and by how much.

For the live benchmarks (``scripts/benchmark_live.py --agreement`` and ``--sessions``), which
compare a live set's report with the offline analysis (``pipeline.analyze_pose``, what
``psoas analyze`` runs) of the same keypoints. Both reports are in their JSON form
(``Report.to_dict``). They agree when the repetitions per side, the sides in order and each
repetition's faults are equal, its start, end, hold and extension are equal *to the frame*:
within half a frame period of the keypoints both were computed from, and its peak knee angle
is equal within :data:`PEAK_TOLERANCE_DEG`.

The peak is compared by its angle, not its time: ``peak_s`` is where the knee angle is
highest, and on a held leg the angle is flat to a fraction of a degree for seconds, so a
difference of a hundredth of a degree (the live low-pass runs on a window, the offline one on
the whole recording) moves it anywhere in the hold. The hold's own times do not have that
problem: they are crossings of a level on the way out and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

import numpy as np
import numpy.typing as npt

#: The repetition figures compared to the frame (seconds).
TIMED_FIGURES = ("start_s", "end_s", "hold_s", "extension_s")
#: The peak knee angle's tolerance (degrees): the live angles follow the offline ones this
#: closely (tests/live/test_agreement.py).
PEAK_TOLERANCE_DEG = 0.5


@dataclass
class Agreement:
    """The outcome of one comparison: repetitions paired, the differences in words, and the
    largest difference per timed figure (seconds, over the pairs where both were measured)."""

    reps: int
    differences: list[str] = field(default_factory=list)
    largest_s: dict[str, float] = field(default_factory=dict)

    @property
    def agrees(self) -> bool:
        """True when no figure differs."""
        return not self.differences


def frame_period_s(times_s: npt.ArrayLike) -> float:
    """The median interval of ``times_s`` (seconds); ``nan`` for fewer than two times."""
    times = np.asarray(times_s, dtype=float)
    return float(np.median(np.diff(times))) if times.size > 1 else float("nan")


def compare_reports(
    live: dict[str, Any], offline: dict[str, Any], frame_period: float
) -> Agreement:
    """``live`` against ``offline`` (report dicts), timed figures to within half of
    ``frame_period`` (seconds)."""
    result = Agreement(reps=0, largest_s=dict.fromkeys(TIMED_FIGURES, 0.0))
    if live["summary"]["reps"] != offline["summary"]["reps"]:
        result.differences.append(
            f"reps per side: live {live['summary']['reps']}, offline {offline['summary']['reps']}"
        )
    for index, (a, b) in enumerate(zip_longest(live["reps"], offline["reps"]), start=1):
        if a is None or b is None:
            only, which = (a, "live") if b is None else (b, "offline")
            result.differences.append(
                f"rep {index}: {which} only ({only['side']}, {only['start_s']:.3f}-"
                f"{only['end_s']:.3f} s)"
            )
            continue
        result.reps += 1
        result.differences += _rep_differences(index, a, b, frame_period, result.largest_s)
    return result


def _rep_differences(
    index: int, a: dict[str, Any], b: dict[str, Any], period: float, largest: dict[str, float]
) -> list[str]:
    """The differing figures of live rep ``a`` and offline rep ``b``; updates ``largest``."""
    found = [
        f"rep {index} {name}: live {a[name]}, offline {b[name]}"
        for name in ("side", "faults")
        if a[name] != b[name]
    ]
    x, y = a["knee_angle_peak_deg"], b["knee_angle_peak_deg"]
    if (x is None) != (y is None) or (x is not None and not abs(x - y) <= PEAK_TOLERANCE_DEG):
        found.append(f"rep {index} knee_angle_peak_deg: live {x}, offline {y}")
    for name in TIMED_FIGURES:
        x, y = a[name], b[name]
        if x is None or y is None:
            if x != y:
                found.append(f"rep {index} {name}: live {x}, offline {y}")
            continue
        largest[name] = max(largest[name], abs(x - y))
        if not abs(x - y) <= period / 2:
            found.append(f"rep {index} {name}: live {x:.3f}, offline {y:.3f} ({x - y:+.3f} s)")
    return found
