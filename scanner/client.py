"""The HTTP client for the service's leak protocol (standard library: urllib).

Short timeouts and one retry: a scan must not hang on a service that is down or slow, and a
service that answers garbage is treated like one that is down.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

TIMEOUT_SECONDS = 5.0
RETRY_PAUSE_SECONDS = 0.5
BATCH_SIZE = 1000
USER_AGENT = "tokenpatrol-oi"


class ServiceError(Exception):
    """The service could not be reached or answered something unusable (one-line message)."""


class LeakClient:
    def __init__(self, app_url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.app_url = app_url.rstrip("/")
        self.timeout = timeout

    def check(self, hashes: list[str]) -> dict[str, dict[str, Any]]:
        """hash -> {status, tokenId, kind, scope}, in as few requests as possible."""
        answers: dict[str, dict[str, Any]] = {}
        for batch in _batches(list(dict.fromkeys(hashes))):
            reply = self._post("/api/v1/leaks/check", {"hashes": batch})
            for result in _results(reply, len(batch)):
                answers[str(result["hash"])] = result
        return answers

    def revoke(
        self, tokens: list[str], location: dict[str, Any], source: str
    ) -> list[dict[str, Any]]:
        """One result per token: revoked, already_revoked or unknown (with fingerprint)."""
        results: list[dict[str, Any]] = []
        for batch in _batches(tokens):
            body = {"tokens": batch, "location": location, "source": source}
            results.extend(_results(self._post("/api/v1/leaks/revoke", body), len(batch)))
        return results

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        data = json.dumps(body).encode()
        for attempt in (1, 2):
            try:
                return self._send(path, data)
            except ServiceError:
                if attempt == 2:
                    raise
                time.sleep(RETRY_PAUSE_SECONDS)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, path: str, data: bytes) -> Any:
        request = urllib.request.Request(
            self.app_url + path,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise ServiceError(f"{self.app_url} answered HTTP {error.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ServiceError(f"{self.app_url} is unreachable: {reason}") from None
        except ValueError:
            raise ServiceError(f"{self.app_url} did not answer JSON") from None


def _batches(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]


def _results(reply: Any, expected: int) -> list[dict[str, Any]]:
    results = reply.get("results") if isinstance(reply, dict) else None
    if not isinstance(results, list) or len(results) != expected:
        raise ServiceError("the service's answer does not look like the leak protocol")
    if not all(isinstance(result, dict) for result in results):
        raise ServiceError("the service's answer does not look like the leak protocol")
    return results
