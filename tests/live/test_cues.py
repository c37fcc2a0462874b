"""One cue at a time: cooldown, priority, no repeats, the countdown never waits, mute."""

from __future__ import annotations

import pytest

from psoas_coach.live.cues import CueScheduler, number_word
from psoas_coach.live.events import Cue


def _texts(cues: list[Cue]) -> list[str]:
    return [c.text for c in cues]


def test_a_second_cue_waits_for_the_cooldown() -> None:
    cues = CueScheduler(cooldown_s=4.0)
    assert _texts(cues.offer(0.0, "Keep your back down", "fault")) == ["Keep your back down"]
    assert cues.offer(1.0, "Slow down", "fault") == []
    assert cues.poll(3.9) == []
    assert _texts(cues.poll(4.0)) == ["Slow down"]


def test_the_more_important_cue_wins_the_waiting_slot() -> None:
    cues = CueScheduler(cooldown_s=4.0)
    cues.offer(0.0, "Good rep", "praise")
    cues.offer(1.0, "Good rep again", "praise")
    cues.offer(1.5, "Slow down", "fault")
    cues.offer(2.0, "Nice", "praise")
    assert _texts(cues.poll(4.0)) == ["Slow down"]
    assert cues.poll(9.0) == []


def test_a_stale_cue_is_dropped() -> None:
    cues = CueScheduler(cooldown_s=4.0, max_wait_s=3.0)
    cues.offer(0.0, "One", "fault")
    cues.offer(0.5, "Two", "fault")
    assert cues.poll(4.0) == []


def test_the_same_words_are_not_repeated_within_repeat_s() -> None:
    cues = CueScheduler(cooldown_s=1.0, repeat_s=10.0)
    said = []
    for t in range(0, 25):
        said += _texts(cues.offer(float(t), "Bring both legs to 90/90", "setup"))
    assert said == ["Bring both legs to 90/90"] * 3  # at 0, 10 and 20 s


@pytest.mark.parametrize("category", ["count", "switch"])
def test_the_countdown_never_waits(category: str) -> None:
    cues = CueScheduler(cooldown_s=4.0)
    cues.offer(0.0, "Keep your back down", "fault")
    assert _texts(cues.offer(0.2, "two", category)) == ["two"]
    assert _texts(cues.offer(0.3, "two", category)) == ["two"]


def test_no_cue_right_after_a_countdown_word() -> None:
    cues = CueScheduler(cooldown_s=0.0, quiet_after_count_s=0.8)
    cues.offer(10.0, "Switch", "switch")
    assert cues.offer(10.5, "Good rep", "praise") == []
    assert _texts(cues.poll(10.8)) == ["Good rep"]


def test_muted_cues_are_shown_but_not_spoken() -> None:
    cues = CueScheduler(muted=True)
    (cue,) = cues.offer(0.0, "Hold", "count")
    assert cue == Cue(0.0, "Hold", "count", spoken=False)
    assert cues.showing(1.0) == ("Hold", "count")
    assert cues.showing(3.5) == ("", "")
    cues.muted = False
    assert cues.offer(4.0, "two", "count")[0].spoken


def test_number_words() -> None:
    assert [number_word(n) for n in (1, 2, 3, 12)] == ["one", "two", "three", "12"]


def test_cues_are_released_in_the_schedulers_language() -> None:
    cues = CueScheduler(cooldown_s=4.0, language="de", repeat_s=10.0)
    said = cues.offer(0.0, "Keep your lower back on the floor: brace your belly", "fault")
    assert _texts(said) == ["Lass den unteren Rücken am Boden: Bauch anspannen"]
    assert cues.showing(1.0)[0] == "Lass den unteren Rücken am Boden: Bauch anspannen"
    assert _texts(cues.offer(1.0, "Hold", "count")) == ["Halten"]
    assert _texts(cues.offer(2.0, number_word(2), "count")) == ["zwei"]
    assert cues.offer(5.0, "Keep your lower back on the floor: brace your belly", "fault") == []
    assert _texts(cues.offer(6.0, "a cue without a translation", "fault")) == [
        "a cue without a translation"
    ]


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="language 'xx' is not one of en, de, fr"):
        CueScheduler(language="xx")
