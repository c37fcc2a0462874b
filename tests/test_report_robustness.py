"""No NaN and no crash from any keypoint file that parses (issue 8, item 3).

Hypothesis corrupts a synthetic recording the way real files and estimators do: frames or
limbs missing for a while, left/right labels exchanged for a while, single-frame spikes (also
infinite ones), rows repeated or out of time order. Whatever it draws, the analysis either
refuses the file with a clean one-line error or gives a report whose JSON is valid and follows
SPEC section 5: every figure a number or ``null`` with its reason.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psoas_coach.exceptions import PsoasError
from psoas_coach.pipeline import analyze_pose
from psoas_coach.pose.csv_io import HEADER, read_keypoints, write_keypoints
from psoas_coach.pose.landmarks import NUM_LANDMARKS, joint
from psoas_coach.pose.types import PoseSequence
from psoas_coach.report.html import render_html
from psoas_coach.reps.types import OPTIONAL_FIGURES
from psoas_coach.synth.generator import generate, random_spec

REQUIRED_NUMBERS = ("start_s", "peak_s", "end_s")


@cache
def base_pose() -> PoseSequence:
    """A short synthetic march (4 reps) to corrupt."""
    return generate(replace(random_spec(31, hard=True), n_reps=4)).pose


spans = st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 0.3))
corruption = st.fixed_dictionaries(
    {
        "gaps": st.lists(spans, max_size=4),
        "leg_gaps": st.lists(st.tuples(spans, st.sampled_from(["left", "right"])), max_size=3),
        "swaps": st.lists(spans, max_size=4),
        "spikes": st.lists(
            st.tuples(
                st.floats(0.0, 1.0),
                st.integers(0, NUM_LANDMARKS - 1),
                st.sampled_from([1e4, -1e4, 5e2, math.inf]),
            ),
            max_size=6,
        ),
        "repeats": st.lists(st.floats(0.0, 1.0), max_size=4),
        "reversed": st.lists(spans, max_size=2),
    }
)


def _frames(n: int, span: tuple[float, float]) -> slice:
    start = int(span[0] * (n - 1))
    return slice(start, min(n, start + max(1, int(span[1] * n))))


def corrupt(pose: PoseSequence, c: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The corrupted recording as CSV rows (header, data rows)."""
    xy, z, vis = pose.xy.copy(), pose.z.copy(), pose.visibility.copy()
    n = len(pose)
    for gap in c["gaps"]:
        xy[_frames(n, gap)] = np.nan
    for gap, side in c["leg_gaps"]:
        for name in ("hip", "knee", "ankle"):
            xy[_frames(n, gap), joint(side, name)] = np.nan
    swapped = np.zeros(n, dtype=bool)
    for swap in c["swaps"]:
        swapped[_frames(n, swap)] = True
    for where, mark, size in c["spikes"]:
        xy[int(where * (n - 1)), mark] += size
    damaged = PoseSequence(pose.time_s, xy, z, vis).mirrored(swapped)
    rows = _csv_rows(damaged)
    for where in c["repeats"]:
        i = int(where * (len(rows) - 1))
        rows.insert(i, list(rows[i]))
    for flip in c["reversed"]:
        part = _frames(len(rows), flip)
        rows[part] = rows[part][::-1]
    return list(HEADER), rows


def _csv_rows(pose: PoseSequence) -> list[list[str]]:
    rows = []
    for i in range(len(pose)):
        cells = [f"{pose.time_s[i]:.4f}"]
        for k in range(NUM_LANDMARKS):
            values = (*pose.xy[i, k], pose.z[i, k], pose.visibility[i, k])
            cells += ["" if math.isnan(v) else repr(float(v)) for v in values]
        rows.append(cells)
    return rows


def assert_spec_report(document: dict[str, Any]) -> None:
    """The report JSON follows SPEC section 5, with ``null`` only where a reason is given."""
    json.dumps(document, allow_nan=False)
    for key in ("schema", "source", "fps", "duration_s", "reps", "summary"):
        assert key in document
    starts = [r["start_s"] for r in document["reps"]]
    assert starts == sorted(starts)
    for rep in document["reps"]:
        assert rep["side"] in ("left", "right")
        assert all(isinstance(rep[k], float | int) for k in REQUIRED_NUMBERS)
        for name in OPTIONAL_FIGURES:
            if rep[name] is None:
                assert rep["not_measured"].get(name), (name, rep)
            else:
                assert math.isfinite(rep[name])
        assert 0.0 <= rep["side_confidence"] <= 1.0 and 0.0 <= rep["confidence"] <= 1.0
    counts = document["summary"]["reps"]
    assert counts["left"] + counts["right"] == len(document["reps"])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(corruption)
def test_any_parsable_recording_gives_a_valid_report_or_a_clean_error(
    tmp_path: Path, c: dict[str, Any]
) -> None:
    header, rows = corrupt(base_pose(), c)
    path = tmp_path / "damaged.csv"
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n")
    warnings: list[str] = []
    try:
        analysis = analyze_pose(read_keypoints(path, warnings), extra_warnings=warnings)
    except PsoasError as err:
        assert "\n" not in str(err) and str(err)
        return
    assert_spec_report(analysis.report.to_dict())
    assert "<html" in render_html(analysis)


def test_the_clean_recording_is_a_full_report(tmp_path: Path) -> None:
    path = tmp_path / "clean.csv"
    write_keypoints(base_pose(), path)
    report = analyze_pose(read_keypoints(path)).report
    assert len(report.reps) == 4
    assert_spec_report(report.to_dict())
