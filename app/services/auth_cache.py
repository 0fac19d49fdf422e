"""A per-process cache of resolved credentials, kept honest by a shared epoch in Redis.

Resolving a token costs a database round trip or four and the ORM's work on every request.
With Redis configured (several processes), each process keeps what it resolved, and every
request first reads one value from Redis: the auth epoch. Any committed change that can
change an answer (a token revoked, rotated or deleted; a user's role; a user or account
removed; the PATs setting) replaces it with a new random value after the commit and before
the response goes out, so the next request on every process sees a new epoch and drops its
whole cache: a revoked token fails at the next request, on every instance.

The epoch is random, not a counter: a Redis that lost its data (restarted without
persistence) starts from nothing, and a counter would count again through values that
processes still hold. A missing epoch is replaced by a fresh random one, so it too differs
from every value held. An answer resolved under one epoch is stored only if the process has
seen no newer epoch since (a thread that raced a revocation cannot put the old answer back),
and storing it again does not make an entry younger than when it was resolved.

If the epoch cannot be read, the cache is not used (the database answers). If it cannot be
written after a change, the change still stands in the database and the writer's log says
so; entries also expire after AUTH_CACHE_SECONDS, which bounds how long that rare double
failure (Redis answering readers but not the writer) could let a stale answer through.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

EPOCH_KEY = "tokenpatrol:auth-epoch"
NEUTRAL = "auth_cache_neutral"  # execution option: this write changes no auth answer
WATCHED_TABLES = frozenset({"tokens", "users", "accounts", "instance_settings"})
_CHANGED = "auth_cache_changed"


V = TypeVar("V")  # what a credential resolves to (`app.auth.Identity`): plain values only


@dataclass
class _Entry(Generic[V]):
    value: V
    last_used_at: dt.datetime | None
    stored_at: float


class AuthCache(Generic[V]):
    def __init__(
        self,
        redis_url: str,
        max_entries: int,
        max_age: float,
        key_prefix: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import redis

        # A pooled client: it connects on first use, so a Redis that is down at start-up
        # does not stop the service from starting (the cache is then simply not used).
        self._redis = redis.Redis.from_url(
            redis_url, socket_connect_timeout=0.5, socket_timeout=0.5
        )
        self._key = f"{key_prefix}:{EPOCH_KEY}" if key_prefix else EPOCH_KEY
        self._entries: OrderedDict[str, _Entry[V]] = OrderedDict()
        self._lock = threading.Lock()
        self._epoch: bytes | None = None
        self.max_entries, self.max_age = max_entries, max_age
        self._clock = clock

    @property
    def epoch_key(self) -> str:
        return self._key

    def begin_request(self) -> bytes | None:
        """The epoch this request runs under, to hand back to `put`; None (the cache is not
        used for this request) when Redis does not answer."""
        import redis

        try:
            epoch = cast("bytes | None", self._redis.get(self._key))
            if epoch is None:  # never set, or lost with Redis's data: start a new one
                self._redis.set(self._key, fresh_epoch(), nx=True)
                epoch = cast("bytes | None", self._redis.get(self._key))
        except redis.RedisError:
            self.clear()
            return None
        return self.adopt(epoch)

    def adopt(self, epoch: bytes | None) -> bytes | None:
        """Run this request under `epoch` as read from Redis (elsewhere, e.g. in the rate
        limit's round trip): a new epoch drops every entry; None (not read) disables the cache
        for this request."""
        if epoch is None:
            self.clear()
            return None
        with self._lock:
            if epoch != self._epoch:
                self._entries.clear()
                self._epoch = epoch
        return epoch

    def get(self, token_hash: str) -> _Entry[V] | None:
        with self._lock:
            entry = self._entries.get(token_hash)
            if entry is None:
                return None
            if self._clock() - entry.stored_at > self.max_age:
                del self._entries[token_hash]
                return None
            self._entries.move_to_end(token_hash)
            return entry

    def put(
        self, token_hash: str, value: V, last_used_at: dt.datetime | None, epoch: bytes
    ) -> None:
        """Keep an answer resolved under `epoch`, unless a newer epoch has been seen since; an
        entry stored again keeps the age it had."""
        with self._lock:
            if epoch != self._epoch:
                return
            existing = self._entries.get(token_hash)
            stored_at = existing.stored_at if existing is not None else self._clock()
            self._entries[token_hash] = _Entry(value, last_used_at, stored_at)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._epoch = None

    def bump(self) -> None:
        """A change committed: every process's cache is stale from its next request on."""
        import redis

        self.clear()
        for attempt in (1, 2):
            try:
                self._redis.set(self._key, fresh_epoch())
                return
            except redis.RedisError as error:
                if attempt == 2:
                    log.error(
                        "auth cache: could not announce a change through Redis (%s); other "
                        "processes may answer from their cache for up to %s s",
                        type(error).__name__,
                        self.max_age,
                    )


def fresh_epoch() -> str:
    """A new epoch, offered on every cached request in case Redis has none: the kernel's random
    bytes directly (`secrets.token_hex` goes through two more layers for the same bytes)."""
    return os.urandom(16).hex()


def current() -> AuthCache[Any] | None:
    cache: AuthCache[Any] | None = current_app.extensions.get("tokenpatrol_auth_cache")
    return cache


def init_app(app: Flask) -> None:
    """On when Redis holds the rate limits (several processes); `AUTH_CACHE=off` turns it off."""
    storage = str(app.config["RATELIMIT_STORAGE_URI"])
    setting = str(app.config["AUTH_CACHE"]).lower()
    if setting == "off" or not storage.startswith(("redis://", "rediss://")):
        return
    app.extensions["tokenpatrol_auth_cache"] = AuthCache[Any](
        storage,
        int(app.config["AUTH_CACHE_ENTRIES"]),
        float(app.config["AUTH_CACHE_SECONDS"]),
        str(app.config["RATELIMIT_KEY_PREFIX"]),
    )


# --- noticing the changes that matter, in whichever process makes them ---


@event.listens_for(Session, "before_flush")
def _note_changed_rows(session: Session, _context: Any, _instances: Any) -> None:
    for row in (*session.dirty, *session.deleted, *session.new):
        table = getattr(row, "__tablename__", None)
        if table not in WATCHED_TABLES:
            continue
        if row in session.new and table != "instance_settings":
            continue  # a new token or user is not in anybody's cache
        session.info[_CHANGED] = True
        return


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state: Any) -> None:
    if not (state.is_update or state.is_delete) or state.execution_options.get(NEUTRAL):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table in WATCHED_TABLES:
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        from flask import has_app_context

        cache = current() if has_app_context() else None
        if cache is not None:
            cache.bump()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_CHANGED, None)
