"""Spoken cues: the espeak-ng speaker runs a real program (a script standing in for espeak-ng,
which records what it was asked to say), drops the oldest cues when they pile up, and stays
silent when the program breaks."""

from __future__ import annotations

import stat
import time
from pathlib import Path

from psoas_coach.live.speech import MAX_WAITING, WORDS_PER_MINUTE, EspeakSpeaker


def fake_espeak(folder: Path, pause_s: float) -> tuple[Path, Path]:
    """A program taking espeak-ng's arguments that writes them, one call a line, to a log."""
    log = folder / "said.txt"
    program = folder / "espeak-ng"
    program.write_text(f'#!/bin/sh\nsleep {pause_s}\necho "$@" >> "{log}"\n')
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program, log


def said(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_cues_are_spoken_in_order_at_the_set_speed(tmp_path: Path) -> None:
    program, log = fake_espeak(tmp_path, 0.0)
    speaker = EspeakSpeaker(str(program))
    speaker.say("Hold")
    time.sleep(0.5)  # one cue at a time: the first is said before the second is queued
    speaker.say("Switch")
    speaker.close()
    assert said(log) == [f"-s {WORDS_PER_MINUTE} Hold", f"-s {WORDS_PER_MINUTE} Switch"]


def test_piled_up_cues_drop_the_oldest_and_never_block(tmp_path: Path) -> None:
    program, log = fake_espeak(tmp_path, 0.3)
    speaker = EspeakSpeaker(str(program))
    started = time.perf_counter()
    for i in range(10):
        speaker.say(f"cue {i}")
    assert time.perf_counter() - started < 1.5  # queued, not spoken (10 x 0.3 s), by say()
    speaker.close()
    spoken = said(log)
    assert len(spoken) <= MAX_WAITING + 1
    assert spoken[-1].endswith("cue 9")  # the newest cue is never the one dropped


def test_a_broken_program_means_silence_not_a_failure(tmp_path: Path) -> None:
    speaker = EspeakSpeaker(str(tmp_path / "no-such-program"))
    for text in ("Hold", "Switch", "Hold"):
        speaker.say(text)
    speaker.close()


def test_another_language_speaks_with_its_voice(tmp_path: Path) -> None:
    program, log = fake_espeak(tmp_path, 0.0)
    speaker = EspeakSpeaker(str(program), language="de")
    speaker.say("Halten")
    speaker.close()
    assert said(log) == [f"-v de -s {WORDS_PER_MINUTE} Halten"]
