"""Privacy for young athletes over a real server, with the real MediaPipe model on a real video:
keypoints-only (raw video deleted once analysed, skeleton-only annotated video) and face
blurring."""

from __future__ import annotations

from pathlib import Path

from tests.web.helpers import Api, Served


def test_keypoints_only_deletes_the_raw_video(api: Api, real_video: Path, served: Served) -> None:
    data_dir = served.settings.data_dir
    team = api.team()
    athlete = api.athlete(team["id"], name="Junior", birth_year=2013, guardian_consent=True)
    assert athlete["keypoints_only"]
    session = api.session(athlete["id"])
    uploads_before = set((data_dir / "uploads").iterdir())
    answer = api.upload(session["id"], "bridge.mp4", real_video.read_bytes())
    assert answer.status_code == 202 and answer.json()["raw_kept"]
    assert [j["status"] for j in api.wait(session["id"])["jobs"]] == ["done"]
    recording = api.ok("GET", f"/api/recordings/{answer.json()['id']}")
    assert not recording["raw_kept"] and recording["raw_deleted_at"] is not None
    assert set((data_dir / "uploads").iterdir()) == uploads_before
    files = recording["result"]["files"]
    assert {"keypoints", "video", "json", "html"} <= set(files)
    keypoints = api.request("GET", files["keypoints"])
    assert keypoints.text.startswith("time_s,nose_x")
    video = api.request("GET", files["video"])
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    part = api.request("GET", files["video"], headers={"Range": "bytes=0-1023"})
    assert part.status_code == 206 and part.content == video.content[:1024]
    assert part.headers["content-range"] == f"bytes 0-1023/{len(video.content)}"
    # a re-run works from the kept keypoints (the raw video is gone)
    queued = api.ok("POST", f"/api/sessions/{session['id']}/reanalyze", 202)["queued"]
    assert len(queued) == 1
    assert [j["status"] for j in api.wait(session["id"])["jobs"]] == ["done"]
    rerun = api.ok("GET", f"/api/recordings/{answer.json()['id']}")["result"]
    assert rerun["id"] != recording["result"]["id"] and "video" in rerun["files"]


def test_face_blurring_keeps_the_picture(api: Api, real_video: Path) -> None:
    team = api.team()
    athlete = api.athlete(team["id"], name="Blurred", blur_faces=True)
    session = api.session(athlete["id"])
    answer = api.upload(session["id"], "bridge.mp4", real_video.read_bytes())
    assert [j["status"] for j in api.wait(session["id"])["jobs"]] == ["done"]
    recording = api.ok("GET", f"/api/recordings/{answer.json()['id']}")
    assert recording["raw_kept"]
    video = api.request("GET", recording["result"]["files"]["video"])
    assert video.status_code == 200 and len(video.content) > 10_000


def test_turning_keypoints_only_on_deletes_the_pictures_kept_before(
    api: Api, real_video: Path, served: Served
) -> None:
    """An adult's raw video and its annotated video over the picture are kept; once the coach
    turns keypoints-only on, both are deleted and the keypoints and report stay."""
    data_dir = served.settings.data_dir
    team = api.team()
    athlete = api.athlete(team["id"], name="Adult", birth_year=1990)
    session = api.session(athlete["id"])
    earlier = set(data_dir.rglob("*.mp4"))
    answer = api.upload(session["id"], "bridge.mp4", real_video.read_bytes())
    assert [j["status"] for j in api.wait(session["id"])["jobs"]] == ["done"]
    before = api.ok("GET", f"/api/recordings/{answer.json()['id']}")
    assert before["raw_kept"] and "video" in before["result"]["files"]
    videos = set(data_dir.rglob("*.mp4")) - earlier
    assert len(videos) == 2  # the upload and its annotated video
    api.ok("PATCH", f"/api/athletes/{athlete['id']}", json={"keypoints_only": True})
    after = api.ok("GET", f"/api/recordings/{answer.json()['id']}")
    assert not after["raw_kept"] and after["raw_deleted_at"] is not None
    assert "video" not in after["result"]["files"]
    assert {"keypoints", "json", "html"} <= set(after["result"]["files"])
    assert not any(p.exists() for p in videos)
    assert api.request("GET", after["result"]["files"]["keypoints"]).status_code == 200
