"""Jinja2 templates of the pages (autoescaped) and the filters they format figures with."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from psoas_coach import __version__
from psoas_coach.config import FIELD_HELP, AnalysisConfig
from psoas_coach.faults.base import registered_rules
from psoas_coach.faults.words import LANGUAGES, fault_name, translate
from psoas_coach.report.plots import SIDE_COLORS
from psoas_coach.storage.models import LoginSession
from psoas_coach.web.choices import CHOICES, PRESET_WORDS
from psoas_coach.web.forms import preset_names

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES_DIR)


def seconds(value: float | None, digits: int = 1) -> str:
    """``2.4 s``; an en dash for unknown."""
    return "–" if value is None else f"{value:.{digits}f} s"


def percent(value: float | None, signed: bool = False) -> str:
    """``32 %`` (``+12 %`` when signed); an en dash for unknown."""
    if value is None:
        return "–"
    return f"{value:+.0f} %" if signed else f"{value:.0f} %"


def degrees(value: float | None) -> str:
    """``172°``; an en dash for unknown."""
    return "–" if value is None else f"{value:.0f}°"


def file_size(size_bytes: int) -> str:
    """``1.3 MB``, ``850 kB`` or ``120 B``."""
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if size_bytes >= scale:
            return f"{size_bytes / scale:.1f} {unit}"
    return f"{size_bytes} B"


def when(value: dt.datetime | dt.date | None) -> str:
    """A date (``2026-11-23``) or UTC time (``2026-11-23 14:05 UTC``)."""
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    return value.isoformat()


def config_fields() -> list[dict[str, Any]]:
    """Every analysis setting: name, label, unit, one sentence and default (for the settings
    forms' advanced section, :data:`psoas_coach.config.FIELD_HELP`)."""
    defaults = AnalysisConfig()
    out = []
    for f in fields(AnalysisConfig):
        label, unit, help_text = FIELD_HELP[f.name]
        default = getattr(defaults, f.name)
        out.append(
            {"name": f.name, "label": label, "unit": unit, "help": help_text, "default": default}
        )
    return out


templates.env.filters.update(
    seconds=seconds, percent=percent, degrees=degrees, file_size=file_size, when=when
)
templates.env.filters["fault_label"] = fault_name
templates.env.filters["translate"] = translate
templates.env.globals.update(
    side_colors=SIDE_COLORS,
    faults=[
        {"code": r.code, "label": fault_name(r.code), "cue": r.cue} for r in registered_rules()
    ],
    config_fields=config_fields(),
    presets=preset_names(),
    preset_words=PRESET_WORDS,
    choices=CHOICES,
    languages=LANGUAGES,
    version=__version__,
)


def render_text(name: str, context: dict[str, Any]) -> str:
    """Template ``name`` rendered with ``context`` to a string (no request: e.g. for a PDF)."""
    return templates.get_template(name).render(context)


def render_plain(
    request: Request, name: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """Render template ``name`` with ``context`` (no login needed)."""
    return templates.TemplateResponse(request, name, context, status_code=status)


def render(
    request: Request, name: str, login: LoginSession, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """Render template ``name`` for the logged-in coach (navigation, CSRF token)."""
    page = {"coach": login.coach, "csrf_token": login.csrf_token, **context}
    return templates.TemplateResponse(request, name, page, status_code=status)
