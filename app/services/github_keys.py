"""GitHub's secret scanning public keys: which alerts really come from GitHub.

GitHub signs each partner alert with ECDSA P-256 over the raw body (SHA-256, DER signature in
base64) and names the key in `Github-Public-Key-Identifier`. The keys are served as
`{"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}`; they are fetched with a
short timeout, kept, and fetched again once when an alert names a key we do not know (GitHub
rotated), but not more often than every `GITHUB_KEYS_REFETCH_SECONDS`, so forged key ids
cannot make us hammer the key endpoint.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
import urllib.request
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app

from app.errors import ApiError, Unauthenticated

log = logging.getLogger(__name__)


class KeysUnavailable(ApiError):
    status, code = 503, "UNAVAILABLE"


@dataclass
class _KeyCache:
    keys: dict[str, ec.EllipticCurvePublicKey] = field(default_factory=dict)
    fetched_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_CACHE_LOCK = threading.Lock()
EXTENSION = "tokenpatrol.github_keys"


def verify(body: bytes, key_id: str | None, signature: str | None) -> None:
    """Return when GitHub signed `body`; else raise (401, or 503 when keys cannot be had)."""
    if not key_id or not signature:
        raise _refused("the alert carries no Github-Public-Key-Identifier / -Signature")
    key = _key(key_id)
    try:
        der = base64.b64decode(signature, validate=True)
        key.verify(der, body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        raise _refused(f"the signature does not match key {key_id[:16]}") from None


def _key(key_id: str) -> ec.EllipticCurvePublicKey:
    cache = _cache()
    with cache.lock:
        if cache.fetched_at is None or _stale(cache):
            _refresh(cache)
        if key_id not in cache.keys and _may_refetch(cache):
            _refresh(cache)  # a key GitHub added since: fetched again once
        key = cache.keys.get(key_id)
    if key is None:
        raise _refused(f"unknown GitHub key {key_id[:16]}")
    return key


def _cache() -> _KeyCache:
    """This app's keys (each app its own, so a test's keys never serve another's)."""
    with _CACHE_LOCK:
        cache: _KeyCache = current_app.extensions.setdefault(EXTENSION, _KeyCache())
        return cache


def _stale(cache: _KeyCache) -> bool:
    age = time.monotonic() - (cache.fetched_at or 0.0)
    return age > float(current_app.config["GITHUB_KEYS_CACHE_SECONDS"])


def _may_refetch(cache: _KeyCache) -> bool:
    age = time.monotonic() - (cache.fetched_at or 0.0)
    return age > float(current_app.config["GITHUB_KEYS_REFETCH_SECONDS"])


def _refresh(cache: _KeyCache) -> None:
    url = str(current_app.config["GITHUB_KEYS_URL"])
    try:
        cache.keys = _parse(_fetch(url))
    except (OSError, ValueError, UnsupportedAlgorithm) as error:
        log.error("GitHub's public keys could not be fetched from %s: %s", url, error)
        if not cache.keys:  # none at all: the next alert tries again (GitHub retries too)
            cache.fetched_at = None
            raise KeysUnavailable("GitHub's public keys cannot be fetched; retry later") from None
        cache.fetched_at = time.monotonic()  # keep the keys we had; try again later
        return
    cache.fetched_at = time.monotonic()


def _fetch(url: str) -> bytes:
    timeout = float(current_app.config["GITHUB_KEYS_TIMEOUT_SECONDS"])
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        body: bytes = answer.read(1024 * 1024)
        return body


def _parse(raw: bytes) -> dict[str, ec.EllipticCurvePublicKey]:
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    for entry in json.loads(raw)["public_keys"]:
        key = serialization.load_pem_public_key(str(entry["key"]).encode())
        if isinstance(key, ec.EllipticCurvePublicKey):
            keys[str(entry["key_identifier"])] = key
    return keys


def _refused(reason: str) -> Unauthenticated:
    log.warning("GitHub alert refused: %s", reason)
    return Unauthenticated(f"not a verified GitHub alert: {reason}")
