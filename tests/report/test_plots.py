"""Report figures: decimation, rep spans, holds, reference lines, inline SVG."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from matplotlib.patches import Rectangle

from psoas_coach.report.html import AnalysisLike
from psoas_coach.report.plots import (
    MAX_POINTS,
    angles_figure,
    angles_svg,
    decimate,
    holds_figure,
    holds_svg,
)

#: The ``make_analysis`` fixture (tests/report/conftest.py): plans of (side, start_s, hold_s,
#: fault codes) tuples, keyword options ``source``, ``duration_s``, ``warnings``.
MakeAnalysis = Callable[..., AnalysisLike]


@pytest.mark.parametrize(
    ("n", "max_points", "expected_max"),
    [(10, 2000, 10), (2000, 2000, 2000), (2001, 2000, 2000), (108_000, 2000, 2000), (50, 4, 4)],
)
def test_decimate_bounds_the_number_of_points(n: int, max_points: int, expected_max: int) -> None:
    t = np.arange(n, dtype=np.float64)
    y = np.sin(t / 7.0)
    td, yd = decimate(t, y, max_points)
    assert td.shape == yd.shape
    assert 0 < td.size <= expected_max
    assert np.all(np.diff(td) > 0)


def test_decimate_keeps_peaks_and_gaps() -> None:
    t = np.arange(100_000, dtype=np.float64) / 30.0
    y = np.full(t.size, 90.0)
    y[54_321] = 178.0  # a one-frame peak a stride would miss
    y[70_000:72_000] = np.nan  # a tracking gap
    td, yd = decimate(t, y)
    assert np.nanmax(yd) == 178.0
    assert np.isnan(yd).any()
    assert td[np.nanargmax(yd)] == t[54_321]


def test_angles_figure_shades_every_rep_on_both_panels(make_analysis: MakeAnalysis) -> None:
    analysis = make_analysis()
    fig = angles_figure(analysis.kinematics, analysis.report)
    knee_ax, hip_ax = fig.axes
    for ax, panel in ((knee_ax, "knee"), (hip_ax, "hip")):
        spans = [p for p in ax.patches if (p.get_gid() or "").endswith(f"-{panel}")]
        assert len(spans) == len(analysis.report.reps)
    holds = [p for p in knee_ax.patches if (p.get_gid() or "").startswith("hold-")]
    assert len(holds) == len(analysis.report.reps)
    faulty = {r.index for r in analysis.report.reps if r.faults}
    gids = [str(ln.get_gid()) for ln in knee_ax.lines]
    markers = {int(gid.removeprefix("fault-")) for gid in gids if gid.startswith("fault-")}
    assert markers == faulty


def test_angles_figure_lines_are_decimated(make_analysis: MakeAnalysis) -> None:
    long = make_analysis(duration_s=3600.0)
    fig = angles_figure(long.kinematics, long.report)
    curves = [ln for ln in fig.axes[0].lines if ln.get_label() in ("left leg", "right leg")]
    assert len(curves) == 2
    assert all(np.asarray(ln.get_xdata()).size <= MAX_POINTS for ln in curves)
    assert len(angles_svg(long.kinematics, long.report)) < 600_000


def test_angles_svg_is_inline_markup_with_ids_and_thresholds(make_analysis: MakeAnalysis) -> None:
    analysis = make_analysis()
    report = dataclasses.replace(
        analysis.report, config={**analysis.report.config, "min_knee_peak_deg": 145.0}
    )
    svg = angles_svg(analysis.kinematics, report)
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    for rep in report.reps:
        assert f'id="rep-{rep.index}-knee"' in svg
        assert f'id="rep-{rep.index}-hip"' in svg
        assert f"#{rep.index}" in svg
    assert "145°" in svg and "full ext." in svg
    assert not re.search(r"https?://", svg)


def test_holds_figure_has_a_bar_per_rep_and_the_target_band(make_analysis: MakeAnalysis) -> None:
    analysis = make_analysis()
    report = dataclasses.replace(
        analysis.report, config={**analysis.report.config, "min_hold_s": 2.5, "max_hold_s": 4.0}
    )
    fig = holds_figure(report)
    (ax,) = fig.axes
    bars = [p for p in ax.patches if (p.get_gid() or "").startswith("holdbar-")]
    assert all(isinstance(p, Rectangle) for p in bars)
    assert sorted(p.get_height() for p in bars if isinstance(p, Rectangle)) == sorted(
        r.figure("hold_s") or 0.0 for r in report.reps
    )
    assert "target 2.5–4 s" in holds_svg(report)


def test_figures_cope_with_no_reps_and_no_frames(make_analysis: MakeAnalysis) -> None:
    empty = make_analysis(())
    assert "<svg" in angles_svg(empty.kinematics, empty.report)
    assert "<svg" in holds_svg(empty.report)
    short = make_analysis((), duration_s=0.02)
    assert short.kinematics.time_s.size == 1
    assert "<svg" in angles_svg(short.kinematics, short.report)


def test_figures_render_alike_from_parallel_threads(make_analysis: MakeAnalysis) -> None:
    """The dashboard renders reports in several threads; matplotlib's settings are global."""
    import matplotlib as mpl

    def render(_: int = 0) -> str:  # the markup without its random marker and clip ids
        return re.sub(r"\b([mp])[0-9a-f]{10}\b", r"\1-id", holds_svg(report))

    report = make_analysis().report
    before = dict(mpl.rcParams)
    alone = render()
    with ThreadPoolExecutor(max_workers=4) as pool:
        svgs = list(pool.map(render, range(24)))
    assert all(svg == alone for svg in svgs)
    assert dict(mpl.rcParams) == before
