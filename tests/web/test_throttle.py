"""Failed-login throttling: the counting rules with a hand-moved clock, then the API and the
login page of a served dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from psoas_coach.cli.serve import server_config
from psoas_coach.web.app import create_app
from psoas_coach.web.settings import Settings
from psoas_coach.web.throttle import (
    ACCOUNT_FACTOR,
    CLIENT_FACTOR,
    LoginThrottle,
    SignupLimit,
    retry_message,
)
from tests.serving import serve_app
from tests.web.helpers import Api, csrf_of


class Clock:
    """A clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_lock_an_account_from_that_address_until_the_oldest_leaves_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(max_failures=3, window_s=60.0, clock=clock)
    for _ in range(2):
        throttle.failed("Ana@Example.org", "10.0.0.1")
        clock.now += 10.0
    assert throttle.retry_after_s("ana@example.org", "10.0.0.1") == 0.0
    throttle.failed(" ANA@example.org", "10.0.0.1")  # same account, other spelling
    assert throttle.retry_after_s("ana@example.org", "10.0.0.1") == pytest.approx(40.0)
    assert throttle.retry_after_s("ana@example.org", "10.0.0.2") == 0.0  # the owner at home
    assert throttle.retry_after_s("bea@example.org", "10.0.0.1") == 0.0  # a colleague
    clock.now += 40.0  # the first failure leaves the window
    assert throttle.retry_after_s("ana@example.org", "10.0.0.1") == 0.0


#: Who tries which account from where: (account, address, failures); then who is locked out.
SHARED_ADDRESS_CASES = [
    # one guesser at the club, one account: only that account from the club is locked
    ([("ana", "club", 5)], {("ana", "club"): True, ("bea", "club"): False, ("ana", "home"): False}),
    # mistakes on several accounts from the club stay under the address's ceiling
    (
        [(f"c{i}", "club", 4) for i in range(10)],
        {("ana", "club"): False, ("c0", "club"): False, ("c0", "home"): False},
    ),
    # someone trying many accounts from one address: the address is locked
    (
        [(f"c{i}", "club", 5) for i in range(CLIENT_FACTOR)],
        {("ana", "club"): True, ("ana", "home"): False},
    ),
    # guessing one account from many addresses: the account is locked everywhere
    (
        [("ana", f"bot{i}", 5) for i in range(ACCOUNT_FACTOR)],
        {("ana", "home"): True, ("bea", "bot0"): False},
    ),
]


@pytest.mark.parametrize(("failures", "locked"), SHARED_ADDRESS_CASES)
def test_a_shared_address_is_locked_only_by_guessing_at_many_accounts(
    failures: list[tuple[str, str, int]], locked: dict[tuple[str, str], bool]
) -> None:
    throttle = LoginThrottle(max_failures=5, window_s=900.0, clock=Clock())
    for account, address, count in failures:
        for _ in range(count):
            if throttle.retry_after_s(f"{account}@x.org", address) == 0.0:  # as the login does
                throttle.failed(f"{account}@x.org", address)
    found = {
        (account, address): throttle.retry_after_s(f"{account}@x.org", address) > 0.0
        for account, address in locked
    }
    assert found == locked


def test_success_clears_the_account_but_not_the_client() -> None:
    clock = Clock()
    throttle = LoginThrottle(max_failures=2, window_s=60.0, clock=clock)
    throttle.failed("ana@example.org", "10.0.0.1")
    throttle.succeeded("ana@example.org", "10.0.0.1")
    throttle.failed("ana@example.org", "10.0.0.1")
    assert throttle.retry_after_s("ana@example.org", "10.0.0.1") == 0.0
    for i in range(2 * CLIENT_FACTOR - 2):
        throttle.failed(f"user{i}@example.org", "10.0.0.1")
    assert throttle.retry_after_s("new@example.org", "10.0.0.1") > 0.0
    assert throttle.retry_after_s("new@example.org", "10.0.0.9") == 0.0


def test_rejects_nonsense_limits_and_words_the_wait() -> None:
    with pytest.raises(ValueError, match="max_failures"):
        LoginThrottle(max_failures=0, window_s=60.0)
    assert retry_message(30.0) == "too many failed logins: try again in 1 minute"
    assert retry_message(61.0) == "too many failed logins: try again in 2 minutes"


def test_signups_are_limited_per_address_until_the_oldest_leaves_the_window() -> None:
    clock = Clock()
    limit = SignupLimit(max_per_window=2, window_s=3600.0, clock=clock)
    assert [limit.attempt("10.0.0.1") for _ in range(2)] == [0.0, 0.0]
    clock.now += 600.0
    assert limit.attempt("10.0.0.1") == pytest.approx(3000.0)  # refused, not counted
    assert limit.attempt("10.0.0.2") == 0.0  # another address
    clock.now += 3000.0
    assert limit.attempt("10.0.0.1") == 0.0
    unlimited = SignupLimit(max_per_window=0, window_s=3600.0, clock=clock)
    assert all(unlimited.attempt("10.0.0.1") == 0.0 for _ in range(100))
    with pytest.raises(ValueError, match="max_per_window"):
        SignupLimit(max_per_window=-1, window_s=60.0)


def test_signup_api_and_page_refuse_bulk_signups_from_one_address(tmp_path: Path) -> None:
    """Known and new e-mails count alike (the answer must not tell them apart); the page
    says when to come back."""
    settings = Settings(data_dir=tmp_path, signups_per_hour=3)
    app = create_app(settings)
    config = server_config(app, settings, host="127.0.0.1", port=0)
    headers = {"X-Requested-With": "pytest"}
    with serve_app(app, config=config) as url, httpx.Client(base_url=url) as client:
        statuses = [
            client.post(
                "/api/auth/signup",
                json={"email": email, "name": "Coach", "password": "correct horse"},
                headers=headers,
            ).status_code
            for email in ("a@example.org", "a@example.org", "b@example.org", "c@example.org")
        ]
        token = csrf_of(client.get("/signup").text)
        form = {"email": "d@example.org", "name": "D", "password": "correct horse"}
        page = client.post("/signup", data={**form, "csrf_token": token})
        login = client.post(
            "/api/auth/login",
            json={"email": "c@example.org", "password": "correct horse"},
            headers=headers,
        )
    assert statuses == [202, 202, 202, 429]
    assert page.status_code == 429 and 3000 <= int(page.headers["Retry-After"]) <= 3600
    assert "Too many sign-ups from this address: try again in 60 minutes." in page.text
    assert login.status_code == 401  # the refused sign-up made no account


@pytest.fixture(scope="module")
def backend() -> str:
    """The counts live in memory, so one database back-end is enough."""
    return "sqlite"


@pytest.fixture(scope="module")
def server_options() -> dict[str, Any]:
    """Three wrong passwords lock an address out."""
    return {"login_max_failures": 3, "login_window_min": 10.0}


def test_api_refuses_logins_after_too_many_failures(server: str) -> None:
    owner = Api(server)
    owner.signup("locked@example.org")
    guesser = Api(server)
    for _ in range(3):
        assert guesser.login("locked@example.org", "guess").status_code == 401
    refused = guesser.login("locked@example.org")  # the right password, too late
    assert refused.status_code == 429
    assert refused.json()["detail"] == "too many failed logins: try again in 10 minutes"
    assert 590 <= int(refused.headers["Retry-After"]) <= 600
    other = Api(server)
    other.signup("free@example.org")
    assert other.login("free@example.org").status_code == 200
    for api in (owner, guesser, other):
        api.close()


def test_guessing_from_a_shared_address_leaves_the_other_coaches_in(server: str) -> None:
    """Every client of the test comes from 127.0.0.1, like the coaches of a club behind one
    address: wrong passwords at four accounts (twelve failures) lock those accounts out
    from here, not the address."""
    club, guesser = Api(server), Api(server)
    club.signup("club-coach@example.org")
    for i in range(4):
        colleague = Api(server)
        colleague.signup(f"club-{i}@example.org")
        colleague.close()
        for _ in range(3):
            assert guesser.login(f"club-{i}@example.org", "guess").status_code == 401
        assert guesser.login(f"club-{i}@example.org").status_code == 429
    assert club.login("club-coach@example.org").status_code == 200
    club.close()
    guesser.close()


def test_login_page_shows_the_lockout(server: str) -> None:
    owner = Api(server)
    owner.signup("paged@example.org")
    owner.close()
    with httpx.Client(base_url=server) as browser:
        token = csrf_of(browser.get("/login").text)
        form = {"email": "paged@example.org", "password": "nope", "csrf_token": token}
        for _ in range(3):
            assert browser.post("/login", data=form).status_code == 401
        locked = browser.post("/login", data={**form, "password": "correct horse"})
    assert locked.status_code == 429 and "Retry-After" in locked.headers
    assert "Too many failed logins: try again in 10 minutes." in locked.text


@pytest.mark.parametrize(("trusted", "locked"), [("", True), ("127.0.0.1", False)])
def test_forwarded_for_is_believed_only_from_trusted_proxies(
    tmp_path: Path, trusted: str, locked: bool
) -> None:
    """``psoas serve``'s own server configuration: a client varying ``X-Forwarded-For`` is
    still one client unless its address is a configured proxy."""
    settings = Settings(data_dir=tmp_path, login_max_failures=1, trusted_proxies=trusted)
    app = create_app(settings)
    config = server_config(app, settings, host="127.0.0.1", port=0)
    with serve_app(app, config=config) as url, httpx.Client(base_url=url) as client:
        statuses = [
            client.post(
                "/api/auth/login",
                json={"email": f"guess{i}@example.org", "password": "guess"},
                headers={"X-Requested-With": "pytest", "X-Forwarded-For": f"203.0.113.{i}"},
            ).status_code
            for i in range(CLIENT_FACTOR + 1)
        ]
    assert statuses[:CLIENT_FACTOR] == [401] * CLIENT_FACTOR
    assert statuses[-1] == (429 if locked else 401)
