"""Fixtures shared across test folders: the real local Ray head of the cluster tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ray_head import RayHead, ray_head


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[RayHead]:
    """One Ray head with two worker CPUs for the session (``psoas batch --ray`` and
    ``psoas serve --ray`` tests); stopped, with all its processes, at the end."""
    with ray_head() as head:
        yield head
