"""Webhooks: an account's receivers get every leak event, signed with HMAC-SHA256 like GitHub's
webhooks, Slack-compatible, from the outbox worker (never the request), with retries, backoff
and a delivery log; never a whole token."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from time_machine import TimeMachineFixture

from tests.support.api import Api
from tests.support.secrets import Secret
from tests.support.webhook_receiver import Receiver, webhook_receiver

START = dt.datetime(2030, 3, 1, 9, 0, tzinfo=dt.UTC)
WHERE = {"repo": "acme/app", "path": "deploy.sh", "line": 3, "commit": "5b0d3d6f"}


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(WEBHOOK_ALLOW_PRIVATE_TARGETS=True)  # the receiver is on loopback


@pytest.fixture
def alice(api: Api, root_key: str) -> str:
    return api.create_account(root_key, "acme", "alice")


def register(api: Api, key: str, url: str, account: str = "acme") -> Any:
    path = f"/api/v1/admin/accounts/{account}/webhooks"
    return api.call("POST", path, key, json_body={"url": url, "description": "chat"})


def leak(api: Api, token: str) -> None:
    body = {"tokens": [token], "location": WHERE, "source": "ci"}
    assert api.call("POST", "/api/v1/leaks/revoke", json_body=body).status == 200


def work(app: Flask) -> tuple[int, int]:
    """One round of the outbox worker (`oi server mail send`)."""
    from app.services import mail

    with app.app_context():
        return mail.send_due()


def deliveries(api: Api, key: str, webhook_id: str) -> list[dict[str, Any]]:
    path = f"/api/v1/admin/accounts/acme/webhooks/{webhook_id}/deliveries"
    result: list[dict[str, Any]] = api.call("GET", path, key).body["result"]
    return result


def test_a_leak_event_reaches_the_receiver_signed_and_slack_compatible(
    api: Api, app: Flask, alice: str, receiver: Receiver
) -> None:
    made = register(api, alice, receiver.url)
    assert made.status == 200, made
    secret = Secret(made.body["result"]["secret"])
    listed = api.call("GET", "/api/v1/admin/accounts/acme/webhooks", alice).body["result"]
    assert listed[0]["secret_last4"] == secret[-4:] and "secret" not in listed[0]
    pat = Secret(api.create_token(alice, name="deploy")["token"])
    leak(api, pat)
    assert receiver.received == [], "the request itself called the receiver"
    assert work(app) == (1, 0)
    (got,) = receiver.received
    expected = "sha256=" + hmac.new(secret.encode(), got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["X-Tokenpatrol-Signature"], expected)
    assert got.headers["X-Tokenpatrol-Event"] == "leak"
    sent = json.loads(got.body)
    assert '"deploy"' in sent["text"] and pat[-4:] in sent["text"] and "revoked" in sent["text"]
    assert sent["location"]["path"] == "deploy.sh" and sent["token"]["name"] == "deploy"
    assert (pat in got.body.decode()) is False
    (log,) = deliveries(api, alice, made.body["result"]["id"])
    assert (log["status"], log["last_status"], log["attempts"]) == ("delivered", 200, 1)


def test_a_failing_receiver_is_retried_with_backoff_then_dead(
    make_app: Callable[..., Flask],
    root_key: str,
    receiver: Receiver,
    time_machine: TimeMachineFixture,
) -> None:
    time_machine.move_to(START, tick=False)
    app = make_app(WEBHOOK_ALLOW_PRIVATE_TARGETS=True, MAIL_MAX_ATTEMPTS=3)
    api = Api(app.test_client())
    alice = api.create_account(root_key, "acme", "alice")
    hook = register(api, alice, receiver.url).body["result"]["id"]
    leak(api, Secret(api.create_token(alice)["token"]))
    receiver.status = 500
    assert work(app) == (0, 1)
    (log,) = deliveries(api, alice, hook)
    assert (log["status"], log["last_status"], log["last_error"]) == ("retrying", 500, "HTTP 500")
    assert work(app) == (0, 0), "retried before its backoff ran out"
    time_machine.shift(30)
    assert work(app) == (0, 1)
    time_machine.shift(3600)
    assert work(app) == (0, 1)
    assert deliveries(api, alice, hook)[0]["status"] == "dead"
    assert len(receiver.received) == 3


def test_a_redirect_is_not_followed(api: Api, app: Flask, alice: str, receiver: Receiver) -> None:
    with webhook_receiver() as elsewhere:
        receiver.status, receiver.location = 302, elsewhere.url
        hook = register(api, alice, receiver.url).body["result"]["id"]
        leak(api, Secret(api.create_token(alice)["token"]))
        assert work(app) == (0, 1)
        assert elsewhere.received == []
    assert deliveries(api, alice, hook)[0]["last_status"] == 302


def test_webhooks_go_out_without_an_smtp_server(
    api: Api, app: Flask, alice: str, receiver: Receiver
) -> None:
    assert not app.config["SMTP_URL"]
    register(api, alice, receiver.url)
    leak(api, Secret(api.create_token(alice)["token"]))
    assert work(app) == (1, 0) and len(receiver.received) == 1


def test_a_removed_webhook_hears_nothing_more(
    api: Api, app: Flask, alice: str, receiver: Receiver
) -> None:
    hook = register(api, alice, receiver.url).body["result"]["id"]
    path = f"/api/v1/admin/accounts/acme/webhooks/{hook}"
    assert api.call("DELETE", path, alice).status == 200
    leak(api, Secret(api.create_token(alice)["token"]))
    assert work(app) == (0, 0) and receiver.received == []


@pytest.mark.parametrize(
    "url", ["ftp://example.com/hook", "http://127.0.0.1:9/hook", "http://10.1.2.3/hook", "nonsense"]
)
def test_private_and_non_http_targets_are_refused(
    make_app: Callable[..., Flask], root_key: str, url: str
) -> None:
    api = Api(make_app().test_client())  # the default: no private targets
    alice = api.create_account(root_key, "acme", "alice")
    refused = register(api, alice, url)
    assert refused.status == 400 and refused.error_code == "INVALID_ARGUMENT"


def test_an_admin_reaches_only_their_own_account_s_webhooks(
    api: Api, alice: str, root_key: str, receiver: Receiver
) -> None:
    gina = api.create_account(root_key, "globex", "gina")
    bob = api.register_user(alice, "acme", "bob")
    assert register(api, gina, receiver.url, account="acme").status == 403
    assert register(api, bob, receiver.url).status == 403
    assert register(api, root_key, receiver.url).status == 200
    listed = api.call("GET", "/api/v1/admin/accounts/acme/webhooks", gina)
    assert listed.status == 403


def test_the_webhooks_of_an_account_that_does_not_exist_are_a_404(api: Api, root_key: str) -> None:
    listed = api.call("GET", "/api/v1/admin/accounts/nobody/webhooks", root_key)
    assert listed.status == 404 and listed.error_code == "NOT_FOUND"
