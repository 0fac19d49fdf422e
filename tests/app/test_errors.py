"""The error envelope everywhere: 404, 405, 413, 415, malformed JSON, validation, 500-free."""

from __future__ import annotations

import pytest

from tests.support.api import Api


def assert_envelope(reply, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert reply.status == status, reply
    assert set(reply.body) == {"status", "error"} and reply.body["status"] == "error"
    assert set(reply.body["error"]) == {"code", "message"} and reply.error_code == code


def test_unknown_route_is_404_envelope(api: Api) -> None:
    assert_envelope(api.call("GET", "/nope"), 404, "NOT_FOUND")


def test_wrong_method_is_405_envelope(api: Api, root_key: str) -> None:
    assert_envelope(api.call("PUT", "/health"), 405, "METHOD_NOT_ALLOWED")
    assert_envelope(api.call("PATCH", "/me/pats", root_key), 405, "METHOD_NOT_ALLOWED")


def test_oversized_body_is_413_envelope(api: Api, root_key: str) -> None:
    reply = api.call(
        "POST",
        "/api/v1/admin/accounts",
        root_key,
        data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert_envelope(reply, 413, "PAYLOAD_TOO_LARGE")


def test_wrong_content_type_is_415_envelope(api: Api, root_key: str) -> None:
    reply = api.call(
        "POST",
        "/api/v1/admin/accounts",
        root_key,
        data=b"account_id=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_envelope(reply, 415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.parametrize(
    "raw", [b"{", b"[]", b"null", b'"text"', b"\xff\xfe", b'{"account_id": 5}']
)
def test_malformed_json_is_400_envelope(api: Api, root_key: str, raw: bytes) -> None:
    reply = api.call(
        "POST",
        "/api/v1/admin/accounts",
        root_key,
        data=raw,
        headers={"Content-Type": "application/json"},
    )
    assert_envelope(reply, 400, "INVALID_ARGUMENT")


def test_validation_error_names_the_field_and_does_not_echo_secrets(api: Api) -> None:
    from scanner import formats

    token = formats.INVITE_TOKEN.generate()
    reply = api.call("POST", "/auth/invites/claim", json_body={"token": token, "password": "short"})
    assert_envelope(reply, 400, "INVALID_ARGUMENT")
    assert "password" in reply.body["error"]["message"]
    assert (token in str(reply.body)) is False


def test_a_token_pasted_into_a_path_is_redacted_in_the_error(api: Api, root_key: str) -> None:
    key = api.create_account(root_key, "acme", "alice")
    reply = api.call("DELETE", f"/me/pats/{key}", key)
    assert_envelope(reply, 404, "NOT_FOUND")
    assert (key in str(reply.body)) is False and key[-4:] in reply.body["error"]["message"]


def test_malformed_authorization_header_is_401(api: Api) -> None:
    reply = api.call("GET", "/auth/check", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert_envelope(reply, 401, "UNAUTHENTICATED")


def test_health_ignores_credentials(api: Api) -> None:
    reply = api.call("GET", "/health", headers={"Authorization": "Bearer garbage"})
    assert reply.status == 200 and reply.body == {"status": "ok"}
