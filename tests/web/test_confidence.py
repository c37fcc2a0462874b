"""The dashboard and the trust in a result (issue 8, item 4): a recording too poor to judge is
marked and kept out of figures and trends unless asked for; a coach can flip a rep's leg, and
the result's summary, the session's figures and the trends follow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from psoas_coach.pose.csv_io import write_keypoints
from psoas_coach.synth.generator import SynthSpec, generate
from tests.web.helpers import Api, csrf_of


@pytest.fixture(scope="module")
def server_options() -> dict[str, Any]:
    """Keypoint uploads only: no skeleton videos."""
    return {"max_upload_mb": 5.0, "skeleton_video": False}


@pytest.fixture(scope="session")
def blurry_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A march where the athlete is found in only one frame in five."""
    pose = generate(SynthSpec(seed=4, n_reps=4, rest_s=(0.8, 1.2))).pose
    xy = pose.xy.copy()
    xy[np.arange(len(pose)) % 5 != 0] = np.nan
    path = tmp_path_factory.mktemp("blurry") / "blurry.csv.gz"
    write_keypoints(pose.with_xy(xy), path)
    return path


def analysed(api: Api, session_id: int, *files: tuple[str, bytes]) -> list[dict[str, Any]]:
    """Upload ``files`` to the session, wait, return its recordings."""
    for name, content in files:
        assert api.upload(session_id, name, content).status_code == 202
    api.wait(session_id)
    recordings: list[dict[str, Any]] = api.ok("GET", f"/api/sessions/{session_id}")["recordings"]
    return recordings


def total(reps: dict[str, int]) -> int:
    return reps["left"] + reps["right"]


def test_a_flipped_leg_moves_the_rep_in_the_summary_and_the_trends(
    api: Api, march_csv: Path
) -> None:
    athlete = api.athlete(api.team()["id"])
    session = api.session(athlete["id"], date="2026-02-02")
    (recording,) = analysed(api, session["id"], ("m.csv.gz", march_csv.read_bytes()))
    result = recording["result"]
    rep = api.ok("GET", f"/api/results/{result['id']}")["reps"][0]
    other = "right" if rep["side"] == "left" else "left"
    report_before = api.ok("GET", result["files"]["json"])

    override = api.ok("PUT", f"/api/results/{result['id']}/reps/1/side", json={"side": other})
    assert override["side"] == other and override["verdict"] == ""
    flipped = api.ok("GET", f"/api/results/{result['id']}")
    assert flipped["reps"][0]["side"] == other
    assert flipped["reps"][0]["automatic_side"] == rep["side"]
    assert flipped["result"]["reps"][other] == result["reps"][other] + 1
    assert flipped["result"]["reps"][rep["side"]] == result["reps"][rep["side"]] - 1
    summary = api.ok("GET", f"/api/sessions/{session['id']}")["summary"]
    assert summary["reps"] == flipped["result"]["reps"]
    (point,) = api.ok("GET", f"/api/athletes/{athlete['id']}/trends")
    assert point["reps"] == flipped["result"]["reps"]
    assert api.ok("GET", result["files"]["json"]) == report_before  # the analysis is untouched

    api.ok("PUT", f"/api/results/{result['id']}/reps/1/side", json={"side": None})
    assert api.ok("GET", f"/api/results/{result['id']}")["result"]["reps"] == result["reps"]
    api.ok("PUT", f"/api/results/{result['id']}/reps/1/side", json={"side": other})
    api.ok("DELETE", f"/api/results/{result['id']}/reps/1/override", 204)
    assert api.ok("GET", f"/api/results/{result['id']}")["result"]["reps"] == result["reps"]
    missing = api.request("PUT", f"/api/results/{result['id']}/reps/99/side", json={"side": "left"})
    assert missing.status_code == 404
    bad = api.request("PUT", f"/api/results/{result['id']}/reps/1/side", json={"side": "up"})
    assert bad.status_code == 422


def test_the_session_page_flips_a_leg_with_its_form(api: Api, march_csv: Path) -> None:
    session = api.session(api.athlete(api.team()["id"])["id"])
    (recording,) = analysed(api, session["id"], ("m.csv.gz", march_csv.read_bytes()))
    result = recording["result"]
    page = api.http.get(f"/sessions/{session['id']}")
    assert page.status_code == 200 and "Change leg" in page.text and "Confidence" in page.text
    rep = api.ok("GET", f"/api/results/{result['id']}")["reps"][1]
    other = "right" if rep["side"] == "left" else "left"
    answer = api.http.post(
        f"/results/{result['id']}/reps/2/side",
        data={"side": other, "csrf_token": csrf_of(page.text)},
    )
    assert answer.status_code == 303 and "side-saved" in answer.headers["location"]
    page = api.http.get(answer.headers["location"])
    assert 'title="the analysis said' in page.text
    assert api.ok("GET", f"/api/results/{result['id']}")["reps"][1]["side"] == other


def test_a_recording_too_poor_to_judge_is_marked_and_left_out(
    api: Api, march_csv: Path, blurry_csv: Path
) -> None:
    athlete = api.athlete(api.team()["id"])
    session = api.session(athlete["id"], date="2026-03-03")
    recordings = analysed(
        api,
        session["id"],
        ("good.csv.gz", march_csv.read_bytes()),
        ("blurry.csv.gz", blurry_csv.read_bytes()),
    )
    blurry = next(r["result"] for r in recordings if r["original_name"] == "blurry.csv.gz")
    good = next(r["result"] for r in recordings if r["original_name"] == "good.csv.gz")
    assert not blurry["assessable"] and "found in only" in blurry["not_assessable_reason"]
    assert total(blurry["reps"]) == 0 and good["assessable"]
    summary = api.ok("GET", f"/api/sessions/{session['id']}")["summary"]
    assert summary["analysed"] == 1 and summary["reps"] == good["reps"]
    (point,) = api.ok("GET", f"/api/athletes/{athlete['id']}/trends")
    assert point["reps"] == good["reps"]
    everything = api.ok("GET", f"/api/athletes/{athlete['id']}?include_unassessable=true")
    assert everything["sessions"][0]["summary"]["analysed"] == 2
    session_page = api.http.get(f"/sessions/{session['id']}").text
    assert "Not assessable." in session_page
    athlete_page = api.http.get(f"/athletes/{athlete['id']}").text
    assert "1 recording could not be assessed" in athlete_page
    assert "include_unassessable=true" in athlete_page
