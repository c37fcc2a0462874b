"""The analysis worker's own rules: cores shared by the jobs at once, a cancelled job stops."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from psoas_coach.pose.parallel import machine_cores
from psoas_coach.web.worker import PROGRESS_EVERY_S, CoreBudget
from tests.source.test_video import real_video as real_video_file
from tests.web.helpers import Api, Served


@pytest.fixture(scope="module")
def server_options() -> dict[str, Any]:
    """Two analyses at once, each asking for every core of the machine."""
    return {"max_upload_mb": 50.0, "analysis_workers": 2, "pose_workers": machine_cores()}


def test_jobs_at_once_never_take_more_cores_than_the_machine_has() -> None:
    budget = CoreBudget(2)
    with budget.lock:
        first = budget.take(2)
    assert (first, budget.free) == (2, 0)
    with pytest.raises(AssertionError):
        budget.take(1)  # callers wait for a free core first
    budget.give(first)
    with budget.lock:
        assert [budget.take(2), budget.free] == [2, 0]
    budget.give(2)
    with budget.lock:
        assert budget.take(1) == 1 and budget.take(4) == 1 and budget.free == 0


def test_a_waiting_thread_wakes_when_cores_come_back() -> None:
    budget = CoreBudget(1)
    with budget.lock:
        budget.take(1)
    woke = threading.Event()

    def wait() -> None:
        with budget.lock:
            while budget.free == 0:
                budget.lock.wait(5.0)
            woke.set()

    thread = threading.Thread(target=wait)
    thread.start()
    assert not woke.wait(0.2)
    budget.give(1)
    assert woke.wait(5.0)
    thread.join()


@pytest.mark.slow
def test_a_running_video_job_is_cancelled_and_leaves_nothing(api: Api, served: Served) -> None:
    team = api.team()
    session = api.session(api.athlete(team["id"])["id"])
    video = real_video_file("leg_raise_1.mp4")  # 8 s of real video: seconds of pose work
    answer = api.upload(session["id"], video.name, video.read_bytes())
    assert answer.status_code == 202
    job_id = answer.json()["latest_job"]["id"]
    deadline = time.monotonic() + 60
    while (job := api.ok("GET", f"/api/jobs/{job_id}"))["progress"] <= 0.05:
        assert job["status"] in ("queued", "running") and time.monotonic() < deadline, job
        time.sleep(0.1)
    assert job["status"] == "running" and "frames" in job["step"], job  # e.g. "pose 40/200 ..."
    cancelled = api.ok("POST", f"/api/jobs/{job_id}/cancel")
    assert cancelled["status"] == "cancelled"
    status = api.wait(session["id"])
    assert [j["status"] for j in status["jobs"]] == ["cancelled"]
    assert api.request("POST", f"/api/jobs/{job_id}/cancel").status_code == 409
    time.sleep(2 * PROGRESS_EVERY_S + 1.0)  # the worker notices at its next progress write
    recording = api.ok("GET", f"/api/recordings/{answer.json()['id']}")
    assert recording["result"] is None
    work = served.settings.data_dir / "work"
    assert not work.exists() or not any(work.iterdir()), "the cancelled job's work was kept"


@pytest.mark.slow
def test_two_uploads_at_once_share_the_cores_and_the_second_says_it_waits(
    api: Api, served: Served
) -> None:
    team = api.team()
    session = api.session(api.athlete(team["id"])["id"])
    names = ["leg_raise_1.mp4", "leg_raise_3.mp4"]  # 12.7 s and 11.1 s of real video
    jobs = [
        api.upload(session["id"], name, real_video_file(name).read_bytes()).json()["latest_job"]
        for name in names
    ]
    seen: set[tuple[str, str]] = set()
    deadline = time.monotonic() + 240
    while True:
        # Read the later job first: jobs start in upload order, so a later job read as running
        # and the first read after it as running too ran at the same time. (Read the other
        # way, the first job can finish and the second start between the two reads.)
        states = [api.ok("GET", f"/api/jobs/{job['id']}") for job in reversed(jobs)][::-1]
        running = [s for s in states if s["status"] == "running"]
        waiting = [s for s in states if s["status"] == "queued"]
        # The first job holds every core, so the second may not start meanwhile.
        assert len(running) <= 1, states
        seen |= {(s["status"], s["step"].split(":")[0]) for s in waiting if running}
        if all(s["status"] in ("done", "failed", "cancelled") for s in states):
            break
        assert time.monotonic() < deadline, states
        time.sleep(0.2)
    assert [s["status"] for s in states] == ["done", "done"], states
    assert ("queued", "waiting for a free core") in seen, seen
