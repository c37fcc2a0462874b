"""A real march through the dashboard's live page (issue 11 item 5): real headless Chromium whose
fake camera plays the first 9 s of a rendered march (``../shared/render_dev/render_0103.mp4``,
one full right-leg rep at 2.61-7.06 s, hold 2.47 s), pose on the server. The page draws the
skeleton, shows the hold timer during the hold, counts the rep for the right leg, and the saved
set opens in the athlete's history with the rep and its plots.

The camera loops the clip; the setup check may take the first pass, so the rep is waited for
over two passes. Slow (about a minute here): the server runs BlazePose on every picture."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from psoas_coach.source.video import iter_frames
from psoas_coach.web.settings import Settings
from tests.browser import ARTIFACTS, CHROMIUM, collect_errors
from tests.live.test_browser import FAKE_CAMERA_ARGS, side_coloured_pixels, write_y4m
from tests.web.helpers import serve
from tests.web.test_browser import sign_up_and_create_athlete

MARCH = Path(__file__).resolve().parents[3] / "shared" / "render_dev" / "render_0103.mp4"
#: The clip: from the start to before the left leg's rep (9.10 s); its frame rate.
CLIP_S = 9.0
CLIP_FPS = 25
#: Generous waits (ms) for a slow, shared machine: two passes of the clip and more.
WAIT_MS = 90_000


@pytest.fixture(scope="module")
def camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first ``CLIP_S`` seconds of the march as a y4m file for Chromium's fake camera."""
    if not MARCH.is_file():
        pytest.skip(f"{MARCH} missing: this test needs the rendered videos in ../shared")
    frames = [np.asarray(image, dtype=np.uint8) for _, image in iter_frames(MARCH, end_s=CLIP_S)]
    return write_y4m(tmp_path_factory.mktemp("march") / "march.y4m", frames, CLIP_FPS)


@pytest.fixture(scope="module")
def tab(camera: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A Chromium tab on the dashboard, signed up, on the athlete's page; fails on any console
    error or uncaught script error."""
    from playwright.sync_api import sync_playwright

    data = tmp_path_factory.mktemp("march-data")
    args = [*FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={camera}"]
    errors: list[str] = []
    with serve(Settings(data_dir=data)) as (url, _app), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        context = browser.new_context(base_url=url, viewport={"width": 1100, "height": 1000})
        page = context.new_page()
        collect_errors(page, errors)
        sign_up_and_create_athlete(page)
        yield page
        browser.close()
    assert errors == [], errors


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"live-march-{name}.png"), full_page=True)


@pytest.mark.slow
def test_a_live_march_is_counted_held_and_saved_with_its_plots(tab: Any) -> None:
    athlete_url = tab.url
    tab.goto(athlete_url + "/live?pose=server")
    tab.click("#start")
    tab.wait_for_function(
        "() => Number(document.getElementById('live').dataset.drawn) >= 10", timeout=WAIT_MS
    )
    assert side_coloured_pixels(tab) > 200  # the skeleton, in the left/right colours
    tab.wait_for_function(  # the hold timer, counting up, while the right leg is held
        "() => Number(document.getElementById('live').dataset.hold) >= 1", timeout=WAIT_MS
    )
    _shot(tab, "01-hold")
    tab.wait_for_function(
        "() => document.getElementById('events').innerText.includes('Rep 1 right: hold ')",
        timeout=WAIT_MS,
    )
    tab.click("#end")
    tab.wait_for_selector("#saved-link", timeout=60_000)
    rows = tab.locator("#summary-rows tr").all_inner_texts()
    label, left, right = rows[0].split()
    # The camera keeps looping the clip: the set may end during the next pass's rep, which the
    # end of the set then counts too. Never a left rep; the saved set has what the page said.
    assert (label, left) == ("Reps", "0") and int(right) >= 1, rows
    _shot(tab, "02-saved")
    tab.click("#saved-link")
    tab.wait_for_url(re.compile(r"/sessions/\d+$"))
    legs = tab.locator("tr.rep td.leg > span").all_inner_texts()
    assert legs == ["right"] * int(right), legs
    assert tab.locator("figure.plot.holds svg").count() == 1
    assert tab.locator("figure.plot.angles svg").count() == 1
    _shot(tab, "03-session")
