"""The few named choices a coach makes before any threshold: presets in words, the hold target,
how strict to be about the back and about tempo. Each choice sets a handful of
:class:`~psoas_coach.config.AnalysisConfig` overrides; the raw thresholds stay available behind
the settings form's "advanced" section.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Preset name -> what it means to a coach.
PRESET_WORDS: dict[str, str] = {
    "adult": "Adult: the standard limits",
    "youth": "Youth: a little more leeway on range, speed and start position",
}


@dataclass(frozen=True)
class Choice:
    """One named choice: form field ``choice_<key>``, its label, and option -> overrides."""

    key: str
    label: str
    hint: str
    options: dict[str, dict[str, float]]

    def selected(self, overrides: dict[str, Any]) -> str:
        """The option whose values ``overrides`` holds exactly ("" when none matches)."""
        for name, values in self.options.items():
            if all(overrides.get(k) == v for k, v in values.items()):
                return name
        return ""

    def custom(self, overrides: dict[str, Any]) -> bool:
        """True when ``overrides`` sets this choice's thresholds to values of no option."""
        keys = {k for values in self.options.values() for k in values}
        return not self.selected(overrides) and bool(keys & set(overrides))


CHOICES: tuple[Choice, ...] = (
    Choice(
        "hold",
        "Hold target",
        "How long the straight leg should be held.",
        {
            "1-2 s (beginners)": {"min_hold_s": 1.0, "max_hold_s": 2.0},
            "2-3 s (standard)": {"min_hold_s": 2.0, "max_hold_s": 3.0},
            "3-5 s (strength)": {"min_hold_s": 3.0, "max_hold_s": 5.0},
        },
    ),
    Choice(
        "back",
        "How strict about the back",
        "How far the lower back may lift before it is flagged.",
        {
            "relaxed": {"max_back_lift_thigh": 0.18},
            "standard": {"max_back_lift_thigh": 0.12},
            "strict": {"max_back_lift_thigh": 0.08},
        },
    ),
    Choice(
        "tempo",
        "How slow the push-out",
        "The shortest time to straighten the leg before it counts as rushed.",
        {
            "relaxed (0.5 s)": {"min_extension_s": 0.5},
            "controlled (0.8 s)": {"min_extension_s": 0.8},
            "slow (1.2 s)": {"min_extension_s": 1.2},
        },
    ),
)


def choice_overrides(form: dict[str, str]) -> dict[str, float]:
    """The overrides of the options chosen in ``form`` (``choice_<key>``; "" keeps the
    thresholds as they are); an unknown option raises ``ValueError`` naming it."""
    out: dict[str, float] = {}
    for choice in CHOICES:
        option = form.get(f"choice_{choice.key}", "")
        if not option:
            continue
        if option not in choice.options:
            raise ValueError(f"{choice.label.lower()}: {option!r} is not one of the choices")
        out.update(choice.options[option])
    return out
