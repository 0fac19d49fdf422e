"""The owner of a leaked token is told by mail, over a real SMTP server (aiosmtpd on loopback);
a mail server that is down changes nothing about the revocation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.smtp import Inbox, running_inbox

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


def test_the_owner_receives_the_leak_mail(
    make_app: Callable[..., Flask], inbox: Inbox, smtp_port: int
) -> None:
    api = Api(
        make_app(SMTP_URL=f"smtp://127.0.0.1:{smtp_port}", MAIL_FROM="tp@example.com").test_client()
    )
    token = owner_with_token(api)
    leak(api, token)
    (mail,) = inbox.messages
    text = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert mail["To"] == "alice@example.com" and mail["From"] == "tp@example.com"
    assert "deploy-key" in text and token[-4:] in text and "deploy.sh" in text
    assert "revoked" in text and "/me/pats" in text
    assert (token in text) is False


def test_with_the_mail_server_down_the_token_is_revoked_all_the_same(
    make_app: Callable[..., Flask], smtp_port: int, caplog: Any
) -> None:
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{smtp_port}")  # nothing listens there yet
    api = Api(app.test_client())
    token = owner_with_token(api)
    assert leak(api, token)["results"][0]["result"] == "revoked"
    assert api.call("GET", "/auth/check", token).status == 401
    assert any("not sent" in record.message for record in caplog.records)

    from app.models import MailOutbox
    from app.services import mail

    with running_inbox(smtp_port) as received, app.app_context():
        (pending,) = MailOutbox.query.all()
        assert pending.attempts == 1 and pending.last_error and pending.sent_at is None
        assert mail.deliver_pending() == (1, 0)
    assert len(received.messages) == 1
