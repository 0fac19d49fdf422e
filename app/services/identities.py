"""Raw credential -> Identity, through the process's auth cache when the shared epoch allows."""

from __future__ import annotations

from app.errors import Unauthenticated
from app.models import Token, utcnow
from app.services import auth_cache, tokens
from app.services.auth_cache import Identity
from scanner import formats


def identify(raw: str) -> Identity:
    """The live identity behind `raw`, or `Unauthenticated` with the reason; records use."""
    tokens.check_shape(raw)
    token_hash = formats.token_hash(raw)
    cache = auth_cache.current()
    usable = cache is not None and cache.begin_request()
    entry = cache.get(token_hash) if cache is not None and usable else None
    if entry is None:
        token, pats_enabled = tokens.resolve(token_hash)
        identity, last_used = identity_of(token, pats_enabled), token.last_used_at
    else:
        identity, last_used = entry.identity, entry.last_used_at
        if identity.expires_at is not None and identity.expires_at <= utcnow():
            raise Unauthenticated("token has expired")
    now_used = tokens.touch(identity.token_id, last_used)
    if cache is not None and usable and (entry is None or now_used != last_used):
        cache.put(token_hash, identity, now_used)
    return identity


def identity_of(token: Token, pats_enabled: bool) -> Identity:
    user = token.user
    return Identity(
        token_id=token.id,
        kind=token.kind,
        scope=token.scope,
        agent_id=token.agent_id,
        expires_at=token.expires_at,
        user_pk=user.id,
        account_id=user.account_id,
        user_id=user.user_id,
        role=user.role,
        pats_enabled=pats_enabled,
    )
