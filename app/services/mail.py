"""Outgoing mail through an outbox: queue in the caller's transaction, deliver after commit.

A mail server that is down or slow costs a recorded, retryable failure (`attempts`,
`last_error`, a warning in the log; `oi server send-mail` retries), never a revocation.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import or_, select, update

from app.extensions import db
from app.models import MailOutbox, utcnow

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 10
CLAIM_LEASE = dt.timedelta(minutes=5)


def queue(recipient: str, subject: str, body: str) -> None:
    """Add a mail to the current transaction; it exists only if the caller commits."""
    db.session.add(MailOutbox(recipient=recipient, subject=subject, body=body, attempts=0))


def deliver_pending(limit: int = 100) -> tuple[int, int]:
    """Try every unsent mail once: (sent, failed). Without TOKENPATROL_SMTP_URL nothing is tried."""
    if not current_app.config["SMTP_URL"]:
        return 0, 0
    query = (
        select(MailOutbox)
        .where(MailOutbox.sent_at.is_(None), MailOutbox.attempts < MAX_ATTEMPTS)
        .order_by(MailOutbox.id)
        .limit(limit)
    )
    sent = failed = 0
    for mail in list(db.session.scalars(query)):
        if not _claim(mail):
            continue  # another process (a second cron run, a worker) is sending this one
        if _send(mail):
            sent += 1
        else:
            failed += 1
        db.session.commit()
    return sent, failed


def _claim(mail: MailOutbox) -> bool:
    """Claim the mail first, conditionally: of several senders only one sends it.

    A claim older than the lease belongs to a sender that died mid-way; it may be taken over.
    """
    now = utcnow()
    claimed = db.session.execute(
        update(MailOutbox)
        .where(
            MailOutbox.id == mail.id,
            MailOutbox.sent_at.is_(None),
            or_(MailOutbox.claimed_at.is_(None), MailOutbox.claimed_at < now - CLAIM_LEASE),
        )
        .values(attempts=MailOutbox.attempts + 1, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if getattr(claimed, "rowcount", 0) != 1:
        return False
    db.session.refresh(mail)
    return True


def _send(mail: MailOutbox) -> bool:
    try:
        with _connect() as smtp:
            smtp.send_message(_message(mail))
    except (OSError, smtplib.SMTPException) as error:
        mail.last_error = f"{type(error).__name__}: {error}"[:500]
        mail.claimed_at = None  # free for the next try
        log.warning(
            "mail %s to the owner not sent (attempt %d): %s",
            mail.id,
            mail.attempts,
            mail.last_error,
        )
        return False
    mail.sent_at, mail.last_error = utcnow(), None
    return True


def _connect() -> smtplib.SMTP:
    url = urlsplit(str(current_app.config["SMTP_URL"]))
    return smtplib.SMTP(url.hostname or "localhost", url.port or 25, timeout=SMTP_TIMEOUT_SECONDS)


def _message(mail: MailOutbox) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    return message
