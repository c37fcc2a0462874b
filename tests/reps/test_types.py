"""The rep's fields are defined once (``reps.types``): the rule measures, the dashboard's rep
and the export's columns follow that definition, and the report JSON stays as it was."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from psoas_coach import __version__
from psoas_coach.config import AnalysisConfig
from psoas_coach.outputs import analyze_file
from psoas_coach.reps.types import (
    OPTIONAL_FIGURES,
    REPORT_ORDER,
    Rep,
    RepFigures,
    RepMeasures,
    shown_fields,
)
from psoas_coach.web.export import REP_COLUMNS
from psoas_coach.web.schemas import RepOut

HARD = Path(__file__).resolve().parents[3] / "shared" / "devset_hard" / "hard_0100.csv.gz"
#: ``psoas analyze`` of ``HARD`` before the rep's fields were defined once (version 0.1.0).
PINNED = Path(__file__).parent / "data" / "hard_0100.report.json"
#: The export's reps.csv header as users' spreadsheets know it.
CSV_HEADER = (
    "session_date,recording,result_id,index,side,automatic_side,side_confidence,confidence,"
    "start_s,peak_s,end_s,extension_s,hold_s,knee_angle_peak_deg,hip_angle_peak_deg,faults,"
    "review,review_faults,review_comment"
)


def _names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def test_rep_and_rule_measures_build_on_the_one_list_of_figures() -> None:
    figures = _names(RepFigures)
    assert figures < _names(Rep) and figures < _names(RepMeasures)
    assert _names(Rep) - figures == {"index", "faults", "cues", "confidence", "confidence_notes"}
    assert _names(RepMeasures) - figures == {"previous_side", "seen_share"}
    assert set(REPORT_ORDER) == _names(Rep) and len(REPORT_ORDER) == len(_names(Rep))
    assert set(OPTIONAL_FIGURES) <= figures and "hold_s" in OPTIONAL_FIGURES


def test_the_dashboard_rep_and_the_export_columns_follow_the_definition() -> None:
    review = {"automatic_side", "override"}
    assert set(RepOut.model_fields) - review == set(shown_fields("table", "detail"))
    context = {"session_date", "recording", "result_id", "automatic_side"}
    context |= {"review", "review_faults", "review_comment"}
    assert set(REP_COLUMNS) - context == set(shown_fields("table"))
    assert ",".join(REP_COLUMNS) == CSV_HEADER


def test_a_rep_dict_is_in_report_order_and_reads_back() -> None:
    rep = Rep(
        index=1,
        side="left",
        start_s=1.0,
        peak_s=2.0,
        end_s=3.0,
        extension_s=1.0,
        hold_s=float("nan"),
        knee_angle_peak_deg=170.0,
        hip_angle_peak_deg=160.0,
    )
    data = rep.to_dict()
    assert list(data) == list(REPORT_ORDER) and data["hold_s"] is None
    assert Rep.from_dict(data) == dataclasses.replace(rep, hold_s=None)


def test_the_report_json_of_a_devset_recording_is_as_before(tmp_path: Path) -> None:
    result = analyze_file(HARD, tmp_path, AnalysisConfig())
    written = result.files["json"].read_text()
    pinned = PINNED.read_text().replace(
        '"analysis_version": "0.1.0"', f'"analysis_version": "{__version__}"'
    )
    assert written == pinned
