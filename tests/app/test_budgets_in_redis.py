"""A credential's budget in Redis: one round trip per request for a token this process knows,
the same count in every process, and the same headers as in memory.

The Redis here is a private one (tests/support/private_servers.py): MONITOR then sees only this
test's commands, each tagged with who sent it, the app or a Lua script inside Redis.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from tests.support.api import Api
from tests.support.private_servers import PrivateRedis, private_redis

LIMITS = "read=4/hour,write=5/hour,admin=100/hour"
END = "end of the requests"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PrivateRedis]:
    with private_redis(tmp_path / "redis") as running:
        yield running


@pytest.fixture
def redis_app(make_app: Callable[..., Flask], server: PrivateRedis) -> Callable[[], Flask]:
    prefix = uuid.uuid4().hex
    return lambda: make_app(
        RATELIMIT_STORAGE_URI=server.url, RATELIMIT_KEY_PREFIX=prefix, RATE_LIMITS=LIMITS
    )


@contextmanager
def monitored(url: str) -> Iterator[list[dict[str, Any]]]:
    """What clients send to Redis while the block runs (a script's own calls apart), as
    MONITOR reports each: the command and the client's address."""
    seen: list[dict[str, Any]] = []
    with redis.Redis.from_url(url).monitor() as monitor:
        yield seen
        redis.Redis.from_url(url).echo(END)
        for sent in monitor.listen():
            if str(sent["command"]) == f"ECHO {END}":
                break
            if sent.get("client_type") != "lua":
                seen.append(sent)


def names(seen: list[dict[str, Any]]) -> list[str]:
    return [str(sent["command"]).split(" ", 1)[0].upper() for sent in seen]


def read_token(api: Api, root_key: str) -> str:
    """A new account's read-scoped API token."""
    key = api.create_account(root_key, "acme", "alice")
    return str(api.create_token(key, "api-tokens", scope="read")["token"])


def test_a_known_token_costs_one_round_trip(
    redis_app: Callable[[], Flask], server: PrivateRedis, root_key: str
) -> None:
    api = Api(redis_app().test_client())
    token = read_token(api, root_key)
    assert api.call("GET", "/auth/check", token).status == 200  # resolved, then cached
    with monitored(server.url) as seen:
        replies = [api.call("GET", "/auth/check", token) for _ in range(4)]
    assert [reply.status for reply in replies] == [200, 200, 200, 429]
    assert [reply.headers["X-RateLimit-Remaining"] for reply in replies] == list("2100")
    assert names(seen) == ["EVALSHA"] * 4


def test_two_processes_spend_one_budget(redis_app: Callable[[], Flask], root_key: str) -> None:
    one, two = Api(redis_app().test_client()), Api(redis_app().test_client())
    key = one.create_account(root_key, "acme", "alice")
    token = two.create_token(key, "api-tokens", scope="read")["token"]
    replies = [(one, two)[i % 2].call("GET", "/auth/check", token) for i in range(6)]
    assert [reply.status for reply in replies] == [200] * 4 + [429] * 2
    assert [reply.headers["X-RateLimit-Remaining"] for reply in replies] == list("321000")
    assert {reply.headers["X-RateLimit-Limit"] for reply in replies} == {"4"}
    limited = replies[-1]
    assert limited.error_code == "RESOURCE_EXHAUSTED"
    assert 0 < int(limited.headers["Retry-After"]) <= 3600
    resets = {int(reply.headers["X-RateLimit-Reset"]) for reply in replies}
    assert max(resets) - min(resets) <= 2  # one window, opened by the first request


def test_a_revocation_elsewhere_is_seen_through_the_one_round_trip(
    redis_app: Callable[[], Flask], root_key: str
) -> None:
    warm, other = Api(redis_app().test_client()), Api(redis_app().test_client())
    key = other.create_account(root_key, "acme", "alice")
    pat = other.create_token(key)
    assert warm.call("GET", "/auth/check", pat["token"]).status == 200
    assert warm.call("GET", "/auth/check", pat["token"]).status == 200  # from the cache
    assert other.call("DELETE", f"/me/pats/{pat['id']}", key).status == 200
    refused = warm.call("GET", "/auth/check", pat["token"])
    assert refused.status == 401 and refused.error_code == "UNAUTHENTICATED"


def test_a_script_redis_has_lost_is_loaded_again(
    redis_app: Callable[[], Flask], server: PrivateRedis, root_key: str
) -> None:
    api = Api(redis_app().test_client())
    token = read_token(api, root_key)
    assert api.call("GET", "/auth/check", token).headers["X-RateLimit-Remaining"] == "3"
    redis.Redis.from_url(server.url).script_flush()  # as a restart without persistence would
    with monitored(server.url) as seen:
        again = api.call("GET", "/auth/check", token)
    assert again.status == 200 and again.headers["X-RateLimit-Remaining"] == "2"  # counted once
    assert names(seen) == ["EVALSHA", "SCRIPT", "EVALSHA"]


def test_a_forked_worker_counts_on_a_connection_of_its_own(
    redis_app: Callable[[], Flask], server: PrivateRedis, root_key: str
) -> None:
    """gunicorn forks its workers from one process: a child must not write to the socket its
    parent already reads replies from."""
    api = Api(redis_app().test_client())
    token = read_token(api, root_key)
    assert api.call("GET", "/auth/check", token).status == 200  # the parent's connection exists
    with monitored(server.url) as seen:
        parent_before = api.call("GET", "/auth/check", token).headers["X-RateLimit-Remaining"]
        child = os.fork()
        if child == 0:  # the child: one request, its answer as the exit status
            try:
                remaining = api.call("GET", "/auth/check", token).headers["X-RateLimit-Remaining"]
                os._exit(int(remaining))
            finally:
                os._exit(99)
        _, status = os.waitpid(child, 0)
        parent_after = api.call("GET", "/auth/check", token).headers["X-RateLimit-Remaining"]
    assert (parent_before, os.waitstatus_to_exitcode(status), parent_after) == ("2", 1, "0")
    ports = [int(sent["client_port"]) for sent in seen if names([sent])[0] == "EVALSHA"]
    assert len(ports) == 3 and ports[0] == ports[2] != ports[1]
