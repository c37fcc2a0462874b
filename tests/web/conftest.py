"""Fixtures of the web tests: a served dashboard per database back-end, API clients, inputs."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from psoas_coach.web.settings import Settings
from tests.storage.databases import BACKENDS, database_url_for
from tests.web.helpers import Api, Served, serve, synthetic_csv

REAL_VIDEO = Path(__file__).resolve().parents[2].parent / "shared" / "real" / "glute_bridge.mp4"


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database back-end of this module's server."""
    backend: str = request.param
    return backend


@pytest.fixture(scope="module")
def server_options() -> dict[str, Any]:
    """Settings of the module's server beyond data directory and database (override per
    module)."""
    return {"max_upload_mb": 5.0}


@pytest.fixture(scope="module")
def served(
    backend: str, server_options: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """A running dashboard (SQLite file or PostgreSQL), shared by a module's tests. Every test
    client comes from 127.0.0.1, so sign-ups are not limited per address unless a module's
    ``server_options`` says so (tests/web/test_throttle.py)."""
    folder = tmp_path_factory.mktemp(f"server-{backend}")
    options = {"signups_per_hour": 0, **server_options}
    with database_url_for(backend, folder) as url:
        settings = Settings(data_dir=folder / "data", database_url=url, **options)
        with serve(settings) as (base_url, app):
            yield Served(base_url, settings, app)


@pytest.fixture(scope="module")
def server(served: Served) -> str:
    """Base URL of the module's running dashboard."""
    return served.url


@pytest.fixture
def new_api(server: str) -> Iterator[Callable[[], Api]]:
    """Factory of signed-up API clients (each a new coach) on the module's server."""
    clients: list[Api] = []

    def make() -> Api:
        api = Api(server)
        api.signup(f"coach-{uuid.uuid4().hex[:10]}@example.org")
        clients.append(api)
        return api

    yield make
    for api in clients:
        api.close()


@pytest.fixture
def api(new_api: Callable[[], Api]) -> Api:
    """A signed-up coach's client."""
    return new_api()


@pytest.fixture(scope="session")
def march_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic psoas-march keypoint CSV (28 s): 4 reps, three with faults, one clean."""
    folder = tmp_path_factory.mktemp("inputs")
    return synthetic_csv(folder / "march.csv.gz", seed=21, n_reps=4, fault_rate=0.3)


@pytest.fixture(scope="session")
def short_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short synthetic keypoint CSV (one clean rep) for load tests."""
    folder = tmp_path_factory.mktemp("inputs-short")
    return synthetic_csv(folder / "short.csv.gz", seed=5, n_reps=1)


@pytest.fixture(scope="session")
def real_video() -> Path:
    """The real 3 s glute-bridge video of the shared folder (runs the real MediaPipe model)."""
    if not REAL_VIDEO.exists():
        pytest.fail(f"{REAL_VIDEO} is missing (the shared folder of real videos)")
    return REAL_VIDEO


@pytest.fixture
def corrupt_video() -> bytes:
    """Bytes that look like an MP4 (an ``ftyp`` box) but do not decode."""
    return b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(range(256)) * 40
