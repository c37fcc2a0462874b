"""What to say and when: one cue at a time, with a cooldown so the athlete is not nagged.

The hold countdown (``count`` and ``switch`` cues) is time-critical and always goes out at once.
Every other cue (``setup``, ``fault``, ``praise``) is offered to :class:`CueScheduler`, which
keeps the most important one waiting and releases it when the cooldown since the last such
cue has passed and no countdown word was just said; a cue waiting too long is dropped, and the
same words are not repeated within ``repeat_s``. Muting keeps the cues (for the screen) but
marks them not to be spoken. Cues are offered in English and released in the scheduler's
``language`` (:func:`psoas_coach.faults.words.translate`): the team's cue language.
"""

from __future__ import annotations

from dataclasses import dataclass

from psoas_coach.faults.words import DEFAULT_LANGUAGE, check_language, translate
from psoas_coach.live.events import Cue

#: Importance of each category: higher wins the waiting slot.
PRIORITY = {"praise": 0, "fault": 1, "setup": 2}
IMMEDIATE = ("count", "switch")

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def number_word(n: int) -> str:
    """``n`` as a spoken word (``"two"``), digits above nine."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


@dataclass
class _Waiting:
    time_s: float
    text: str
    category: str


class CueScheduler:
    """Releases cues one at a time.

    Args:
        cooldown_s: seconds between two non-countdown cues.
        quiet_after_count_s: seconds after a countdown word before another cue may follow.
        max_wait_s: a cue not released within this many seconds is dropped (it is stale).
        repeat_s: the same words are not said again within this many seconds.
        show_s: seconds a cue stays on screen (:meth:`showing`).
        muted: start muted (cues shown, not spoken).
        language: the language cues are released in (a code of
            :data:`psoas_coach.faults.words.LANGUAGES`); offered texts are English.
    """

    def __init__(
        self,
        *,
        cooldown_s: float = 4.0,
        quiet_after_count_s: float = 0.8,
        max_wait_s: float = 3.0,
        repeat_s: float = 10.0,
        show_s: float = 3.0,
        muted: bool = False,
        language: str = DEFAULT_LANGUAGE,
    ) -> None:
        self.cooldown_s = cooldown_s
        self.quiet_after_count_s = quiet_after_count_s
        self.max_wait_s = max_wait_s
        self.repeat_s = repeat_s
        self.show_s = show_s
        self.muted = muted
        self.language = check_language(language)
        self.reset()

    def reset(self) -> None:
        """Forget what was said and what waits (mute is kept)."""
        self._waiting: _Waiting | None = None
        self._last_cue_s = float("-inf")
        self._last_count_s = float("-inf")
        self._said: dict[str, float] = {}
        self._shown: tuple[float, str, str] = (float("-inf"), "", "")

    def offer(self, time_s: float, text: str, category: str) -> list[Cue]:
        """Offer a cue at ``time_s`` seconds; returns the cues released now (maybe none)."""
        if category in IMMEDIATE:
            self._last_count_s = time_s
            return [self._emit(time_s, text, category)]
        if time_s - self._said.get(text, float("-inf")) < self.repeat_s:
            return self.poll(time_s)
        waiting = self._waiting
        if waiting is None or PRIORITY[category] > PRIORITY[waiting.category]:
            self._waiting = _Waiting(time_s, text, category)
        return self.poll(time_s)

    def poll(self, time_s: float) -> list[Cue]:
        """Release the waiting cue if its turn has come (call once per frame)."""
        waiting = self._waiting
        if waiting is None:
            return []
        if time_s - waiting.time_s > self.max_wait_s:
            self._waiting = None
            return []
        if time_s - self._last_cue_s < self.cooldown_s:
            return []
        if time_s - self._last_count_s < self.quiet_after_count_s:
            return []
        self._waiting = None
        self._last_cue_s = time_s
        return [self._emit(time_s, waiting.text, waiting.category)]

    def showing(self, time_s: float) -> tuple[str, str]:
        """Text and category of the latest cue while it is on screen, else empty strings."""
        shown_at, text, category = self._shown
        return (text, category) if time_s - shown_at < self.show_s else ("", "")

    def _emit(self, time_s: float, text: str, category: str) -> Cue:
        self._said[text] = time_s
        words = translate(text, self.language)
        self._shown = (time_s, words, category)
        return Cue(time_s, words, category, spoken=not self.muted)
