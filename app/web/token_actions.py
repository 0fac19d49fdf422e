"""Creating and rotating tokens from a web form, under the same rules as the JSON API."""

from __future__ import annotations

import datetime as dt

from app import policy
from app.models import Token, User
from app.services import settings, tokens
from app.web.session import actor

# A signed-in person acts with their whole role, as their user key would (the role still limits).
SESSION_SCOPE = "admin"


def end_of_day(day: dt.date | None) -> dt.datetime | None:
    """An expiry date means "usable through that day", in UTC."""
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)


def create(
    user: User, kind: str, *, name: str, scope: str, expires_on: dt.date | None
) -> tokens.IssuedToken:
    tokens.check_new_token(SESSION_SCOPE, user.role, kind, scope, None)
    expires_at = tokens.check_expiry(end_of_day(expires_on))
    return tokens.issue(
        user, kind, name=name, scope=scope, expires_at=expires_at, actor=actor(user)
    )


def rotate(user: User, token: Token) -> tokens.IssuedToken:
    """A replacement is a new token, so it must pass the rules a new one would."""
    tokens.check_new_token(SESSION_SCOPE, user.role, token.kind, token.scope, token.agent_id)
    return tokens.rotate(token, None, actor=actor(user))


def delete(user: User, token: Token) -> None:
    tokens.revoke(token, "deleted", actor=actor(user))


def switched_off(kind: str) -> bool:
    """PATs can be switched off instance-wide; the page says so and offers no form."""
    return kind == policy.KIND_PAT and not settings.pats_enabled()
