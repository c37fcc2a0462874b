"""Sign-up, login, logout and account (password change) pages. Before login, the forms carry
a double-submit CSRF token (cookie and hidden field must match)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from psoas_coach.web import security, services
from psoas_coach.web.deps import (
    LoginDep,
    OptionalLoginDep,
    SessionDep,
    SettingsDep,
    SignupLimitDep,
    ThrottleDep,
    client_address,
)
from psoas_coach.web.errors import field_message
from psoas_coach.web.forms import LoginIn, PasswordChangeIn, SignupIn
from psoas_coach.web.pages.common import notice_of, redirect
from psoas_coach.web.templating import render, render_plain

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only paths of this site (``/teams``), never another host (``//evil``)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/teams"


def _form_page(
    request: Request, name: str, settings: SettingsDep, *, error: str = "", status: int = 200
) -> HTMLResponse:
    token = request.cookies.get(security.PRELOGIN_CSRF_COOKIE) or security.new_token()
    context = {
        "csrf_token": token,
        "error": error,
        "next": _safe_next(request.query_params.get("next")),
        "email": "",
        "notice": notice_of(request),
    }
    response = render_plain(request, name, context, status)
    response.set_cookie(
        security.PRELOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


def _error_page(
    request: Request, name: str, settings: SettingsDep, exc: HTTPException
) -> HTMLResponse:
    """The form page again, saying why (``exc.detail``) with its status and headers."""
    error = f"{exc.detail}.".capitalize()
    page = _form_page(request, name, settings, error=error, status=exc.status_code)
    page.headers.update(exc.headers or {})
    return page


def _check_prelogin_csrf(request: Request, token: str) -> None:
    if not security.same_token(request.cookies.get(security.PRELOGIN_CSRF_COOKIE), token):
        raise HTTPException(status_code=403, detail="the form expired: reload the page")


@router.get("/login")
def login_page(request: Request, login: OptionalLoginDep, settings: SettingsDep) -> Response:
    """The login form (straight to the teams when already logged in)."""
    if login is not None:
        return RedirectResponse("/teams", status_code=303)
    return _form_page(request, "login.html", settings)


@router.post("/login")
def login_submit(
    request: Request,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    db: SessionDep,
    settings: SettingsDep,
    throttle: ThrottleDep,
    next: Annotated[str, Form()] = "/teams",
) -> Response:
    """Check the credentials, log in and go on to ``next``."""
    _check_prelogin_csrf(request, csrf_token)
    try:
        credentials = LoginIn(email=email, password=password)
        coach = services.authenticate(db, credentials, throttle, client_address(request))
    except ValidationError:
        return _form_page(
            request, "login.html", settings, error="Wrong e-mail or password.", status=401
        )
    except HTTPException as exc:  # 401 wrong e-mail or password, 429 locked out
        return _error_page(request, "login.html", settings, exc)
    response = RedirectResponse(_safe_next(next), status_code=303)
    services.start_login(db, coach, response, settings)
    return response


@router.get("/signup")
def signup_page(request: Request, settings: SettingsDep) -> Response:
    """The sign-up form."""
    return _form_page(request, "signup.html", settings)


@router.post("/signup")
def signup_submit(
    request: Request,
    email: Annotated[str, Form()],
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    db: SessionDep,
    settings: SettingsDep,
    limit: SignupLimitDep,
) -> Response:
    """Create the account (unless the e-mail has one: the answer is the same) and go to the
    login page."""
    _check_prelogin_csrf(request, csrf_token)
    try:
        data = SignupIn(email=email, name=name, password=password)
        services.signup(db, data, limit, client_address(request))
    except ValidationError as err:
        message = "; ".join(field_message(dict(e)) for e in err.errors())
        return _form_page(request, "signup.html", settings, error=message, status=422)
    except HTTPException as exc:  # 429 too many sign-ups from this address
        return _error_page(request, "signup.html", settings, exc)
    return redirect("/login", "signed-up")


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, login: LoginDep) -> HTMLResponse:
    """The coach's account: change the password."""
    return _account_page(request, login)


def _account_page(
    request: Request, login: LoginDep, *, error: str = "", status: int = 200
) -> HTMLResponse:
    context = {"error": error, "notice": notice_of(request)}
    return render(request, "account.html", login, context, status)


@router.post("/account/password")
def change_password(
    request: Request,
    login: LoginDep,
    db: SessionDep,
    throttle: ThrottleDep,
    current_password: Annotated[str, Form()],
    new_password: Annotated[str, Form()],
) -> Response:
    """Change the password (the current one required); the coach's other logins end."""
    try:
        data = PasswordChangeIn(current_password=current_password, new_password=new_password)
        services.change_password(db, login, data, throttle, client_address(request))
    except ValidationError as err:
        message = "; ".join(field_message(dict(e)) for e in err.errors())
        return _account_page(request, login, error=message, status=422)
    except HTTPException as exc:  # 403 wrong current password, 429 locked out
        page = _account_page(
            request, login, error=f"{exc.detail}.".capitalize(), status=exc.status_code
        )
        page.headers.update(exc.headers or {})
        return page
    return redirect("/account", "password-changed")


@router.post("/logout")
def logout(login: LoginDep, db: SessionDep) -> Response:
    """Log out and go to the login page."""
    response = RedirectResponse("/login", status_code=303)
    services.end_login(db, login, response)
    return response
