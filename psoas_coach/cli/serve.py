"""``psoas serve``: the coach dashboard (web app) on this computer.

The database is a SQLite file in the data directory unless ``--database-url`` (or
``PSOAS_DATABASE_URL``) names another, e.g. PostgreSQL. The schema is created and upgraded by
the migrations at start-up; analyses run in the server's background worker, or with ``--ray``
as tasks on a Ray cluster (PostgreSQL is then the store to use, so several servers can share
the queue; the data directory must be on storage the cluster's nodes share).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

    from psoas_coach.web.settings import Settings


def register(commands: Any) -> None:
    """Add the ``serve`` subcommand to ``commands`` (an argparse subparsers object)."""
    parser = commands.add_parser(
        "serve",
        help="run the coach dashboard (web app) on this computer",
        description=(
            "Start the coach dashboard: teams, athletes, sessions, uploads analysed in the "
            "background, reports, trends. Open the printed address in a browser."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="folder for the database, uploads and results "
        "(default: $PSOAS_DATA_DIR or ~/.local/share/psoas-coach)",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="SQLAlchemy database URL, e.g. postgresql://user:pw@host/db "
        "(default: $PSOAS_DATABASE_URL or a SQLite file in the data directory)",
    )
    parser.add_argument(
        "--analysis-workers",
        type=int,
        metavar="N",
        help="analyses running at once, 1-4, up to 64 with --ray "
        "(default: $PSOAS_ANALYSIS_WORKERS or 1)",
    )
    parser.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="run the analyses on the Ray cluster at ADDRESS (host:port), one task per upload; "
        "the data directory must be on storage every node sees at the same path "
        "(default: $PSOAS_RAY_ADDRESS, or analyses on this machine)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print where things are, then serve until interrupted."""
    import logging
    from dataclasses import replace

    import uvicorn

    from psoas_coach.storage.db import display_url
    from psoas_coach.web.app import create_app
    from psoas_coach.web.settings import Settings

    try:
        settings = Settings.from_env(data_dir=args.data_dir, database_url=args.database_url)
        if args.ray:
            settings = replace(settings, ray_address=args.ray)
        if args.analysis_workers is not None:
            settings = replace(settings, analysis_workers=args.analysis_workers)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    problem = _database_problem(settings.resolved_database_url)
    if problem:
        print(
            f"error: database {display_url(settings.resolved_database_url)}: {problem}",
            file=sys.stderr,
        )
        return 2
    if settings.ray_address:
        from psoas_coach.cluster.engine import ClusterError, open_engine

        try:
            open_engine(settings.ray_address)  # the worker uses this connection
        except ClusterError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    print(f"Psoas Coach dashboard: http://{args.host}:{args.port}/", flush=True)
    print(f"  data directory: {settings.data_dir.resolve()}", flush=True)
    print(f"  database:       {display_url(settings.resolved_database_url)}", flush=True)
    if settings.ray_address:
        print(f"  analyses on:    Ray cluster at {settings.ray_address}", flush=True)
    app = create_app(settings)
    uvicorn.Server(server_config(app, settings, host=args.host, port=args.port)).run()
    return 0


def server_config(app: FastAPI, settings: Settings, *, host: str, port: int) -> uvicorn.Config:
    """uvicorn's configuration of the dashboard: ``X-Forwarded-*`` headers are believed only
    from ``settings.trusted_proxies`` (by default from no one, so a client cannot pose as
    another address to the login throttle)."""
    import uvicorn

    from psoas_coach.live.server import websocket_options

    trusted = settings.trusted_proxies
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        **websocket_options(),
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )


def _database_problem(url: str) -> str | None:
    """Why the database at ``url`` cannot be used (one line), or ``None`` when it answers."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from psoas_coach.storage.db import make_engine

    try:
        engine = make_engine(url)
    except (SQLAlchemyError, ValueError, ImportError) as err:
        return f"invalid URL ({err})"
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as err:
        cause = getattr(err, "orig", None) or err
        return "cannot connect (" + " ".join(str(cause).split())[:300] + ")"
    finally:
        engine.dispose()
    return None
