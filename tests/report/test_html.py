"""The HTML report: content, escaping, zero reps, self-containment, atomic writing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from psoas_coach.engine import Analysis
from psoas_coach.pipeline import analyze_pose
from psoas_coach.report.html import (
    NO_REPS_MESSAGE,
    asymmetry_reading,
    fault_label,
    render_html,
    write_html,
)

#: The ``make_analysis`` fixture (tests/report/conftest.py): plans of (side, start_s, hold_s,
#: fault codes) tuples, keyword options ``source``, ``duration_s``, ``warnings``.
MakeAnalysis = Callable[..., Analysis]

WHEN = dt.datetime(2025, 3, 14, 9, 26, tzinfo=dt.UTC)


class Outline(HTMLParser):
    """Rows of the reps table, open/close balance and every tag seen."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.stack: list[str] = []
        self.rep_rows = 0
        self.in_reps_body = False
        self.table_class = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "table":
            self.table_class = dict(attrs).get("class") or ""
        if tag == "tbody" and self.table_class == "reps":
            self.in_reps_body = True
        if tag == "tr" and self.in_reps_body:
            self.rep_rows += 1
        if tag not in self.VOID and tag not in ("path", "use", "rect"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self.in_reps_body = False
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()


def outline(page: str) -> Outline:
    parser = Outline()
    parser.feed(page)
    parser.close()
    return parser


def test_report_shows_summary_figures_and_one_row_per_rep(make_analysis: MakeAnalysis) -> None:
    analysis = make_analysis()
    page = render_html(analysis, generated=WHEN)
    summary = analysis.report.summary
    parsed = outline(page)
    assert parsed.rep_rows == len(analysis.report.reps) == 4
    assert page.startswith("<!DOCTYPE html>")
    assert "Analysed 2025-03-14 09:26" in page
    assert 'class="L">L</span> 2' in page and 'class="R">R</span> 2' in page
    for side in ("left", "right"):
        assert f"{summary['mean_hold_s'][side]:.1f} s" in page
        assert f"{summary['mean_extension_s'][side]:.1f} s" in page
    assert asymmetry_reading(summary["hold_asymmetry_pct"], "hold") in page
    assert "duration 0:24.0" in page and "30.0 fps" in page


def test_fault_counts_come_with_their_cues_and_badges(make_analysis: MakeAnalysis) -> None:
    analysis = make_analysis()
    page = render_html(analysis)
    faulty = next(r for r in analysis.report.reps if "back_lift" in r.faults)
    assert "Back lifts off the floor</span> × 1" in page
    assert "Hold too short</span> × 1" in page
    assert "Rushed the leg out</span> ×" not in page  # zero counts are left out
    assert all(cue in page for cue in faulty.cues)


@pytest.mark.parametrize(
    ("language", "fault", "cue_word"),
    [
        ("fr", "Le dos décolle</span> × 1", "bas du dos au sol"),
        ("de", "Rücken hebt ab</span> × 1", "Bauch anspannen"),
    ],
)
def test_fault_names_and_cues_in_the_teams_language(
    make_analysis: MakeAnalysis, language: str, fault: str, cue_word: str
) -> None:
    analysis = make_analysis()
    page = render_html(analysis, language=language)
    faulty = next(r for r in analysis.report.reps if "back_lift" in r.faults)
    assert f'<html lang="{language}">' in page and fault in page
    assert not any(cue in page for cue in faulty.cues)  # the English cues are translated
    assert cue_word in page
    assert "Back lifts off the floor" in render_html(analysis)  # English by default


def test_clean_session_says_so(make_analysis: MakeAnalysis) -> None:
    page = render_html(make_analysis((("left", 1.0, 2.5, []), ("right", 7.0, 2.5, []))))
    assert "No faults" in page
    assert outline(page).rep_rows == 2


def test_strings_from_data_are_escaped(make_analysis: MakeAnalysis) -> None:
    source = "<script>x</script>.csv"
    warning = 'Label swap in <b>12</b> frames & "more"'
    page = render_html(make_analysis(source=source, warnings=[warning]))
    assert "&lt;script&gt;x&lt;/script&gt;.csv" in page
    assert "<script" not in page
    assert "Label swap in &lt;b&gt;12&lt;/b&gt; frames &amp; &quot;more&quot;" in page
    assert "<b>" not in page


def test_warnings_block_only_when_there_are_warnings(make_analysis: MakeAnalysis) -> None:
    assert "Warnings</h2>" not in render_html(make_analysis())
    page = render_html(make_analysis(warnings=["Left and right swapped in 12 frames"]))
    assert "Warnings</h2>" in page and "swapped in 12 frames" in page


def test_zero_reps_render_a_clear_message_instead_of_tables(make_analysis: MakeAnalysis) -> None:
    page = render_html(make_analysis(()))
    assert NO_REPS_MESSAGE in page
    assert 'class="reps"' not in page
    assert "holdbar-" not in page
    assert page.count("<svg") == 1  # the angle plot still helps to see why
    assert outline(page).rep_rows == 0


def test_page_is_self_contained_and_printable(make_analysis: MakeAnalysis) -> None:
    page = render_html(make_analysis())
    parsed = outline(page)
    assert parsed.tags.count("svg") == 2
    assert not re.search(r"https?://", page)
    assert not re.search(r"\b(src|href)\s*=\s*\"(?!#)", page)  # only in-page references
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert "@media print" in page
    assert parsed.stack == []  # every element closed


def test_footer_lists_version_and_configuration(make_analysis: MakeAnalysis) -> None:
    page = render_html(make_analysis())
    assert "Psoas Coach analysis 0.1.0" in page
    assert "<td>min_hold_s</td><td>2</td>" in page
    assert "<td>min_knee_peak_deg</td><td>150</td>" in page


@pytest.mark.parametrize(
    ("pct", "noun", "expected"),
    [
        (-30.0, "hold", "left hold 30 % shorter than right"),
        (25.4, "extension", "right extension 25 % shorter than left"),
        (0.3, "hold", "left and right hold about the same"),
        (None, "hold", "needs reps on both legs"),
    ],
)
def test_asymmetry_reading(pct: float | None, noun: str, expected: str) -> None:
    assert asymmetry_reading(pct, noun) == expected


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("back_lift", "Back lifts off the floor"),
        ("support_leg_drift", "Other leg moves"),
        ("same_side_repeat", "Didn't switch legs"),
        ("x", "X"),
    ],
)
def test_fault_label(code: str, label: str) -> None:
    assert fault_label(code) == label


def test_write_html_is_atomic_and_complete(tmp_path: Path, make_analysis: MakeAnalysis) -> None:
    out = tmp_path / "deep" / "session.html"
    write_html(make_analysis(), out)
    text = out.read_text(encoding="utf-8")
    assert text.rstrip().endswith("</html>")
    assert [p.name for p in out.parent.iterdir()] == ["session.html"]


def test_renders_the_real_pipeline_output(make_analysis: MakeAnalysis) -> None:
    analysis = analyze_pose(make_analysis(source="clip 7.mp4").pose)
    page = render_html(analysis)
    assert outline(page).rep_rows == len(analysis.report.reps) == 4
    assert "clip 7.mp4" in page


def test_one_sided_session_shows_dashes_and_no_asymmetry(make_analysis: MakeAnalysis) -> None:
    page = render_html(make_analysis((("left", 1.0, 2.5, []), ("left", 7.0, 2.5, []))))
    assert 'class="R">R</span> –' in page
    assert "needs reps on both legs" in page
    assert "with faults: left 0, right 0" in page
