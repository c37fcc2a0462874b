"""The typed coaching events a live set produces, and the per-frame status snapshot.

Every event has ``time_s`` (seconds on the stream's clock) and a ``kind`` tag; ``to_dict()``
gives the JSON form sent to the browser (``{"type": kind, ...}``). Front ends show events and
speak :class:`Cue` events whose ``spoken`` is True.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from psoas_coach.reps.types import Rep


@dataclass(frozen=True)
class Event:
    """Base of every live event."""

    kind: ClassVar[str] = "event"
    time_s: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with a ``type`` tag; floats rounded to milliseconds."""
        out: dict[str, Any] = {"type": self.kind}
        for key, value in asdict(self).items():
            out[key] = round(value, 3) if isinstance(value, float) else value
        return out


@dataclass(frozen=True)
class SetupChanged(Event):
    """The setup check's verdict changed: ``ready`` to count, or ``problem`` and what to fix.

    ``problem`` is one of ``no_person``, ``feet``, ``head``, ``side_view``, ``lying``,
    ``start_position`` (empty when ready); ``message`` is the instruction for the athlete.
    """

    kind: ClassVar[str] = "setup"
    ready: bool
    problem: str
    message: str


@dataclass(frozen=True)
class RepStarted(Event):
    """A leg started moving away from 90/90 (``side``: the athlete's ``left`` or ``right``)."""

    kind: ClassVar[str] = "rep_started"
    side: str


@dataclass(frozen=True)
class HoldStarted(Event):
    """The extended leg is held at the top (90 % of its excursion or more) on ``side``."""

    kind: ClassVar[str] = "hold_started"
    side: str
    target_s: float


@dataclass(frozen=True)
class HoldTick(Event):
    """One more whole second of hold (``second`` = 1, 2, ...) on ``side``; ``held_s`` exact."""

    kind: ClassVar[str] = "hold_tick"
    side: str
    second: int
    held_s: float
    target_s: float


@dataclass(frozen=True)
class HoldTargetMet(Event):
    """The hold reached its target (``target_s`` seconds): time to switch legs."""

    kind: ClassVar[str] = "hold_target"
    side: str
    held_s: float
    target_s: float


@dataclass(frozen=True)
class HoldEnded(Event):
    """The leg left its hold after ``held_s`` seconds (live estimate; the report's is final)."""

    kind: ClassVar[str] = "hold_ended"
    side: str
    held_s: float


@dataclass(frozen=True)
class RepFinished(Event):
    """A repetition measured by the repetition engine, faults decided by the fault rules.

    ``counts`` holds the repetitions per side so far, this one included.
    """

    kind: ClassVar[str] = "rep_finished"
    rep: Rep
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """The rep in its report form (docs/report.md 1.2)."""
        return {
            "type": self.kind,
            "time_s": round(self.time_s, 3),
            "rep": self.rep.to_dict(),
            "counts": dict(self.counts),
        }


@dataclass(frozen=True)
class Cue(Event):
    """Something to say to the athlete.

    ``category``: ``setup`` (what to fix), ``count`` (hold countdown), ``switch``, ``fault``
    (a fault rule's cue) or ``praise``. ``spoken`` is False when muted: show it, don't say it.
    """

    kind: ClassVar[str] = "cue"
    text: str
    category: str
    spoken: bool = True


@dataclass(frozen=True)
class HoldState:
    """The hold in progress: ``side``, seconds held, target and the hold band (seconds)."""

    side: str
    held_s: float
    target_s: float
    min_s: float
    max_s: float


@dataclass(frozen=True)
class LiveStatus:
    """What a front end draws for the latest frame.

    Attributes:
        time_s: time of the frame, seconds.
        ready: the setup check passed and repetitions are being counted.
        setup_message: the current instruction while not ready (empty when ready).
        counts: repetitions per side so far.
        active_side: the leg moving now, if any.
        hold: the hold in progress, if any.
        knee_deg, hip_deg: live angles per side in degrees (``None`` when unknown).
        cue: the latest cue's text while it is shown (a few seconds), else empty.
        cue_category: that cue's category (see :class:`Cue`), else empty.
        muted: whether cues are spoken.
    """

    time_s: float
    ready: bool
    setup_message: str
    counts: dict[str, int]
    active_side: str | None
    hold: HoldState | None
    knee_deg: dict[str, float | None]
    hip_deg: dict[str, float | None]
    cue: str
    cue_category: str
    muted: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (angles rounded to 0.1 degree)."""
        # asdict's result without its deep copies (a status is sent every frame)
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["counts"] = dict(self.counts)
        for key in ("knee_deg", "hip_deg"):
            out[key] = {s: None if v is None else round(v, 1) for s, v in out[key].items()}
        out["time_s"] = round(self.time_s, 3)
        if self.hold is not None:
            hold = {f.name: getattr(self.hold, f.name) for f in fields(self.hold)}
            out["hold"] = {k: round(v, 2) if isinstance(v, float) else v for k, v in hold.items()}
        return out
