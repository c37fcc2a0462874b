"""Every word a coach or athlete hears exists in every cue language, and a fault's name is a
coach's phrase, not its code."""

from __future__ import annotations

import pytest

from psoas_coach.faults.base import registered_rules
from psoas_coach.faults.words import LANGUAGES, fault_cue, fault_name, translate, untranslated
from psoas_coach.live.analyzer import PRAISE
from psoas_coach.live.cues import NUMBER_WORDS
from psoas_coach.live.setup import MESSAGES, READY_MESSAGE

LIVE_PHRASES = [PRAISE, "Hold", "Switch", READY_MESSAGE, *MESSAGES.values(), *NUMBER_WORDS[1:]]


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_fault_and_live_phrase_is_translated(language: str) -> None:
    assert untranslated(language) == []
    for rule in registered_rules():
        assert fault_name(rule.code, language) != rule.label, rule.code
        assert fault_cue(rule.code, language) != rule.cue, rule.code
    missing = [p for p in LIVE_PHRASES if translate(p, language) == p and p != "six"]
    assert missing == []


@pytest.mark.parametrize(
    ("code", "language", "words"),
    [
        ("back_lift", "en", "back lifts off the floor"),
        ("same_side_repeat", "en", "didn't switch legs"),
        ("fast_extension", "de", "Bein zu schnell gestreckt"),
        ("support_leg_drift", "fr", "l'autre jambe bouge"),
        ("not_a_fault", "de", "not a fault"),
    ],
)
def test_fault_names(code: str, language: str, words: str) -> None:
    assert fault_name(code, language) == words


def test_english_is_the_rules_own_words() -> None:
    for rule in registered_rules():
        assert fault_cue(rule.code) == rule.cue and fault_name(rule.code) == rule.label
        assert "_" not in rule.label
