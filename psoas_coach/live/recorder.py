"""The record of a live set, and its report: the same JSON and HTML as ``psoas analyze``.

:class:`SetRecorder` keeps the settled frames (cleaned landmarks and signals, the ones the
repetition engine was fed) for the report's angle plot; :func:`build_analysis` turns them and
the repetitions into a :class:`LiveAnalysis`, which the HTML report renders like an offline
``pipeline.Analysis``; :func:`write_report_files` writes ``<stem>.json`` and ``<stem>.html``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from psoas_coach import __version__
from psoas_coach.config import AnalysisConfig
from psoas_coach.faults.base import fault_codes
from psoas_coach.kinematics.angles import Kinematics
from psoas_coach.live.settled import SIGNAL_JOINTS
from psoas_coach.live.signals import Signals
from psoas_coach.pose.landmarks import NUM_LANDMARKS, SIDES
from psoas_coach.pose.types import FloatArray, PoseSequence
from psoas_coach.report.model import Rep, Report, summarize

#: Settled frames kept for the report (an hour at 60 fps); older ones are dropped.
MAX_RECORD_FRAMES = 216_000
#: Below this share of frames with a person, the report warns (as offline).
FOUND_WARN_SHARE = 0.95


@dataclass(frozen=True)
class LiveAnalysis:
    """What a live set produced, shaped like ``pipeline.Analysis`` for the report renderers."""

    pose: PoseSequence
    kinematics: Kinematics
    report: Report


class SetRecorder:
    """Bounded record of a set's settled frames (``SIGNAL_JOINTS`` and signals)."""

    def __init__(self, max_frames: int = MAX_RECORD_FRAMES) -> None:
        self.max_frames = max_frames
        self.reset()

    def reset(self) -> None:
        """Forget the set."""
        self._t: list[FloatArray] = []
        self._xy: list[FloatArray] = []
        self._signals: list[FloatArray] = []
        self._count = 0
        self.dropped = 0

    def add(self, xy: FloatArray, signals: Signals) -> None:
        """Keep a batch of settled frames (``xy`` ``(N, 33, 2)`` pixels) and their signals."""
        columns = [signals.knee_deg[s] for s in SIDES] + [signals.hip_deg[s] for s in SIDES]
        self._t.append(signals.time_s)
        self._xy.append(xy[:, SIGNAL_JOINTS])
        self._signals.append(np.stack([*columns, signals.pelvis_height_thigh], axis=1))
        self._count += signals.time_s.size
        while self._count - self._t[0].size >= self.max_frames:
            self._count -= self._t[0].size
            self.dropped += self._t[0].size
            del self._t[0], self._xy[0], self._signals[0]

    def pose_and_kinematics(self, thigh_px: float) -> tuple[PoseSequence, Kinematics]:
        """The recorded frames as a pose (``SIGNAL_JOINTS`` filled) and their kinematics."""
        t = np.concatenate(self._t) if self._t else np.zeros(0)
        sig = np.concatenate(self._signals) if self._signals else np.zeros((0, 5))
        xy = np.full((t.size, NUM_LANDMARKS, 2), np.nan)
        if self._xy:
            xy[:, SIGNAL_JOINTS] = np.concatenate(self._xy)
        kinematics = Kinematics(
            time_s=t,
            knee_deg={"left": sig[:, 0], "right": sig[:, 1]},
            hip_deg={"left": sig[:, 2], "right": sig[:, 3]},
            pelvis_height_thigh=sig[:, 4],
            valid=np.isfinite(sig[:, :4]).all(axis=1),
            thigh_px=thigh_px,
            seen={s: np.ones(t.size, dtype=bool) for s in SIDES},
            identity=np.ones(t.size),
        )
        return PoseSequence.from_arrays(t, xy), kinematics


@dataclass(frozen=True)
class SetFacts:
    """What the analyzer knows about the whole set, for the report header and warnings."""

    source: str
    fps: float
    first_s: float
    last_s: float
    frames: int
    frames_with_person: int
    warnings: list[str]


def build_analysis(
    recorder: SetRecorder,
    reps: list[Rep],
    facts: SetFacts,
    config: AnalysisConfig,
    thigh_px: float,
) -> LiveAnalysis:
    """The set's report (SPEC section 5) with the recorded frames for its plots."""
    pose, kinematics = recorder.pose_and_kinematics(thigh_px)
    found = facts.frames_with_person / facts.frames if facts.frames else 0.0
    warnings = list(facts.warnings)
    if facts.frames and found < FOUND_WARN_SHARE:
        warnings.insert(0, f"person not found in {100 * (1 - found):.0f} % of frames")
    if recorder.dropped:
        warnings.append(f"the plot shows the last {recorder.max_frames} frames of the set only")
    duration = facts.last_s - facts.first_s + 1.0 / facts.fps if facts.frames else 0.0
    report = Report(
        source=facts.source,
        fps=facts.fps,
        duration_s=duration,
        reps=list(reps),
        summary=summarize(list(reps), fault_codes()).to_dict(),
        warnings=warnings,
        config=config.to_dict(),
        person_found_share=found,
        analysis_version=__version__,
    )
    return LiveAnalysis(pose, kinematics, report)


def write_report_files(analysis: LiveAnalysis, out_dir: Path, stem: str) -> list[Path]:
    """Write ``<stem>.json`` and ``<stem>.html`` into ``out_dir`` (created); their paths."""
    from psoas_coach.report.html import write_html

    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out_dir / f"{stem}.json", out_dir / f"{stem}.html"
    analysis.report.save(json_path)
    write_html(analysis, html_path)
    return [json_path, html_path]
