"""The one configuration of the analysis: fault thresholds and signal settings.

Defaults and fault thresholds: docs/definitions.md section 4. Override them with a preset
(``youth``, ``adult``), a TOML or JSON file whose keys are the field names below, and CLI
options, applied in that order.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from psoas_coach.exceptions import ConfigError


@dataclass(frozen=True)
class AnalysisConfig:
    """Thresholds and signal settings. Units are in each field's name.

    Fault thresholds (docs/definitions.md section 4):
        min_hold_s: a hold shorter than this is ``short_hold``.
        max_hold_s: a hold longer than this is ``long_hold``.
        min_extension_s: an extension faster than this is ``fast_extension``.
        min_knee_peak_deg: a peak knee angle below this is ``incomplete_extension``.
        max_back_lift_thigh: pelvis rise (share of thigh length) above this is ``back_lift``.
        support_drift_deg: support-leg knee/hip change above this is ``support_leg_drift``.
        start_tolerance_deg: working knee/hip off 90 degrees by more than this before the rep
            is ``start_position``.

    Repetition definition (docs/definitions.md section 3.3):
        min_excursion_deg: knee excursions below this are twitches, not repetitions.
        min_rep_peak_knee_deg: a knee that never opens past this is no march extension (e.g.
            the knees of a glute bridge), whatever its excursion.
        max_rep_start_offset_deg: a movement starting with the knee further than this from 90
            degrees is another exercise, not a march from 90/90.

    Signal clean-up:
        smoothing_hz: low-pass cut-off for landmark tracks in hertz (offline: zero-phase);
            0 chooses it from the recording's measured noise (1.2-2.5 Hz).
        max_gap_s: gaps in tracking up to this long are interpolated; longer ones stay missing.
        outlier_px_per_thigh: a landmark jumping more than this many thigh lengths away from its
            local median is an outlier.
        min_visibility: landmarks below this visibility are treated as missing.
    """

    min_hold_s: float = 2.0
    max_hold_s: float = 3.0
    min_extension_s: float = 0.8
    min_knee_peak_deg: float = 150.0
    max_back_lift_thigh: float = 0.12
    support_drift_deg: float = 20.0
    start_tolerance_deg: float = 20.0
    min_excursion_deg: float = 25.0
    min_rep_peak_knee_deg: float = 105.0
    max_rep_start_offset_deg: float = 50.0
    smoothing_hz: float = 0.0
    max_gap_s: float = 1.0
    outlier_px_per_thigh: float = 0.35
    min_visibility: float = 0.2

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ConfigError(
                    f"config: {f.name} must be a non-negative number, found {value!r}"
                )
        if self.min_hold_s > self.max_hold_s:
            raise ConfigError(
                f"config: min_hold_s ({self.min_hold_s}) is above max_hold_s ({self.max_hold_s})"
            )

    def to_dict(self) -> dict[str, float]:
        """All settings as a plain dict (for the report and the dashboard)."""
        return {k: float(v) for k, v in asdict(self).items()}

    def updated(self, overrides: dict[str, Any], *, origin: str = "options") -> AnalysisConfig:
        """A copy with ``overrides`` applied; unknown keys raise :class:`ConfigError`."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(
                f"{origin}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})"
            )
        values: dict[str, float] = {}
        for key, value in overrides.items():
            try:
                values[key] = float(value)
            except (TypeError, ValueError):
                raise ConfigError(f"{origin}: {key} must be a number, found {value!r}") from None
        return replace(self, **values)


#: Each setting in a coach's words: name -> (label, unit, one sentence). The dashboard shows
#: them in its "advanced" section; the unit is also in the field name.
FIELD_HELP: dict[str, tuple[str, str, str]] = {
    "min_hold_s": ("Shortest hold", "s", "A hold shorter than this is flagged 'hold too short'."),
    "max_hold_s": ("Longest hold", "s", "A hold longer than this is flagged 'hold too long'."),
    "min_extension_s": (
        "Shortest push-out time",
        "s",
        "Straightening the leg faster than this is flagged as rushed.",
    ),
    "min_knee_peak_deg": (
        "Straight knee",
        "°",
        "A knee that opens less than this (180° is fully straight) is 'not fully straight'.",
    ),
    "max_back_lift_thigh": (
        "Back lift allowed",
        "thigh lengths",
        "The pelvis may rise this share of the thigh's length before 'back lifts' is flagged.",
    ),
    "support_drift_deg": (
        "Other-leg movement allowed",
        "°",
        "The leg staying at 90/90 may move this much before 'other leg moves' is flagged.",
    ),
    "start_tolerance_deg": (
        "Start position tolerance",
        "°",
        "Hip and knee may be this far from 90° at the start of a rep.",
    ),
    "min_excursion_deg": (
        "Smallest rep",
        "°",
        "A knee movement smaller than this is a twitch, not a rep.",
    ),
    "min_rep_peak_knee_deg": (
        "Smallest knee opening for a rep",
        "°",
        "A knee that never opens past this is another exercise (e.g. a bridge), not a rep.",
    ),
    "max_rep_start_offset_deg": (
        "Furthest start from 90/90",
        "°",
        "A movement starting further than this from 90° is not counted as a march rep.",
    ),
    "smoothing_hz": (
        "Smoothing",
        "Hz",
        "How much the tracked points are smoothed; 0 picks it from the video's noise.",
    ),
    "max_gap_s": (
        "Longest gap filled",
        "s",
        "Moments the body is lost up to this long are filled in; longer ones stay missing.",
    ),
    "outlier_px_per_thigh": (
        "Jump treated as a glitch",
        "thigh lengths",
        "A tracked point jumping further than this from its neighbours is ignored.",
    ),
    "min_visibility": (
        "Least visibility used",
        "0-1",
        "Body points the camera sees less clearly than this are treated as missing.",
    ),
}

#: Named starting points. ``adult`` is the defaults as they are. ``youth`` keeps the hold window
#: but accepts a slightly shorter range of motion and a wider start tolerance, since young athletes
#: mostly show weakness rather than poor intent; back and support-leg limits stay strict.
PRESETS: dict[str, dict[str, float]] = {
    "adult": {},
    "youth": {"min_knee_peak_deg": 145.0, "start_tolerance_deg": 25.0, "min_extension_s": 0.7},
}


def load_config(
    *,
    preset: str | None = None,
    path: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> AnalysisConfig:
    """Defaults, then ``preset``, then the TOML/JSON file at ``path``, then ``overrides``."""
    config = AnalysisConfig()
    if preset is not None:
        if preset not in PRESETS:
            raise ConfigError(f"config: unknown preset {preset!r} (known: {', '.join(PRESETS)})")
        config = config.updated(PRESETS[preset], origin=f"preset {preset}")
    if path is not None:
        config = config.updated(_read_file(path), origin=f"config file {path}")
    if overrides:
        config = config.updated(overrides)
    return config


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"config file {path}: cannot be read ({err.strerror})") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(
            f"config file {path}: not valid {path.suffix[1:] or 'TOML'} ({err})"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"config file {path}: expected a table of settings, found {type(data).__name__}"
        )
    section = data.get("analysis", data)
    return dict(section)
