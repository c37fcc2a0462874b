"""Keep MediaPipe's native log lines off the user's terminal.

TensorFlow Lite and absl inside MediaPipe write straight to file descriptor 2 from their own
threads (and from pose worker processes, which inherit it), ignoring Python's logging. While
:func:`filtered_stderr` is active, descriptor 2 is a pipe; a thread forwards every line to
the real stderr except those native log lines.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator

#: Lines written by MediaPipe's C++ code: absl/glog prefixes and TensorFlow Lite notices.
NATIVE_LOG = re.compile(
    rb"^(?:[IWE]\d{4} [\d:.]+ +\d+ \S+:\d+\]|INFO: Created TensorFlow Lite"
    rb"|WARNING: All log messages before absl::InitializeLog)"
)


@contextlib.contextmanager
def filtered_stderr() -> Iterator[None]:
    """Route descriptor 2 through a filter that drops native log lines, for the block's span."""
    sys.stderr.flush()
    saved = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    pump = threading.Thread(target=_forward, args=(read_end, saved), daemon=True)
    pump.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end held here
        pump.join(timeout=5)
        os.close(saved)


def _forward(read_end: int, target: int) -> None:
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        pending = b""
        while chunk := pipe.read(65536):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if not NATIVE_LOG.match(line):
                    os.write(target, line + b"\n")
        if pending and not NATIVE_LOG.match(pending):
            os.write(target, pending)
