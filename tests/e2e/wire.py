"""Raw HTTP for end-to-end tests: replay curl commands literally, print replies redacted.

Everything here may end up in an assertion message, so nothing here ever prints a raw
token: replies print with every token-shaped substring (valid or not) and the root key
redacted, and the root key itself is held as a `Secret`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from scanner import formats
from tests.support.databases import ROOT_KEY
from tests.support.secrets import Secret, wrap_secrets

TIMEOUT_SECONDS = 30
ROOT = Secret(ROOT_KEY)
JSON = "Content-Type: application/json"


def scrub(text: str) -> str:
    """`text` with the root key and every token-shaped substring redacted."""
    text = text.replace(ROOT_KEY, formats.redact(ROOT_KEY))
    return formats.redact_text(text)


def token_shaped(text: str) -> list[str]:
    """Every substring of `text` shaped like a registered token (valid or not)."""
    return formats.TOKEN_SHAPED.findall(text)


class Redacted(str):
    """A header line or body that may hold a token: sent as is, printed scrubbed.

    pytest prints the value of every call inside a failing `assert`, so `api_key(token)`
    must not print the whole token either.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(scrub(str(self)))


@dataclass(frozen=True, repr=False)
class Wire:
    """One HTTP exchange as the client saw it; prints as status + scrubbed body."""

    method: str
    path: str
    status: int
    text: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def body(self) -> Any:
        """The decoded JSON body, tokens wrapped in `Secret` (None when not JSON)."""
        try:
            return _redact_strings(wrap_secrets(json.loads(self.text)))
        except ValueError:
            return None

    @property
    def error_code(self) -> str | None:
        body = self.body
        if isinstance(body, dict) and body.get("status") == "error":
            return str(body["error"]["code"])
        return None

    def __repr__(self) -> str:
        return f"<{self.method} {scrub(self.path)} -> {self.status} {scrub(self.text)[:500]}>"

    __str__ = __repr__


def _redact_strings(value: Any) -> Any:
    """Strings that merely contain a token (a message echoing one) print scrubbed too."""
    if isinstance(value, dict):
        return {key: _redact_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_strings(item) for item in value]
    if type(value) is str and (ROOT_KEY in value or formats.TOKEN_SHAPED.search(value)):
        return Redacted(value)
    return value


def curl(
    base_url: str, method: str, path: str, *headers: str, data: str | bytes | None = None
) -> Wire:
    """`curl --request METHOD --url BASE/PATH --header 'Name: value'... --data DATA`, literally.

    Headers are sent exactly as written (no Authorization is added), the body as given.
    """
    header_map: dict[str, str] = {}
    for header in headers:
        name, sep, value = header.partition(":")
        assert sep, f"a header is 'Name: value', not {scrub(header)!r}"
        header_map[name.strip()] = value.strip()
    payload = data.encode() if isinstance(data, str) else data
    response = requests.request(
        method, f"{base_url}{path}", headers=header_map, data=payload, timeout=TIMEOUT_SECONDS
    )
    return Wire(method, path, response.status_code, response.text, response.headers)


def bearer(token: str) -> Redacted:
    return Redacted(f"Authorization: Bearer {token}")


def api_key(token: str) -> Redacted:
    return Redacted(f"X-API-Key: {token}")


def as_json(value: Any) -> Redacted:
    return Redacted(json.dumps(value))


def assert_error(reply: Wire, status: int, code: str) -> None:
    """The contract's error envelope, exactly: `{"status": "error", "error": {code, message}}`."""
    assert reply.status == status, reply
    assert reply.headers.get("Content-Type", "").startswith("application/json"), reply
    body = reply.body
    enveloped = (
        isinstance(body, dict)
        and set(body) == {"status", "error"}
        and body["status"] == "error"
        and isinstance(body["error"], dict)
        and set(body["error"]) == {"code", "message"}
        and isinstance(body["error"]["message"], str)
        and bool(body["error"]["message"])
    )
    assert enveloped, reply
    assert body["error"]["code"] == code, reply


def ok_result(reply: Wire) -> Any:
    """The `result` of an admin API success: `{"status": "ok", "result": ..., "time": s}`."""
    assert reply.status == 200, reply
    body = reply.body
    enveloped = isinstance(body, dict) and body.get("status") == "ok" and "result" in body
    assert enveloped, reply
    return body["result"]


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def api_token_payload(token: str) -> dict[str, Any]:
    """The JSON payload of an `oai_` token, decoded the way any client could."""
    body = token.removeprefix("oai_").split(".")[0]
    payload: dict[str, Any] = json.loads(b64url_decode(body))
    return payload


def with_payload(token: str, payload: Mapping[str, Any]) -> Secret:
    """`token` with its payload replaced (encoded as the service does) and its signature kept."""
    signature = token.split(".")[1]
    body = json.dumps(dict(payload), separators=(",", ":"), sort_keys=True).encode()
    return Secret(f"oai_{b64url_encode(body)}.{signature}")
