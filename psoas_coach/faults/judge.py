"""The registered fault rules as the repetition engine's judge
(:class:`~psoas_coach.reps.types.FaultJudge`): handed to every ``RepEngine`` the product makes,
so that the repetitions' faults are judged as they are released, the same offline and live."""

from __future__ import annotations

from psoas_coach.config import AnalysisConfig
from psoas_coach.faults.base import cue_for, detect_faults
from psoas_coach.faults.review import same_side_verdict
from psoas_coach.reps.types import Rep, RepMeasures


class RuleJudge:
    """The fault rules of :mod:`psoas_coach.faults.rules`, as a ``FaultJudge``."""

    def faults(self, rep: RepMeasures, config: AnalysisConfig) -> list[str]:
        """The fault codes ``rep`` shows under ``config``, in registry order."""
        return detect_faults(rep, config)

    def cue(self, code: str) -> str:
        """The athlete's cue of fault ``code``."""
        return cue_for(code)

    def same_side(self, rep: Rep, previous_side: str | None) -> list[str]:
        """``rep``'s fault codes with ``same_side_repeat`` decided again
        (:func:`~psoas_coach.faults.review.same_side_verdict`)."""
        return same_side_verdict(rep, previous_side)


#: The judge every analysis uses.
RULES = RuleJudge()
