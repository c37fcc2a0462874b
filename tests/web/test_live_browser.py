"""The dashboard's live page as a coach uses it on a phone (390 px wide, real headless Chromium,
a fake camera playing a real video, pose on the server): the product's top bar with the trail
back to the athlete, the camera set-up picture, no sideways scrolling, coaching from the camera,
and after End set a clear link to the saved session, which opens in the athlete's history."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ViewportSize

from psoas_coach.web.settings import Settings
from tests.browser import ARTIFACTS, CHROMIUM, collect_errors
from tests.live.conftest import real_frames
from tests.live.test_browser import FAKE_CAMERA_ARGS, FPS, write_y4m
from tests.web.helpers import serve
from tests.web.test_browser import sign_up_and_create_athlete

PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def tab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A phone-sized Chromium tab on the dashboard, its camera a real supine video; fails on
    any console error or uncaught script error."""
    from playwright.sync_api import sync_playwright

    folder = tmp_path_factory.mktemp("live-browser")
    frames = real_frames("glute_bridge.mp4", 3.0, 320)[::2]
    camera = write_y4m(folder / "bridge.y4m", frames, FPS)
    args = [*FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={camera}"]
    errors: list[str] = []
    with serve(Settings(data_dir=folder / "data")) as (url, _app), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        context = browser.new_context(base_url=url, viewport=PHONE)
        page = context.new_page()
        collect_errors(page, errors)
        yield page
        browser.close()
    assert errors == [], errors


@pytest.fixture(scope="module")
def athlete_url(tab: Any) -> str:
    """The athlete page of a coach signed up in ``tab`` (once for the module's tests)."""
    sign_up_and_create_athlete(tab)
    url: str = tab.url
    return url


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"live-phone-{name}.png"), full_page=True)


def test_a_live_set_on_a_phone_ends_with_a_link_to_its_session(tab: Any, athlete_url: str) -> None:
    answer = tab.goto(athlete_url + "/live?pose=server")
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self' 'wasm-unsafe-eval';" in csp and "http" not in csp
    crumbs = tab.locator(".topbar .crumbs > *").all_inner_texts()
    assert [c.strip() for c in crumbs] == ["Teams", "U18 Sprint", "Léa Martin", "Live set"]
    assert tab.locator(".topbar .who .coach-name").inner_text() == "Coach Ana Ñúñez"
    assert tab.locator(".setup-picture").is_visible()
    assert tab.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    tab.click("#start")
    tab.wait_for_function(
        "() => Number(document.getElementById('live').dataset.frames) >= 5", timeout=90_000
    )
    assert "Pose runs on the server" in tab.locator("#pose-mode").inner_text()
    assert tab.locator("#live").get_attribute("data-lang") == "en"  # the speech's language
    _shot(tab, "01-coaching")
    tab.click("#end")
    tab.wait_for_selector("#saved-link", timeout=60_000)
    assert tab.locator("#saved").inner_text().startswith("Saved: open the session")
    assert tab.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(tab, "02-saved")
    tab.click("#saved-link")
    tab.wait_for_url(re.compile(r"/sessions/\d+$"))
    session_path = urlsplit(tab.url).path
    _shot(tab, "03-session")
    tab.goto(athlete_url)
    assert tab.locator(f"a[href='{session_path}']").count() >= 1  # in the athlete's history


def test_a_live_set_with_pose_in_the_browser_is_coached_and_saved(
    tab: Any, athlete_url: str
) -> None:
    """Keypoints only (``?pose=browser``): the server's answers draw the skeleton and the
    counts; the set is saved like any other."""
    tab.goto(athlete_url + "/live?pose=browser")
    tab.click("#start")
    tab.wait_for_selector("#live[data-pose-mode=browser]", timeout=120_000)
    tab.wait_for_function(
        "() => Number(document.getElementById('live').dataset.frames) >= 3", timeout=120_000
    )
    assert "Pose runs in this browser" in tab.locator("#pose-mode").inner_text()
    tab.wait_for_function(
        "() => Number(document.getElementById('live').dataset.drawn) >= 10", timeout=30_000
    )
    _shot(tab, "04-browser-pose")
    tab.click("#end")
    tab.wait_for_selector("#saved-link", timeout=60_000)
    tab.click("#saved-link")
    tab.wait_for_url(re.compile(r"/sessions/\d+$"))
    assert "live set" in tab.content()
