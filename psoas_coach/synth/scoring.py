"""Accuracy of predicted repetitions against ground truth: matching and metrics.

Predicted and truth reps are paired one-to-one by the overlap of their ``[start_s, end_s]``
intervals (greedy by intersection-over-union, pairs need IoU above ``min_iou``). On the pairs:
side accuracy and the errors of hold, extension, start and end (seconds, predicted minus truth);
a figure the analysis reported as not measured (``null``) has no error and is counted apart.
Faults are counted per code over all reps: on a pair, a code in both is a true positive, only
predicted a false positive, only in truth a false negative; an unmatched truth rep misses all its
faults, an unmatched predicted rep raises all of its as false alarms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from psoas_coach.reps.types import Rep
from psoas_coach.synth.truth import FAULT_CODES

DEFAULT_MIN_IOU = 0.3


@dataclass(frozen=True)
class Pair:
    """A truth rep (index into the truth list) matched to a predicted one, with their IoU."""

    truth: int
    pred: int
    iou: float


def interval_iou(a: Rep, b: Rep) -> float:
    """Intersection over union of the ``[start_s, end_s]`` intervals of two reps (0 if disjoint)."""
    inter = min(a.end_s, b.end_s) - max(a.start_s, b.start_s)
    union = max(a.end_s, b.end_s) - min(a.start_s, b.start_s)
    if inter <= 0 or union <= 0:
        return 0.0
    return inter / union


def match_reps(
    truth: Sequence[Rep], pred: Sequence[Rep], min_iou: float = DEFAULT_MIN_IOU
) -> list[Pair]:
    """One-to-one pairs of truth and predicted reps, greedy by IoU (> ``min_iou``), truth order."""
    candidates = [
        Pair(i, j, iou)
        for i, t in enumerate(truth)
        for j, p in enumerate(pred)
        if (iou := interval_iou(t, p)) > min_iou
    ]
    candidates.sort(key=lambda c: (-c.iou, c.truth, c.pred))
    used_t: set[int] = set()
    used_p: set[int] = set()
    pairs: list[Pair] = []
    for c in candidates:
        if c.truth not in used_t and c.pred not in used_p:
            pairs.append(c)
            used_t.add(c.truth)
            used_p.add(c.pred)
    return sorted(pairs, key=lambda c: c.truth)


@dataclass(frozen=True)
class FaultCount:
    """True positives, false positives and false negatives of one fault code."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: FaultCount) -> FaultCount:
        return FaultCount(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float | None:
        """tp / (tp + fp); ``None`` when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """tp / (tp + fn); ``None`` when the truth has none."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        """2tp / (2tp + fp + fn); ``None`` when neither truth nor prediction has the fault."""
        total = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / total if total else None

    def to_dict(self) -> dict[str, Any]:
        """Counts and ratios, JSON-ready."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": _r(self.precision),
            "recall": _r(self.recall),
            "f1": _r(self.f1),
        }


def count_faults(
    truth: Sequence[Rep],
    pred: Sequence[Rep],
    pairs: Sequence[Pair],
    codes: Sequence[str] = FAULT_CODES,
) -> dict[str, FaultCount]:
    """Per-code fault counts over matched pairs and unmatched reps (see the module docstring)."""
    tallies = {c: [0, 0, 0] for c in codes}

    def tally(t_faults: Sequence[str], p_faults: Sequence[str]) -> None:
        for c in codes:
            in_t, in_p = c in t_faults, c in p_faults
            tallies[c][0] += in_t and in_p
            tallies[c][1] += in_p and not in_t
            tallies[c][2] += in_t and not in_p

    for pair in pairs:
        tally(truth[pair.truth].faults, pred[pair.pred].faults)
    matched_t = {p.truth for p in pairs}
    matched_p = {p.pred for p in pairs}
    for i, t in enumerate(truth):
        if i not in matched_t:
            tally(t.faults, [])
    for j, p in enumerate(pred):
        if j not in matched_p:
            tally([], p.faults)
    return {c: FaultCount(*v) for c, v in tallies.items()}


@dataclass(frozen=True)
class RecordingScore:
    """Scores of one recording. Errors are predicted minus truth per matched pair, seconds."""

    name: str
    n_truth: int
    n_pred: int
    pairs: tuple[Pair, ...]
    side_correct: int
    hold_err_s: tuple[float, ...]
    extension_err_s: tuple[float, ...]
    start_err_s: tuple[float, ...]
    end_err_s: tuple[float, ...]
    faults: dict[str, FaultCount]
    error: str = ""
    not_measured: dict[str, int] = field(default_factory=dict)

    @property
    def count_exact(self) -> bool:
        """True when the predicted rep count equals the truth's."""
        return self.n_truth == self.n_pred

    def worst(self, errors: tuple[float, ...]) -> float | None:
        """Largest absolute value of ``errors`` (``None`` when empty)."""
        return max((abs(e) for e in errors), default=None)

    def fault_misses(self) -> tuple[int, int]:
        """(false negatives, false positives) over all codes."""
        return sum(f.fn for f in self.faults.values()), sum(f.fp for f in self.faults.values())


def score_recording(
    name: str,
    truth: Sequence[Rep],
    pred: Sequence[Rep],
    *,
    codes: Sequence[str] = FAULT_CODES,
    min_iou: float = DEFAULT_MIN_IOU,
    error: str = "",
) -> RecordingScore:
    """Match ``pred`` to ``truth`` and measure one recording (``error``: why analysis failed)."""
    pairs = match_reps(truth, pred, min_iou)

    def diffs(attr: str) -> tuple[float, ...]:
        out = []
        for p in pairs:
            value = pred[p.pred].figure(attr)
            if value is not None:
                out.append(value - float(getattr(truth[p.truth], attr)))
        return tuple(out)

    def unmeasured(attr: str) -> int:
        return sum(pred[p.pred].figure(attr) is None for p in pairs)

    return RecordingScore(
        name=name,
        n_truth=len(truth),
        n_pred=len(pred),
        pairs=tuple(pairs),
        side_correct=sum(truth[p.truth].side == pred[p.pred].side for p in pairs),
        hold_err_s=diffs("hold_s"),
        extension_err_s=diffs("extension_s"),
        start_err_s=diffs("start_s"),
        end_err_s=diffs("end_s"),
        faults=count_faults(truth, pred, pairs, codes),
        error=error,
        not_measured={a: unmeasured(a) for a in ("hold_s", "extension_s")},
    )


@dataclass(frozen=True)
class BenchmarkScore:
    """Scores over a set of recordings (MAEs in seconds over matched reps; ``None`` if none)."""

    recordings: int
    count_exact_share: float
    truth_reps: int
    pred_reps: int
    matched_reps: int
    side_accuracy: float | None
    hold_mae_s: float | None
    extension_mae_s: float | None
    start_mae_s: float | None
    end_mae_s: float | None
    faults: dict[str, FaultCount] = field(default_factory=dict)
    not_measured: dict[str, int] = field(default_factory=dict)

    @property
    def mean_fault_f1(self) -> float | None:
        """Mean F1 over codes whose F1 is defined."""
        values = [f.f1 for f in self.faults.values() if f.f1 is not None]
        return sum(values) / len(values) if values else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "recordings": self.recordings,
            "count_exact_share": _r(self.count_exact_share),
            "truth_reps": self.truth_reps,
            "pred_reps": self.pred_reps,
            "matched_reps": self.matched_reps,
            "side_accuracy": _r(self.side_accuracy),
            "hold_mae_s": _r(self.hold_mae_s),
            "extension_mae_s": _r(self.extension_mae_s),
            "start_mae_s": _r(self.start_mae_s),
            "end_mae_s": _r(self.end_mae_s),
            "mean_fault_f1": _r(self.mean_fault_f1),
            "not_measured": dict(self.not_measured),
            "faults": {c: f.to_dict() for c, f in self.faults.items()},
        }


def _mae(values: list[float]) -> float | None:
    return sum(abs(v) for v in values) / len(values) if values else None


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def summarize_scores(
    scores: Sequence[RecordingScore], codes: Sequence[str] = FAULT_CODES
) -> BenchmarkScore:
    """Aggregate per-recording scores into benchmark figures."""
    matched = sum(len(s.pairs) for s in scores)
    faults = {c: FaultCount() for c in codes}
    for s in scores:
        for c in codes:
            faults[c] = faults[c] + s.faults.get(c, FaultCount())
    return BenchmarkScore(
        recordings=len(scores),
        count_exact_share=sum(s.count_exact for s in scores) / len(scores) if scores else 0.0,
        truth_reps=sum(s.n_truth for s in scores),
        pred_reps=sum(s.n_pred for s in scores),
        matched_reps=matched,
        side_accuracy=sum(s.side_correct for s in scores) / matched if matched else None,
        hold_mae_s=_mae([e for s in scores for e in s.hold_err_s]),
        extension_mae_s=_mae([e for s in scores for e in s.extension_err_s]),
        start_mae_s=_mae([e for s in scores for e in s.start_err_s]),
        end_mae_s=_mae([e for s in scores for e in s.end_err_s]),
        faults=faults,
        not_measured={
            a: sum(s.not_measured.get(a, 0) for s in scores) for a in ("hold_s", "extension_s")
        },
    )
