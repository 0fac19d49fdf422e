"""Leak events POSTed to an account's webhook endpoints, signed as GitHub signs its webhooks.

Each delivery is a row of the outbox (`MailOutbox`, channel `webhook`), queued in the leak
report's own transaction and sent by the mail worker: the same claim, retries, backoff and
dead letters, and no request waits on a receiver. The body is JSON with a Slack-compatible
`text`, so a Slack or Mattermost incoming webhook takes it as it is; it names the token by
name and last 4, never whole. `X-Tokenpatrol-Signature: sha256=<hex HMAC-SHA256 of the body>`
under the endpoint's secret proves it came from here.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from app.errors import InvalidArgument, NotFound
from app.extensions import db
from app.models import LeakEvent, MailOutbox, Token, WebhookEndpoint, utcnow
from app.services import audit, sealing
from app.services.ids import new_id

CHANNEL = "webhook"
SEAL_PURPOSE = "webhook secret"
EVENT = "leak"
SIGNATURE_HEADER = "X-Tokenpatrol-Signature"
SESSION_CACHE = "tokenpatrol.webhook_endpoints"


@dataclass(frozen=True)
class NewEndpoint:
    row: WebhookEndpoint
    secret: str  # shown once, to whoever registered it


@dataclass(frozen=True)
class Attempt:
    delivered: bool
    status: int | None
    error: str | None


def register(account_id: str, url: str, description: str, *, actor: str) -> NewEndpoint:
    check_target(url)
    secret = "whsec_" + secrets.token_urlsafe(32)
    row = WebhookEndpoint(
        id=new_id("whk_"),
        account_id=account_id,
        url=url,
        description=description,
        secret_sealed=sealing.seal(SEAL_PURPOSE, secret),
        secret_last4=secret[-4:],
        created_by=actor,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.info.pop(SESSION_CACHE, None)
    audit.record(actor, "webhook.create", row.id, account_id=account_id)
    db.session.commit()
    return NewEndpoint(row, secret)


def list_for(account_id: str) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.account_id == account_id)
    return list(db.session.scalars(query.order_by(WebhookEndpoint.created_at)))


def get(account_id: str, webhook_id: str) -> WebhookEndpoint:
    row = db.session.get(WebhookEndpoint, webhook_id)
    if row is None or row.account_id != account_id:
        raise NotFound(f"no webhook {webhook_id!r} in account {account_id!r}")
    return row


def remove(endpoint: WebhookEndpoint, *, actor: str) -> None:
    """The endpoint and its delivery log go; nothing more is sent to it."""
    audit.record(actor, "webhook.delete", endpoint.id, account_id=endpoint.account_id)
    db.session.delete(endpoint)
    db.session.info.pop(SESSION_CACHE, None)
    db.session.commit()


def deliveries(endpoint: WebhookEndpoint, limit: int = 50) -> list[MailOutbox]:
    """The delivery log, newest first."""
    query = select(MailOutbox).where(MailOutbox.webhook_id == endpoint.id)
    return list(db.session.scalars(query.order_by(MailOutbox.id.desc()).limit(limit)))


def delivery_status(delivery: MailOutbox) -> Literal["delivered", "retrying", "queued", "dead"]:
    if delivery.sent_at is not None:
        return "delivered"
    if delivery.dead_at is not None:
        return "dead"
    return "retrying" if delivery.attempts else "queued"


def queue_leak(event: LeakEvent, token: Token) -> None:
    """A delivery to each endpoint of the token's account, in the caller's transaction."""
    endpoints = _endpoints_this_session(token.user.account_id)
    if not endpoints:
        return
    body = json.dumps(payload(event, token), sort_keys=True)
    for endpoint in endpoints:
        db.session.add(
            MailOutbox(
                channel=CHANNEL,
                webhook_id=endpoint.id,
                recipient=endpoint.url,
                subject=EVENT,
                body=body,
                attempts=0,
            )
        )


def _endpoints_this_session(account_id: str) -> list[WebhookEndpoint]:
    """One query per account per session: a report of thousands of tokens asks once."""
    known: dict[str, list[WebhookEndpoint]] = db.session.info.setdefault(SESSION_CACHE, {})
    if account_id not in known:
        known[account_id] = list_for(account_id)
    return known[account_id]


def payload(event: LeakEvent, token: Token) -> dict[str, Any]:
    where = {k: getattr(event, k) for k in ("repo", "commit", "path", "line", "url")}
    revoked = "was revoked" if event.revoked_now else "was already dead"
    label = f'"{token.name}" ({token.display_prefix}...{token.last4})'
    return {
        "event": EVENT,
        "text": f"tokenpatrol: {token.kind.replace('_', ' ')} {label} of "
        f"{token.user.account_id}/{token.user.user_id} leaked ({event.source}) and {revoked}.",
        "account": token.user.account_id,
        "user": token.user.user_id,
        "token": {"id": token.id, "name": token.name, "kind": token.kind, "last4": token.last4},
        "location": {k: v for k, v in where.items() if v is not None},
        "source": event.source,
        "revokedNow": event.revoked_now,
        "alsoRevoked": event.also_revoked,
        "reportedAt": event.reported_at.isoformat().replace("+00:00", "Z"),
    }


def deliver(delivery: MailOutbox) -> Attempt:
    """POST one delivery; a 2xx answer is delivered, anything else is retried."""
    endpoint = db.session.get(WebhookEndpoint, delivery.webhook_id)
    if endpoint is None:  # pragma: no cover - its deliveries go with it (ON DELETE CASCADE)
        return Attempt(False, None, "the endpoint was removed")
    try:
        check_target(endpoint.url)
        return Attempt(True, _post(endpoint, delivery), None)
    except urllib.error.HTTPError as error:
        return Attempt(False, error.code, f"HTTP {error.code}")
    except (OSError, InvalidArgument) as error:
        return Attempt(False, None, f"{type(error).__name__}: {_reason(error)}")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_target(url: str) -> None:
    """http(s) only, and, unless the operator allows it, no address inside the network the
    service runs in (loopback, private, link-local: a cloud's metadata service, say)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgument("a webhook URL must be http:// or https:// with a host")
    if current_app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"]:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError:
        raise InvalidArgument(f"the webhook host {parts.hostname!r} does not resolve") from None
    if any(not ipaddress.ip_address(info[4][0]).is_global for info in infos):
        raise InvalidArgument(
            f"the webhook host {parts.hostname!r} is a private address "
            "(TOKENPATROL_WEBHOOK_ALLOW_PRIVATE_TARGETS allows it)"
        )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # a redirect is an answer (3xx, retried), never followed elsewhere


def _post(endpoint: WebhookEndpoint, delivery: MailOutbox) -> int:
    secret = sealing.unseal(SEAL_PURPOSE, endpoint.secret_sealed)
    if secret is None:
        raise InvalidArgument("the endpoint's secret does not open (was SECRET_KEY changed?)")
    body = delivery.body.encode()
    request = urllib.request.Request(endpoint.url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", "tokenpatrol-webhook")
    request.add_header("X-Tokenpatrol-Event", delivery.subject)
    request.add_header("X-Tokenpatrol-Delivery", str(delivery.id))
    request.add_header(SIGNATURE_HEADER, signature(secret, body))
    opener = urllib.request.build_opener(_NoRedirects)
    timeout = float(current_app.config["WEBHOOK_TIMEOUT_SECONDS"])
    with opener.open(request, timeout=timeout) as answer:
        status: int = answer.status
        return status


def _reason(error: Exception) -> str:
    return str(getattr(error, "reason", None) or getattr(error, "message", None) or error)[:200]
