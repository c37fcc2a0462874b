"""The athlete page's four trend charts: hold, extension, fault rate per side, asymmetry."""

from __future__ import annotations

from psoas_coach.web.insights import FLAG_ASYMMETRY_PCT
from psoas_coach.web.schemas import AthleteDetailOut
from psoas_coach.web.trend_svg import ASYMMETRY_COLORS, Chart, Series, render, side_series


def trend_charts(detail: AthleteDetailOut) -> list[str]:
    """Inline SVG charts over the athlete's analysed sessions (empty without any)."""
    points = detail.trends
    if not points:
        return []
    config = detail.athlete.effective_config
    dates = [p.date.isoformat() for p in points]
    lo, hi = config["min_hold_s"], config["max_hold_s"]
    charts = [
        Chart(
            "Hold time (s)",
            dates,
            side_series([p.mean_hold_s for p in points]),
            "s",
            band=(lo, hi),
            band_label=f"target {lo:g}–{hi:g} s",
        ),
        Chart(
            "Extension time (s)",
            dates,
            side_series([p.mean_extension_s for p in points]),
            "s",
            refs=((config["min_extension_s"], f"min {config['min_extension_s']:g} s"),),
        ),
        Chart(
            "Reps with a fault (%)",
            dates,
            side_series([p.fault_rate_pct for p in points]),
            "%",
            ceiling=100.0,
        ),
        Chart(
            "Asymmetry index (%), + = left longer",
            dates,
            [
                Series("hold", ASYMMETRY_COLORS[0], [p.hold_asymmetry_pct for p in points]),
                Series(
                    "extension", ASYMMETRY_COLORS[1], [p.extension_asymmetry_pct for p in points]
                ),
            ],
            "%",
            band=(-FLAG_ASYMMETRY_PCT, FLAG_ASYMMETRY_PCT),
            band_label=f"within ±{FLAG_ASYMMETRY_PCT:g} %",
            refs=((0.0, ""),),
            floor=None,
        ),
    ]
    ids = ("trend-hold", "trend-extension", "trend-faults", "trend-asymmetry")
    return [render(chart, chart_id) for chart, chart_id in zip(charts, ids, strict=True)]
