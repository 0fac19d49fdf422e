"""The JSON client behind `oi tokens`, `oi api-tokens`, `oi admin` and `oi auth check`.

Standard library only (urllib). Every failure becomes one `ClientError` whose message a person
can act on; no message ever carries a whole token, whatever the server or the network says.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from email.message import Message
from typing import Any

from scanner import formats
from scanner.client import USER_AGENT
from scanner.credentials import Credential, CredentialError, current

TIMEOUT_SECONDS = 10.0
SIGN_IN_HINT = "(oi login, or oi profile set --token)"


class ClientError(Exception):
    """A refused or failed request: one line for stderr, the exit code, and the HTTP status."""

    def __init__(
        self,
        message: str,
        exit_code: int = 1,
        *,
        status: int | None = None,
        server_message: str = "",
    ) -> None:
        self.message = formats.redact_text(message)
        super().__init__(self.message)
        self.exit_code = exit_code
        self.status = status
        self.server_message = formats.redact_text(server_message)


def request(method: str, path: str, body: Any = None, *, app_url: str | None = None) -> Any:
    """Send one request with the current credential; the decoded JSON answer (None if empty)."""
    return send(credential(app_url), method, path, body)


def credential(app_url: str | None = None) -> Credential:
    """`scanner.credentials.current`, with its refusal turned into a `ClientError`."""
    try:
        return current(app_url)
    except CredentialError as error:
        raise ClientError(str(error)) from None


def send(found: Credential, method: str, path: str, body: Any = None) -> Any:
    """One request with `found`'s bearer token; `ClientError` for any non-2xx or no answer."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {found.token}", "User-Agent": USER_AGENT}
    if data is not None:
        headers["Content-Type"] = "application/json"
    url = found.app_url + path
    outgoing = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(outgoing, timeout=TIMEOUT_SECONDS) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        raise _refusal(error.code, error.headers, _read(error)) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ClientError(f"{found.app_url} is unreachable: {reason}") from None
    return _decode(raw, found.app_url)


def _read(error: urllib.error.HTTPError) -> bytes:
    try:
        return error.read()
    except OSError:
        return b""


def _decode(raw: bytes, app_url: str) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ClientError(f"{app_url} did not answer JSON") from None


def server_message(status: int, raw: bytes) -> str:
    """The envelope's `error.message`, else `HTTP <status>`."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return str(message) if message else f"HTTP {status}"


def _refusal(status: int, headers: Message, raw: bytes) -> ClientError:
    message = server_message(status, raw)
    if status == 401:
        text = f"not signed in or token invalid: {message} {SIGN_IN_HINT}"
    elif status == 403:
        text = f"permission denied: {message}"
    elif status == 429:
        text = f"rate limited: retry in {headers.get('Retry-After') or 'a few'} seconds"
    elif status >= 500:
        text = f"the service failed (HTTP {status})"
    else:
        text = message
    return ClientError(text, status=status, server_message=message)
