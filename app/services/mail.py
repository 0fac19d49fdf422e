"""Outgoing mail (and webhook deliveries) through an outbox: queued in the caller's
transaction, sent by a worker.

No request ever waits on mail. A worker (`oi server mail work`, any number of them on any
machine; under `oi serve`, a background thread) claims due mails one at a time with a
conditional UPDATE, sends each with a bounded SMTP timeout and, when that fails, schedules the
next attempt with exponential backoff. After MAIL_MAX_ATTEMPTS, or at once for a mail that
cannot even be built, the mail is dead: `oi server mail status` shows it, and only
`oi server mail retry` puts it back in the queue.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import Flask, current_app
from sqlalchemy import ColumnElement, and_, func, or_, select, update

from app.extensions import db
from app.models import MailOutbox, utcnow
from app.services import sealing, webhooks

log = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died mid-way; it may be taken over. It is
# far longer than any SMTP exchange can last (MAIL_SMTP_TIMEOUT_SECONDS per socket operation).
CLAIM_LEASE = dt.timedelta(minutes=5)
DEAD_SHOWN = 20


@dataclass(frozen=True)
class DeadMail:
    id: int
    recipient: str
    attempts: int
    last_error: str | None


SEALED, SEAL_PURPOSE = "sealed:", "mail body"
SENT_SECRET = "(sent; the body held a secret and is not kept)"


@dataclass(frozen=True)
class OutboxStatus:
    queued: int  # waiting for a first attempt, or due again
    retrying: int  # failed at least once, waiting for its next attempt
    dead: int
    sent: int
    next_attempt_at: dt.datetime | None
    dead_mails: list[DeadMail]


def queue(recipient: str, subject: str, body: str, *, secret: bool = False) -> None:
    """Add a mail to the current transaction; it exists only if the caller commits. A `secret`
    body (a password link) is kept sealed while it waits, and dropped once it is sent."""
    stored = SEALED + sealing.seal(SEAL_PURPOSE, body) if secret else body
    db.session.add(MailOutbox(recipient=recipient, subject=subject, body=stored, attempts=0))


def send_due(limit: int = 100) -> tuple[int, int]:
    """Try each message that is due once: (sent, failed). Without TOKENPATROL_SMTP_URL, only
    webhook deliveries go; mail waits."""
    now = utcnow()
    candidates = select(MailOutbox.id).where(_due(now)).order_by(MailOutbox.id).limit(limit)
    sent = failed = 0
    for mail_id in list(db.session.scalars(candidates)):
        mail = _claim(mail_id)
        if mail is None:
            continue  # another worker took it
        if _send(mail):
            sent += 1
        else:
            failed += 1
        db.session.commit()
    return sent, failed


def status() -> OutboxStatus:
    now = utcnow()
    unsent = and_(MailOutbox.sent_at.is_(None), MailOutbox.dead_at.is_(None))
    waiting = and_(unsent, MailOutbox.next_attempt_at > now)

    def count(condition: ColumnElement[bool]) -> int:
        return int(db.session.scalar(select(func.count(MailOutbox.id)).where(condition)) or 0)

    dead_rows = db.session.scalars(
        select(MailOutbox)
        .where(MailOutbox.dead_at.is_not(None))
        .order_by(MailOutbox.id.desc())
        .limit(DEAD_SHOWN)
    )
    return OutboxStatus(
        queued=count(unsent) - count(waiting),
        retrying=count(waiting),
        dead=count(MailOutbox.dead_at.is_not(None)),
        sent=count(MailOutbox.sent_at.is_not(None)),
        next_attempt_at=db.session.scalar(
            select(func.min(MailOutbox.next_attempt_at)).where(waiting)
        ),
        dead_mails=[DeadMail(m.id, m.recipient, m.attempts, m.last_error) for m in dead_rows],
    )


def retry() -> int:
    """Dead mails back in the queue with a fresh count, and every waiting mail due now."""
    changed = db.session.execute(
        update(MailOutbox)
        .where(MailOutbox.sent_at.is_(None))
        .where(or_(MailOutbox.dead_at.is_not(None), MailOutbox.next_attempt_at.is_not(None)))
        .values(dead_at=None, next_attempt_at=None, attempts=0, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(getattr(changed, "rowcount", 0) or 0)


def run_worker(app: Flask, interval_seconds: float, stop: threading.Event) -> None:
    """Send what is due, then wait `interval_seconds`, until `stop` is set. A round that fails
    (the database away, say) is logged and the next round tries again."""
    while not stop.is_set():
        with app.app_context():
            try:
                send_due()
            except Exception:
                log.exception("mail worker: this round failed; the next one retries")
            finally:
                db.session.remove()
        stop.wait(interval_seconds)


def start_worker(app: Flask, interval_seconds: float) -> threading.Thread:
    """`run_worker` in a daemon thread (for `oi serve`, the embedded default)."""
    thread = threading.Thread(
        target=run_worker,
        args=(app, interval_seconds, threading.Event()),
        name="tokenpatrol-mail",
        daemon=True,
    )
    thread.start()
    return thread


def _due(now: dt.datetime) -> ColumnElement[bool]:
    sendable = (
        MailOutbox.channel.is_not(None)
        if current_app.config["SMTP_URL"]
        else MailOutbox.channel == webhooks.CHANNEL
    )
    return and_(
        sendable,
        MailOutbox.sent_at.is_(None),
        MailOutbox.dead_at.is_(None),
        or_(MailOutbox.next_attempt_at.is_(None), MailOutbox.next_attempt_at <= now),
        or_(MailOutbox.claimed_at.is_(None), MailOutbox.claimed_at < now - CLAIM_LEASE),
    )


def _claim(mail_id: int) -> MailOutbox | None:
    """Claim one mail, conditionally: of several workers only one gets it."""
    now = utcnow()
    claimed = db.session.execute(
        update(MailOutbox)
        .where(MailOutbox.id == mail_id, _due(now))
        .values(attempts=MailOutbox.attempts + 1, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    return db.session.get(MailOutbox, mail_id, populate_existing=True)


def _send(mail: MailOutbox) -> bool:
    if mail.channel == webhooks.CHANNEL:
        return _deliver(mail)
    try:
        message = _message(mail)
    except (ValueError, TypeError) as error:  # a mail that cannot be built never will be
        _give_up(mail, f"cannot be built: {type(error).__name__}: {error}")
        return False
    try:
        with _connect() as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        _failed(mail, f"{type(error).__name__}: {error}")
        return False
    mail.sent_at, mail.last_error, mail.claimed_at = utcnow(), None, None
    if mail.body.startswith(SEALED):
        mail.body = SENT_SECRET  # nobody needs the link any more
    return True


def _deliver(delivery: MailOutbox) -> bool:
    attempt = webhooks.deliver(delivery)
    delivery.last_status = attempt.status
    if not attempt.delivered:
        _failed(delivery, attempt.error or "not delivered")
        return False
    delivery.sent_at, delivery.last_error, delivery.claimed_at = utcnow(), None, None
    return True


def _failed(mail: MailOutbox, reason: str) -> None:
    if mail.attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"]):
        _give_up(mail, reason)
        return
    mail.last_error = reason[:500]
    mail.claimed_at = None
    mail.next_attempt_at = utcnow() + _backoff(mail.attempts)
    log.warning("mail %s not sent (attempt %d, retried later): %s", mail.id, mail.attempts, reason)


def _give_up(mail: MailOutbox, reason: str) -> None:
    mail.last_error = reason[:500]
    mail.claimed_at = None
    mail.dead_at = utcnow()
    log.error("mail %s is dead after %d attempts: %s", mail.id, mail.attempts, reason)


def _backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min... doubling after each failure, at most MAIL_RETRY_MAX_SECONDS."""
    base = float(current_app.config["MAIL_RETRY_BASE_SECONDS"])
    ceiling = float(current_app.config["MAIL_RETRY_MAX_SECONDS"])
    return dt.timedelta(seconds=min(ceiling, base * 2 ** max(0, attempts - 1)))


def _connect() -> smtplib.SMTP:
    url = urlsplit(str(current_app.config["SMTP_URL"]))
    timeout = float(current_app.config["MAIL_SMTP_TIMEOUT_SECONDS"])
    return smtplib.SMTP(url.hostname or "localhost", url.port or 25, timeout=timeout)


def _message(mail: MailOutbox) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = mail.recipient
    message["Subject"] = _one_line(mail.subject)
    message.set_content(_body(mail))
    return message


def _body(mail: MailOutbox) -> str:
    if not mail.body.startswith(SEALED):
        return mail.body
    body = sealing.unseal(SEAL_PURPOSE, mail.body.removeprefix(SEALED))
    if body is None:
        raise ValueError("its sealed body does not open (was SECRET_KEY changed?)")
    return body


def _one_line(text: str) -> str:
    """A header value: any line break or control character (U+2028 included) becomes a space."""
    return "".join(char if char.isprintable() else " " for char in text)
