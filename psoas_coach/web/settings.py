"""The one settings object of the dashboard, from arguments and ``PSOAS_*`` environment variables.

=========================== ================================== ===============================
setting                     environment variable               default
=========================== ================================== ===============================
``data_dir``                ``PSOAS_DATA_DIR``                 ``~/.local/share/psoas-coach``
``database_url``            ``PSOAS_DATABASE_URL``             SQLite file ``<data_dir>/psoas.db``
``max_upload_mb``           ``PSOAS_MAX_UPLOAD_MB``            500 (megabytes per upload)
``analysis_workers``        ``PSOAS_ANALYSIS_WORKERS``         1 (analyses at once, 1-2)
``pose_workers``            ``PSOAS_POSE_WORKERS``             2 (processes per video analysis)
``analysis_memory_mb``      ``PSOAS_ANALYSIS_MEMORY_MB``       4000 (address space per analysis)
``secure_cookies``          ``PSOAS_SECURE_COOKIES``           off (turn on behind HTTPS)
``trusted_proxies``         ``PSOAS_TRUSTED_PROXIES``          none (addresses of reverse proxies)
``ray_address``             ``PSOAS_RAY_ADDRESS``              none (analyses run on this machine)
=========================== ================================== ===============================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from psoas_coach.storage.db import normalize_url, sqlite_url
from psoas_coach.storage.files import DATABASE_FILE

#: Most analyses at once when they run on a Ray cluster (each waits in a server thread).
MAX_RAY_ANALYSES = 64


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/psoas-coach`` (``~/.local/share/psoas-coach`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "psoas-coach"


@dataclass(frozen=True)
class Settings:
    """Everything the dashboard can be configured with. Units are in the names.

    Attributes:
        data_dir: folder of the SQLite database, uploads and results (created if missing).
        database_url: SQLAlchemy URL; empty means the SQLite file in ``data_dir``.
        max_upload_mb: largest accepted upload, megabytes (10^6 bytes).
        analysis_workers: analyses run at the same time (threads in the server); 1-4, or up
            to :data:`MAX_RAY_ANALYSES` with ``ray_address``.
        pose_workers: processes sharing the pose estimation of one video.
        analysis_memory_mb: address space of each analysis process (and of each of its pose
            processes), megabytes; an analysis needing more fails with that reason.
        max_attempts: a job interrupted this many times (crashes) fails instead of re-queueing.
        session_days: a login lasts this many days.
        secure_cookies: mark cookies ``Secure`` (HTTPS only).
        skeleton_video: make an annotated skeleton-only video for keypoint CSV uploads.
        worker_poll_s: how often idle workers look for jobs queued by another process, seconds.
        login_max_failures: wrong passwords for one account from one client address within
            ``login_window_min`` that lock that account out from that address until the
            oldest leaves the window (see :mod:`psoas_coach.web.throttle` for the higher
            ceilings per address and per account).
        login_window_min: the failed-login window, minutes.
        live_engine_processes: processes the live sets are spread over (as ``psoas live
            --serve``; default one per CPU core; 0: the server's own process, which holds them
            to one core).
        signups_per_hour: sign-up attempts accepted from one client address per hour (0: no
            limit); more are answered 429 with ``Retry-After``.
        trusted_proxies: comma-separated addresses (or networks) of reverse proxies whose
            ``X-Forwarded-For`` / ``X-Forwarded-Proto`` headers are believed; empty (the
            default): those headers are ignored, the client is the connection's address.
        ray_address: address of a Ray cluster (``host:port``) that runs the analyses, one
            task of one core each (:mod:`psoas_coach.web.ray_jobs`); empty (the default):
            they run in child processes of the server.
    """

    data_dir: Path
    database_url: str = ""
    max_upload_mb: float = 500.0
    analysis_workers: int = 1
    pose_workers: int = 2
    analysis_memory_mb: float = 4000.0
    max_attempts: int = 3
    session_days: int = 14
    secure_cookies: bool = False
    skeleton_video: bool = True
    worker_poll_s: float = 1.0
    login_max_failures: int = 5
    login_window_min: float = 15.0
    signups_per_hour: int = 20
    live_engine_processes: int = field(default_factory=lambda: os.cpu_count() or 1)
    trusted_proxies: str = ""
    ray_address: str = ""

    def __post_init__(self) -> None:
        most = MAX_RAY_ANALYSES if self.ray_address else 4
        if not 1 <= self.analysis_workers <= most:
            raise ValueError(f"analysis_workers must be 1-{most}, found {self.analysis_workers}")
        if self.pose_workers < 1 or self.max_upload_mb <= 0:
            raise ValueError("pose_workers must be at least 1 and max_upload_mb above 0")
        if self.analysis_memory_mb < 500:
            raise ValueError(
                f"analysis_memory_mb must be at least 500, found {self.analysis_memory_mb:g}"
            )

    @property
    def resolved_database_url(self) -> str:
        """The database URL to connect to (the data directory's SQLite file by default)."""
        if self.database_url:
            return normalize_url(self.database_url)
        return sqlite_url(self.data_dir / DATABASE_FILE)

    @property
    def max_upload_bytes(self) -> int:
        """:attr:`max_upload_mb` in bytes."""
        return int(self.max_upload_mb * 1_000_000)

    @classmethod
    def from_env(cls, *, data_dir: Path | None = None, database_url: str | None = None) -> Settings:
        """Settings from ``PSOAS_*`` environment variables; arguments given win over them."""
        env = os.environ
        base = cls(
            data_dir=data_dir or Path(env.get("PSOAS_DATA_DIR") or default_data_dir()),
            database_url=database_url or env.get("PSOAS_DATABASE_URL") or "",
        )
        return replace(
            base,
            ray_address=env.get("PSOAS_RAY_ADDRESS", "").strip(),
            max_upload_mb=float(env.get("PSOAS_MAX_UPLOAD_MB", base.max_upload_mb)),
            analysis_workers=int(env.get("PSOAS_ANALYSIS_WORKERS", base.analysis_workers)),
            pose_workers=int(env.get("PSOAS_POSE_WORKERS", base.pose_workers)),
            analysis_memory_mb=float(env.get("PSOAS_ANALYSIS_MEMORY_MB", base.analysis_memory_mb)),
            secure_cookies=env.get("PSOAS_SECURE_COOKIES", "") in ("1", "true", "yes"),
            trusted_proxies=env.get("PSOAS_TRUSTED_PROXIES", "").strip(),
            signups_per_hour=int(env.get("PSOAS_SIGNUPS_PER_HOUR", base.signups_per_hour)),
            live_engine_processes=int(
                env.get("PSOAS_LIVE_ENGINE_PROCESSES", base.live_engine_processes)
            ),
        )
