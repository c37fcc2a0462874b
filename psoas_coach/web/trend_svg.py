"""Small inline-SVG line charts for the athlete's trends, written directly (no plotting library:
fast, thread-safe and a few kilobytes each).

One chart: sessions evenly spaced along x (labelled by date), one line per series with a dot per
session (hover shows the value), an optional target band and reference lines.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

from psoas_coach.report.plots import SIDE_COLORS, TARGET_COLOR

WIDTH, HEIGHT = 520.0, 230.0
LEFT, RIGHT, TOP, BOTTOM = 46.0, 14.0, 34.0, 40.0
#: Room left and right of the first and last session, pixels (keeps date labels inside).
X_INSET = 18.0
#: At most this many date labels on the x axis.
MAX_X_LABELS = 8
#: Colours of the asymmetry series (hold, extension).
ASYMMETRY_COLORS = ("#555555", "#9467bd")

#: Pixel x of a session's position; pixel y of a value.
XScale = Callable[[int], float]
YScale = Callable[[float], float]


@dataclass(frozen=True)
class Series:
    """One line: its name, colour and a value (or ``None``) per session."""

    label: str
    color: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Chart:
    """A chart's content; ``unit`` is appended to values (``s``, ``%``)."""

    title: str
    dates: Sequence[str]
    series: Sequence[Series]
    unit: str
    band: tuple[float, float] | None = None
    band_label: str = ""
    refs: Sequence[tuple[float, str]] = field(default_factory=tuple)
    floor: float | None = 0.0
    ceiling: float | None = None


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering ``[lo, hi]``."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(lo / step) * step
    return [start + i * step for i in range(int(math.ceil((hi - start) / step)) + 1)]


def _value_range(chart: Chart) -> tuple[float, float]:
    values = [v for s in chart.series for v in s.values if v is not None]
    values += [r[0] for r in chart.refs] + (list(chart.band) if chart.band else [])
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    pad = 0.1 * (hi - lo or 1.0)
    lo, hi = lo - pad, hi + pad
    if chart.floor is not None:
        lo = chart.floor
    if chart.ceiling is not None:
        hi = min(hi, chart.ceiling)
    return lo, hi


def render(chart: Chart, chart_id: str) -> str:
    """The chart as an ``<svg>`` element (text escaped)."""
    ticks = nice_ticks(*_value_range(chart))
    lo, hi = ticks[0], ticks[-1]
    n = len(chart.dates)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        inner = plot_w - 2 * X_INSET
        return LEFT + plot_w / 2 if n == 1 else LEFT + X_INSET + inner * i / (n - 1)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (v - lo) / (hi - lo))

    parts = [
        f'<svg id="{escape(chart_id)}" class="trend" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" '
        f'role="img" aria-label="{escape(chart.title)}">',
        f'<text class="t-title" x="{LEFT:g}" y="18">{escape(chart.title)}</text>',
    ]
    parts += _band(chart, y, plot_w)
    parts += _grid(ticks, y, chart.unit)
    parts += _refs(chart, y)
    parts += _x_labels(chart.dates, x)
    for s in chart.series:
        parts += _line(s, chart.dates, x, y, chart.unit)
    parts += _legend(chart)
    parts.append("</svg>")
    return "".join(parts)


def _band(chart: Chart, y: YScale, plot_w: float) -> list[str]:
    if chart.band is None:
        return []
    top, bottom = y(chart.band[1]), y(chart.band[0])
    title = escape(chart.band_label)
    return [
        f'<rect class="t-band" x="{LEFT:g}" y="{top:.1f}" width="{plot_w:.1f}" '
        f'height="{max(bottom - top, 0):.1f}" fill="{TARGET_COLOR}" fill-opacity="0.14">'
        f"<title>{title}</title></rect>"
    ]


def _grid(ticks: list[float], y: YScale, unit: str) -> list[str]:
    out = []
    for t in ticks:
        yy = y(t)
        out.append(
            f'<line class="t-grid" x1="{LEFT:g}" x2="{WIDTH - RIGHT:g}" y1="{yy:.1f}" '
            f'y2="{yy:.1f}"/><text class="t-tick" x="{LEFT - 6:g}" y="{yy + 3.5:.1f}" '
            f'text-anchor="end">{t:g}{escape(unit) if unit == "%" else ""}</text>'
        )
    return out


def _refs(chart: Chart, y: YScale) -> list[str]:
    return [
        f'<line class="t-ref" x1="{LEFT:g}" x2="{WIDTH - RIGHT:g}" y1="{y(v):.1f}" '
        f'y2="{y(v):.1f}"/><text class="t-reflabel" x="{WIDTH - RIGHT:g}" '
        f'y="{y(v) - 4:.1f}" text-anchor="end">{escape(label)}</text>'
        for v, label in chart.refs
    ]


def _x_labels(dates: Sequence[str], x: XScale) -> list[str]:
    every = max(1, math.ceil(len(dates) / MAX_X_LABELS))
    return [
        f'<text class="t-tick" x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16:g}" '
        f'text-anchor="middle">{escape(d[5:] if len(d) == 10 else d)}</text>'
        for i, d in enumerate(dates)
        if i % every == 0 or i == len(dates) - 1
    ]


def _line(s: Series, dates: Sequence[str], x: XScale, y: YScale, unit: str) -> list[str]:
    out: list[str] = []
    run: list[str] = []
    for i, v in enumerate(s.values):
        if v is None:
            out += _polyline(run, s.color)
            run = []
            continue
        run.append(f"{x(i):.1f},{y(v):.1f}")
        label = f"{dates[i]} · {s.label}: {v:.1f} {unit}".strip()
        out.append(
            f'<circle class="t-dot" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.6" fill="{s.color}">'
            f"<title>{escape(label)}</title></circle>"
        )
    return _polyline(run, s.color) + out


def _polyline(points: list[str], color: str) -> list[str]:
    if len(points) < 2:
        return []
    return [f'<polyline class="t-line" points="{" ".join(points)}" stroke="{color}"/>']


def _legend(chart: Chart) -> list[str]:
    out, xx = [], WIDTH - RIGHT
    for s in reversed(chart.series):
        width = 22 + 6.4 * len(s.label)
        xx -= width
        out.append(
            f'<rect x="{xx:.1f}" y="9" width="10" height="10" rx="2" fill="{s.color}"/>'
            f'<text class="t-legend" x="{xx + 14:.1f}" y="18">{escape(s.label)}</text>'
        )
    return out


def side_series(points: Sequence[dict[str, float | None]]) -> list[Series]:
    """Left and right series from per-session ``{"left": v, "right": v}`` values."""
    return [
        Series(f"{side} leg", SIDE_COLORS[side], [p.get(side) for p in points])
        for side in ("left", "right")
    ]
