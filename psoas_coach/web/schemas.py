"""Response schemas of the JSON API (the pages render the same objects).

Durations in seconds, angles in degrees, rates and asymmetry in percent; per-side figures are
``{"left": ..., "right": ...}`` (the athlete's own sides). Asymmetry is
``100 * (left - right) / max(left, right)``: positive when the left side is longer.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, get_type_hints

from pydantic import BaseModel, ConfigDict, create_model

from psoas_coach.reps.types import Rep, shown_fields

PerSide = dict[str, float | None]


class Out(BaseModel):
    """Base of the response schemas (built from attributes of database rows)."""

    model_config = ConfigDict(from_attributes=True)


class CoachOut(Out):
    """A coach's account."""

    id: int
    email: str
    name: str


class MeOut(Out):
    """The logged-in coach and the CSRF token to send with state-changing requests."""

    coach: CoachOut
    csrf_token: str


class SignupOut(Out):
    """The answer to a sign-up, the same whether the e-mail was new or had an account."""

    message: str


class InvitationOut(Out):
    """A pending invitation of ``email`` to a team, by ``invited_by`` (a name; empty when
    that account was removed)."""

    id: int
    team_id: int
    team_name: str
    email: str
    invited_by: str
    created_at: dt.datetime


class TeamOut(Out):
    """A team and its analysis settings (preset and threshold overrides)."""

    id: int
    name: str
    preset: str | None
    config_overrides: dict[str, float]
    language: str
    created_at: dt.datetime


class MemberOut(Out):
    """A coach's membership of a team."""

    coach: CoachOut
    role: str


class AthleteOut(Out):
    """An athlete; ``youth`` derives from the birth year, ``effective_config`` is what an
    analysis queued now would use."""

    id: int
    team_id: int
    name: str
    birth_year: int | None
    age_years: int | None
    youth: bool
    dominant_side: str
    notes: str
    guardian_consent: bool
    guardian_name: str
    consent_recorded_at: dt.datetime | None
    keypoints_only: bool
    blur_faces: bool
    preset: str | None
    config_overrides: dict[str, float]
    effective_config: dict[str, float]
    created_at: dt.datetime


class SessionSummary(Out):
    """Figures of a session over the newest result of each of its recordings."""

    analysed: int
    reps: dict[str, int]
    mean_hold_s: PerSide
    mean_extension_s: PerSide
    fault_rate_pct: PerSide
    hold_asymmetry_pct: float | None
    extension_asymmetry_pct: float | None
    fault_counts: dict[str, dict[str, int]]


class RosterEntry(Out):
    """One line of the roster: the athlete, their last session and its flags."""

    athlete: AthleteOut
    sessions: int
    last_session_id: int | None
    last_session_date: dt.date | None
    last_summary: SessionSummary | None
    flags: list[str]


class TeamDetailOut(Out):
    """A team with its members, pending invitations and roster."""

    team: TeamOut
    members: list[MemberOut]
    invitations: list[InvitationOut]
    roster: list[RosterEntry]


class JobOut(Out):
    """An analysis job: ``status`` queued, running, done, failed or cancelled (``reason`` says
    why)."""

    id: int
    recording_id: int
    status: str
    reason: str
    attempts: int
    progress: float
    step: str
    analysis_version: str
    config: dict[str, float]
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    result_id: int | None


class ResultOut(Out):
    """Summary of one finished analysis (with the coach's side corrections) and the URLs of its
    files (``json``, ``html``, ``keypoints``, ``video``, ``angles``, ``holds`` where present).

    ``assessable`` False: the pose was too poor to judge (``not_assessable_reason`` says why);
    such a result has no reps and stays out of session figures and trends by default.
    ``uncertain_reps``: reps whose side is unsure (left out of the per-side means).
    """

    id: int
    job_id: int
    recording_id: int
    created_at: dt.datetime
    analysis_version: str
    config: dict[str, float]
    duration_s: float
    reps: dict[str, int]
    mean_hold_s: PerSide
    mean_extension_s: PerSide
    faulty_reps: dict[str, int]
    hold_asymmetry_pct: float | None
    extension_asymmetry_pct: float | None
    fault_counts: dict[str, dict[str, int]]
    assessable: bool
    not_assessable_reason: str
    uncertain_reps: int
    warnings: list[str]
    files: dict[str, str]


class RecordingOut(Out):
    """An uploaded recording, its analysis jobs (oldest first) and its newest result."""

    id: int
    session_id: int
    kind: str
    original_name: str
    size_bytes: int
    raw_kept: bool
    raw_deleted_at: dt.datetime | None
    created_at: dt.datetime
    jobs: list[JobOut]
    latest_job: JobOut | None
    result: ResultOut | None


class SessionOut(Out):
    """A training session with its recordings and summary."""

    id: int
    athlete_id: int
    date: dt.date
    band: str
    sets: int | None
    reps: int | None
    hold_s: float | None
    rpe: int | None
    pain_notes: str
    coach_comments: str
    created_at: dt.datetime
    recordings: list[RecordingOut]
    summary: SessionSummary


class TrendPoint(Out):
    """One session on the athlete's trend plots."""

    session_id: int
    date: dt.date
    reps: dict[str, int]
    mean_hold_s: PerSide
    mean_extension_s: PerSide
    fault_rate_pct: PerSide
    hold_asymmetry_pct: float | None
    extension_asymmetry_pct: float | None


class AthleteDetailOut(Out):
    """An athlete with every session (oldest first), trend points and current flags."""

    athlete: AthleteOut
    sessions: list[SessionOut]
    trends: list[TrendPoint]
    flags: list[str]


class OverrideOut(Out):
    """A coach's review of one rep, apart from the automatic faults: ``verdict`` on the faults
    (``confirmed``, ``overridden``, or empty when only the side was set) and ``side``, the
    leg the coach says the rep was (``None``: the automatic side)."""

    rep_index: int
    verdict: str
    faults: list[str]
    side: str | None
    comment: str
    coach_name: str | None
    updated_at: dt.datetime


def _rep_fields() -> dict[str, Any]:
    """The fields of a rep the dashboard shows (``reps.types.shown_fields``), typed as the
    rep defines them."""
    hints = get_type_hints(Rep)
    return {name: (hints[name], ...) for name in shown_fields("table", "detail")}


if TYPE_CHECKING:
    _RepShown = Out
else:
    _RepShown = create_model("_RepShown", __base__=Out, **_rep_fields())


class RepOut(_RepShown):
    """One rep with the coach's review: the fields of the rep (docs/report.md 1.2) that
    ``psoas_coach.reps.types`` marks as shown, defined there once.

    ``side`` is the leg the summary counts (the coach's when set), ``automatic_side`` what the
    analysis said. A figure that could not be measured is ``None`` with its reason in
    ``not_measured``; ``side_confidence`` and ``confidence`` are in [0, 1] with
    ``confidence_notes`` saying why they are low.
    """

    automatic_side: str
    override: OverrideOut | None


class ResultDetailOut(Out):
    """A result with every rep and review."""

    result: ResultOut
    reps: list[RepOut]


class FaultOut(Out):
    """A fault code with the coach's name for it (``label``), its cue and description (from
    the fault registry)."""

    code: str
    label: str
    cue: str
    description: str


class ReanalyzeOut(Out):
    """Jobs queued by a re-run (recordings with a job already queued or running are skipped)."""

    queued: list[JobOut]


class SessionStatusOut(Out):
    """Live state of a session's analyses (what the session page polls)."""

    session_id: int
    jobs: list[JobOut]
    finished: bool


class HealthOut(Out):
    """Liveness: the database answers and the worker runs."""

    status: str
    database: str
    worker: bool
    queued: int
    running: int


class ErrorOut(Out):
    """An error (``detail`` is a one-line message, or a list of field errors for 422)."""

    detail: Any
