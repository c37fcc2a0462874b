"""The desktop window's overlay drawn on a picture: skeleton, panel, hold timer, message."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from psoas_coach.live.events import HoldState, LiveStatus
from psoas_coach.live.overlay import draw_overlay
from psoas_coach.synth.generator import SynthRecording

LEFT_BLUE = (0, 114, 178)
GREEN = (0, 158, 115)
Image = npt.NDArray[np.uint8]


BASE = LiveStatus(
    time_s=1.0,
    ready=True,
    setup_message="",
    counts={"left": 3, "right": 2},
    active_side="left",
    hold=None,
    knee_deg={"left": 171.0, "right": 90.0},
    hip_deg={"left": 160.0, "right": None},
    cue="",
    cue_category="",
    muted=False,
)


def _status(**changes: Any) -> LiveStatus:
    return replace(BASE, **changes)


def _count(image: Image, color: tuple[int, int, int]) -> int:
    return int(np.all(np.abs(image.astype(int) - color) <= 3, axis=-1).sum())


@pytest.fixture()
def picture() -> Image:
    return np.full((720, 1280, 3), 90, dtype=np.uint8)


def test_skeleton_and_panel(picture: Image, clean_march: SynthRecording) -> None:
    out = draw_overlay(picture, clean_march.clean.xy[10], _status())
    assert out is picture
    assert _count(out, LEFT_BLUE) > 500  # left limbs and the left angle line
    assert (out[20:120, 20:300] > 200).mean() > 0.5  # the light panel behind the counts


def test_hold_timer_turns_green_at_the_minimum(picture: Image) -> None:
    xy = np.full((33, 2), np.nan)
    early = draw_overlay(picture.copy(), xy, _status(hold=HoldState("left", 1.2, 2.0, 2.0, 3.0)))
    done = draw_overlay(picture.copy(), xy, _status(hold=HoldState("left", 2.3, 2.0, 2.0, 3.0)))
    assert _count(early, GREEN) == 0 and _count(done, GREEN) > 1000


def test_setup_message_or_cue_at_the_bottom(picture: Image) -> None:
    xy = np.full((33, 2), np.nan)
    plain = draw_overlay(picture.copy(), xy, _status())
    told = draw_overlay(picture.copy(), xy, _status(cue="Good rep", cue_category="praise"))
    fix = draw_overlay(picture.copy(), xy, _status(ready=False, setup_message="Lie on your back"))
    bottom = slice(600, 720)
    assert (plain[bottom] == 90).all()
    assert _count(told[bottom], GREEN) > 1000
    assert (fix[bottom] != 90).any() and _count(fix[bottom], GREEN) == 0
