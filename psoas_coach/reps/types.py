"""What the repetition stage produces: :class:`Rep`, and what it is fed besides the angles:
:class:`FrameQuality`. The rep's measured fields are defined once, in :class:`RepFigures`;
the fault rules' measures, the dashboard's rep and the export's columns follow from it.

Times in seconds, angles in degrees, ``back_lift_thigh`` in thigh lengths. A figure that could
not be measured is ``None`` (JSON ``null``), with the reason in ``Rep.not_measured``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol, get_args, get_type_hints

from psoas_coach.config import AnalysisConfig


def finite_or_none(value: float | None, digits: int | None = None) -> float | None:
    """``value`` as a float (rounded to ``digits``), or ``None`` when missing, NaN or infinite."""
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return round(number, digits) if digits is not None else number


@dataclass(frozen=True)
class FrameQuality:
    """How far one frame's angles can be trusted, beside the angles themselves.

    Attributes:
        seen: per side, True when the leg's hip, knee and ankle were seen in this frame (not
            missing and bridged, not drawn on the other leg).
        identity: probability in [0, 1] that the leg labels of this frame are the athlete's
            own left and right.
    """

    seen: dict[str, bool] = field(default_factory=lambda: {"left": True, "right": True})
    identity: float = 1.0


#: ``metadata["show"]`` of a rep's field: where it is shown besides the report JSON. ``"table"``:
#: a field of the dashboard's rep (``web.schemas.RepOut``) and a column of the export's
#: ``reps.csv``; ``"detail"``: a field of the dashboard's rep only (words and maps that do not
#: fit a spreadsheet cell). A field without it is in the report only.
TABLE = {"show": "table"}
DETAIL = {"show": "detail"}


@dataclass(frozen=True, kw_only=True)
class RepFigures:
    """What is measured of one repetition: the one definition of a rep's figures, which
    :class:`Rep` (the report's rep) and :class:`RepMeasures` (what a fault rule decides
    on) build on, and the dashboard's rep and the export's columns are derived from
    (docs/definitions.md section 3 gives every definition).

    Times in seconds, angles in degrees, ``back_lift_thigh`` in thigh lengths;
    ``hold_start_s``/``hold_end_s`` bound the time at or above 90 % of the excursion.
    ``side_confidence`` is the probability that ``side`` is right. A figure that could not be
    measured is ``None`` and ``not_measured`` maps its name to the reason. The order of the
    fields is their order in the report JSON.
    """

    side: str = field(metadata=TABLE)
    start_s: float = field(metadata=TABLE)
    peak_s: float = field(metadata=TABLE)
    end_s: float = field(metadata=TABLE)
    extension_s: float | None = field(metadata=TABLE)
    hold_s: float | None = field(metadata=TABLE)
    knee_angle_peak_deg: float | None = field(metadata=TABLE)
    hip_angle_peak_deg: float | None = field(metadata=TABLE)
    excursion_deg: float = 0.0
    knee_angle_start_deg: float | None = 0.0
    hip_angle_start_deg: float | None = 0.0
    back_lift_thigh: float | None = 0.0
    support_drift_deg: float | None = 0.0
    hold_start_s: float = 0.0
    hold_end_s: float = 0.0
    side_confidence: float = field(default=1.0, metadata=TABLE)
    not_measured: dict[str, str] = field(default_factory=dict, metadata=DETAIL)


@dataclass(frozen=True, kw_only=True)
class RepMeasures(RepFigures):
    """Everything a fault rule may look at for one repetition: its figures
    (:class:`RepFigures`, defined there once) and the context below.

    ``previous_side`` is the side of the repetition before this one (``None`` for the first);
    ``seen_share`` the share of the rep's frames in which the working leg was seen. A figure
    that could not be measured is ``None`` (the reason is in ``not_measured``); a rule that
    needs it does not flag the rep.
    """

    previous_side: str | None
    seen_share: float = 1.0


class FaultJudge(Protocol):
    """What the repetition engine asks of the fault rules when it releases a repetition
    (the product's: ``psoas_coach.faults.judge.RULES``; the rules come after the repetitions
    in the pipeline, so the engine is handed them instead of importing them)."""

    def faults(self, rep: RepMeasures, config: AnalysisConfig) -> list[str]:
        """The fault codes ``rep`` shows under ``config``, in registry order."""
        ...

    def cue(self, code: str) -> str:
        """The athlete's cue of fault ``code``."""
        ...

    def same_side(self, rep: Rep, previous_side: str | None) -> list[str]:
        """``rep``'s fault codes with the same-side verdict decided again against the side
        of the rep before it (``None``: the first rep)."""
        ...


@dataclass(frozen=True, kw_only=True)
class Rep(RepFigures):
    """One repetition of one leg as the report gives it: its figures (:class:`RepFigures`)
    and what was judged on them.

    ``index`` counts the reps of the set from 1 in time order. ``faults`` holds fault codes
    (docs/definitions.md section 4) in registry order; ``cues`` the matching plain coaching
    cues. ``confidence`` in [0, 1] says how far the rep's figures can be trusted;
    ``confidence_notes`` say why it or ``side_confidence`` is low.

    ``metadata["after"]`` places a judged field in the report JSON: after that figure ("":
    first).
    """

    index: int = field(metadata={**TABLE, "after": ""})
    faults: list[str] = field(
        default_factory=list, metadata={**TABLE, "after": "hip_angle_peak_deg"}
    )
    cues: list[str] = field(default_factory=list, metadata={**DETAIL, "after": "faults"})
    confidence: float = field(default=1.0, metadata={**TABLE, "after": "side_confidence"})
    confidence_notes: list[str] = field(
        default_factory=list, metadata={**DETAIL, "after": "confidence"}
    )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: floats rounded to what the measurement supports, ``None`` for a
        figure that is missing or not finite (never NaN)."""
        values = asdict(self)
        out: dict[str, Any] = {}
        for key in REPORT_ORDER:
            value = values[key]
            out[key] = finite_or_none(value, 3) if isinstance(value, float) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rep:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @classmethod
    def from_fields(cls, values: Mapping[str, Any], **given: Any) -> Rep:
        """A rep from the fields of ``values`` that a rep has (e.g. a rule's measures), with
        ``given`` on top."""
        return cls.from_dict({**values, **given})

    def figure(self, name: str) -> float | None:
        """The figure ``name`` (e.g. ``"hold_s"``), ``None`` when not measured."""
        value = getattr(self, name)
        return finite_or_none(value)


def _report_order() -> tuple[str, ...]:
    """A rep's fields in report JSON order: the figures in their order, each judged field of
    :class:`Rep` after the field its ``metadata["after"]`` names."""
    judged = [f for f in fields(Rep) if "after" in f.metadata]
    order: list[str] = []

    def place(anchor: str) -> None:
        for f in judged:
            if f.metadata["after"] == anchor:
                order.append(f.name)
                place(f.name)

    place("")
    for figure_field in fields(RepFigures):
        order.append(figure_field.name)
        place(figure_field.name)
    return tuple(order)


def shown_fields(*where: str) -> tuple[str, ...]:
    """The names of a rep's fields shown in any of ``where`` (``"table"``, ``"detail"``, see
    :data:`TABLE`), in report JSON order."""
    shown = {f.name for f in fields(Rep) if f.metadata.get("show") in where}
    return tuple(name for name in REPORT_ORDER if name in shown)


def _may_be_missing(hint: Any) -> bool:
    return type(None) in get_args(hint)


#: Every field of a :class:`Rep`, in report JSON order (docs/report.md 1.2).
REPORT_ORDER = _report_order()
#: The figures of a repetition that may be unmeasurable (``None``), in report order.
OPTIONAL_FIGURES = tuple(
    name for name, hint in get_type_hints(RepFigures).items() if _may_be_missing(hint)
)
