"""The one HTTP transport of every client call: the leak protocol, the JSON API and OAuth.

Standard library only (urllib). JSON or form bodies, an optional bearer token, a timeout and a
retry policy; every failure is a `ServiceError` (unreachable, not JSON) or its subclass
`Refused` (an HTTP error status), with one message per status a person can act on. No message
carries a whole token, whatever the server or the network says.

A redirect is followed only within the same origin (scheme, host and port): urllib would carry
the `Authorization` header to wherever a redirect points, so a redirect to another origin is
refused, credentials or not, and the message names where it pointed.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from typing import Any

from scanner import formats
from scanner.errors import OiError

TIMEOUT_SECONDS = 10.0
RETRY_PAUSE_SECONDS = 0.5
USER_AGENT = "tokenpatrol-oi"
SIGN_IN_HINT = "(oi login, or oi profile set --token)"


class ServiceError(OiError):
    """The service could not be reached, or answered something that is not JSON."""


class Refused(ServiceError):
    """The service answered an HTTP error status; `reason` is its own word for why."""

    def __init__(self, message: str, *, status: int, reason: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = formats.redact_text(reason)


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        here, there = _origin(req.full_url), _origin(urllib.parse.urljoin(req.full_url, newurl))
        if there != here:
            raise ServiceError(
                f"{here} redirected to {there}; a redirect to another origin is not followed "
                "(use that address as the service URL if it is the service)"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_SameOriginRedirects)


def send(
    method: str,
    url: str,
    *,
    json_body: Any = None,
    form: dict[str, str] | None = None,
    bearer: str | None = None,
    timeout: float = TIMEOUT_SECONDS,
    attempts: int = 1,
) -> Any:
    """One request; the decoded JSON answer (None when empty).

    With `attempts` > 1, an unreachable service or a 5xx is tried again after a short pause;
    a refusal (4xx) is final.
    """
    outgoing = _request(method, url, json_body, form, bearer)
    for attempt in range(1, attempts + 1):
        try:
            return _exchange(outgoing, timeout)
        except ServiceError as error:
            if attempt == attempts or (isinstance(error, Refused) and error.status < 500):
                raise
            time.sleep(RETRY_PAUSE_SECONDS)
    raise AssertionError("unreachable")  # pragma: no cover


def _request(
    method: str, url: str, json_body: Any, form: dict[str, str] | None, bearer: str | None
) -> urllib.request.Request:
    headers = {"User-Agent": USER_AGENT}
    data = None
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if bearer is not None:
        headers["Authorization"] = f"Bearer {_header_safe(bearer)}"
    return urllib.request.Request(url, data=data, method=method, headers=headers)


def _exchange(outgoing: urllib.request.Request, timeout: float) -> Any:
    origin = _origin(outgoing.full_url)
    try:
        with _OPENER.open(outgoing, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        raise refusal(error.code, error.headers, _body(error)) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ServiceError(f"{origin} is unreachable: {reason}") from None
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ServiceError(f"{origin} did not answer JSON") from None


def _header_safe(token: str) -> str:
    """A token as a header value: whitespace around it dropped, anything else that a header
    cannot hold refused here (http.client's own error would quote the whole token)."""
    value = token.strip()
    if not value or any(ord(char) < 0x21 or ord(char) > 0x7E for char in value):
        raise OiError("the token holds spaces or control characters: check how it was pasted")
    return value


def refusal(status: int, headers: Message, raw: bytes) -> Refused:
    """The one mapping from an HTTP error status to what a person reads."""
    reason = server_reason(status, raw)
    if status == 401:
        text = f"not signed in or token invalid: {reason} {SIGN_IN_HINT}"
    elif status == 403:
        text = f"permission denied: {reason}"
    elif status == 429:
        text = f"rate limited: retry in {headers.get('Retry-After') or 'a few'} seconds"
    elif status >= 500:
        text = f"the service failed (HTTP {status})"
    else:
        text = reason
    return Refused(text, status=status, reason=reason)


def server_reason(status: int, raw: bytes) -> str:
    """The envelope's `error.message`, OAuth's `error`, else `HTTP <status>`."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    return str(error) if isinstance(error, str) and error else f"HTTP {status}"


def _body(error: urllib.error.HTTPError) -> bytes:
    try:
        return error.read()
    except OSError:
        return b""


def _origin(url: str) -> str:
    """scheme://host[:port] of `url`: what an error names, never a path or a query."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
