"""Fault rules: each declares its code and cue and registers itself on definition.

The CLI, the report and the dashboard list faults from :func:`registered_rules`, one place.
A rule decides on the measures of one finished repetition
(:class:`~psoas_coach.reps.types.RepMeasures`) with the
thresholds of :class:`~psoas_coach.config.AnalysisConfig`; it never measures anything itself.
"""

from __future__ import annotations

import abc
from typing import ClassVar

from psoas_coach.config import AnalysisConfig
from psoas_coach.reps.types import RepMeasures


class FaultRule(abc.ABC):
    """A fault: a code (docs/definitions.md section 4), the name a coach gives it (``label``),
    a plain cue for the athlete, a test. Words in other languages: :mod:`psoas_coach.faults.words`.
    """

    code: ClassVar[str]
    label: ClassVar[str]
    cue: ClassVar[str]
    description: ClassVar[str]
    _registry: ClassVar[dict[str, type[FaultRule]]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if not getattr(cls, "code", None):
            raise TypeError(f"{cls.__name__}: a fault rule must declare a code")
        if cls.code in FaultRule._registry:
            raise TypeError(f"{cls.__name__}: fault code {cls.code!r} is already registered")
        FaultRule._registry[cls.code] = cls

    @abc.abstractmethod
    def applies(self, rep: RepMeasures, config: AnalysisConfig) -> bool:
        """True when ``rep`` shows this fault under ``config``'s thresholds."""


def registered_rules() -> list[FaultRule]:
    """One instance of every registered rule, in registration order."""
    from psoas_coach.faults import rules  # noqa: F401 - importing registers the rules

    return [cls() for cls in FaultRule._registry.values()]


def fault_codes() -> list[str]:
    """Every fault code, in registration order."""
    return [rule.code for rule in registered_rules()]


def cue_for(code: str) -> str:
    """The athlete's cue of fault ``code``."""
    registered_rules()
    return FaultRule._registry[code].cue


def label_for(code: str) -> str:
    """The coach's name of fault ``code`` (English), e.g. ``back lifts off the floor``; an
    unknown code in plain words."""
    registered_rules()
    rule = FaultRule._registry.get(code)
    return rule.label if rule is not None else code.replace("_", " ")


def detect_faults(rep: RepMeasures, config: AnalysisConfig) -> list[str]:
    """Codes of every fault ``rep`` shows, in registration order."""
    return [rule.code for rule in registered_rules() if rule.applies(rep, config)]
