"""The dashboard as a coach uses it, in Debian's Chromium at a phone's width (390 px) and a
desktop's (1366 px): no page is wider than the window, refused uploads stay on the session page
with the way forward, the newest upload shows first with a session summary and failed
recordings folded, the roster shows consent, settings are named choices with an advanced
section, and the session report prints to an A4 PDF with the athlete's name, in the team's
cue language. Screenshots: ``test-artifacts/coach-<page>-<width>.png``."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from psoas_coach.faults.words import translate
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.web.helpers import Api, csrf_of
from tests.web.test_youth import YOUTH_YEAR

EMAIL, PASSWORD = "phone.coach@example.org", "correct horse"
WIDTHS = {"phone": 390, "tablet": 820, "desktop": 1366}
#: Looks like an MP4 to the upload check (an ``ftyp`` box), fails the analysis.
BROKEN_MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(range(256)) * 40


@pytest.fixture(scope="module")
def backend() -> str:
    """Pages are the app's; the crud tests cover both databases."""
    return "sqlite"


@dataclass(frozen=True)
class Squad:
    """What the pages show: a team, an adult with an analysed session, a youth without consent."""

    api: Api
    team: dict[str, Any]
    adult: dict[str, Any]
    youth: dict[str, Any]
    session_id: int
    youth_session_id: int


@pytest.fixture(scope="module")
def squad(server: str, march_csv: Path) -> Iterator[Squad]:
    """A coach's team with one analysed session (a good keypoint CSV, then a broken video)."""
    api = Api(server)
    api.signup(EMAIL, name="Coach Phone", password=PASSWORD)
    team = api.team("Phone Squad")
    adult = api.athlete(team["id"], name="Mila Brandt")
    youth = api.athlete(team["id"], name="Junior Kim", birth_year=YOUTH_YEAR)
    session = api.session(adult["id"], date="2026-02-03", band="red", sets=3, reps=8)
    assert api.upload(session["id"], "march.csv.gz", march_csv.read_bytes()).status_code == 202
    assert api.upload(session["id"], "broken.mp4", BROKEN_MP4).status_code == 202
    api.wait(session["id"])
    youth_session = api.session(youth["id"], date="2026-02-03")
    yield Squad(api, team, adult, youth, session["id"], youth_session["id"])
    api.close()


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    """Debian's Chromium driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} missing: run scripts/services.sh (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def logged_in_page(browser: Any, server: str, width: int) -> Any:
    """A logged-in page in a new window ``width`` px wide (touch for the phone)."""
    phone = width < 600
    context = browser.new_context(
        base_url=server,
        viewport={"width": width, "height": 844 if phone else 900},
        is_mobile=phone,
        has_touch=phone,
    )
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/teams$"))
    return page


def assert_fits(page: Any, name: str, width: int) -> None:
    """No horizontal page overflow; a full-page screenshot for a person to look at. A phone
    zooms out to fit a page that is too wide (its ``innerWidth`` grows with it), so the
    window's set ``width`` is the bound too."""
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    page.screenshot(path=str(ARTIFACTS / f"coach-{name}-{width}.png"), full_page=True)
    assert scroll <= inner <= width, f"{name}: the page is {scroll} px wide in a {width} px window"


@pytest.mark.parametrize("width", WIDTHS.values(), ids=list(WIDTHS))
def test_every_page_fits_the_window(browser: Any, server: str, squad: Squad, width: int) -> None:
    visitor = browser.new_context(base_url=server, viewport={"width": width, "height": 844})
    before_login = visitor.new_page()
    for name in ("login", "signup"):
        before_login.goto(f"/{name}")
        assert_fits(before_login, name, width)
    visitor.close()
    page = logged_in_page(browser, server, width)
    pages = {
        "teams": "/teams",
        "team": f"/teams/{squad.team['id']}",
        "athlete": f"/athletes/{squad.adult['id']}",
        "session": f"/sessions/{squad.session_id}",
        "report": f"/sessions/{squad.session_id}/report",
        "account": "/account",
        "refused-live": f"/athletes/{squad.youth['id']}/live",
    }
    for name, url in pages.items():
        page.goto(url)
        assert_fits(page, name, width)
    page.goto(f"/sessions/{squad.session_id}")
    page.click("details.failed-rec > summary")  # the folded failure opens in place
    assert_fits(page, "session-failure-open", width)
    page.goto(f"/teams/{squad.team['id']}")
    page.click("details.advanced > summary")
    assert_fits(page, "team-advanced-settings", width)
    page.context.close()


def test_refused_uploads_stay_on_the_session_page(
    browser: Any, server: str, squad: Squad, tmp_path: Path
) -> None:
    page = logged_in_page(browser, server, WIDTHS["phone"])
    page.goto(f"/sessions/{squad.youth_session_id}")
    ok = tmp_path / "set.csv"
    ok.write_text("time_s\n0.0\n", encoding="utf-8")
    page.set_input_files("form.upload input[type=file]", str(ok))
    page.click("form.upload button[type=submit]")
    error = page.locator("#upload .upload-error")
    error.wait_for()
    assert "Junior Kim is under 18" in error.inner_text()
    assert page.locator(".crumbs a", has_text="Phone Squad").count() == 1  # navigation stays
    assert_fits(page, "upload-refused-consent", WIDTHS["phone"])
    error.locator("a", has_text="Record the guardian's consent").click()
    page.wait_for_url(re.compile(rf"/athletes/{squad.youth['id']}#details$"))

    page.goto(f"/sessions/{squad.session_id}")
    wrong = tmp_path / "notes.txt"
    wrong.write_text("not a video", encoding="utf-8")
    page.set_input_files("form.upload input[type=file]", str(wrong))
    page.click("form.upload button[type=submit]")
    page.locator("#upload .upload-error").wait_for()
    text = page.locator("#upload .upload-error").inner_text()
    assert "notes.txt: unsupported file type (accepted: mp4" in text and "csv.gz" in text
    assert page.locator("article.recording").count() == 2  # the analysed ones still show
    page.context.close()


def test_a_new_upload_shows_first_and_its_notice_goes_when_done(
    browser: Any, server: str, squad: Squad, short_csv: Path
) -> None:
    page = logged_in_page(browser, server, WIDTHS["desktop"])
    page.goto(f"/sessions/{squad.session_id}")
    assert page.locator("#summary .stat").count() == 4
    assert page.locator("article.recording").first.locator("details.failed-rec").count() == 1
    assert page.locator("details.failed-rec[open]").count() == 0  # failures come folded
    page.set_input_files("form.upload input[type=file]", str(short_csv))
    page.click("form.upload button[type=submit]")
    page.wait_for_selector(".notice")
    assert "short.csv.gz" in page.locator("article.recording .rec-name").first.inner_text()
    page.wait_for_function(
        "() => !document.querySelector('.notice')"
        " && document.getElementById('recordings').dataset.active === 'no'",
        timeout=120_000,
    )
    assert "notice=" not in page.url
    first = page.locator("article.recording").first
    assert first.locator(".badge[data-status=done]").count() == 1
    page.context.close()


def test_roster_shows_consent_and_flags_in_coach_words(squad: Squad) -> None:
    html = unescape(squad.api.http.get(f"/teams/{squad.team['id']}").text)
    youth_row = html[html.index("Junior Kim") :]
    assert "no consent: record it" in youth_row.split("</tr>")[0]
    assert f'href="/athletes/{squad.youth["id"]}#details"' in youth_row.split("</tr>")[0]
    for raw in ("smoothing hz", "outlier px per thigh", ">drift<", ">fast<", ">same side<"):
        assert raw not in html
    assert "Hold target" in html and "How strict about the back" in html
    assert "Jump treated as a glitch (thigh lengths)" in html  # advanced: label and unit


def test_named_choices_and_language_are_saved_and_used(squad: Squad) -> None:
    api, team_id = squad.api, squad.team["id"]
    token = csrf_of(api.http.get(f"/teams/{team_id}").text)
    form = {
        "csrf_token": token,
        "preset": "",
        "choice_hold": "3-5 s (strength)",
        "choice_back": "strict",
        "choice_tempo": "",
        "cfg_min_hold_s": "2.5",  # the named choice wins over the advanced field it sets
        "cfg_min_visibility": "0.3",
        "language": "de",
    }
    assert api.http.post(f"/teams/{team_id}/settings", data=form).status_code == 303
    team = api.ok("GET", f"/api/teams/{team_id}")["team"]
    assert team["language"] == "de"
    assert team["config_overrides"] == {
        "min_hold_s": 3.0,
        "max_hold_s": 5.0,
        "max_back_lift_thigh": 0.08,
        "min_visibility": 0.3,
    }
    page = unescape(api.http.get(f"/teams/{team_id}").text)
    assert '<option value="3-5 s (strength)" selected>' in page
    bad = api.http.post(f"/teams/{team_id}/settings", data={**form, "choice_back": "lax"})
    assert bad.status_code == 422 and "how strict about the back" in unescape(bad.text)
    report = unescape(api.http.get(f"/sessions/{squad.session_id}/report").text)
    detail = api.ok("GET", f"/api/sessions/{squad.session_id}")
    cues = {c for r in detail["recordings"] for c in _cues(api, r)}
    assert cues, "the synthetic session has faults"
    assert all(translate(c, "de") in report for c in cues)
    assert all(translate(c, "de") != c for c in cues)
    api.ok("PATCH", f"/api/teams/{team_id}", json={"language": "en"})


def _cues(api: Api, recording: dict[str, Any]) -> list[str]:
    """The cues of every rep of a recording's newest result (none without a result)."""
    if recording["result"] is None:
        return []
    detail = api.ok("GET", f"/api/results/{recording['result']['id']}")
    return [c for rep in detail["reps"] for c in rep["cues"]]


def test_session_report_prints_to_an_a4_pdf(squad: Squad) -> None:
    from pypdf import PdfReader

    detail = squad.api.ok("GET", f"/api/sessions/{squad.session_id}")
    (result_id,) = [
        r["result"]["id"] for r in detail["recordings"] if r["original_name"] == "march.csv.gz"
    ]
    review = {"verdict": "overridden", "faults": ["back_lift"], "comment": "Bracing improved"}
    squad.api.ok("PUT", f"/api/results/{result_id}/reps/1/override", json=review)
    response = squad.api.http.get(f"/sessions/{squad.session_id}/report.pdf", timeout=120)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="psoas-Mila-Brandt-2026-02-03.pdf"' in response.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    width_pt, height_pt = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width_pt), round(height_pt)) == (595, 842)  # A4 in points
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Mila Brandt" in text and "2026-02-03" in text and "Phone Squad" in text
    assert "Back to the session" not in text  # screen-only links stay off paper
    assert "Bracing improved" in text and "Coach Phone" in text  # the coach's review
    (ARTIFACTS / "coach-session-report.pdf").write_bytes(response.content)
    page = squad.api.http.get(f"/sessions/{squad.session_id}/report")
    (ARTIFACTS / "coach-session-report.html").write_text(page.text, encoding="utf-8")


def test_language_over_the_api(squad: Squad) -> None:
    api, team_id = squad.api, squad.team["id"]
    assert api.ok("PATCH", f"/api/teams/{team_id}", json={"language": "fr"})["language"] == "fr"
    kept = api.ok("PATCH", f"/api/teams/{team_id}", json={"language": None})
    assert kept["language"] == "fr"
    refused = api.request("PATCH", f"/api/teams/{team_id}", json={"language": "xx"})
    assert refused.status_code == 422
    api.ok("PATCH", f"/api/teams/{team_id}", json={"language": "en"})


def test_the_api_lists_faults_by_their_coach_names(squad: Squad) -> None:
    faults = {f["code"]: f["label"] for f in squad.api.ok("GET", "/api/faults")}
    assert faults["back_lift"] == "back lifts off the floor"
    assert faults["same_side_repeat"] == "didn't switch legs"
