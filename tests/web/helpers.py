"""Test helpers: the dashboard served by uvicorn in a thread on a free port (the real HTTP
path, lifespan and worker included), and a small API client that logs in and sends the CSRF
token."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from psoas_coach.web.app import create_app
from psoas_coach.web.settings import Settings
from tests.serving import serve_app

#: Seconds a test waits for analyses (a real video takes ~5-20 s on two cores).
JOB_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Served:
    """A running test server: base URL, settings and the app object."""

    url: str
    settings: Settings
    app: FastAPI


@contextmanager
def serve(settings: Settings) -> Iterator[tuple[str, FastAPI]]:
    """Run the app for ``settings`` until the block ends; yields its base URL and the app."""
    app = create_app(settings)
    with serve_app(app, lifespan="on") as url:
        yield url, app


class Api:
    """An HTTP client for one coach: signs up or logs in, then sends the CSRF header."""

    def __init__(self, base_url: str) -> None:
        """A client of the server at ``base_url`` (not logged in)."""
        self.http = httpx.Client(base_url=base_url, timeout=60.0)
        self.csrf = ""
        self.coach: dict[str, Any] = {}

    def close(self) -> None:
        """Close the connections."""
        self.http.close()

    def signup(self, email: str, name: str = "Coach", password: str = "correct horse") -> None:
        """Create an account, then log in with it and keep the login."""
        body = {"email": email, "name": name, "password": password}
        response = self.http.post(
            "/api/auth/signup", json=body, headers={"X-Requested-With": "pytest"}
        )
        assert response.status_code == 202, response.text
        logged_in = self.login(email, password)
        assert logged_in.status_code == 200, logged_in.text

    def login(self, email: str, password: str = "correct horse") -> httpx.Response:
        """Log in; returns the response (the login is kept when it succeeded)."""
        response = self.http.post(
            "/api/auth/login",
            json={"email": email, "password": password},
            headers={"X-Requested-With": "pytest"},
        )
        if response.status_code == 200:
            self._logged_in(response.json())
        return response

    def _logged_in(self, me: dict[str, Any]) -> None:
        self.csrf = me["csrf_token"]
        self.coach = me["coach"]

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Any request, with the CSRF header."""
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.http.request(method, url, headers=headers, **kwargs)

    def ok(self, method: str, url: str, status: int = 200, **kwargs: Any) -> Any:
        """A request that must answer ``status``; its JSON (``None`` when empty)."""
        response = self.request(method, url, **kwargs)
        assert response.status_code == status, f"{method} {url}: {response.text}"
        return response.json() if response.content else None

    def team(self, name: str = "Team") -> dict[str, Any]:
        """A new team."""
        team: dict[str, Any] = self.ok("POST", "/api/teams", 201, json={"name": name})
        return team

    def athlete(self, team_id: int, **fields: Any) -> dict[str, Any]:
        """A new athlete (an adult named "Athlete" unless ``fields`` say otherwise)."""
        body = {"name": "Athlete", "birth_year": 1995, **fields}
        athlete: dict[str, Any] = self.ok("POST", f"/api/teams/{team_id}/athletes", 201, json=body)
        return athlete

    def session(self, athlete_id: int, **fields: Any) -> dict[str, Any]:
        """A new training session."""
        session: dict[str, Any] = self.ok(
            "POST", f"/api/athletes/{athlete_id}/sessions", 201, json=fields
        )
        return session

    def upload(self, session_id: int, name: str, content: bytes) -> httpx.Response:
        """Upload one file to a session."""
        return self.request(
            "POST", f"/api/sessions/{session_id}/recordings", files={"file": (name, content)}
        )

    def wait(self, session_id: int, timeout_s: float = JOB_TIMEOUT_S) -> dict[str, Any]:
        """Wait until the session's analyses have finished; its status."""
        deadline = time.monotonic() + timeout_s
        while True:
            status: dict[str, Any] = self.ok("GET", f"/api/sessions/{session_id}/status")
            if status["finished"]:
                return status
            assert time.monotonic() < deadline, f"analyses still running: {status}"
            time.sleep(0.25)


#: Fault codes the generator can inject into a rep.
INJECTED_FAULTS = (
    "short_hold",
    "long_hold",
    "fast_extension",
    "incomplete_extension",
    "back_lift",
    "support_leg_drift",
    "start_position",
)


def synthetic_csv(path: Path, *, seed: int, n_reps: int, fault_rate: float = 0.0) -> Path:
    """A synthetic psoas-march keypoint recording (``.csv.gz``): ``n_reps`` reps with short
    rests, each fault injected with probability ``fault_rate``."""
    from psoas_coach.pose.csv_io import write_keypoints
    from psoas_coach.synth.generator import FaultRates, SynthSpec, generate

    rates = FaultRates(**dict.fromkeys(INJECTED_FAULTS, fault_rate))
    spec = SynthSpec(seed=seed, n_reps=n_reps, rest_s=(0.8, 1.2), faults=rates)
    write_keypoints(generate(spec).pose, path)
    return path


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)
