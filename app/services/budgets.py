"""Each credential's hourly request budget (seed 003: by scope), counted where every process
sees the same count.

A budget is a fixed window that opens with the credential's first request and closes an hour
(the configured period) later, as GitHub's API counts: `X-RateLimit-Remaining` is what is left
of it and `X-RateLimit-Reset` when it closes. A refused request does not count.

With Redis configured, one request costs one round trip. A Lua script counts the request and
reads the window's remaining time, and reads the auth epoch too (`app.services.auth_cache`)
when authentication hands it the epoch's key. Redis runs the script atomically, so the count
stays exact across any number of processes and instances. Each thread sends it on a
connection of its own rather than through redis-py's pool: checking a connection out of the
pool and back in cost more of the process's CPU than the round trip itself (about 100 of
180 us per request).

Without Redis, or while Redis does not answer, each process counts alone in its memory (the
`limits` library's fixed window), and Redis is tried again after a pause that doubles up to a
minute: the service fails open rather than refusing every request (README: "Rate limits when
Redis is down").
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from redis.exceptions import NoScriptError, RedisError, ResponseError

log = logging.getLogger(__name__)

EXTENSION = "tokenpatrol_budgets"
KEY_PREFIX = "tokenpatrol:budget"
RETRY_PAUSE_MAX = 60.0

# KEYS[1]: the credential's counter; KEYS[2] (optional): the auth epoch.
# ARGV[1]: the window in ms; ARGV[2]: the budget; ARGV[3]: an epoch to set when there is none.
# Returns {allowed (1/0), count, ms left in the window, epoch or false}.
SPEND_SCRIPT = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local allowed = 0
if count < tonumber(ARGV[2]) then
  count = redis.call('INCR', KEYS[1])
  allowed = 1
end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
local epoch = false
if KEYS[2] then
  epoch = redis.call('GET', KEYS[2])
  if not epoch then
    redis.call('SET', KEYS[2], ARGV[3])
    epoch = ARGV[3]
  end
end
return {allowed, count, left, epoch}
"""


@dataclass(frozen=True)
class Spent:
    """What one request left of its credential's budget: the headers are made from this."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # Unix time the window closes
    description: str  # "1000 per 1 hour"

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - time.time()))

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }


@dataclass(frozen=True)
class EpochRequest:
    """Ask the same round trip for the auth epoch (set to `fresh` when Redis has none)."""

    key: str
    fresh: str


class Budgets:
    """The counter one app uses: Redis when configured (and answering), else process memory."""

    def __init__(self, storage_uri: str, key_prefix: str, options: dict[str, Any]) -> None:
        self._memory = FixedWindowRateLimiter(MemoryStorage())
        self._prefix = f"{key_prefix}:{KEY_PREFIX}" if key_prefix else KEY_PREFIX
        self._client: Any = None
        self._script_sha = ""
        self._own = threading.local()  # this thread's connection, and the process it was made in
        self._lock = threading.Lock()
        self._failures = 0
        self._paused_until = 0.0
        if storage_uri.startswith(("redis://", "rediss://")):
            import redis

            self._client = redis.Redis.from_url(storage_uri, **options)
            self._script_sha = self._client.register_script(SPEND_SCRIPT).sha

    @property
    def shared(self) -> bool:
        """Does this process count in Redis right now (not alone in its memory)?"""
        return self._client is not None and time.monotonic() >= self._paused_until

    def answers(self) -> bool:
        """Does Redis answer a PING now? (True when the budgets live in memory by design.)"""
        if self._client is None:
            return True
        try:
            return bool(self._client.ping())
        except RedisError:
            return False

    def spend(
        self, credential: str, budget: RateLimitItem, epoch: EpochRequest | None = None
    ) -> tuple[Spent, bytes | None]:
        """Count one request against `credential`'s budget; with `epoch`, also the auth epoch
        as Redis holds it (None when the count was made in memory)."""
        if self.shared:
            try:
                return self._spend_in_redis(credential, budget, epoch)
            except RedisError as error:
                self._pause(error)
        return self._spend_in_memory(credential, budget), None

    def _spend_in_redis(
        self, credential: str, budget: RateLimitItem, epoch: EpochRequest | None
    ) -> tuple[Spent, bytes | None]:
        window_ms = budget.get_expiry() * 1000
        keys = [f"{self._prefix}:{credential}:{budget.amount}/{budget.get_expiry()}"]
        args: list[str | int] = [window_ms, budget.amount, epoch.fresh if epoch else ""]
        if epoch is not None:
            keys.append(epoch.key)
        allowed, count, left_ms, epoch_value = self._run_script(keys, args)
        with self._lock:
            self._failures = 0
        spent = Spent(
            allowed=bool(allowed),
            limit=budget.amount,
            remaining=max(0, budget.amount - int(count)),
            reset_at=time.time() + int(left_ms) / 1000,
            description=str(budget),
        )
        value = epoch_value.encode() if isinstance(epoch_value, str) else epoch_value
        return spent, value or None

    def _run_script(self, keys: list[str], args: list[str | int]) -> Any:
        """EVALSHA on this thread's connection; the script is loaded again if Redis lost it
        (a restart, SCRIPT FLUSH)."""
        connection = self._connection()
        try:
            try:
                connection.send_command("EVALSHA", self._script_sha, len(keys), *keys, *args)
                return connection.read_response()
            except NoScriptError:
                connection.send_command("SCRIPT", "LOAD", SPEND_SCRIPT)
                connection.read_response()
                connection.send_command("EVALSHA", self._script_sha, len(keys), *keys, *args)
                return connection.read_response()
        except ResponseError:
            raise  # Redis answered: the connection is in step
        except RedisError:
            connection.disconnect()  # half a reply may be unread: the next call reconnects
            raise

    def _connection(self) -> Any:
        """This thread's connection, made on first use. A forked worker makes its own: the one
        it inherited shares its socket with the parent."""
        made_in, connection = getattr(self._own, "held", (None, None))
        if made_in != os.getpid():
            pool = self._client.connection_pool
            connection = pool.connection_class(**pool.connection_kwargs)
            self._own.held = (os.getpid(), connection)
        return connection

    def _spend_in_memory(self, credential: str, budget: RateLimitItem) -> Spent:
        allowed = self._memory.hit(budget, credential)
        stats = self._memory.get_window_stats(budget, credential)
        return Spent(allowed, budget.amount, stats.remaining, stats.reset_time, str(budget))

    def _pause(self, error: Exception) -> None:
        with self._lock:
            self._failures += 1
            pause = min(RETRY_PAUSE_MAX, 2.0 ** (self._failures - 1))
            self._paused_until = time.monotonic() + pause
        log.warning(
            "rate-limit storage unreachable (%s): counting in this process's memory, trying "
            "Redis again in %.0f s",
            type(error).__name__,
            pause,
        )


def current() -> Budgets:
    budgets: Budgets = current_app.extensions[EXTENSION]
    return budgets


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Budgets(
        str(app.config["RATELIMIT_STORAGE_URI"]),
        str(app.config["RATELIMIT_KEY_PREFIX"]),
        dict(app.config["RATELIMIT_STORAGE_OPTIONS"]),
    )
