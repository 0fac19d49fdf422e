"""Scopes and roles: the small vocabulary every permission check is written in."""

from __future__ import annotations

import datetime as dt

SCOPE_RANK = {"read": 1, "read_write": 2, "admin": 3}
SCOPE_ALIASES = {"write": "read_write"}
# Which hourly budget a scope draws on (TOKENPATROL_RATE_LIMITS names them read/write/admin).
RATE_CLASS = {"read": "read", "read_write": "write", "admin": "admin"}

ROLE_ROOT, ROLE_ADMIN, ROLE_USER = "root", "admin", "user"
ACCOUNT_ROLES = (ROLE_ADMIN, ROLE_USER)

KIND_PAT, KIND_API_TOKEN, KIND_USER_KEY = "pat", "api_token", "user_key"
KIND_OAUTH_ACCESS, KIND_OAUTH_REFRESH = "oauth_access", "oauth_refresh"
KIND_ROOT, KIND_DEV = "root", "dev"
ID_PREFIXES = {
    KIND_PAT: "pat_",
    KIND_API_TOKEN: "apt_",
    KIND_USER_KEY: "key_",
    KIND_OAUTH_ACCESS: "oat_",
    KIND_OAUTH_REFRESH: "ort_",
}


def end_of_day(day: dt.date) -> dt.datetime:
    """An expiry date means "usable through that day", in UTC, on every face (web form, CLI,
    JSON API): GitHub's expiration dates read the same way."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)


def canonical_scope(scope: str) -> str:
    """`write` is an alias of `read_write` (seed 003 names it so)."""
    return SCOPE_ALIASES.get(scope, scope)


def scope_allows(held: str, needed: str) -> bool:
    return SCOPE_RANK[held] >= SCOPE_RANK[needed]
