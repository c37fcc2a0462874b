"""Live events and status as JSON-ready dicts."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import pytest

from psoas_coach.live.events import HoldState, LiveStatus


def _by_asdict(status: LiveStatus) -> dict[str, Any]:
    """The straightforward form: ``asdict`` then the rounding."""
    out = asdict(status)
    for key in ("knee_deg", "hip_deg"):
        out[key] = {s: None if v is None else round(v, 1) for s, v in out[key].items()}
    out["time_s"] = round(status.time_s, 3)
    if status.hold is not None:
        out["hold"] = {
            k: round(v, 2) if isinstance(v, float) else v for k, v in out["hold"].items()
        }
    return out


@pytest.mark.parametrize(
    "hold", [None, HoldState("left", 1.23456, 3.0, 2.0, 5.0)], ids=["no hold", "hold"]
)
def test_status_dict_is_asdict_rounded(hold: HoldState | None) -> None:
    counts = {"left": 2, "right": 1}
    status = LiveStatus(
        time_s=12.34567,
        ready=True,
        setup_message="",
        counts=counts,
        active_side="left" if hold else None,
        hold=hold,
        knee_deg={"left": 91.26, "right": None},
        hip_deg={"left": 88.04, "right": 90.0},
        cue="Hold",
        cue_category="count",
        muted=False,
    )
    out = status.to_dict()
    assert json.dumps(out) == json.dumps(_by_asdict(status))  # same keys, order and values
    out["counts"]["left"] = 9
    assert counts["left"] == 2  # a copy, as asdict's
