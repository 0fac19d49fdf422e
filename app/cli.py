"""Server-side commands: `oi serve` and `oi server ...` (they work on the database directly)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask

from scanner.printable import printable

log = logging.getLogger(__name__)


def _load_app(*, serving: bool = False) -> Flask:
    """The app for a command run by hand on this machine: development mode is allowed (`serve`
    refuses a non-loopback address in it, and the `server` commands serve nobody, so they skip
    the warnings meant for a server: under cron they would be noise)."""
    from app import create_app

    overrides = {"SCHEMA_CHECK_ON_START": False, "SERVES_REQUESTS": serving}
    return create_app(overrides, development_mode_allowed=True)


def upgrade_database(app: Flask) -> None:
    """Alembic upgrade to head, the only way the schema is made or changed."""
    from flask_migrate import upgrade

    from app import MIGRATIONS_DIRECTORY

    with app.app_context():
        upgrade(directory=MIGRATIONS_DIRECTORY)


NO_SMTP = (
    "nothing sent: no SMTP server is configured (set TOKENPATROL_SMTP_URL); the mail waits in "
    "the outbox (oi server mail status)"
)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _mail_outcome(sent_failed: tuple[int, int]) -> str:
    """What one sending pass did, or why it could not send at all."""
    from flask import current_app

    if not current_app.config["SMTP_URL"]:
        return NO_SMTP
    sent, failed = sent_failed
    retry = "retried later, or dead: oi server mail status"
    return f"sent {plural(sent, 'mail')}, {failed} failed ({retry})"


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
    """Run the service (a SQLite database is upgraded first; another must be current)."""
    from werkzeug.serving import run_simple

    from app import schema
    from app.config import is_sqlite_database

    app = _load_app(serving=True)
    if not app.config["ROOT_API_KEY"] and not is_loopback_host(host):
        raise click.UsageError(
            f"refusing to bind to {host}: development mode (no TOKENPATROL_ROOT_API_KEY) "
            "has authentication off and serves loopback only"
        )
    if is_sqlite_database(app):
        upgrade_database(app)
    schema.refuse_if_behind(app)
    interval = float(app.config["MAIL_WORKER_INTERVAL_SECONDS"])
    if interval > 0:
        from app.services import mail

        mail.start_worker(app, interval)  # mail and webhooks leave from here, never a request
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


@server.group("mail")
def mail_group() -> None:
    """The mail outbox: what waits, what is dead, and the worker that sends it."""


@mail_group.command("status")
def mail_status() -> None:
    """Queued, retrying and dead mails (the dead ones with their last error)."""
    from app.services import mail

    with _app_context():
        outbox = mail.status()
    when = outbox.next_attempt_at
    waiting = f", next attempt {when:%Y-%m-%d %H:%M:%S} UTC" if when else ""
    click.echo(
        f"queued {outbox.queued}, retrying {outbox.retrying}{waiting}, dead {outbox.dead}, "
        f"sent {outbox.sent}"
    )
    for dead in outbox.dead_mails:
        click.echo(
            f"dead: mail {dead.id} to {dead.recipient} after {dead.attempts} attempt(s): "
            f"{printable(dead.last_error or '')}"
        )


@mail_group.command("send")
def mail_send() -> None:
    """Send what is due once and exit (for cron; needs TOKENPATROL_SMTP_URL)."""
    from app.services import mail

    with _app_context():
        click.echo(_mail_outcome(mail.send_due(limit=1000)))


@mail_group.command("work")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(0.1))
def mail_work(interval: float) -> None:
    """Send due mail until stopped; run any number of these, on any machine."""
    import threading

    from app.services import mail

    app = _load_app()
    click.echo(f"mail worker: sending due mail every {interval:g} s (Ctrl-C stops)")
    try:
        mail.run_worker(app, interval, threading.Event())
    except KeyboardInterrupt:
        click.echo("mail worker: stopped")


@mail_group.command("retry")
def mail_retry() -> None:
    """Put dead mails back in the queue and make every waiting mail due now."""
    from app.services import mail

    with _app_context():
        count = mail.retry()
    click.echo(f"{count} mail(s) due again")


@server.command("revoke")
@click.option("--token-id", help="One token, by its id (pat_..., apt_..., key_..., oat_...).")
@click.option("--user", "user_ref", metavar="ACCOUNT/USER", help="Every token of one user.")
@click.option("--account", "account_id", help="Every token of every user of an account.")
def revoke(token_id: str | None, user_ref: str | None, account_id: str | None) -> None:
    """Revoke tokens at once, without the API (a compromised user, a departing account)."""
    from app.services import maintenance

    chosen = [value for value in (token_id, user_ref, account_id) if value]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --token-id, --user, --account")
    user_id = None
    if user_ref:
        account_id, sep, user_id = user_ref.partition("/")
        if not sep or not account_id or not user_id:
            raise click.UsageError("--user takes ACCOUNT/USER, e.g. acme/alice")
    with _app_context():
        count = maintenance.revoke_tokens(token_id=token_id, account_id=account_id, user_id=user_id)
    click.echo(f"revoked {count} token{'s' if count != 1 else ''}")


@server.command("purge-expired")
@click.option("--older-than-days", default=30, show_default=True, type=click.IntRange(0))
def purge_expired(older_than_days: int) -> None:
    """Delete tokens expired or revoked long ago (leaked ones are kept), old invites and codes."""
    from app.services import maintenance

    with _app_context():
        purged = maintenance.purge_expired(older_than_days)
    click.echo(
        f"purged {purged.tokens} tokens, {purged.invites} invites, "
        f"{purged.codes} authorization codes"
    )


@server.command("notify-expiring")
@click.option(
    "--now",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S"]),
    help="Act as if it were this UTC time (to try a schedule out).",
)
def notify_expiring(now: dt.datetime | None) -> None:
    """Mail each owner 7 days and 1 day before a token expires, once each (for cron)."""
    from app.services import mail, maintenance

    with _app_context():
        queued = maintenance.notify_expiring(now.replace(tzinfo=dt.UTC) if now else None)
        outcome = _mail_outcome(mail.send_due(limit=1000))
    click.echo(f"queued {plural(queued, 'reminder')}; {outcome}")


@server.command("create-admin")
@click.option("--account", "account_id", required=True, help="Made if it does not exist.")
@click.option("--user", "user_id", required=True)
@click.option("--email", required=True, help="The admin signs in to the web UI with it.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
def create_admin(account_id: str, user_id: str, email: str, password_stdin: bool) -> None:
    """The first ADMIN of an account, with a password for the web UI."""
    from app.services import maintenance

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.UsageError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    with _app_context():
        user = maintenance.create_admin(account_id, user_id, email, password)
        click.echo(f"created ADMIN {user.account_id}/{user.user_id} <{user.email}>")


MIN_PASSWORD_LENGTH = 12


@contextmanager
def _app_context() -> Iterator[None]:
    """An app context whose service errors become one-line CLI errors (exit 1)."""
    from app.errors import ApiError

    app = _load_app()
    with app.app_context():
        try:
            yield
        except ApiError as error:
            raise click.ClickException(error.message) from None
