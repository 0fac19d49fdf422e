"""A web form acts on tokens through the same service functions as the JSON API."""

from __future__ import annotations

import datetime as dt

from app import policy
from app.models import Token, User
from app.services import settings, tokens
from app.web.session import actor

# A signed-in person acts with their whole role, as their user key would (the role still limits).
SESSION_SCOPE = "admin"


def caller(user: User) -> tokens.Caller:
    return tokens.Caller(user=user, scope=SESSION_SCOPE, actor=actor(user))


def create(
    user: User, kind: str, *, name: str, scope: str, expires_on: dt.date | None
) -> tokens.IssuedToken:
    return tokens.create(
        caller(user),
        kind,
        name=name,
        scope=scope,
        expires_at=policy.end_of_day(expires_on) if expires_on else None,
    )


def rotate(user: User, token: Token) -> tokens.IssuedToken:
    return tokens.rotate(caller(user), token.kind, token.id)


def delete(user: User, token: Token) -> None:
    tokens.delete(caller(user), token.kind, token.id)


def switched_off(kind: str) -> bool:
    """PATs can be switched off instance-wide; the page says so and offers no form."""
    return kind == policy.KIND_PAT and not settings.pats_enabled()
