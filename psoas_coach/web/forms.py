"""Input schemas: the same models validate JSON bodies of the API and the pages' HTML forms.

Text may hold any Unicode except NUL and unpaired surrogates (neither can be stored as UTF-8 in
every database); form fields left empty mean "not given" for numbers, dates and choices.
Bounds of an optional number sit on the number inside ``... | None``: on the union, pydantic
would apply them to ``None`` too and fail with a TypeError (a server error) for ``null``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, field_validator

from psoas_coach.config import PRESETS, AnalysisConfig
from psoas_coach.exceptions import ConfigError
from psoas_coach.faults.base import fault_codes
from psoas_coach.web.security import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

#: Oldest birth year accepted.
MIN_BIRTH_YEAR = 1900


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _storable(text: str) -> str:
    if "\x00" in text:
        raise ValueError("text must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text is not valid Unicode (unpaired surrogate)") from None
    return text.strip()


Text = Annotated[str, AfterValidator(_storable)]
Optional = BeforeValidator(_blank_to_none)
Name = Annotated[Text, Field(min_length=1, max_length=200)]
Note = Annotated[Text, Field(max_length=10_000)]
Preset = Annotated[Literal["youth", "adult"] | None, Optional]
Side = Literal["left", "right", "unknown"]
#: A team's cue language (the codes of ``psoas_coach.faults.words.LANGUAGES``).
Language = Annotated[Literal["en", "de", "fr"] | None, Optional]


def _check_overrides(value: dict[str, float]) -> dict[str, float]:
    try:
        AnalysisConfig().updated(value, origin="settings")
    except ConfigError as err:
        raise ValueError(str(err)) from None
    return {k: float(v) for k, v in value.items()}


ConfigOverrides = Annotated[dict[str, float], AfterValidator(_check_overrides)]


def _email(value: str) -> str:
    local, _, domain = value.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in value):
        raise ValueError("enter an e-mail address like coach@example.org")
    return value.lower()


Email = Annotated[Text, Field(min_length=3, max_length=254), AfterValidator(_email)]
#: A new password: the sign-up rules (see :func:`psoas_coach.web.security.password_problem`).
NewPassword = Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)]


class SignupIn(BaseModel):
    """A new coach account."""

    email: Email
    name: Name
    password: NewPassword


class LoginIn(BaseModel):
    """E-mail and password."""

    email: Annotated[str, Field(max_length=254)]
    password: Annotated[str, Field(max_length=MAX_PASSWORD_LENGTH)]


class PasswordChangeIn(BaseModel):
    """The logged-in coach's current password and the new one."""

    current_password: Annotated[str, Field(max_length=MAX_PASSWORD_LENGTH)]
    new_password: NewPassword


class TeamIn(BaseModel):
    """A new team."""

    name: Name


class TeamUpdate(BaseModel):
    """Changes to a team; fields left out stay as they are."""

    name: Name | None = None
    preset: Preset = None
    config_overrides: ConfigOverrides | None = None
    language: Language = None


class MemberIn(BaseModel):
    """Invite a coach to a team by e-mail (with or without an account yet)."""

    email: Email


BirthYear = Annotated[
    Annotated[int, Field(ge=MIN_BIRTH_YEAR, le=dt.date.today().year)] | None, Optional
]


class AthleteIn(BaseModel):
    """A new athlete. ``keypoints_only`` left out: on for youth athletes."""

    name: Name
    birth_year: BirthYear = None
    dominant_side: Side = "unknown"
    notes: Note = ""
    guardian_consent: bool = False
    guardian_name: Annotated[Text, Field(max_length=200)] = ""
    keypoints_only: Annotated[bool | None, Optional] = None
    blur_faces: bool = False
    preset: Preset = None
    config_overrides: ConfigOverrides = Field(default_factory=dict)


class AthleteUpdate(BaseModel):
    """Changes to an athlete; fields left out stay as they are."""

    name: Name | None = None
    birth_year: BirthYear = None
    dominant_side: Side | None = None
    notes: Note | None = None
    guardian_consent: bool | None = None
    guardian_name: Annotated[Text, Field(max_length=200)] | None = None
    keypoints_only: bool | None = None
    blur_faces: bool | None = None
    preset: Preset = None
    config_overrides: ConfigOverrides | None = None


Count = Annotated[Annotated[int, Field(ge=1, le=100)] | None, Optional]


class SessionIn(BaseModel):
    """A new training session: date, band, prescription (sets x reps x hold in seconds), RPE
    (0-10), pain notes and comments."""

    date: Annotated[dt.date, BeforeValidator(lambda v: _blank_to_none(v) or dt.date.today())] = (
        Field(default_factory=dt.date.today)
    )
    band: Annotated[Text, Field(max_length=100)] = ""
    sets: Count = None
    reps: Count = None
    hold_s: Annotated[Annotated[float, Field(ge=0, le=120)] | None, Optional] = None
    rpe: Annotated[Annotated[int, Field(ge=0, le=10)] | None, Optional] = None
    pain_notes: Note = ""
    coach_comments: Note = ""


class SessionUpdate(SessionIn):
    """Changes to a session; fields left out stay as they are."""

    date: Annotated[dt.date | None, Optional] = None  # type: ignore[assignment]


class OverrideIn(BaseModel):
    """A coach's review of one rep: ``confirmed`` keeps the automatic faults, ``overridden``
    replaces them with ``faults`` (fault codes); a comment either way."""

    verdict: Literal["confirmed", "overridden"]
    faults: list[str] = Field(default_factory=list)
    comment: Note = ""

    @field_validator("faults")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        known = fault_codes()
        unknown = [code for code in value if code not in known]
        if unknown:
            raise ValueError(f"unknown fault code {unknown[0]!r} (known: {', '.join(known)})")
        return [code for code in known if code in value]


class SideIn(BaseModel):
    """The leg a rep was made with, as the coach saw it (``None``: the automatic side)."""

    side: Literal["left", "right"] | None = None


class SideForm(BaseModel):
    """The side form of the session page: a leg, or ``automatic`` for the analysis's own."""

    side: Literal["left", "right", "automatic"]


def preset_names() -> list[str]:
    """The analysis presets a team or athlete may choose."""
    return sorted(PRESETS)
