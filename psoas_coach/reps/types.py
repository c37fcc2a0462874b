"""What the repetition stage produces: :class:`Rep`, and what it is fed besides the angles:
:class:`FrameQuality`.

Times in seconds, angles in degrees, ``back_lift_thigh`` in thigh lengths. A figure that could
not be measured is ``None`` (JSON ``null``), with the reason in ``Rep.not_measured``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

#: The figures of a repetition that may be unmeasurable (``None``), in report order.
OPTIONAL_FIGURES = (
    "extension_s",
    "hold_s",
    "knee_angle_peak_deg",
    "hip_angle_peak_deg",
    "knee_angle_start_deg",
    "hip_angle_start_deg",
    "back_lift_thigh",
    "support_drift_deg",
)


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


@dataclass(frozen=True)
class Rep:
    """One repetition of one leg (docs/definitions.md section 3 gives every definition).

    ``faults`` holds fault codes (docs/definitions.md section 4) in registry order; ``cues`` the
    matching plain coaching cues. The remaining measures are what the fault rules were decided
    on; ``hold_start_s``/``hold_end_s`` bound the time at or above 90 % of the excursion.

    ``side_confidence`` is the probability that ``side`` is right; ``confidence`` in [0, 1]
    says how far the rep's figures can be trusted; ``confidence_notes`` say why either is low.
    A figure of :data:`OPTIONAL_FIGURES` that could not be measured is ``None`` and
    ``not_measured`` maps its name to the reason.
    """

    index: int
    side: str
    start_s: float
    peak_s: float
    end_s: float
    extension_s: float | None
    hold_s: float | None
    knee_angle_peak_deg: float | None
    hip_angle_peak_deg: float | None
    faults: list[str] = field(default_factory=list)
    cues: list[str] = field(default_factory=list)
    excursion_deg: float = 0.0
    knee_angle_start_deg: float | None = 0.0
    hip_angle_start_deg: float | None = 0.0
    back_lift_thigh: float | None = 0.0
    support_drift_deg: float | None = 0.0
    hold_start_s: float = 0.0
    hold_end_s: float = 0.0
    side_confidence: float = 1.0
    confidence: float = 1.0
    confidence_notes: list[str] = field(default_factory=list)
    not_measured: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: floats rounded to what the measurement supports, ``None`` for a
        figure that is missing or not finite (never NaN)."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float):
                out[key] = finite_or_none(value, 3)
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
