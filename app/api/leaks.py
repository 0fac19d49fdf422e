"""The leak protocol endpoints (no bearer, rate-limited per client address) and leak listings."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_limiter.util import get_remote_address

from app import policy
from app.api.routing import Access, operation, principal, principal_with_user
from app.extensions import limiter
from app.models import LeakEvent
from app.schemas import (
    LeakCheck,
    LeakCheckReply,
    LeakCheckResult,
    LeakEventInfo,
    LeakRevoke,
    LeakRevokeReply,
    LeakRevokeResult,
)
from app.services import leaks
from scanner import formats

bp = Blueprint("leaks", __name__)


def _leak_rate_limit() -> str:
    return str(current_app.config["LEAK_RATE_LIMIT"])


per_address = limiter.limit(_leak_rate_limit, key_func=get_remote_address)


@operation(
    bp,
    "POST",
    "/api/v1/leaks/check",
    summary="Status of tokens, by SHA-256 hash",
    tag="leaks",
    response=LeakCheckReply,
    body=LeakCheck,
)
@per_address
def check(body: LeakCheck) -> LeakCheckReply:
    return LeakCheckReply(
        results=[
            LeakCheckResult(
                hash=result.token_hash,
                status=result.status,
                token_id=result.token_id,
                kind=result.kind,
                scope=result.scope,
            )
            for result in leaks.check(body.hashes)
        ]
    )


@operation(
    bp,
    "POST",
    "/api/v1/leaks/revoke",
    summary="Revoke leaked tokens (idempotent)",
    tag="leaks",
    response=LeakRevokeReply,
    body=LeakRevoke,
)
@per_address
def revoke(body: LeakRevoke) -> LeakRevokeReply:
    location = leaks.Location(**body.location.model_dump())
    results = leaks.revoke(
        body.tokens,
        location,
        body.source,
        reporter=request.remote_addr,
        report_id=body.report_id,
    )
    return LeakRevokeReply(
        results=[
            LeakRevokeResult(
                fingerprint=formats.fingerprint(result.raw),
                redacted=formats.redact(result.raw),
                result=result.result,
                token_id=result.token_id,
                kind=result.kind,
                also_revoked=result.also_revoked,
            )
            for result in results
        ],
        replacement=leaks.REPLACEMENT_HINT,
    )


def event_info(event: LeakEvent) -> LeakEventInfo:
    token = event.token
    return LeakEventInfo(
        token_id=token.id,
        token_name=token.name,
        kind=token.kind,
        redacted=f"{token.display_prefix}...{token.last4}",
        account_id=token.user.account_id,
        user_id=token.user.user_id,
        repo=event.repo,
        commit=event.commit,
        path=event.path,
        line=event.line,
        url=event.url,
        source=event.source,
        reported_at=event.reported_at,
        revoked_at=token.revoked_at,
        revoked_now=event.revoked_now,
        also_revoked=event.also_revoked,
    )


@operation(
    bp,
    "GET",
    "/me/leaks",
    summary="Your tokens that leaked, where and when",
    tag="leaks",
    response=list[LeakEventInfo],
    access=Access(scope="read", humans_only=True, needs_user=True),
)
def my_leaks() -> list[LeakEventInfo]:
    return [event_info(event) for event in leaks.events_for_user(principal_with_user()[1])]


@operation(
    bp,
    "GET",
    "/api/v1/admin/leaks",
    summary="Leaked tokens (all for ROOT, own account for ADMIN)",
    tag="admin",
    response=list[LeakEventInfo],
    enveloped=True,
    access=Access(
        scope="admin", roles=frozenset({policy.ROLE_ROOT, policy.ROLE_ADMIN}), humans_only=True
    ),
)
def admin_leaks() -> list[LeakEventInfo]:
    caller = principal()
    account = (
        None if caller.role == policy.ROLE_ROOT or caller.user is None else caller.user.account_id
    )
    return [event_info(event) for event in leaks.events_for_account(account)]
