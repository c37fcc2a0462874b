"""The pages in a real headless Chromium (Debian's ``chromium``, driven by Playwright): a coach
signs up, creates a team and an athlete, uploads a real video (the real MediaPipe analysis
runs), watches the job finish, sees reps, plots and the annotated video, reviews a fault of a
keypoint recording, and follows the athlete's trends. Screenshots of every page go to
``test-artifacts/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from psoas_coach.web.settings import Settings
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, collect_errors
from tests.web.helpers import serve, synthetic_csv

JOB_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard on a SQLite file, as ``psoas serve`` runs it."""
    folder = tmp_path_factory.mktemp("browser")
    with serve(Settings(data_dir=folder / "data")) as (url, _app):
        yield url


@pytest.fixture(scope="module")
def page(site: str) -> Iterator[Any]:
    """A Chromium page; fails on any console error or uncaught script error."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} missing: run scripts/services.sh (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        collect_errors(page, errors)
        yield page
        browser.close()
    assert errors == [], errors


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot as a test artefact."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def wait_for_analyses(page: Any) -> None:
    """Wait until every recording on the session page is analysed or failed (the page polls
    the job state and reloads itself)."""
    page.wait_for_function(
        "() => { const s = document.getElementById('recordings');"
        " return s && s.dataset.active === 'no'"
        " && !document.querySelector('.job .badge[data-status=queued],"
        " .job .badge[data-status=running]'); }",
        timeout=JOB_TIMEOUT_MS,
    )


def upload(page: Any, path: Path) -> None:
    """Upload one file on the session page."""
    page.set_input_files("form.upload input[type=file]", str(path))
    page.click("form.upload button[type=submit]")
    page.wait_for_selector(".notice")


def test_a_coachs_first_session(
    page: Any, real_video: Path, march_csv: Path, tmp_path: Path
) -> None:
    sign_up_and_create_athlete(page)
    athlete_url = page.url
    new_session(page, "2026-01-05", band="red")
    upload(page, real_video)
    assert page.locator(".job .badge").first.inner_text() in ("queued", "analysing")
    shot(page, "03-session-analysing")
    wait_for_analyses(page)
    recording = page.locator("article.recording").first
    assert recording.locator(".badge[data-status=done]").count() == 1
    assert recording.locator("figure.angles svg").count() == 1
    assert recording.locator("h3", has_text="Repetitions").count() == 1
    video_plays(page, recording.locator("video"))

    upload(page, march_csv)
    wait_for_analyses(page)
    review_a_fault(page)
    shot(page, "04-session-report")

    page.goto(athlete_url)
    new_session(page, "2026-01-12", band="green", rpe="7")
    upload(page, synthetic_csv(tmp_path / "week2.csv.gz", seed=22, n_reps=4, fault_rate=0.1))
    wait_for_analyses(page)
    page.goto(athlete_url)
    for chart in ("hold", "extension", "faults", "asymmetry"):
        assert page.locator(f"#trend-{chart}").count() == 1
    assert page.locator("#trend-hold circle").count() >= 4  # 2 sessions x 2 legs
    shot(page, "05-athlete-trends")

    page.click(".crumbs a:nth-child(2)")
    page.wait_for_url(re.compile(r"/teams/\d+$"))
    row = page.locator("table.roster tbody tr", has_text="Léa Martin")
    assert "2026-01-12" in row.inner_text()
    shot(page, "06-roster")
    log_out_and_in(page)


def sign_up_and_create_athlete(page: Any) -> None:
    """Sign up, create a team and an athlete; ends on the athlete's page."""
    page.goto("/signup")
    shot(page, "01-signup")
    page.fill("input[name=name]", "Coach Ana Ñúñez")
    page.fill("input[name=email]", "ana@example.org")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/login\?notice=signed-up$"))
    page.fill("input[name=email]", "ana@example.org")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/teams$"))
    shot(page, "02-teams-empty")
    page.fill("input[name=name]", "U18 Sprint")
    page.click("text=Create team")
    page.wait_for_url(re.compile(r"/teams/\d+$"))
    page.fill("#new-athlete input[name=name]", "Léa Martin")
    page.fill("#new-athlete input[name=birth_year]", "2001")
    page.select_option("#new-athlete select[name=dominant_side]", "left")
    page.click("#new-athlete button[type=submit]")
    page.wait_for_url(re.compile(r"/athletes/\d+$"))


def log_out_and_in(page: Any) -> None:
    """Log out, then log in again from the login page."""
    page.click("text=Log out")
    page.wait_for_url(re.compile(r"/login$"))
    shot(page, "07-login")
    page.fill("input[name=email]", "ana@example.org")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/teams$"))
    assert page.locator(".tile", has_text="U18 Sprint").count() == 1


def new_session(page: Any, date: str, *, band: str, rpe: str = "6") -> None:
    """Create a session from the athlete page; ends on the session page."""
    page.fill("#new-session input[name=date]", date)
    page.fill("#new-session input[name=band]", band)
    page.fill("#new-session input[name=sets]", "3")
    page.fill("#new-session input[name=reps]", "8")
    page.fill("#new-session input[name=hold_s]", "3")
    page.fill("#new-session input[name=rpe]", rpe)
    page.click("#new-session button[type=submit]")
    page.wait_for_url(re.compile(r"/sessions/\d+"))


def video_plays(page: Any, video: Any) -> None:
    """The annotated video loads in the <video> element (served with range requests)."""
    assert video.count() == 1 and video.get_attribute("src").startswith("/api/results/")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        "v => v.readyState >= 2 && v.currentTime > 0", arg=video.element_handle(), timeout=20_000
    )
    video.evaluate("v => v.pause()")


def review_a_fault(page: Any) -> None:
    """Override the faults of the first rep that has any, with a comment."""
    row = page.locator("tr.rep", has=page.locator("td.auto .badge.fault")).first
    automatic = row.locator("td.auto").inner_text()
    row.locator("details.review-edit summary").click()
    row.locator("input[name=verdict][value=overridden]").check()
    checked = row.locator(".fault-choices input:checked")
    while checked.count():
        checked.first.uncheck()
    row.locator(".fault-choices input[value=back_lift]").check()
    row.locator("textarea[name=comment]").fill("Back stayed flat on video; lift was tracking noise")
    row.locator("button", has_text="Save review").click()
    page.wait_for_selector(".notice")
    row = page.locator("tr.rep:target")
    review = row.locator(".review-result")
    assert "overridden" in review.inner_text() and "back lifts off the floor" in review.inner_text()
    assert "tracking noise" in review.inner_text()
    assert row.locator("td.auto").inner_text() == automatic  # automatic result unchanged
