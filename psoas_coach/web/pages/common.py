"""Helpers of the page routes: redirects with a notice, and the analysis-settings form."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from psoas_coach.web.choices import choice_overrides
from psoas_coach.web.forms import TeamUpdate
from psoas_coach.web.services import SIGNUP_MESSAGE
from psoas_coach.web.templating import config_fields

#: Messages shown after a form was handled, by the ``notice`` query parameter.
NOTICES = {
    "uploaded": "Upload received: the analysis runs in the background and this page updates.",
    "reanalyzing": "Analysis queued again with the current settings.",
    "cancelled": "Analysis cancelled: nothing of it was kept. Re-run the session to analyse again.",
    "already-ended": "That analysis had already ended.",
    "nothing-to-rerun": "Nothing to re-run: no recording with a file, or all are queued.",
    "saved": "Saved.",
    "review-saved": "Review saved. The automatic result is unchanged.",
    "side-saved": "Leg saved: the session figures and the athlete's trends follow it.",
    "invited": (
        "Invitation saved: the coach joins the team once they accept it, after logging in "
        "(or signing up with this e-mail)."
    ),
    "invitation-withdrawn": "Invitation withdrawn.",
    "joined": "You joined the team.",
    "declined": "Invitation declined.",
    "signed-up": SIGNUP_MESSAGE,
    "password-changed": "Password changed. Your other logins were ended.",
    "deleted": "Deleted, with all its files.",
}


def redirect(url: str, notice: str | None = None, anchor: str = "") -> RedirectResponse:
    """A 303 redirect to ``url`` with an optional notice key and ``#anchor``."""
    query = f"?notice={notice}" if notice else ""
    return RedirectResponse(f"{url}{query}{anchor}", status_code=303)


def notice_of(request: Request) -> str | None:
    """The notice text for this request's ``notice`` parameter."""
    return NOTICES.get(request.query_params.get("notice", ""))


async def settings_form(request: Request) -> dict[str, Any]:
    """Preset, named choices, threshold overrides and (teams) language from a settings form
    (``preset``, ``choice_<key>``, ``cfg_<name>``, ``language``), validated; 422 page
    otherwise. Empty fields are not overridden; a named choice wins over the advanced fields
    it sets (those show the previous values until saved)."""
    form = await request.form()
    texts = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
    overrides: dict[str, Any] = {}
    for f in config_fields():
        if texts.get(f"cfg_{f['name']}"):
            overrides[f["name"]] = texts[f"cfg_{f['name']}"]
    try:
        overrides.update(choice_overrides(texts))
    except ValueError as err:
        raise HTTPException(status_code=422, detail=str(err)) from None
    fields: dict[str, Any] = {"preset": texts.get("preset"), "config_overrides": overrides}
    if "language" in texts:
        fields["language"] = texts["language"]
    try:
        checked = TeamUpdate.model_validate(fields)
    except ValidationError as err:
        raise RequestValidationError(err.errors()) from None
    out: dict[str, Any] = {
        "preset": checked.preset,
        "config_overrides": checked.config_overrides or {},
    }
    if checked.language is not None:
        out["language"] = checked.language
    return out
