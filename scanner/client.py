"""The client for the service's leak protocol: check hashes, revoke raw tokens.

Short timeouts and one retry (`scanner.transport`): a scan must not hang on a service that is
down or slow, and a service that answers garbage is treated like one that is down.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scanner import transport
from scanner.transport import ServiceError

TIMEOUT_SECONDS = 5.0
ATTEMPTS = 2
BATCH_SIZE = 1000


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
        """One result per token: revoked, already_revoked or unknown (with fingerprint).

        Each batch carries a report id of its own, the same on its retry: if the first try
        revoked a token and its answer was lost, the retry is told "revoked", not
        "already_revoked"."""
        import secrets

        results: list[dict[str, Any]] = []
        for batch in _batches(tokens):
            body = {
                "tokens": batch,
                "location": location,
                "source": source,
                "reportId": secrets.token_hex(16),
            }
            results.extend(_results(self._post("/api/v1/leaks/revoke", body), len(batch)))
        return results

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        return transport.send(
            "POST", self.app_url + path, json_body=body, timeout=self.timeout, attempts=ATTEMPTS
        )


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
