"""Bad input and load over a real server: size limit, type checks (nothing stored for a refused
upload), corrupt videos failing with a reason, and 20 uploads at once all ending done or failed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.helpers import Api, Served

LIMIT_MB = 2.0


@pytest.fixture(scope="module")
def server_options() -> dict[str, Any]:
    """A small upload limit; two analyses at once; no skeleton videos (quick jobs)."""
    return {"max_upload_mb": LIMIT_MB, "analysis_workers": 2, "skeleton_video": False}


@pytest.fixture
def data_dir(served: Served) -> Path:
    """The server's data directory."""
    return served.settings.data_dir


def stored_files(data_dir: Path) -> set[Path]:
    """Every file under uploads/ and results/ (work/ is scratch space)."""
    return {p for folder in ("uploads", "results") for p in (data_dir / folder).rglob("*")}


@pytest.fixture
def session_id(api: Api) -> int:
    """A new session of a new athlete."""
    athlete = api.athlete(api.team()["id"])
    session_id: int = api.session(athlete["id"])["id"]
    return session_id


HEADER = b"time_s,nose_x,nose_y\n"
REFUSED = [
    # name, content, status, words in the message
    ("notes.txt", b"hello", 415, "unsupported file type"),
    ("clip.mp4", b"\x89PNG\r\n\x1a\n" + b"0" * 100, 415, "not a mp4 video"),
    ("clip.webm", b"\x00\x00\x00\x18ftypisom" + b"0" * 100, 415, "not a webm video"),
    ("keypoints.csv", b"frame,x,y\n1,2,3\n", 415, "not a keypoint CSV"),
    ("keypoints.csv.gz", HEADER, 415, "not a valid gzip file (corrupt or truncated)"),
    ("empty.csv", b"", 400, "empty"),
    ("big.csv", HEADER + b"0" * int(LIMIT_MB * 1e6), 413, "too large"),
]


@pytest.mark.parametrize(("name", "content", "status", "words"), REFUSED)
def test_refused_uploads_store_nothing(
    api: Api, session_id: int, data_dir: Path, name: str, content: bytes, status: int, words: str
) -> None:
    before = stored_files(data_dir)
    response = api.upload(session_id, name, content)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert stored_files(data_dir) == before
    assert api.ok("GET", f"/api/sessions/{session_id}")["recordings"] == []


def test_oversize_upload_without_length_is_refused_while_copying(
    api: Api, session_id: int, data_dir: Path
) -> None:
    boundary = "psoasboundary"

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        yield HEADER
        for _ in range(int(LIMIT_MB) + 1):
            yield b"0" * 1_000_000
        yield f"\r\n--{boundary}--\r\n".encode()

    before = stored_files(data_dir)
    response = api.request(
        "POST",
        f"/api/sessions/{session_id}/recordings",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert stored_files(data_dir) == before
    assert list((data_dir / "work").iterdir()) == []


def test_corrupt_video_fails_with_a_reason(api: Api, session_id: int, corrupt_video: bytes) -> None:
    assert api.upload(session_id, "broken.mp4", corrupt_video).status_code == 202
    job = api.wait(session_id)["jobs"][0]
    assert job["status"] == "failed"
    assert "broken.mp4" in job["reason"] and "\n" not in job["reason"]
    recording = api.ok("GET", f"/api/sessions/{session_id}")["recordings"][0]
    assert recording["result"] is None and recording["latest_job"]["reason"] == job["reason"]


def test_twenty_uploads_at_once_all_finish(
    api: Api, session_id: int, short_csv: Path, corrupt_video: bytes
) -> None:
    bad_rows = HEADER + b"0.0,1,2\nnot a number,3,4\n"
    files = [(f"run-{i:02d}.csv.gz", short_csv.read_bytes()) for i in range(16)]
    files += [("broken-1.mp4", corrupt_video), ("broken-2.mov", corrupt_video)]
    files += [("bad-1.csv", bad_rows), ("bad-2.csv", bad_rows)]
    answers: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(len(files))

    def send(name: str, content: bytes) -> None:
        client = Api(api.http.base_url.__str__())
        client.http.cookies = api.http.cookies
        client.csrf = api.csrf
        start.wait()
        status = client.upload(session_id, name, content).status_code
        client.close()
        with lock:
            answers.append(status)

    threads = [threading.Thread(target=send, args=f) for f in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [202] * 20
    jobs = api.wait(session_id, timeout_s=240)["jobs"]
    assert len(jobs) == 20
    by_status = {s: sum(j["status"] == s for j in jobs) for s in ("done", "failed")}
    assert by_status == {"done": 16, "failed": 4}
    assert all(j["reason"] for j in jobs if j["status"] == "failed")
    recordings = api.ok("GET", f"/api/sessions/{session_id}")["recordings"]
    assert sorted(r["original_name"] for r in recordings) == sorted(n for n, _ in files)
    assert all(len(r["jobs"]) == 1 and r["jobs"][0]["attempts"] == 1 for r in recordings)
