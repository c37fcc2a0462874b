"""Database functions: access through memberships, cascades, job claiming and recovery."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from psoas_coach.storage.crud import accounts, jobs, roster, sessions
from psoas_coach.storage.models import (
    AnalysisJob,
    Athlete,
    Recording,
    Result,
    Team,
    TrainingSession,
)

Factory = sessionmaker[Session]


def _team(db: Session, email: str) -> Team:
    coach = accounts.create_coach(db, email=email, name=email, password_hash="x")
    assert coach is not None
    return roster.create_team(db, name=f"team of {email}", owner=coach)


def _recording(db: Session, team: Team, *, birth_year: int | None = 1990) -> Recording:
    athlete = roster.create_athlete(db, team=team, fields={"name": "A", "birth_year": birth_year})
    session = sessions.create_session(db, athlete=athlete, fields={"date": dt.date(2026, 1, 5)})
    recording = sessions.create_recording(
        db,
        session=session,
        kind="keypoints",
        original_name="x.csv",
        stored_path="uploads/x.csv",
        size_bytes=10,
    )
    db.commit()
    return recording


def test_objects_are_seen_only_through_memberships(factory: Factory) -> None:
    with factory() as db:
        mine, theirs = _team(db, "a@x.org"), _team(db, "b@x.org")
        rec = _recording(db, theirs)
        me = mine.memberships[0].coach_id
        session_id, athlete_id = rec.session_id, rec.session.athlete_id
        job = jobs.enqueue_job(db, recording=rec, config=jobs.effective_config(rec.session.athlete))
        db.commit()
        assert roster.get_team(db, team_id=theirs.id, coach_id=me) is None
        assert roster.get_athlete(db, athlete_id=athlete_id, coach_id=me) is None
        assert sessions_get(db, session_id, me) is None
        assert sessions.get_recording(db, recording_id=rec.id, coach_id=me) is None
        assert jobs.get_job(db, job_id=job.id, coach_id=me) is None
        assert [t.id for t in roster.list_teams(db, coach_id=me)] == [mine.id]
        roster.add_member(db, team=theirs, coach=mine.memberships[0].coach)
        assert roster.get_athlete(db, athlete_id=athlete_id, coach_id=me) is not None


def sessions_get(db: Session, session_id: int, coach_id: int) -> TrainingSession | None:
    return sessions.get_session(db, session_id=session_id, coach_id=coach_id)


def test_deleting_an_athlete_deletes_every_row_below_it(factory: Factory) -> None:
    with factory() as db:
        rec = _recording(db, _team(db, "c@x.org"))
        jobs.enqueue_job(db, recording=rec, config=jobs.effective_config(rec.session.athlete))
        db.commit()
        roster.delete_athlete(db, athlete=rec.session.athlete)
        for model in (Athlete, TrainingSession, Recording, AnalysisJob, Result):
            assert db.scalar(select(func.count()).select_from(model)) == 0


@pytest.mark.parametrize(
    ("birth_year", "team_preset", "athlete_preset", "expected_knee_deg"),
    [
        (1990, None, None, 150.0),  # adult: SPEC defaults
        (dt.date.today().year - 12, None, None, 145.0),  # youth: youth preset
        (dt.date.today().year - 12, "adult", None, 150.0),  # the team's choice wins
        (1990, None, "youth", 145.0),  # the athlete's choice wins
    ],
)
def test_effective_config_presets(
    factory: Factory,
    birth_year: int,
    team_preset: str | None,
    athlete_preset: str | None,
    expected_knee_deg: float,
) -> None:
    with factory() as db:
        team = _team(db, "p@x.org")
        roster.update_team(db, team=team, changes={"preset": team_preset})
        athlete = roster.create_athlete(
            db, team=team, fields={"name": "P", "birth_year": birth_year, "preset": athlete_preset}
        )
        assert jobs.effective_config(athlete).min_knee_peak_deg == expected_knee_deg


def test_overrides_team_then_athlete(factory: Factory) -> None:
    with factory() as db:
        team = _team(db, "o@x.org")
        roster.update_team(db, team=team, changes={"config_overrides": {"min_hold_s": 2.5}})
        athlete = roster.create_athlete(db, team=team, fields={"name": "O"})
        assert jobs.effective_config(athlete).min_hold_s == 2.5
        roster.update_athlete(
            db, athlete=athlete, changes={"config_overrides": {"min_hold_s": 1.5}}
        )
        assert jobs.effective_config(athlete).min_hold_s == 1.5


def test_youth_athletes_default_to_keypoints_only(factory: Factory) -> None:
    with factory() as db:
        team = _team(db, "y@x.org")
        youth = roster.create_athlete(
            db, team=team, fields={"name": "Y", "birth_year": dt.date.today().year - 13}
        )
        adult = roster.create_athlete(db, team=team, fields={"name": "Z", "birth_year": 1980})
        chosen = roster.create_athlete(
            db,
            team=team,
            fields={"name": "W", "birth_year": dt.date.today().year - 13, "keypoints_only": False},
        )
        assert (youth.keypoints_only, adult.keypoints_only, chosen.keypoints_only) == (
            True,
            False,
            False,
        )


def test_a_birth_year_made_youth_turns_keypoints_only_on(factory: Factory) -> None:
    youth_year = dt.date.today().year - 13
    with factory() as db:
        team = _team(db, "corrected@x.org")
        athlete = roster.create_athlete(db, team=team, fields={"name": "C", "birth_year": 1990})
        assert not athlete.keypoints_only
        # a form sends the box as it was shown for the adult: the youth rule still wins
        changes = {"birth_year": youth_year, "keypoints_only": False}
        roster.update_athlete(db, athlete=athlete, changes=changes)
        assert athlete.is_youth() and athlete.keypoints_only
        ticket_of = _recording(db, team, birth_year=1990).session.athlete
        roster.update_athlete(db, athlete=ticket_of, changes={"birth_year": youth_year})
        assert ticket_of.keypoints_only
        # once a youth athlete, the coach may choose otherwise in a later change
        roster.update_athlete(db, athlete=athlete, changes={"keypoints_only": False})
        assert not athlete.keypoints_only
        roster.update_athlete(db, athlete=athlete, changes={"name": "C2"})
        assert not athlete.keypoints_only


def test_each_job_is_claimed_once_by_concurrent_workers(factory: Factory) -> None:
    with factory() as db:
        rec = _recording(db, _team(db, "w@x.org"))
        for _ in range(12):
            jobs.enqueue_job(db, recording=rec, config=jobs.effective_config(rec.session.athlete))
        db.commit()
    claimed: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        while True:
            with factory() as db:
                ticket = jobs.claim_next_job(db)
            if ticket is None:
                return
            with lock:
                claimed.append(ticket.job_id)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == 12
    assert len(set(claimed)) == 12


def test_interrupted_jobs_are_requeued_then_given_up(factory: Factory) -> None:
    with factory() as db:
        rec = _recording(db, _team(db, "r@x.org"))
        job = jobs.enqueue_job(db, recording=rec, config=jobs.effective_config(rec.session.athlete))
        db.commit()
        job_id = job.id
    for attempt in (1, 2):
        with factory() as db:
            ticket = jobs.claim_next_job(db)
            assert ticket is not None and ticket.attempt == attempt
            assert jobs.requeue_interrupted(db, max_attempts=2) == (
                (1, 0) if attempt == 1 else (0, 1)
            )
    with factory() as db:
        failed = db.get(AnalysisJob, job_id)
        assert failed is not None and failed.status == "failed"
        assert "interrupted 2 times" in failed.reason


def test_a_stale_attempt_cannot_finish_a_job(factory: Factory) -> None:
    with factory() as db:
        rec = _recording(db, _team(db, "s@x.org"))
        jobs.enqueue_job(db, recording=rec, config=jobs.effective_config(rec.session.athlete))
        db.commit()
        first = jobs.claim_next_job(db)
        assert first is not None
        jobs.requeue_interrupted(db, max_attempts=3)
        second = jobs.claim_next_job(db)
        assert second is not None and second.attempt == 2
        stale = jobs.complete_job(db, job_id=first.job_id, attempt=1, result_fields={})
        assert not stale.kept
        assert not jobs.set_progress(db, job_id=first.job_id, attempt=1, progress=0.5, step="x")


def test_a_cancelled_job_ends_and_its_worker_is_told(factory: Factory) -> None:
    with factory() as db:
        rec = _recording(db, _team(db, "c@x.org"))
        queued = jobs.enqueue_job(
            db, recording=rec, config=jobs.effective_config(rec.session.athlete)
        )
        waiting = jobs.enqueue_job(
            db, recording=rec, config=jobs.effective_config(rec.session.athlete)
        )
        db.commit()
        running = jobs.claim_next_job(db)
        assert running is not None and running.job_id == queued.id
        jobs.note_queued(db, "waiting for a free core")
        db.refresh(waiting)
        assert waiting.step == "waiting for a free core"
        assert jobs.cancel_job(db, job=queued)
        assert (queued.status, queued.reason) == ("cancelled", "cancelled by the coach")
        assert not jobs.set_progress(db, job_id=queued.id, attempt=1, progress=0.5, step="x")
        assert not jobs.complete_job(db, job_id=queued.id, attempt=1, result_fields={}).kept
        assert not jobs.cancel_job(db, job=queued), "an ended job cannot be cancelled again"
        assert jobs.cancel_job(db, job=waiting) and waiting.status == "cancelled"
        assert jobs.claim_next_job(db) is None, "a cancelled job is never claimed"


def test_turning_keypoints_only_on_forgets_the_pictures_stored_before(factory: Factory) -> None:
    """Raw videos already analysed and annotated videos over the picture go; a video not yet
    analysed keeps its raw file (its analysis needs it), keypoint uploads are no pictures."""
    with factory() as db:
        athlete = roster.create_athlete(
            db, team=_team(db, "pictures@x.org"), fields={"name": "P", "birth_year": 1990}
        )
        session = sessions.create_session(db, athlete=athlete, fields={"date": dt.date(2026, 2, 1)})
        analysed, waiting, keypoints = (
            sessions.create_recording(
                db, session=session, kind=kind, original_name=name,
                stored_path=f"uploads/{name}", size_bytes=10,
            )
            for kind, name in (("video", "a.mp4"), ("video", "b.mp4"), ("keypoints", "c.csv"))
        )  # fmt: skip
        for recording in (analysed, waiting):
            jobs.enqueue_job(db, recording=recording, config=jobs.effective_config(athlete))
        db.commit()
        ticket = jobs.claim_next_job(db)
        assert ticket is not None and ticket.input_path == "uploads/a.mp4"
        files = {"folder": "results/r1", "report_json": "results/r1/a.json"}
        files |= {"report_html": "results/r1/a.html", "annotated_video": "results/r1/a.mp4"}
        done = jobs.complete_job(db, job_id=ticket.job_id, attempt=1, result_fields=files)
        assert done.kept and done.delete_raw is None  # an adult's raw video is kept
        forgotten = roster.update_athlete(db, athlete=athlete, changes={"keypoints_only": True})
        assert sorted(forgotten) == ["results/r1/a.mp4", "uploads/a.mp4"]
        db.expire_all()
        assert analysed.stored_path is None and analysed.raw_deleted_at is not None
        assert analysed.jobs[0].result is not None
        assert analysed.jobs[0].result.annotated_video is None
        assert analysed.jobs[0].result.report_json == "results/r1/a.json"
        assert (waiting.stored_path, keypoints.stored_path) == ("uploads/b.mp4", "uploads/c.csv")
        assert roster.update_athlete(db, athlete=athlete, changes={"name": "P2"}) == []
