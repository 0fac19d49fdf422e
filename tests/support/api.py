"""One small client for the JSON API, over Flask's test client or over real HTTP."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient

from tests.support.secrets import wrap_secrets


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(repr=False)

    @property
    def error_code(self) -> str | None:
        if isinstance(self.body, dict) and self.body.get("status") == "error":
            return str(self.body["error"]["code"])
        return None


def auth_headers(token: str | None, header: str = "bearer") -> dict[str, str]:
    if token is None:
        return {}
    if header == "bearer":
        return {"Authorization": f"Bearer {token}"}
    return {"X-API-Key": token}


class Api:
    """Calls the API in-process (tests/app) or, with `base_url`, over HTTP (tests/e2e)."""

    def __init__(self, client: FlaskClient | None = None, base_url: str | None = None) -> None:
        self.client = client
        self.base_url = base_url

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        json_body: Any = None,
        header: str = "bearer",
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> Reply:
        all_headers = {**auth_headers(token, header), **(headers or {})}
        if json_body is not None:
            data = json.dumps(json_body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        if self.client is not None:
            response = self.client.open(path, method=method, headers=all_headers, data=data)
            return _reply(response.status_code, response.get_data(), dict(response.headers))
        import requests

        http = requests.request(
            method, f"{self.base_url}{path}", headers=all_headers, data=data, timeout=30
        )
        return _reply(http.status_code, http.content, dict(http.headers))

    # -- shortcuts for the flows most tests start from --

    def create_account(self, root_key: str, account_id: str, admin_user_id: str) -> str:
        reply = self.call(
            "POST",
            "/api/v1/admin/accounts",
            root_key,
            json_body={"account_id": account_id, "admin_user_id": admin_user_id},
        )
        assert reply.status == 200, reply
        return str(reply.body["result"]["user_key"])

    def register_user(self, token: str, account_id: str, user_id: str, role: str = "user") -> str:
        reply = self.call(
            "POST",
            f"/api/v1/admin/accounts/{account_id}/users",
            token,
            json_body={"user_id": user_id, "role": role},
        )
        assert reply.status == 200, reply
        return str(reply.body["result"]["user_key"])

    def invite(self, key: str, account_id: str, email: str, role: str = "user") -> dict[str, Any]:
        """`POST /api/v1/admin/invites`: the result, with `invite_token` and `url`."""
        reply = self.call(
            "POST",
            "/api/v1/admin/invites",
            key,
            json_body={"email": email, "account_id": account_id, "role": role},
        )
        assert reply.status == 200, reply
        result: dict[str, Any] = reply.body["result"]
        return result

    def create_token(
        self,
        token: str,
        kind: str = "pats",
        *,
        name: str | None = None,
        scope: str = "read_write",
        **fields: Any,
    ) -> dict[str, Any]:
        name = name or f"ci-{uuid.uuid4().hex[:8]}"  # a person's token names are unique
        reply = self.call(
            "POST", f"/me/{kind}", token, json_body={"name": name, "scope": scope, **fields}
        )
        assert reply.status == 201, reply
        body: dict[str, Any] = reply.body
        return body


def _reply(status: int, raw: bytes, headers: dict[str, str]) -> Reply:
    try:
        body = wrap_secrets(json.loads(raw)) if raw else None
    except ValueError:
        body = raw.decode("utf-8", "replace")
    return Reply(status, body, headers)
