"""ruff (lint and format) and mypy run as part of the suite (mypy started early, beside the
other tests: ``tests/code_tools.py``)."""

from __future__ import annotations

import pytest

from tests.code_tools import run


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_tool_is_clean(command: list[str]) -> None:
    code, output = run(command)
    assert code == 0, output
