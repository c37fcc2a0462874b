"""Accounts from the outside: sign-up tells nobody whether an e-mail has an account, and a
coach changes their password (the current one required; their other logins end)."""

from __future__ import annotations

import statistics
import time
import uuid
from typing import Any

import httpx

from tests.web.helpers import Api, csrf_of

HEADERS = {"X-Requested-With": "pytest"}


def _email() -> str:
    return f"acct-{uuid.uuid4().hex[:10]}@example.org"


def _signup(server: str, email: str, password: str = "correct horse") -> httpx.Response:
    body = {"email": email, "name": "Someone", "password": password}
    return httpx.post(f"{server}/api/auth/signup", json=body, headers=HEADERS)


def _timed_signup(server: str, email: str) -> float:
    start = time.perf_counter()
    assert _signup(server, email, "another password").status_code == 202
    return time.perf_counter() - start


def test_signup_answers_a_taken_email_like_a_new_one(server: str, api: Api) -> None:
    taken = api.coach["email"]
    new, again = _signup(server, _email()), _signup(server, taken, "not the password")
    assert (again.status_code, again.json()) == (new.status_code, new.json()) == (202, new.json())
    assert set(new.json()) == {"message"}
    assert "psoas_session" not in again.cookies and "psoas_session" not in new.cookies
    assert api.login(taken, "not the password").status_code == 401
    assert api.login(taken).status_code == 200  # the owner's password is unchanged
    assert api.ok("GET", "/api/auth/me")["coach"]["name"] == "Coach"


def test_signup_of_a_taken_email_takes_as_long_as_a_new_one(server: str, api: Api) -> None:
    """The password is hashed either way: argon2 dominates both answers."""
    taken = api.coach["email"]
    new_s = statistics.median(_timed_signup(server, _email()) for _ in range(5))
    taken_s = statistics.median(_timed_signup(server, taken) for _ in range(5))
    assert taken_s > 0.5 * new_s, (taken_s, new_s)


def test_signup_page_answers_a_taken_email_like_a_new_one(server: str, api: Api) -> None:
    answers = []
    for email in (_email(), api.coach["email"]):
        with httpx.Client(base_url=server) as browser:
            token = csrf_of(browser.get("/signup").text)
            form = {"name": "X", "email": email, "password": "long enough", "csrf_token": token}
            answer = browser.post("/signup", data=form)
            assert "psoas_session" not in browser.cookies
            page = browser.get(answer.headers["location"])
            answers.append((answer.status_code, answer.headers["location"], page.status_code))
            assert "Sign-up received: log in" in page.text
    assert answers[0] == answers[1] == (303, "/login?notice=signed-up", 200)


def _password(api: Api, current: str, new: str) -> httpx.Response:
    body = {"current_password": current, "new_password": new}
    return api.request("POST", "/api/auth/password", json=body)


def test_password_change_needs_the_current_one_and_ends_other_logins(server: str) -> None:
    email = _email()
    here, elsewhere = Api(server), Api(server)
    here.signup(email)
    assert elsewhere.login(email).status_code == 200
    refusals = [
        (_password(here, "wrong password", "brand new pw"), 403),
        (_password(here, "correct horse", "short"), 422),
        (here.http.post("/api/auth/password", json={}), 403),  # no CSRF token
    ]
    for response, status in refusals:
        assert response.status_code == status, response.text
    assert elsewhere.request("GET", "/api/auth/me").status_code == 200
    assert _password(here, "correct horse", "brand new pw").status_code == 204
    assert here.request("GET", "/api/auth/me").status_code == 200
    assert elsewhere.request("GET", "/api/auth/me").status_code == 401
    assert elsewhere.login(email).status_code == 401
    assert elsewhere.login(email, "brand new pw").status_code == 200
    here.close()
    elsewhere.close()


def test_account_page_changes_the_password(server: str, api: Api) -> None:
    page = api.http.get("/account")
    assert page.status_code == 200 and api.coach["email"] in page.text
    form: dict[str, Any] = {"csrf_token": csrf_of(page.text), "new_password": "new password 1"}
    wrong = api.http.post("/account/password", data={**form, "current_password": "nope"})
    assert wrong.status_code == 403 and "The current password is wrong." in wrong.text
    right = api.http.post("/account/password", data={**form, "current_password": "correct horse"})
    assert (
        right.status_code == 303 and right.headers["location"] == "/account?notice=password-changed"
    )
    assert "Password changed" in api.http.get(right.headers["location"]).text
    assert api.login(api.coach["email"], "new password 1").status_code == 200
