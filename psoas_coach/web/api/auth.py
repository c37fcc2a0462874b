"""``/api/auth``: sign up, log in, log out, change the password, who am I.

Sign-up and login have no login yet to take a CSRF token from: they need the custom header
``X-Requested-With`` instead, which a cross-site form cannot send.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response

from psoas_coach.web import services, views
from psoas_coach.web.deps import (
    LoginDep,
    SessionDep,
    SettingsDep,
    SignupLimitDep,
    ThrottleDep,
    client_address,
)
from psoas_coach.web.forms import LoginIn, PasswordChangeIn, SignupIn
from psoas_coach.web.schemas import MeOut, SignupOut

router = APIRouter(prefix="/auth", tags=["accounts"])


def require_custom_header(
    x_requested_with: Annotated[str, Header(min_length=1)],
) -> None:
    """Demand ``X-Requested-With`` (any value): proof the request is not a cross-site form."""


CustomHeader = Depends(require_custom_header)


@router.post(
    "/signup",
    response_model=SignupOut,
    status_code=202,
    dependencies=[CustomHeader],
    responses={429: {"description": "too many sign-ups from this address; see Retry-After"}},
)
def signup(data: SignupIn, request: Request, db: SessionDep, limit: SignupLimitDep) -> SignupOut:
    """Create a coach account unless the e-mail has one; then log in with ``/login``. The
    answer is the same either way, and nobody is logged in."""
    services.signup(db, data, limit, client_address(request))
    return SignupOut(message=services.SIGNUP_MESSAGE)


@router.post(
    "/login",
    response_model=MeOut,
    dependencies=[CustomHeader],
    responses={
        401: {"description": "wrong e-mail or password"},
        429: {"description": "too many failed logins; see Retry-After"},
    },
)
def login(
    data: LoginIn,
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    throttle: ThrottleDep,
    response: Response,
) -> MeOut:
    """Log in; sets the session cookie. 401 for a wrong e-mail or password; 429 (with
    ``Retry-After``) after too many wrong passwords for the address or from the client."""
    coach = services.authenticate(db, data, throttle, client_address(request))
    return views.me_out(services.start_login(db, coach, response, settings))


@router.post("/logout", status_code=204)
def logout(login: LoginDep, db: SessionDep, response: Response) -> None:
    """End this login."""
    services.end_login(db, login, response)


@router.post(
    "/password",
    status_code=204,
    responses={
        403: {"description": "wrong current password"},
        429: {"description": "too many wrong passwords; see Retry-After"},
    },
)
def change_password(
    data: PasswordChangeIn,
    login: LoginDep,
    request: Request,
    db: SessionDep,
    throttle: ThrottleDep,
) -> None:
    """Change the logged-in coach's password (the current one is required); every other
    login of the coach ends, this one stays."""
    services.change_password(db, login, data, throttle, client_address(request))


@router.get("/me", response_model=MeOut)
def me(login: LoginDep) -> MeOut:
    """The logged-in coach and the CSRF token for state-changing requests."""
    return views.me_out(login)
