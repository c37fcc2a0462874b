"""The self-contained HTML report of one analysed recording.

One file, no external assets and no JavaScript: styles inline, figures as inline SVG, so it
opens offline, can be mailed and prints cleanly (an ``@media print`` stylesheet drops the
screen-only decoration). Every string taken from data is escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any, Protocol

from psoas_coach.atomic import write_text_atomic
from psoas_coach.faults.words import DEFAULT_LANGUAGE, fault_name, translate
from psoas_coach.kinematics.angles import Kinematics
from psoas_coach.pose.landmarks import SIDES
from psoas_coach.pose.types import PoseSequence
from psoas_coach.report.model import MIN_SIDE_CONFIDENCE, Report, summarize
from psoas_coach.report.plots import (
    SIDE_COLORS,
    PlotSet,
    hold_band_s,
    knee_threshold_deg,
    render_plots,
)
from psoas_coach.reps.types import Rep


class AnalysisLike(Protocol):
    """What the report renderers need from an analysis (``pipeline.Analysis`` fits)."""

    @property
    def report(self) -> Report:
        """The report: reps, summary, warnings, configuration."""
        ...

    @property
    def kinematics(self) -> Kinematics:
        """Per-frame joint angles in degrees on ``time_s`` in seconds."""
        ...

    @property
    def pose(self) -> PoseSequence:
        """Cleaned keypoints in pixels."""
        ...


NO_REPS_MESSAGE = "No psoas-march repetitions found"
#: Display only: a rep's confidence below this is highlighted.
LOW_CONFIDENCE = 0.7
#: Display only: asymmetries at or above this share (percent) are highlighted on the cards.
ASYMMETRY_NOTE_PCT = 15.0

_CSS = """
:root{--left:%(left)s;--right:%(right)s;--ok:#007a57;--off:#a65e00;--ink:#1d2327;--mute:#5f6b73;
--line:#d9dee2;--bg:#f5f7f8}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:var(--ink);background:var(--bg)}
main{max-width:1100px;margin:0 auto;padding:24px}
header h1{margin:0;font-size:26px}.source{font-size:18px;margin:4px 0;word-break:break-all}
.meta{color:var(--mute);margin:0}
h2{font-size:19px;margin:28px 0 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.card h3{margin:0 0 6px;font-size:13px;text-transform:uppercase;letter-spacing:.04em;
color:var(--mute)}
.card .big{font-size:22px;font-weight:600}.card p{margin:4px 0 0;font-size:13px;color:var(--mute)}
.card.note{border-color:var(--off)}.card.wide{grid-column:1/-1}
.L{color:var(--left);font-weight:600}.R{color:var(--right);font-weight:600}
.dot{display:inline-block;width:.7em;height:.7em;border-radius:50%%;margin-right:.3em}
.dot.left{background:var(--left)}.dot.right{background:var(--right)}
.faults{list-style:none;padding:0;margin:0}.faults li{margin:4px 0}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;
background:#fdf0e0;color:#7a4300;border:1px solid #f0c48c;margin:1px 2px;white-space:nowrap}
.badge.clean{background:#e3f4ee;color:var(--ok);border-color:#9fd6c2}
.warnings{background:#fff8e6;border:1px solid #f0c48c;border-radius:10px;padding:4px 16px}
.empty{background:#fff;border:2px dashed var(--line);border-radius:10px;padding:8px 18px}
table{border-collapse:collapse;width:100%%;background:#fff;font-size:14px}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef1f3;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.off{color:var(--off);font-weight:600}td.cues{color:var(--mute);font-size:13px}
td.nm{color:var(--mute)}td.nm small{display:block;font-size:11px;white-space:normal;max-width:14em}
td.conf ul.notes{margin:2px 0 0;padding-left:1.1em;font-size:12px;color:var(--mute)}
.notassessable{border-color:var(--off);border-style:solid}
figure{margin:0 0 16px;background:#fff;border:1px solid var(--line);border-radius:10px;
padding:8px}figure svg{width:100%%;height:auto;display:block}
figcaption{color:var(--mute);font-size:13px;padding:4px 6px}
footer{margin-top:32px;color:var(--mute);font-size:13px}
table.config{width:auto;font-size:12px}table.config td{padding:2px 10px}
@media print{body{background:#fff;font-size:11pt}main{max-width:none;padding:0}
.card,figure,.warnings,.empty{border-color:#999;break-inside:avoid}
tr,figure{break-inside:avoid}h2{break-after:avoid}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def render_html(
    analysis: AnalysisLike,
    *,
    generated: dt.datetime | None = None,
    plots: PlotSet | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> str:
    """The complete HTML document for ``analysis`` (UTF-8 text, self-contained).

    ``generated`` is the analysis date shown in the header (now, local time, by default);
    ``plots`` the analysis's plots when already rendered (else rendered here); ``language``
    the coach's language of the fault names and cues (``faults.words.LANGUAGES``).
    """
    report = analysis.report
    shown = plots or render_plots(analysis.kinematics, report)
    when = generated or dt.datetime.now().astimezone()
    parts = [_header(report, when), _warnings(report.warnings)]
    if not report.assessable:
        parts.insert(1, _not_assessable(report))
        parts.append(_plots(shown))
    elif report.reps:
        summary = report.summary or summarize(report.reps, []).to_dict()
        parts += [_cards(report, summary, language), _rep_table(report, language), _plots(shown)]
    else:
        parts += [_no_reps(report), _plots(shown)]
    parts.append(_footer(report))
    css = _CSS % SIDE_COLORS
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Psoas march report – {escape(report.source)}</title>\n"
        f"<style>{css}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(p for p in parts if p)
        + "\n</main>\n</body>\n</html>\n"
    )


def write_html(
    analysis: AnalysisLike,
    path: Path,
    plots: PlotSet | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> None:
    """Write :func:`render_html` to ``path`` atomically (temporary file, then rename)."""
    write_text_atomic(path, render_html(analysis, plots=plots, language=language))


def _header(report: Report, when: dt.datetime) -> str:
    meta = [
        f"Analysed {when:%Y-%m-%d %H:%M}",
        f"duration {_clock(report.duration_s)}",
        f"{report.fps:.1f} fps",
        f"person visible in {100 * report.person_found_share:.0f} % of frames",
    ]
    return (
        "<header>\n<h1>Psoas march report</h1>\n"
        f'<p class="source">{escape(report.source)}</p>\n'
        f'<p class="meta">{escape(" · ".join(meta))}</p>\n</header>'
    )


def _warnings(warnings: list[str]) -> str:
    if not warnings:
        return ""
    items = "".join(f"<li>{escape(w)}</li>" for w in warnings)
    return f'<section class="warnings" role="note"><h2>Warnings</h2><ul>{items}</ul></section>'


def _not_assessable(report: Report) -> str:
    """The banner of a recording whose pose quality was too poor to judge."""
    reason = report.not_assessable_reason or "the pose could not be followed reliably"
    return (
        '<section class="empty notassessable" role="alert"><h2>Not assessable</h2>'
        f"<p>{escape(reason[0].upper() + reason[1:])}. No repetitions, times or faults are "
        "given for this recording: film again with the whole body in view from the side, "
        "in good light, with the camera still.</p></section>"
    )


def _no_reps(report: Report) -> str:
    excursion = report.config.get("min_excursion_deg", 25.0)
    return (
        f'<section class="empty"><h2>{NO_REPS_MESSAGE}</h2>'
        "<p>Nothing in this recording looks like a leg extending from 90/90 and coming back. "
        "Check that the camera sees the whole body from the side and that each extension "
        f"straightens the knee by at least {excursion:g}°.</p></section>"
    )


def _cards(report: Report, summary: dict[str, Any], language: str) -> str:
    lo, hi = hold_band_s(report)
    min_ext = report.config.get("min_extension_s", 0.8)
    reps = summary.get("reps", {})
    cards = [
        _card("Reps", _per_side(reps, "{:d}"), _faulty_hint(summary.get("faulty_reps", {}))),
        _card(
            "Mean hold",
            _per_side(summary.get("mean_hold_s", {}), "{:.1f} s"),
            f"target {lo:g}–{hi:g} s",
        ),
        _card(
            "Mean extension",
            _per_side(summary.get("mean_extension_s", {}), "{:.1f} s"),
            f"time to straighten the leg; slow and controlled is at least {min_ext:g} s",
        ),
        _asymmetry_card("Hold asymmetry", summary.get("hold_asymmetry_pct"), "hold"),
        _asymmetry_card("Extension asymmetry", summary.get("extension_asymmetry_pct"), "extension"),
        _faults_card(summary.get("fault_counts", {}), _cues_by_code(report.reps), language),
    ]
    return '<section><h2>Summary</h2><div class="cards">' + "".join(cards) + "</div></section>"


def _faulty_hint(faulty: dict[str, int]) -> str:
    """``per leg; with faults: left 0, right 2`` (or just ``per leg``)."""
    if not faulty:
        return "per leg"
    return "per leg; with faults: " + ", ".join(f"{s} {faulty.get(s, 0)}" for s in SIDES)


def _card(title: str, value_html: str, hint: str, extra_class: str = "") -> str:
    return (
        f'<div class="card {extra_class}"><h3>{escape(title)}</h3>'
        f'<div class="big">{value_html}</div><p>{escape(hint)}</p></div>'
    )


def _per_side(values: dict[str, Any], fmt: str) -> str:
    """``L 4 · R 3`` in side colours; a missing value shows as a dash."""
    shown = []
    for side in SIDES:
        value = values.get(side)
        text = "–" if value is None else fmt.format(value)
        shown.append(f'<span class="{side[0].upper()}">{side[0].upper()}</span> {escape(text)}')
    return " · ".join(shown)


def asymmetry_reading(pct: float | None, noun: str) -> str:
    """Plain words for ``100 * (left - right) / max(left, right)``.

    E.g. ``-30`` with ``"hold"`` reads "left hold 30 % shorter than right".
    """
    if pct is None:
        return "needs reps on both legs"
    if round(abs(pct)) == 0:
        return f"left and right {noun} about the same"
    shorter, longer = ("right", "left") if pct > 0 else ("left", "right")
    return f"{shorter} {noun} {abs(pct):.0f} % shorter than {longer}"


def _asymmetry_card(title: str, pct: float | None, noun: str) -> str:
    value = "–" if pct is None else f"{abs(pct):.0f} %"
    note = pct is not None and abs(pct) >= ASYMMETRY_NOTE_PCT
    return _card(title, escape(value), asymmetry_reading(pct, noun), "note" if note else "")


def _cues_by_code(reps: list[Rep]) -> dict[str, str]:
    """The cue each fault code came with (``Rep.cues`` match ``Rep.faults`` in order)."""
    cues: dict[str, str] = {}
    for rep in reps:
        if len(rep.cues) == len(rep.faults):
            for code, cue in zip(rep.faults, rep.cues, strict=True):
                cues.setdefault(code, cue)
    return cues


def _faults_card(counts: dict[str, int], cues: dict[str, str], language: str) -> str:
    found = sorted(((n, code) for code, n in counts.items() if n), key=lambda x: (-x[0], x[1]))
    if not found:
        body = '<span class="badge clean">No faults</span>'
        return f'<div class="card wide"><h3>Faults</h3>{body}<p>Clean session.</p></div>'
    items = "".join(
        f"<li>{_badge(code, language)} × {n}"
        + (
            f' <span class="cue">– {escape(translate(cues[code], language))}</span>'
            if code in cues
            else ""
        )
        + "</li>"
        for n, code in found
    )
    return f'<div class="card wide"><h3>Faults</h3><ul class="faults">{items}</ul></div>'


def fault_label(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    """Fault code (docs/definitions.md section 4) in the coach's words in ``language``,
    capitalised: ``back_lift`` → ``Back lifts off the floor``."""
    return fault_name(code, language).capitalize()


def _badge(code: str, language: str) -> str:
    label = escape(fault_label(code, language))
    return f'<span class="badge" title="{escape(code)}">{label}</span>'


_TABLE_HEAD = (
    "<tr><th>#</th><th>Side</th><th>Start</th><th>Extension (s)</th><th>Hold (s)</th>"
    "<th>Peak knee (°)</th><th>Peak hip (°)</th><th>Faults</th><th>Cues</th>"
    "<th>Confidence</th></tr>"
)


def _rep_table(report: Report, language: str) -> str:
    rows = "\n".join(_rep_row(rep, report, language) for rep in report.reps)
    return (
        '<section><h2>Repetitions</h2>\n<table class="reps">\n<thead>'
        f"{_TABLE_HEAD}</thead>\n<tbody>\n{rows}\n</tbody>\n</table></section>"
    )


def _rep_row(rep: Rep, report: Report, language: str) -> str:
    lo, hi = hold_band_s(report)
    min_ext = report.config.get("min_extension_s", 0.8)
    badges = "".join(_badge(code, language) for code in rep.faults)
    faults = badges or '<span class="badge clean">OK</span>'
    cues = "<br>".join(escape(translate(c, language)) for c in rep.cues)
    side = escape(rep.side)
    unsure = rep.side_confidence < MIN_SIDE_CONFIDENCE
    knee_min = knee_threshold_deg(report)
    cells = [
        f'<td class="num">{rep.index:d}</td>',
        f'<td><span class="dot {side}"></span>{side.capitalize()}{" (?)" if unsure else ""}</td>',
        f'<td class="num">{_clock(rep.start_s)}</td>',
        _figure(rep, "extension_s", "{:.2f}", lambda x: x < min_ext),
        _figure(rep, "hold_s", "{:.2f}", lambda x: not lo <= x <= hi),
        _figure(rep, "knee_angle_peak_deg", "{:.0f}", lambda x: x < knee_min),
        _figure(rep, "hip_angle_peak_deg", "{:.0f}", lambda x: False),
        f"<td>{faults}</td>",
        f'<td class="cues">{cues}</td>',
        _confidence_cell(rep),
    ]
    return "<tr>" + "".join(cells) + "</tr>"


def _figure(rep: Rep, name: str, fmt: str, off: Callable[[float], bool]) -> str:
    """A figure's cell; a figure not measured shows a dash with the reason."""
    value = rep.figure(name)
    if value is None:
        why = rep.not_measured.get(name, "not measured")
        return f'<td class="num nm" title="{escape(why)}">– <small>{escape(why)}</small></td>'
    return f'<td class="num{" off" if off(value) else ""}">{fmt.format(value)}</td>'


def _confidence_cell(rep: Rep) -> str:
    """The rep's confidence as a percentage, with the notes when there are any."""
    low = rep.confidence < LOW_CONFIDENCE
    notes = "".join(f"<li>{escape(n)}</li>" for n in rep.confidence_notes)
    return (
        f'<td class="conf{" off" if low else ""}">{100 * rep.confidence:.0f} %'
        + (f'<ul class="notes">{notes}</ul>' if notes else "")
        + "</td>"
    )


def _plots(plots: PlotSet) -> str:
    parts = ["<section><h2>Joint angles</h2>"]
    if plots.angles is not None:
        parts.append(
            f"<figure>{plots.angles}<figcaption>Knee and hip angles "
            "of both legs. Shaded: repetitions (numbered); bar at the top: the hold; ▼ marks a "
            "rep with faults.</figcaption></figure>"
        )
    else:
        parts.append("<p>No joint angles to show: no frames were analysed.</p>")
    if plots.holds is not None:
        parts.append(
            f"<figure>{plots.holds}<figcaption>Hold time of each repetition against the "
            "target band.</figcaption></figure>"
        )
    parts.append("</section>")
    return "".join(parts)


def _footer(report: Report) -> str:
    rows = "".join(
        f"<tr><td>{escape(str(k))}</td><td>{escape(f'{v:g}' if isinstance(v, float) else str(v))}"
        "</td></tr>"
        for k, v in report.config.items()
    )
    table = f'<table class="config"><tbody>{rows}</tbody></table>' if rows else ""
    version = escape(report.analysis_version or "unknown")
    return (
        f"<footer><p>Psoas Coach analysis {version} · report schema {escape(report.schema)}</p>"
        f"<h2>Configuration</h2>{table or '<p>Not recorded.</p>'}</footer>"
    )


def _clock(seconds: float) -> str:
    """``m:ss.s`` for a time in seconds, e.g. ``1:03.1``."""
    minutes, rest = divmod(round(max(seconds, 0.0), 1), 60.0)
    return f"{int(minutes)}:{rest:04.1f}"
