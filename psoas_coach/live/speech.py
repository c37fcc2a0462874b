"""Sound for the desktop coach: cues spoken by espeak-ng when installed, else a terminal bell.

Speakers are swappable with a null choice (:class:`SilentSpeaker`). Speaking never blocks the
frame loop (a worker thread says one cue at a time; when cues pile up the oldest are dropped)
and never fails the set: a speech program that is missing or breaks falls back to silence.
"""

from __future__ import annotations

import abc
import queue
import shutil
import subprocess
import sys
import threading

#: Words per minute for espeak-ng, and the longest a cue may take to say (s).
WORDS_PER_MINUTE = 165
SAY_TIMEOUT_S = 10.0
#: Cues waiting to be said; more are dropped (the oldest first).
MAX_WAITING = 2


class Speaker(abc.ABC):
    """Says cues to the athlete."""

    @abc.abstractmethod
    def say(self, text: str) -> None:
        """Say ``text`` (returns at once)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Stop speaking and release what is held."""


class SilentSpeaker(Speaker):
    """The null choice: says nothing."""

    def say(self, text: str) -> None:
        """Nothing."""


class BellSpeaker(Speaker):
    """Rings the terminal bell for each cue (when no speech program is installed)."""

    def say(self, text: str) -> None:
        """One bell on stderr."""
        sys.stderr.write("\a")
        sys.stderr.flush()


class EspeakSpeaker(Speaker):
    """Speaks through ``espeak-ng`` (or ``espeak``) in a worker thread, one cue at a time, with
    the voice of ``language`` (``en``, ``de``, ``fr``: espeak's own voice names)."""

    def __init__(self, program: str, language: str = "en") -> None:
        self.program = program
        self.voice = [] if language == "en" else ["-v", language]
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="psoas-speech", daemon=True)
        self._thread.start()

    def say(self, text: str) -> None:
        """Queue ``text``; the oldest waiting cue is dropped when too many wait."""
        while self._queue.qsize() >= MAX_WAITING:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._queue.put(text)

    def close(self) -> None:
        """Let the current cue finish, then stop the worker."""
        self._queue.put(None)
        self._thread.join(SAY_TIMEOUT_S)

    def _work(self) -> None:
        while (text := self._queue.get()) is not None:
            command = [self.program, *self.voice, "-s", str(WORDS_PER_MINUTE), text]
            try:
                subprocess.run(command, capture_output=True, timeout=SAY_TIMEOUT_S, check=False)
            except (OSError, subprocess.SubprocessError):
                return  # speech broke: stay silent for the rest of the set


def make_speaker(enabled: bool, language: str = "en") -> Speaker:
    """espeak-ng (or espeak) speaking ``language`` when ``enabled`` and installed, else a bell;
    silent if disabled."""
    if not enabled:
        return SilentSpeaker()
    program = shutil.which("espeak-ng") or shutil.which("espeak")
    return EspeakSpeaker(program, language) if program else BellSpeaker()
