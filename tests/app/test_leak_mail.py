"""The owner of a leaked token is told by mail, over a real SMTP server (aiosmtpd on loopback);
a mail server that is down changes nothing about the revocation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Flask
from time_machine import TimeMachineFixture

from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.smtp import Inbox, running_inbox

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
WHERE = {"repo": "https://git.example/acme/app", "commit": "c" * 40, "path": "deploy.sh", "line": 7}


def leak(api: Api, token: str) -> Any:
    body = {"tokens": [token], "location": WHERE, "source": "ci"}
    reply = api.call("POST", "/api/v1/leaks/revoke", json_body=body)
    assert reply.status == 200, reply
    return reply.body


def owner_with_token(api: Api) -> str:
    reply = api.call(
        "POST",
        "/api/v1/admin/accounts",
        ROOT_KEY,
        json_body={
            "account_id": "acme",
            "admin_user_id": "alice",
            "admin_email": "alice@example.com",
        },
    )
    key = reply.body["result"]["user_key"]
    return str(api.create_token(key, name="deploy-key")["token"])


def send_due(app: Flask) -> tuple[int, int]:
    """One round of the mail worker, as `oi server mail send` runs it."""
    from app.services import mail

    with app.app_context():
        return mail.send_due()


def outbox_status(app: Flask) -> Any:
    from app.services import mail

    with app.app_context():
        return mail.status()


def test_the_owner_receives_the_leak_mail_from_the_worker_not_the_request(
    make_app: Callable[..., Flask], inbox: Inbox, smtp_port: int
) -> None:
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{smtp_port}", MAIL_FROM="tp@example.com")
    api = Api(app.test_client())
    token = owner_with_token(api)
    leak(api, token)
    assert inbox.messages == [], "the request itself talked to the mail server"
    assert outbox_status(app).queued == 1
    assert send_due(app) == (1, 0)
    (mail,) = inbox.messages
    text = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert mail["To"] == "alice@example.com" and mail["From"] == "tp@example.com"
    assert "deploy-key" in text and token[-4:] in text and "deploy.sh" in text
    assert "revoked" in text and "/me/pats" in text
    assert (token in text) is False
    assert send_due(app) == (0, 0) and len(inbox.messages) == 1


def test_a_failed_mail_waits_its_backoff_then_goes_out(
    make_app: Callable[..., Flask], smtp_port: int, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(START, tick=False)
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{smtp_port}")  # nothing listens there yet
    api = Api(app.test_client())
    token = owner_with_token(api)
    assert leak(api, token)["results"][0]["result"] == "revoked"
    assert api.call("GET", "/auth/check", token).status == 401
    assert send_due(app) == (0, 1)
    waiting = outbox_status(app)
    assert (waiting.queued, waiting.retrying, waiting.dead) == (0, 1, 0)
    assert waiting.next_attempt_at == START + dt.timedelta(seconds=30)
    assert send_due(app) == (0, 0), "a mail was retried before its backoff ran out"
    time_machine.shift(30)
    with running_inbox(smtp_port) as received:
        assert send_due(app) == (1, 0)
    assert len(received.messages) == 1 and outbox_status(app).sent == 1


def test_after_its_last_attempt_a_mail_is_dead_until_an_operator_retries_it(
    make_app: Callable[..., Flask], smtp_port: int, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(START, tick=False)
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{smtp_port}", MAIL_MAX_ATTEMPTS=2)
    api = Api(app.test_client())
    leak(api, owner_with_token(api))
    assert send_due(app) == (0, 1)
    time_machine.shift(30)
    assert send_due(app) == (0, 1)
    dead = outbox_status(app)
    assert (dead.queued, dead.retrying, dead.dead) == (0, 0, 1)
    assert dead.dead_mails[0].attempts == 2 and "ConnectionRefusedError" in str(
        dead.dead_mails[0].last_error
    )
    time_machine.shift(3600)
    assert send_due(app) == (0, 0), "a dead mail was tried again by itself"
    from app.services import mail

    with app.app_context():
        assert mail.retry() == 1
    with running_inbox(smtp_port) as received:
        assert send_due(app) == (1, 0)
    assert len(received.messages) == 1


def test_a_token_named_with_a_line_separator_breaks_neither_the_answer_nor_the_mail(
    make_app: Callable[..., Flask], inbox: Inbox, smtp_port: int
) -> None:
    """Red-team finding 8: U+2028 in a name made the revoke answer 500 and crashed send-mail."""
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{smtp_port}")
    api = Api(app.test_client())
    reply = api.call(
        "POST",
        "/api/v1/admin/accounts",
        ROOT_KEY,
        json_body={"account_id": "acme", "admin_user_id": "alice", "admin_email": "a@example.com"},
    )
    key = reply.body["result"]["user_key"]
    token = str(api.create_token(key, name="deploy\u2028Bcc: mallory@example.com")["token"])
    assert leak(api, token)["results"][0]["result"] == "revoked"
    assert send_due(app) == (1, 0)
    (mail,) = inbox.messages
    assert "mallory" in mail["Subject"] and mail["Bcc"] is None


def test_the_mail_carries_no_address_the_reporter_chose(
    make_app: Callable[..., Flask], inbox: Inbox, smtp_port: int
) -> None:
    """Red-team finding 13: a report's repository and URL went into the owner's mail."""
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{smtp_port}")
    api = Api(app.test_client())
    token = owner_with_token(api)
    where = {
        "repo": "https://phish.example/acme/app",
        "url": "https://phish.example/reset-your-password",
        "path": "www.phish.example/login",
        "commit": "c" * 40,
        "line": 7,
    }
    body = {"tokens": [token], "location": where, "source": "ci"}
    assert api.call("POST", "/api/v1/leaks/revoke", json_body=body).status == 200
    assert send_due(app) == (1, 0)
    (mail,) = inbox.messages
    text = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "phish" not in text and "://" not in text, text
    assert "line 7" in text and "c" * 40 in text
