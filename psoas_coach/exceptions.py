"""Every error the product raises on purpose, in one place.

Hierarchy::

    PsoasError                    base of all product errors; ``str()`` is a one-line message
    ├── InputError                an input file cannot be used
    │   ├── InputNotFoundError    the path does not exist
    │   ├── VideoError            unreadable, truncated or not a video
    │   ├── KeypointCSVError      empty or malformed keypoint CSV
    │   ├── ProtocolError         (live.protocol) a live message that cannot be used
    │   └── CloseConnectionError  (live.protocol) a live connection the server closes, with
    │                             its WebSocket close code and reason
    ├── AnalysisError             the input was read but gives nothing to analyse
    │   ├── NoPersonError         nobody found in the recording
    │   └── PostureError          the person is not lying down (standing or sitting)
    ├── ConfigError               a configuration file or option is invalid
    ├── PoseBackendError          the pose estimator failed to start or run
    ├── PdfError                  a report could not be printed to PDF (no Chromium, or it failed)
    └── AccountError              a coach account cannot be changed (unknown e-mail, a
                                  password against the rules, a database that cannot be used)

Messages name the thing, what was expected and what was found, e.g.
``keypoint CSV x.csv: column left_knee_x missing``. The CLI turns them into one line and a
non-zero exit; nothing else catches them.
"""

from __future__ import annotations


class PsoasError(Exception):
    """Base class of every error raised by Psoas Coach on purpose."""


class InputError(PsoasError):
    """An input file cannot be used."""


class InputNotFoundError(InputError):
    """The input path does not exist."""


class VideoError(InputError):
    """A video cannot be decoded: unreadable, truncated or not a video at all."""


class KeypointCSVError(InputError):
    """A keypoint CSV is empty or malformed (columns, numbers, time)."""


class AnalysisError(PsoasError):
    """The input was read but there is nothing that can be analysed."""


class NoPersonError(AnalysisError):
    """No person was found in the recording."""


class PostureError(AnalysisError):
    """The person is not lying on their back (standing or sitting)."""


class ConfigError(PsoasError):
    """A configuration file or option is invalid."""


class PoseBackendError(PsoasError):
    """The pose estimator could not be started or failed while running."""


class AccountError(PsoasError):
    """A coach account cannot be changed from the command line (``psoas user``)."""


class PdfError(PsoasError):
    """A report could not be printed to PDF: Chromium is missing, failed or took too long."""
