"""The report of a set, built once for ``psoas analyze`` and a live set alike.

:func:`build_report` assembles the :class:`~psoas_coach.report.model.Report` (docs/report.md)
from the repetitions, the warnings and the pose quality figures (:func:`quality_figures`), and
decides whether the set is assessable (:func:`not_assessable_reason`).
"""

from __future__ import annotations

import numpy as np

from psoas_coach import __version__
from psoas_coach.config import AnalysisConfig
from psoas_coach.faults.base import fault_codes
from psoas_coach.pose.types import BoolArray, FloatArray
from psoas_coach.report.model import Report, summarize
from psoas_coach.reps.trust import figure_words
from psoas_coach.reps.types import Rep

#: Below this share of frames with a person, the report warns.
FOUND_WARN_SHARE = 0.95
#: Below these shares of frames with the person, or with the near leg seen among them, or
#: above this frame-to-frame jitter (thigh lengths), a recording is not assessable.
MIN_FOUND_SHARE = 0.5
MIN_LEG_SEEN_SHARE = 0.5
MAX_JITTER_THIGH = 0.12


def build_report(
    *,
    source: str,
    fps: float,
    duration_s: float,
    reps: list[Rep],
    warnings: list[str],
    config: AnalysisConfig,
    quality: dict[str, float],
) -> Report:
    """The report of a set (docs/report.md), from ``psoas analyze`` and from a live set alike.

    ``quality`` (:func:`quality_figures`) decides whether the set is assessable; one that is
    not keeps no repetitions. Warnings are completed with the share of frames without the
    person (first) and one line per figure some repetitions could not measure.
    """
    reason = not_assessable_reason(quality)
    kept = [] if reason else list(reps)
    found = quality["person_found"]
    presence = [] if found >= FOUND_WARN_SHARE else [_absent_warning(found)]
    return Report(
        source=source,
        fps=fps,
        duration_s=duration_s,
        reps=kept,
        summary=summarize(kept, fault_codes()).to_dict(),
        warnings=[*presence, *warnings, *unmeasured_warnings(kept)],
        config=config.to_dict(),
        person_found_share=found,
        analysis_version=__version__,
        assessable=not reason,
        not_assessable_reason=reason,
        quality=quality,
    )


def quality_figures(
    found: BoolArray,
    seen: dict[str, BoolArray],
    near_side: str,
    jitter_thigh: float,
    identity: FloatArray,
) -> dict[str, float]:
    """Figures of how well the pose estimator followed the athlete (shares in [0, 1]).

    ``person_found``: frames with a person (``found`` ``(F,)``); ``near_leg_seen`` /
    ``far_leg_seen``: frames with a person where the leg facing the camera / the other leg
    was seen (``seen``, per side ``(F,)``); ``jitter_thigh``: the landmarks' frame-to-frame
    noise in thigh lengths; ``side_sure``: the median confidence in the leg labels
    (``identity`` ``(F,)``); ``near_side``: 0 left, 1 right.
    """
    far = "right" if near_side == "left" else "left"

    def share(mask: BoolArray) -> float:
        return float(mask[found].mean()) if found.any() else 0.0

    return {
        "person_found": float(found.mean()) if found.size else 0.0,
        "near_leg_seen": share(seen[near_side]),
        "far_leg_seen": share(seen[far]),
        "jitter_thigh": float(jitter_thigh) if np.isfinite(jitter_thigh) else 0.0,
        "side_sure": float(np.median(identity[found])) if found.any() else 0.0,
        "near_side": float(near_side == "right"),
    }


def not_assessable_reason(quality: dict[str, float]) -> str:
    """Why the pose is too poor to judge the set, in words for a coach ("" when it is fine)."""
    if quality["person_found"] < MIN_FOUND_SHARE:
        return f"the athlete was found in only {100 * quality['person_found']:.0f} % of the frames"
    if quality["near_leg_seen"] < MIN_LEG_SEEN_SHARE:
        hidden = 100 * (1 - quality["near_leg_seen"])
        return f"the legs were hidden or out of the picture in {hidden:.0f} % of the frames"
    if quality["jitter_thigh"] > MAX_JITTER_THIGH:
        return (
            f"the keypoints jump by {100 * quality['jitter_thigh']:.0f} % of a thigh length from "
            "frame to frame (too dark, blurred, small or shaky a picture)"
        )
    return ""


def unmeasured_warnings(reps: list[Rep]) -> list[str]:
    """One warning per figure that some reps could not measure, naming the reps."""
    by_figure: dict[str, list[int]] = {}
    for rep in reps:
        for name in rep.not_measured:
            by_figure.setdefault(name, []).append(rep.index)
    return [
        f"{figure_words(name)} not measured on rep"
        f"{'s' if len(ix) > 1 else ''} {', '.join(f'#{i}' for i in ix)} (the leg was hidden; "
        "see the rep's notes)"
        for name, ix in by_figure.items()
    ]


def _absent_warning(found_share: float) -> str:
    return f"person not found in {100 * (1 - found_share):.0f} % of frames"
