"""Server-side commands: `oi serve` and `oi server ...` (they work on the database directly)."""

from __future__ import annotations

import ipaddress
import logging
import socket

import click
from flask import Flask

log = logging.getLogger(__name__)


def _load_app() -> Flask:
    from app import create_app

    return create_app()


def upgrade_database(app: Flask) -> None:
    """Alembic upgrade to head, the only way the schema is made or changed."""
    from flask_migrate import upgrade

    from app import MIGRATIONS_DIRECTORY

    with app.app_context():
        upgrade(directory=MIGRATIONS_DIRECTORY)


def is_loopback_host(host: str) -> bool:
    """True when every address `host` resolves to is a loopback address."""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
def serve(host: str, port: int) -> None:
    """Run the service (the embedded SQLite database is upgraded first)."""
    from werkzeug.serving import run_simple

    from app.config import is_embedded_database

    app = _load_app()
    if not app.config["ROOT_API_KEY"] and not is_loopback_host(host):
        raise click.UsageError(
            f"refusing to bind to {host}: development mode (no TOKENPATROL_ROOT_API_KEY) "
            "has authentication off and serves loopback only"
        )
    if is_embedded_database(app):
        upgrade_database(app)
    run_simple(host, port, app, threaded=True, use_reloader=False)


@click.group("server")
def server() -> None:
    """Maintenance commands that work on the database directly."""


@server.command("upgrade-db")
def upgrade_db() -> None:
    """Create or migrate the schema to the newest revision (Alembic head)."""
    app = _load_app()
    upgrade_database(app)
    click.echo("database schema is at the newest revision")


@server.command("send-mail")
def send_mail() -> None:
    """Retry mail that could not be delivered (for cron; needs TOKENPATROL_SMTP_URL)."""
    from app.services import mail

    app = _load_app()
    with app.app_context():
        sent, failed = mail.deliver_pending(limit=1000)
    click.echo(f"sent {sent}, failed {failed}")
