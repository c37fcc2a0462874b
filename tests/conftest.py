"""Fixtures shared across test folders: the real local Ray head of the cluster tests; and mypy
started in the background as soon as its test is collected (``tests/code_tools.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.code_tools import MYPY_TEST, start_mypy_early, stop_mypy_early
from tests.ray_head import RayHead, ray_head


def pytest_collection_finish(session: pytest.Session) -> None:
    if any(item.nodeid.endswith(MYPY_TEST) for item in session.items):
        start_mypy_early()


def pytest_sessionfinish() -> None:
    stop_mypy_early()


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[RayHead]:
    """One Ray head with two worker CPUs for the session (``psoas batch --ray`` and
    ``psoas serve --ray`` tests); stopped, with all its processes, at the end."""
    with ray_head() as head:
        yield head
