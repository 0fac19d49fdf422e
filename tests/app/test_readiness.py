"""/ready for load balancers: the database must answer; a lost Redis only degrades."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from tests.support.api import Api
from tests.support.live_server import free_port


def test_ready_when_the_database_answers(api: Api) -> None:
    reply = api.call("GET", "/ready")
    assert reply.status == 200
    assert reply.body == {"status": "ready", "database": "ok", "rateLimitStorage": "memory"}


def test_degraded_not_unready_when_redis_is_unreachable(make_app: Callable[..., Flask]) -> None:
    app = make_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0")
    reply = Api(app.test_client()).call("GET", "/ready")
    assert reply.status == 200 and reply.body["status"] == "degraded"
    assert reply.body["rateLimitStorage"].startswith("unreachable")


def test_503_in_the_envelope_when_the_database_does_not_answer(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none")
    reply = Api(app.test_client()).call("GET", "/ready")
    assert reply.status == 503 and reply.error_code == "UNAVAILABLE"


def test_probes_answer_over_plain_http_when_https_is_required(
    make_app: Callable[..., Flask],
) -> None:
    api = Api(make_app(REQUIRE_HTTPS=True).test_client())
    assert api.call("GET", "/health").status == 200
    assert api.call("GET", "/ready").status == 200
    assert api.call("GET", "/openapi.json").error_code == "HTTPS_REQUIRED"
