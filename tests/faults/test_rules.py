"""The fault rules of SPEC section 4: each fires just past its threshold and not just inside it,
the threshold comes from the configuration, an unmeasured figure raises no fault, and the
registry lists the SPEC codes, in SPEC order, each with a cue."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from psoas_coach.config import AnalysisConfig, load_config
from psoas_coach.faults.base import (
    FaultRule,
    cue_for,
    detect_faults,
    fault_codes,
    registered_rules,
)
from psoas_coach.reps.types import RepMeasures

#: SPEC section 4, in table order.
SPEC_CODES = [
    "short_hold",
    "long_hold",
    "fast_extension",
    "incomplete_extension",
    "back_lift",
    "support_leg_drift",
    "start_position",
    "same_side_repeat",
]

DEFAULTS = AnalysisConfig()


def measures(**changes: Any) -> RepMeasures:
    """A clean left rep after a right one (no fault at the defaults), with ``changes``."""
    clean = RepMeasures(
        side="left",
        start_s=1.0,
        peak_s=2.6,
        end_s=6.5,
        extension_s=1.5,
        hold_s=2.5,
        hold_start_s=2.4,
        hold_end_s=4.9,
        excursion_deg=80.0,
        knee_angle_peak_deg=170.0,
        hip_angle_peak_deg=165.0,
        knee_angle_start_deg=90.0,
        hip_angle_start_deg=90.0,
        back_lift_thigh=0.02,
        support_drift_deg=4.0,
        previous_side="right",
    )
    return replace(clean, **changes)


@dataclass(frozen=True)
class Threshold:
    """One threshold rule: the figure it reads, the setting it compares with, and figures just
    inside and just past the default threshold."""

    code: str
    figure: str
    setting: str
    inside: float
    past: float


THRESHOLDS = [
    Threshold("short_hold", "hold_s", "min_hold_s", 2.0, 1.99),
    Threshold("long_hold", "hold_s", "max_hold_s", 3.0, 3.01),
    Threshold("fast_extension", "extension_s", "min_extension_s", 0.8, 0.79),
    Threshold("incomplete_extension", "knee_angle_peak_deg", "min_knee_peak_deg", 150.0, 149.9),
    Threshold("back_lift", "back_lift_thigh", "max_back_lift_thigh", 0.12, 0.121),
    Threshold("support_leg_drift", "support_drift_deg", "support_drift_deg", 20.0, 20.1),
    Threshold("start_position", "knee_angle_start_deg", "start_tolerance_deg", 110.0, 110.1),
    Threshold("start_position", "knee_angle_start_deg", "start_tolerance_deg", 70.0, 69.9),
    Threshold("start_position", "hip_angle_start_deg", "start_tolerance_deg", 110.0, 110.1),
    Threshold("start_position", "hip_angle_start_deg", "start_tolerance_deg", 70.0, 69.9),
]
THRESHOLD_IDS = [f"{t.code}-{t.figure}-{t.past}" for t in THRESHOLDS]


def test_the_clean_rep_shows_no_fault() -> None:
    assert detect_faults(measures(), DEFAULTS) == []


def test_the_table_uses_the_spec_defaults() -> None:
    """The ``inside`` figures sit on the SPEC section 4 thresholds (start: 90 ± tolerance)."""
    for t in THRESHOLDS:
        threshold = getattr(DEFAULTS, t.setting)
        on_threshold = abs(t.inside - 90.0) if t.code == "start_position" else t.inside
        assert on_threshold == threshold, t


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("t", THRESHOLDS, ids=THRESHOLD_IDS)
def test_rule_fires_just_past_its_default_threshold(t: Threshold, side: str) -> None:
    other = "right" if side == "left" else "left"
    rep = measures(side=side, previous_side=other, **{t.figure: t.past})
    assert detect_faults(rep, DEFAULTS) == [t.code]


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("t", THRESHOLDS, ids=THRESHOLD_IDS)
def test_rule_stays_quiet_on_its_default_threshold(t: Threshold, side: str) -> None:
    other = "right" if side == "left" else "left"
    rep = measures(side=side, previous_side=other, **{t.figure: t.inside})
    assert detect_faults(rep, DEFAULTS) == []


#: (code, figure, setting changed to, figure inside the new threshold, figure past it). The
#: inside figure is a fault at the defaults, or the past figure is not: the verdict moves with
#: the setting.
MOVED = [
    ("short_hold", "hold_s", {"min_hold_s": 1.5}, 1.9, 1.45),
    ("short_hold", "hold_s", {"min_hold_s": 2.8}, 2.85, 2.75),
    ("long_hold", "hold_s", {"max_hold_s": 4.0}, 3.5, 4.05),
    ("long_hold", "hold_s", {"min_hold_s": 1.0, "max_hold_s": 2.2}, 2.15, 2.25),
    ("fast_extension", "extension_s", {"min_extension_s": 0.5}, 0.6, 0.45),
    ("fast_extension", "extension_s", {"min_extension_s": 1.2}, 1.25, 1.15),
    ("incomplete_extension", "knee_angle_peak_deg", {"min_knee_peak_deg": 140.0}, 145.0, 139.0),
    ("incomplete_extension", "knee_angle_peak_deg", {"min_knee_peak_deg": 165.0}, 166.0, 164.0),
    ("back_lift", "back_lift_thigh", {"max_back_lift_thigh": 0.2}, 0.15, 0.21),
    ("back_lift", "back_lift_thigh", {"max_back_lift_thigh": 0.05}, 0.04, 0.06),
    ("support_leg_drift", "support_drift_deg", {"support_drift_deg": 30.0}, 25.0, 31.0),
    ("support_leg_drift", "support_drift_deg", {"support_drift_deg": 10.0}, 9.0, 11.0),
    ("start_position", "knee_angle_start_deg", {"start_tolerance_deg": 30.0}, 115.0, 121.0),
    ("start_position", "hip_angle_start_deg", {"start_tolerance_deg": 10.0}, 81.0, 79.0),
]


@pytest.mark.parametrize(
    ("code", "figure", "settings", "inside", "past"),
    MOVED,
    ids=[f"{code}-{next(iter(s.values()))}" for code, _, s, _, _ in MOVED],
)
def test_the_threshold_comes_from_the_configuration(
    code: str, figure: str, settings: dict[str, float], inside: float, past: float
) -> None:
    config = DEFAULTS.updated(settings)
    assert detect_faults(measures(**{figure: inside}), config) == []
    assert detect_faults(measures(**{figure: past}), config) == [code]
    at_defaults = (
        detect_faults(measures(**{figure: inside}), DEFAULTS),
        detect_faults(measures(**{figure: past}), DEFAULTS),
    )
    assert at_defaults != ([], [code]), "the changed setting made no difference"


def test_the_youth_preset_accepts_a_shorter_range_of_motion() -> None:
    rep = measures(knee_angle_peak_deg=147.0)
    assert detect_faults(rep, load_config(preset="adult")) == ["incomplete_extension"]
    assert detect_faults(rep, load_config(preset="youth")) == []


#: Configurations under which almost any measured figure is a fault (a hold is either too short
#: or too long).
STRICTEST = {
    "short": AnalysisConfig(
        min_hold_s=1e9,
        max_hold_s=1e9,
        min_extension_s=1e9,
        min_knee_peak_deg=1e9,
        max_back_lift_thigh=0.0,
        support_drift_deg=0.0,
        start_tolerance_deg=0.0,
    ),
    "long": AnalysisConfig(min_hold_s=0.0, max_hold_s=0.0),
}
UNMEASURED = [
    ("short_hold", ("hold_s",)),
    ("long_hold", ("hold_s",)),
    ("fast_extension", ("extension_s",)),
    ("incomplete_extension", ("knee_angle_peak_deg",)),
    ("back_lift", ("back_lift_thigh",)),
    ("support_leg_drift", ("support_drift_deg",)),
    ("start_position", ("knee_angle_start_deg", "hip_angle_start_deg")),
]


@pytest.mark.parametrize("strict", [False, True], ids=["defaults", "strictest"])
@pytest.mark.parametrize(("code", "figures"), UNMEASURED, ids=[c for c, _ in UNMEASURED])
def test_a_figure_not_measured_raises_no_fault(
    code: str, figures: tuple[str, ...], strict: bool
) -> None:
    config = STRICTEST["long" if code == "long_hold" else "short"] if strict else DEFAULTS
    worst = {
        "hold_s": 0.1 if code == "short_hold" else 9.0,
        "extension_s": 0.1,
        "knee_angle_peak_deg": 100.0,
        "back_lift_thigh": 0.5,
        "support_drift_deg": 45.0,
        "knee_angle_start_deg": 140.0,
        "hip_angle_start_deg": 140.0,
    }
    measured = measures(**{f: worst[f] for f in figures})
    assert code in detect_faults(measured, config)  # the same figures measured: a fault
    missing: dict[str, Any] = dict.fromkeys(figures)
    unmeasured = replace(measured, **missing, not_measured={figures[0]: "hidden"})
    assert code not in detect_faults(unmeasured, config)


@pytest.mark.parametrize(
    ("knee", "hip", "fault"),
    [
        (None, 140.0, True),
        (140.0, None, True),
        (None, 95.0, False),
        (95.0, None, False),
        (None, None, False),
    ],
)
def test_start_position_judges_the_start_angle_that_was_measured(
    knee: float | None, hip: float | None, fault: bool
) -> None:
    rep = measures(knee_angle_start_deg=knee, hip_angle_start_deg=hip)
    assert ("start_position" in detect_faults(rep, DEFAULTS)) is fault


@pytest.mark.parametrize(
    ("side", "previous_side", "fault"),
    [
        ("left", "left", True),
        ("right", "right", True),
        ("left", "right", False),
        ("right", "left", False),
        ("left", None, False),
        ("right", None, False),
    ],
)
def test_same_side_repeat_compares_with_the_previous_side(
    side: str, previous_side: str | None, fault: bool
) -> None:
    rep = measures(side=side, previous_side=previous_side)
    assert detect_faults(rep, DEFAULTS) == (["same_side_repeat"] if fault else [])
    assert detect_faults(rep, STRICTEST["short"]).count("same_side_repeat") == int(fault)


def test_the_registry_lists_exactly_the_spec_codes_in_spec_order() -> None:
    assert fault_codes() == SPEC_CODES
    assert [rule.code for rule in registered_rules()] == SPEC_CODES
    assert all(isinstance(rule, FaultRule) for rule in registered_rules())


def test_every_fault_found_at_once_comes_in_spec_order() -> None:
    everything_short = measures(
        hold_s=0.5,
        extension_s=0.3,
        knee_angle_peak_deg=120.0,
        back_lift_thigh=0.4,
        support_drift_deg=35.0,
        knee_angle_start_deg=130.0,
        previous_side="left",
    )
    expected = [c for c in SPEC_CODES if c != "long_hold"]
    assert detect_faults(everything_short, DEFAULTS) == expected
    everything_long = replace(everything_short, hold_s=6.0)
    assert detect_faults(everything_long, DEFAULTS) == [c for c in SPEC_CODES if c != "short_hold"]


@pytest.mark.parametrize("code", SPEC_CODES)
def test_every_code_has_a_plain_cue(code: str) -> None:
    cue = cue_for(code)
    assert isinstance(cue, str)
    assert 10 <= len(cue) <= 80, cue
    assert cue[0].isupper()
    assert "_" not in cue, f"the cue of {code} shows a code, not plain words: {cue!r}"
    rule = next(r for r in registered_rules() if r.code == code)
    assert rule.cue == cue
    assert rule.description


def test_cues_are_distinct_and_name_what_the_spec_asks() -> None:
    cues = [cue_for(c) for c in SPEC_CODES]
    assert len(set(cues)) == len(cues)
    assert "floor" in cue_for("back_lift").lower()
    assert "2-3 seconds" in cue_for("short_hold")
    assert "switch legs" in cue_for("same_side_repeat").lower()


def test_a_rule_without_a_code_or_with_a_taken_code_is_refused() -> None:
    with pytest.raises(TypeError, match="must declare a code"):

        class Nameless(FaultRule):
            def applies(self, rep: RepMeasures, config: AnalysisConfig) -> bool:
                return True

    with pytest.raises(TypeError, match="'back_lift' is already registered"):

        class SecondBackLift(FaultRule):
            code = "back_lift"
            cue = "Another cue"
            description = "a duplicate"

            def applies(self, rep: RepMeasures, config: AnalysisConfig) -> bool:
                return True

    assert fault_codes() == SPEC_CODES  # neither was registered
