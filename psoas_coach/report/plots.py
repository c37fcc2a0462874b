"""Report figures as inline SVG strings: joint angles over time and hold times per repetition.

Built on :class:`matplotlib.figure.Figure` directly (no pyplot), so rendering never touches a
GUI backend. Left and right legs keep the same colour-blind-safe colours (Okabe-Ito blue and
vermilion) in every figure, the HTML page and the annotated video.
"""

from __future__ import annotations

import io
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from psoas_coach.kinematics.angles import Kinematics
from psoas_coach.pose.types import FloatArray
from psoas_coach.report.model import Report
from psoas_coach.reps.types import Rep

#: Matplotlib's rc settings are one global dictionary and ``rc_context`` swaps it in and out:
#: figures render one at a time, so analyses in parallel threads (the dashboard's worker)
#: never restore each other's settings half-way.
_RENDER_LOCK = threading.RLock()

#: Colour of each side, hex (Okabe-Ito palette, readable with every common colour blindness).
SIDE_COLORS: dict[str, str] = {"left": "#0072B2", "right": "#D55E00"}
#: Colour of the target hold band.
TARGET_COLOR = "#009E73"
#: Neutral ink for reference lines and fault markers.
INK = "#333333"
#: Most points drawn per line; longer series are min/max decimated.
MAX_POINTS = 2000

#: Sessions with more reps show fault markers without their names (names would overlap).
FAULT_TEXT_MAX_REPS = 24
#: Short labels for fault codes on the timeline (unknown codes fall back to the code itself).
FAULT_SHORT: dict[str, str] = {
    "short_hold": "short hold",
    "long_hold": "long hold",
    "fast_extension": "rushed",
    "incomplete_extension": "not straight",
    "back_lift": "back lifts",
    "support_leg_drift": "other leg moves",
    "start_position": "not 90/90",
    "same_side_repeat": "no switch",
}

#: Defaults of docs/definitions.md section 4, used when a report carries no configuration.
DEFAULT_MIN_KNEE_PEAK_DEG = 150.0
DEFAULT_HOLD_BAND_S = (2.0, 3.0)

_ANGLE_RANGE_DEG = (40.0, 200.0)
_NO_METADATA: dict[str, str | None] = {"Date": None, "Creator": None, "Format": None, "Type": None}


@dataclass(frozen=True)
class PlotSet:
    """The plots of one analysis as SVG text, rendered once for every output that shows them
    (the HTML report embeds them, the dashboard serves them as files): ``angles`` (knee and
    hip angles over time; ``None`` without frames) and ``holds`` (each rep's hold against the
    target band; ``None`` without reps)."""

    angles: str | None
    holds: str | None


def render_plots(kinematics: Kinematics, report: Report) -> PlotSet:
    """The plots of an analysis (its kinematics and report)."""
    return PlotSet(
        angles_svg(kinematics, report) if kinematics.time_s.size else None,
        holds_svg(report) if report.reps else None,
    )


def decimate(
    time_s: FloatArray, values: FloatArray, max_points: int = MAX_POINTS
) -> tuple[FloatArray, FloatArray]:
    """At most ``max_points`` points of a ``(F,)`` series, keeping each bucket's min and max.

    Peaks and holds survive (unlike plain striding); NaN gaps stay NaN. Times in seconds.
    """
    n = values.shape[0]
    if n <= max_points:
        return time_s, values
    k = math.ceil(n / max(max_points // 2, 1))
    buckets = math.ceil(n / k)
    padded = np.full(buckets * k, np.nan)
    padded[:n] = values
    grid = padded.reshape(buckets, k)
    base = np.arange(buckets) * k
    lo = base + np.argmin(np.where(np.isnan(grid), np.inf, grid), axis=1)
    hi = base + np.argmax(np.where(np.isnan(grid), -np.inf, grid), axis=1)
    idx = np.unique(np.concatenate([lo, hi]))
    idx = idx[idx < n]
    return time_s[idx], values[idx]


def knee_threshold_deg(report: Report) -> float:
    """The incomplete-extension threshold in degrees (report configuration or the default)."""
    return float(report.config.get("min_knee_peak_deg", DEFAULT_MIN_KNEE_PEAK_DEG))


def hold_band_s(report: Report) -> tuple[float, float]:
    """The target hold ``(min, max)`` in seconds (report configuration or the defaults)."""
    cfg = report.config
    lo, hi = DEFAULT_HOLD_BAND_S
    return float(cfg.get("min_hold_s", lo)), float(cfg.get("max_hold_s", hi))


def angles_figure(kinematics: Kinematics, report: Report) -> Figure:
    """Knee (top) and hip (bottom) angles of both legs in degrees over time in seconds.

    Each rep is shaded in its side's colour and labelled ``#index``; its hold is a solid bar at
    the top of the knee panel and a marker with short fault names sits on the peak of a faulty
    rep. Reference lines: 90 degrees (both panels), full extension (knee panel).
    SVG ids: ``rep-<index>-knee`` / ``rep-<index>-hip`` (spans), ``hold-<index>``,
    ``fault-<index>``.
    """
    fig = Figure(figsize=(10.0, 5.6), layout="constrained")
    knee_ax, hip_ax = fig.subplots(2, 1, sharex=True)
    panels = (
        (knee_ax, "knee", kinematics.knee_deg),
        (hip_ax, "hip", kinematics.hip_deg),
    )
    for ax, name, angles in panels:
        _style(ax)
        _plot_sides(ax, kinematics.time_s, angles)
        _shade_reps(ax, report.reps, name)
        _reference_line(ax, 90.0, "90°", ":")
        ax.set_ylabel(f"{name.capitalize()} angle (°)")
        lo, hi = ax.get_ylim()
        ax.set_ylim(min(lo, _ANGLE_RANGE_DEG[0]), max(hi, _ANGLE_RANGE_DEG[1]))
    threshold = knee_threshold_deg(report)
    _reference_line(knee_ax, threshold, f"{threshold:.0f}°\nfull ext.", "--")
    for rep in report.reps:
        _mark_rep(knee_ax, rep, fault_text=len(report.reps) <= FAULT_TEXT_MAX_REPS)
    _legend(knee_ax)
    hip_ax.set_xlabel("Time (s)")
    if kinematics.time_s.size > 1:
        hip_ax.set_xlim(float(kinematics.time_s[0]), float(kinematics.time_s[-1]))
    return fig


def _legend(ax: Axes) -> None:
    """Leg colours plus keys for the hold bar and the fault marker."""
    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Patch(color="#777777", label="hold"),
        Line2D([], [], marker="v", ms=5, color=INK, ls="none", label="faults"),
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False, ncols=4)


def _style(ax: Axes) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)


def _plot_sides(ax: Axes, time_s: FloatArray, angles: dict[str, FloatArray]) -> None:
    for side, color in SIDE_COLORS.items():
        if side in angles:
            t, y = decimate(time_s, angles[side])
            ax.plot(t, y, color=color, lw=1.3, label=f"{side} leg", zorder=3)


def _shade_reps(ax: Axes, reps: list[Rep], panel: str) -> None:
    """One span per rep, SVG id ``rep-<index>-<panel>``."""
    for rep in reps:
        color = SIDE_COLORS.get(rep.side, INK)
        gid = f"rep-{rep.index}-{panel}"
        ax.axvspan(rep.start_s, rep.end_s, color=color, alpha=0.12, lw=0, gid=gid)


def _reference_line(ax: Axes, y_deg: float, label: str, style: str) -> None:
    ax.axhline(y_deg, color=INK, lw=0.8, ls=style, zorder=2)
    ax.annotate(
        label,
        (1.0, y_deg),
        xycoords=("axes fraction", "data"),
        xytext=(3, 0),
        textcoords="offset points",
        ha="left",
        va="center",
        fontsize=7,
        color=INK,
    )


_LABEL_STYLE: dict[str, Any] = {"ha": "center", "va": "top", "fontsize": 7, "fontweight": "bold"}
_FAULT_TEXT_STYLE: dict[str, Any] = {
    "xytext": (0, -6),
    "textcoords": "offset points",
    "ha": "center",
    "va": "top",
    "fontsize": 6,
    "color": INK,
    "bbox": {"fc": "white", "ec": "none", "alpha": 0.8, "pad": 0.6},
}


def _mark_rep(ax: Axes, rep: Rep, *, fault_text: bool) -> None:
    """Index label, hold bar (ids ``hold-<index>``) and faults of one rep on the knee panel."""
    color = SIDE_COLORS.get(rep.side, INK)
    if rep.hold_end_s > rep.hold_start_s:
        gid = f"hold-{rep.index}"
        ax.axvspan(rep.hold_start_s, rep.hold_end_s, 0.90, 0.94, color=color, lw=0, gid=gid)
    top = ax.get_xaxis_transform()
    ax.text(rep.peak_s, 0.99, f"#{rep.index}", transform=top, color=color, **_LABEL_STYLE)
    if rep.faults:
        _mark_faults(ax, rep, fault_text)


def _mark_faults(ax: Axes, rep: Rep, with_text: bool) -> None:
    """A marker (id ``fault-<index>``) on the rep's peak, and short fault names under it."""
    peak = (rep.peak_s, rep.figure("knee_angle_peak_deg") or 180.0)
    style: dict[str, Any] = {"marker": "v", "ms": 5, "color": INK, "ls": "none", "zorder": 4}
    ax.plot([peak[0]], [peak[1]], gid=f"fault-{rep.index}", **style)
    if with_text:
        text = "\n".join(FAULT_SHORT.get(code, code) for code in rep.faults)
        ax.annotate(text, peak, **_FAULT_TEXT_STYLE)


def holds_figure(report: Report) -> Figure:
    """Hold time in seconds of every rep as bars coloured by side, over the target band.

    SVG ids: ``holdbar-<index>`` per bar.
    """
    lo, hi = hold_band_s(report)
    fig = Figure(figsize=(7.0, 2.4), layout="constrained")
    ax = fig.subplots()
    _style(ax)
    ax.axhspan(lo, hi, color=TARGET_COLOR, alpha=0.2, lw=0, label=f"target {lo:g}–{hi:g} s")
    for edge in (lo, hi):
        ax.axhline(edge, color=TARGET_COLOR, lw=1.0, ls="--", zorder=3)
    reps = report.reps
    for side, color in SIDE_COLORS.items():
        mine = [r for r in reps if r.side == side and r.figure("hold_s") is not None]
        xs, hs = [r.index for r in mine], [r.figure("hold_s") or 0.0 for r in mine]
        bars = ax.bar(xs, hs, color=color, width=0.7, label=f"{side} leg")
        for bar, index in zip(bars, xs, strict=True):
            bar.set_gid(f"holdbar-{index}")
    ax.set_xticks([r.index for r in reps], [f"#{r.index}" for r in reps], fontsize=7)
    ax.set_xlabel("Repetition")
    ax.set_ylabel("Hold (s)")
    ax.set_ylim(0.0, max([hi * 1.25, *[(r.figure("hold_s") or 0.0) * 1.1 for r in reps]]))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return fig


def figure_svg(fig: Figure) -> str:
    """The figure as an ``<svg>`` element for inline use in HTML5 (no XML prolog, no URLs)."""
    buffer = io.StringIO()
    with _RENDER_LOCK, mpl.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata=_NO_METADATA)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    return re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)


def _inline_svg(build: Callable[[], Figure]) -> str:
    fonts = ["DejaVu Sans", "Arial"]
    with (
        _RENDER_LOCK,
        mpl.rc_context({"font.family": "sans-serif", "font.sans-serif": fonts, "font.size": 9.0}),
    ):
        return figure_svg(build())


def angles_svg(kinematics: Kinematics, report: Report) -> str:
    """:func:`angles_figure` as an inline ``<svg>`` string."""
    return _inline_svg(lambda: angles_figure(kinematics, report))


def holds_svg(report: Report) -> str:
    """:func:`holds_figure` as an inline ``<svg>`` string."""
    return _inline_svg(lambda: holds_figure(report))
