"""Build the response schemas from database rows: what the API returns and the pages render."""

from __future__ import annotations

from sqlalchemy.orm import Session

from psoas_coach.faults.review import with_sides
from psoas_coach.pose.landmarks import SIDES
from psoas_coach.report.model import Report
from psoas_coach.storage.crud import invitations, roster, sessions
from psoas_coach.storage.crud import jobs as job_crud
from psoas_coach.storage.crud import results as result_crud
from psoas_coach.storage.files import DataDir
from psoas_coach.storage.models import (
    AnalysisJob,
    Athlete,
    LoginSession,
    Recording,
    RepOverride,
    Result,
    Team,
    TeamInvitation,
    TrainingSession,
)
from psoas_coach.web import insights
from psoas_coach.web.schemas import (
    AthleteDetailOut,
    AthleteOut,
    CoachOut,
    InvitationOut,
    JobOut,
    MemberOut,
    MeOut,
    OverrideOut,
    RecordingOut,
    RepOut,
    ResultDetailOut,
    ResultOut,
    RosterEntry,
    SessionOut,
    SessionSummary,
    TeamDetailOut,
    TeamOut,
)

#: Result files served by ``/api/results/{id}/files/{kind}``, by kind: column of the row.
RESULT_FILES = {
    "json": "report_json",
    "html": "report_html",
    "keypoints": "keypoints_csv",
    "video": "annotated_video",
    "angles": "angles_svg",
    "holds": "holds_svg",
}


def me_out(login: LoginSession) -> MeOut:
    """The logged-in coach with the login's CSRF token."""
    return MeOut(coach=CoachOut.model_validate(login.coach), csrf_token=login.csrf_token)


def team_out(team: Team) -> TeamOut:
    """A team's row."""
    return TeamOut.model_validate(team)


def athlete_out(athlete: Athlete) -> AthleteOut:
    """An athlete with derived age, youth flag and effective analysis settings."""
    return AthleteOut(
        id=athlete.id,
        team_id=athlete.team_id,
        name=athlete.name,
        birth_year=athlete.birth_year,
        age_years=athlete.age_years(),
        youth=athlete.is_youth(),
        dominant_side=athlete.dominant_side,
        notes=athlete.notes,
        guardian_consent=athlete.guardian_consent,
        guardian_name=athlete.guardian_name,
        consent_recorded_at=athlete.consent_recorded_at,
        keypoints_only=athlete.keypoints_only,
        blur_faces=athlete.blur_faces,
        preset=athlete.preset,
        config_overrides=athlete.config_overrides,
        effective_config=job_crud.effective_config(athlete).to_dict(),
        created_at=athlete.created_at,
    )


def job_out(job: AnalysisJob) -> JobOut:
    """A job's state."""
    return JobOut(
        id=job.id,
        recording_id=job.recording_id,
        status=job.status,
        reason=job.reason,
        attempts=job.attempts,
        progress=job.progress,
        step=job.step,
        analysis_version=job.analysis_version,
        config=job.config,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        result_id=job.result.id if job.result is not None else None,
    )


def result_out(result: Result) -> ResultOut:
    """A result's summary figures and file URLs."""
    files = {
        kind: f"/api/results/{result.id}/files/{kind}"
        for kind, column in RESULT_FILES.items()
        if getattr(result, column)
    }
    return ResultOut(
        id=result.id,
        job_id=result.job_id,
        recording_id=result.recording_id,
        created_at=result.created_at,
        analysis_version=result.analysis_version,
        config=result.config,
        duration_s=result.duration_s,
        reps={s: getattr(result, f"reps_{s}") for s in SIDES},
        mean_hold_s={s: getattr(result, f"mean_hold_{s}_s") for s in SIDES},
        mean_extension_s={s: getattr(result, f"mean_extension_{s}_s") for s in SIDES},
        faulty_reps={s: getattr(result, f"faulty_reps_{s}") for s in SIDES},
        hold_asymmetry_pct=result.hold_asymmetry_pct,
        extension_asymmetry_pct=result.extension_asymmetry_pct,
        fault_counts=result.fault_counts,
        assessable=result.assessable,
        not_assessable_reason=result.not_assessable_reason,
        uncertain_reps=result.uncertain_reps,
        warnings=result.warnings,
        files=files,
    )


def recording_out(recording: Recording) -> RecordingOut:
    """A recording with its jobs and newest result."""
    jobs = [job_out(job) for job in recording.jobs]
    result = sessions.latest_result(recording)
    return RecordingOut(
        id=recording.id,
        session_id=recording.session_id,
        kind=recording.kind,
        original_name=recording.original_name,
        size_bytes=recording.size_bytes,
        raw_kept=recording.stored_path is not None,
        raw_deleted_at=recording.raw_deleted_at,
        created_at=recording.created_at,
        jobs=jobs,
        latest_job=jobs[-1] if jobs else None,
        result=result_out(result) if result is not None else None,
    )


def latest_results(session: TrainingSession, *, unassessable: bool = True) -> list[Result]:
    """The newest result of each of the session's recordings. Figures, flags and trend points
    are built with ``unassessable`` False: results that could not be assessed left out."""
    found = (sessions.latest_result(rec) for rec in session.recordings)
    return [r for r in found if r is not None and (unassessable or r.assessable)]


def session_out(session: TrainingSession, include_unassessable: bool = False) -> SessionOut:
    """A session with recordings and its summary over their newest results (those that could
    not be assessed left out unless ``include_unassessable``)."""
    return SessionOut(
        id=session.id,
        athlete_id=session.athlete_id,
        date=session.date,
        band=session.band,
        sets=session.sets,
        reps=session.reps,
        hold_s=session.hold_s,
        rpe=session.rpe,
        pain_notes=session.pain_notes,
        coach_comments=session.coach_comments,
        created_at=session.created_at,
        recordings=[recording_out(r) for r in session.recordings],
        summary=insights.summarize_results(
            latest_results(session, unassessable=include_unassessable)
        ),
    )


def _last_analysed(
    history: list[TrainingSession],
) -> tuple[SessionSummary | None, list[str]]:
    """Figures and flags of the newest session that has results (none: ``None``, [])."""
    for session in reversed(history):
        results = latest_results(session, unassessable=False)
        if results:
            summary = insights.summarize_results(results)
            return summary, insights.flags(summary, session)
    return None, []


def roster_entry(db: Session, athlete: Athlete) -> RosterEntry:
    """An athlete's roster line: last session and the flags of the last analysed one."""
    history = sessions.list_sessions(db, athlete=athlete)
    summary, flags = _last_analysed(history)
    last = history[-1] if history else None
    return RosterEntry(
        athlete=athlete_out(athlete),
        sessions=len(history),
        last_session_id=last.id if last else None,
        last_session_date=last.date if last else None,
        last_summary=summary,
        flags=flags,
    )


def team_detail(db: Session, team: Team) -> TeamDetailOut:
    """A team with members, pending invitations and roster."""
    members = [
        MemberOut(coach=CoachOut.model_validate(m.coach), role=m.role)
        for m in roster.team_members(db, team=team)
    ]
    invited = [invitation_out(i) for i in invitations.team_invitations(db, team=team)]
    entries = [roster_entry(db, a) for a in roster.list_athletes(db, team=team)]
    return TeamDetailOut(team=team_out(team), members=members, invitations=invited, roster=entries)


def invitation_out(invitation: TeamInvitation) -> InvitationOut:
    """A pending invitation with its team's and inviter's names."""
    return InvitationOut(
        id=invitation.id,
        team_id=invitation.team_id,
        team_name=invitation.team.name,
        email=invitation.email,
        invited_by=invitation.invited_by.name if invitation.invited_by is not None else "",
        created_at=invitation.created_at,
    )


def athlete_detail(
    db: Session, athlete: Athlete, *, include_unassessable: bool = False
) -> AthleteDetailOut:
    """An athlete with every session, trend points and current flags; recordings that could
    not be assessed stay out of the figures and trends unless ``include_unassessable``."""
    history = sessions.list_sessions(db, athlete=athlete)
    pairs = [(s, r) for s in history for r in latest_results(s, unassessable=include_unassessable)]
    return AthleteDetailOut(
        athlete=athlete_out(athlete),
        sessions=[session_out(s, include_unassessable) for s in history],
        trends=insights.trend_points(pairs),
        flags=_last_analysed(history)[1],
    )


def override_out(override: RepOverride) -> OverrideOut:
    """A coach's review of a rep."""
    return OverrideOut(
        rep_index=override.rep_index,
        verdict=override.verdict,
        faults=override.faults,
        side=override.side,
        comment=override.comment,
        coach_name=override.coach.name if override.coach is not None else None,
        updated_at=override.updated_at,
    )


def result_detail(data: DataDir, result: Result) -> ResultDetailOut:
    """A result with every rep of its report (sides as the coach set them) and the coach's
    reviews beside them."""
    report = load_report(data, result)
    reviews = result_crud.overrides_by_rep(result)
    automatic = {rep.index: rep.side for rep in report.reps}
    reps = []
    for rep in with_sides(report.reps, result_crud.coach_sides(result)):
        review = reviews.get(rep.index)
        fields = {k: v for k, v in rep.to_dict().items() if k in RepOut.model_fields}
        override = override_out(review) if review is not None else None
        reps.append(RepOut(**fields, automatic_side=automatic[rep.index], override=override))
    return ResultDetailOut(result=result_out(result), reps=reps)


def load_report(data: DataDir, result: Result) -> Report:
    """The report file of a result."""
    return Report.load(data.path(result.report_json))
