"""The eight fault rules of docs/definitions.md section 4; thresholds from the configuration."""

from __future__ import annotations

from psoas_coach.config import AnalysisConfig
from psoas_coach.faults.base import FaultRule
from psoas_coach.reps.types import RepMeasures


class ShortHold(FaultRule):
    """Hold shorter than the minimum."""

    code = "short_hold"
    label = "hold too short"
    cue = "Hold the straight leg for 2-3 seconds before you bring it back"
    description = "hold_s below min_hold_s"

    def applies(self, rep: RepMeasures, config: AnalysisConfig) -> bool:
        """``hold_s < min_hold_s``."""
        return rep.hold_s is not None and rep.hold_s < config.min_hold_s


class LongHold(FaultRule):
    """Hold longer than the maximum."""

    code = "long_hold"
    label = "hold too long"
    cue = "Hold for 2-3 seconds, then return and switch legs"
    description = "hold_s above max_hold_s"

    def applies(self, rep: RepMeasures, config: AnalysisConfig) -> bool:
        """``hold_s > max_hold_s``."""
        return rep.hold_s is not None and rep.hold_s > config.max_hold_s


class FastExtension(FaultRule):
    """Extension faster than the minimum time."""

    code = "fast_extension"
    label = "rushed the leg out"
    cue = "Slow down: push the leg out slowly and under control"
    description = "extension_s below min_extension_s"

    def applies(self, rep: RepMeasures, config: AnalysisConfig) -> bool:
        """``extension_s < min_extension_s``."""
        return rep.extension_s is not None and rep.extension_s < config.min_extension_s


class IncompleteExtension(FaultRule):
    """Knee not straightened far enough."""

    code = "incomplete_extension"
    label = "leg not fully straight"
    cue = "Straighten the leg fully: push through your heel"
    description = "peak knee angle below min_knee_peak_deg"

    def applies(self, rep: RepMeasures, config: AnalysisConfig) -> bool:
        """``knee_angle_peak_deg < min_knee_peak_deg``."""
        peak = rep.knee_angle_peak_deg
        return peak is not None and peak < config.min_knee_peak_deg


class BackLift(FaultRule):
    """Pelvis rising off the floor during the rep."""

    code = "back_lift"
    label = "back lifts off the floor"
    cue = "Keep your lower back on the floor: brace your belly"
    description = "pelvis rise above max_back_lift_thigh thigh lengths"

    def applies(self, rep: RepMeasures, config: AnalysisConfig) -> bool:
        """``back_lift_thigh > max_back_lift_thigh``."""
        lift = rep.back_lift_thigh
        return lift is not None and lift > config.max_back_lift_thigh


class SupportLegDrift(FaultRule):
    """The other leg moving away from 90/90 during the rep."""

    code = "support_leg_drift"
    label = "other leg moves"
    cue = "Keep the other leg still at 90 degrees"
    description = "support knee or hip moves more than support_drift_deg"

    def applies(self, rep: RepMeasures, config: AnalysisConfig) -> bool:
        """``support_drift_deg > support_drift_deg`` threshold."""
        drift = rep.support_drift_deg
        return drift is not None and drift > config.support_drift_deg


class StartPosition(FaultRule):
    """Working leg not at 90/90 before the rep."""

    code = "start_position"
    label = "not starting from 90/90"
    cue = "Start from 90/90: hips and knees bent at right angles"
    description = "working knee or hip off 90 by more than start_tolerance_deg before the rep"

    def applies(self, rep: RepMeasures, config: AnalysisConfig) -> bool:
        """Knee or hip start angle off 90 degrees by more than the tolerance."""
        known = [a for a in (rep.knee_angle_start_deg, rep.hip_angle_start_deg) if a is not None]
        return any(abs(a - 90.0) > config.start_tolerance_deg for a in known)


class SameSideRepeat(FaultRule):
    """Two reps in a row on the same leg."""

    code = "same_side_repeat"
    label = "didn't switch legs"
    cue = "Switch legs after every rep"
    description = "the rep is on the same side as the one before"

    def applies(self, rep: RepMeasures, config: AnalysisConfig) -> bool:
        """The previous rep was on the same side."""
        return rep.previous_side == rep.side
