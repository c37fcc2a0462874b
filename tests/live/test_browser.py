"""The live page in a real headless Chromium (Debian's ``chromium``, driven by Playwright) with
a fake camera playing a real video (a y4m file made here): the page connects, draws the
overlay on its canvas, receives events, and ends the set with its summary. Screenshots go to
``test-artifacts/``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from psoas_coach.live.events import RepFinished
from psoas_coach.live.server import create_app
from psoas_coach.reps.types import Rep
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, collect_errors
from tests.live.conftest import real_frames
from tests.serving import serve_app

FAKE_CAMERA_ARGS = [
    *CHROMIUM_ARGS,
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
FPS = 15


def write_y4m(path: Path, frames: list[npt.NDArray[np.uint8]], fps: int) -> Path:
    """Raw 4:2:0 video in the YUV4MPEG2 format Chromium's fake camera plays (and loops)."""
    import cv2

    height, width = frames[0].shape[:2]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in frames:
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


@pytest.fixture(scope="module")
def fake_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three seconds of a real person lying supine, 320x240 at 15 fps."""
    frames = real_frames("glute_bridge.mp4", 3.0, 320)[::2]
    return write_y4m(tmp_path_factory.mktemp("camera") / "bridge.y4m", frames, FPS)


@pytest.fixture(scope="module")
def page(fake_camera: Path) -> Iterator[Any]:
    """The live page open in Chromium; fails on any console error or uncaught script error."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} missing: run scripts/services.sh (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    args = [*FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={fake_camera}"]
    with serve_app(create_app()) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        context = browser.new_context(viewport={"width": 1100, "height": 1100})
        tab = context.new_page()
        collect_errors(tab, errors)
        tab.goto(url + "/live/?pose=server")  # pose in the browser: test_browser_pose.py
        yield tab
        browser.close()
    assert errors == [], errors


def _data(page: Any, name: str) -> int:
    return int(page.locator("#live").get_attribute(f"data-{name}"))


def side_coloured_pixels(page: Any) -> int:
    """Pixels of the canvas in the left/right skeleton colours (the overlay is drawn)."""
    return int(
        page.evaluate(
            """() => { const c = document.getElementById('overlay');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4) {
              const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
              if ((r < 20 && Math.abs(g - 114) < 20 && Math.abs(b - 178) < 20) ||
                  (Math.abs(r - 213) < 20 && Math.abs(g - 94) < 20 && b < 20)) n += 1;
            }
            return n; }"""
        )
    )


def test_the_page_coaches_from_the_fake_camera(page: Any) -> None:
    page.click("#start")
    page.wait_for_selector("#live[data-state=ready]", timeout=30_000)
    page.wait_for_function(
        "() => Number(document.getElementById('live').dataset.frames) >= 20", timeout=60_000
    )
    assert _data(page, "drawn") >= 10  # skeleton limbs drawn from the server's landmarks
    assert _data(page, "events") >= 2  # setup state and its cue
    assert side_coloured_pixels(page) > 200
    assert "Bring both legs to 90/90" in page.locator("#events").inner_text()
    page.screenshot(path=str(ARTIFACTS / "live-01-coaching.png"), full_page=True)


def test_ending_the_set_shows_the_summary(page: Any) -> None:
    page.click("#mute")
    assert page.get_attribute("#mute", "aria-pressed") == "true"
    page.click("#end")
    page.wait_for_selector("#summary:not([hidden])", timeout=30_000)
    rows = page.locator("#summary-rows tr").all_inner_texts()
    assert rows[0].split() == ["Reps", "0", "0"]
    assert page.locator("#live").get_attribute("data-state") == "ended"
    page.wait_for_timeout(200)  # a few animation frames
    assert _data(page, "drawn") == 0  # the overlay stopped with the set
    assert side_coloured_pixels(page) < 20
    page.screenshot(path=str(ARTIFACTS / "live-02-summary.png"), full_page=True)
    page.click("#start")  # a new set goes on from the same camera
    frames = _data(page, "frames")
    page.wait_for_function(
        f"() => Number(document.getElementById('live').dataset.frames) > {frames + 5}",
        timeout=60_000,
    )


def test_a_dropped_connection_resumes_the_set(page: Any) -> None:
    """The connection drops (closed under the page by a WebSocket route): the page reconnects
    with ``?resume=TOKEN`` and the server continues the same set. Needs the server side of
    resuming (issue 11, server branch)."""
    routes: list[Any] = []

    def forward(route: Any) -> None:
        route.connect_to_server()
        routes.append(route)

    tab = page.context.new_page()
    tab.route_web_socket("**/ws*", forward)
    tab.goto(page.url)
    tab.click("#start")
    tab.wait_for_function(
        "() => Number(document.getElementById('live').dataset.frames) >= 3", timeout=60_000
    )
    routes[0].close(code=4000, reason="test: the network dropped")
    tab.wait_for_function(
        "() => document.getElementById('events').innerText.includes('Reconnected')",
        timeout=30_000,
    )
    frames = _data(tab, "frames")
    tab.wait_for_function(
        f"() => Number(document.getElementById('live').dataset.frames) > {frames + 2}",
        timeout=60_000,
    )
    log = tab.locator("#events").inner_text()
    tab.close()
    assert [("?resume=" in r.url) for r in routes] == [False, True]
    assert "Reconnected: the set goes on" in log


#: A rep whose hold and extension could not be measured (``None`` with the reasons), as the
#: server sends it (``RepFinished.to_dict``, the report's ``reps``).
UNMEASURED_REP = Rep(
    index=1,
    side="right",
    start_s=1.0,
    peak_s=2.0,
    end_s=3.0,
    extension_s=None,
    hold_s=None,
    knee_angle_peak_deg=None,
    hip_angle_peak_deg=None,
    not_measured={"hold_s": "knee not seen", "extension_s": "knee not seen"},
)


def _with_unmeasured_rep(text: str | bytes, sent: list[str]) -> str | bytes:
    """A server message with the unmeasured rep added: to the first frame's events as a
    ``rep_finished`` and to the report's reps; ``sent`` records what was added."""
    if isinstance(text, bytes):
        return text
    message = json.loads(text)
    if message["type"] == "frame" and "rep_finished" not in sent:
        finished = RepFinished(message["time_s"], UNMEASURED_REP, {"left": 0, "right": 1})
        message["events"].append(finished.to_dict())
        sent.append("rep_finished")
    elif message["type"] == "report":
        message["report"]["reps"].append(UNMEASURED_REP.to_dict())
        sent.append("report")
    return json.dumps(message)


def test_a_rep_without_hold_or_extension_is_shown_with_dashes(page: Any) -> None:
    """Hold and extension are ``null`` when they could not be measured: the event log and the
    set's rep list show "–" for them (the real server's messages, one rep added on the way)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    errors: list[str] = []
    added: list[str] = []

    def inject(route: Any) -> None:
        server = route.connect_to_server()
        server.on_message(lambda text: route.send(_with_unmeasured_rep(text, added)))

    tab = page.context.new_page()
    collect_errors(tab, errors)
    tab.route_web_socket("**/ws*", inject)
    tab.goto(page.url)
    tab.click("#start")
    try:
        tab.wait_for_function(
            "() => Number(document.getElementById('live').dataset.frames) >= 3", timeout=60_000
        )
    except PlaywrightTimeoutError:
        pytest.fail(f"the page stopped at the rep without hold or extension: {errors}")
    log = tab.locator("#events").inner_text()
    tab.click("#end")
    tab.wait_for_selector("#summary:not([hidden])", timeout=30_000)
    reps = tab.locator("#rep-list li").all_inner_texts()
    tab.close()
    assert added == ["rep_finished", "report"]
    assert errors == [], errors
    assert "Rep 1 right: hold –" in log, log
    assert reps == ["right: hold –, extension –"], reps
