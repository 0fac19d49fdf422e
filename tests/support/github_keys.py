"""A stand-in for GitHub's key endpoint (`/meta/public_keys/secret_scanning`) on loopback, and
the signing GitHub does: ECDSA P-256 over the raw alert body, SHA-256, DER in base64."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.loopback_http import serving


@dataclass
class KeyServer:
    url: str = ""
    keys: dict[str, ec.EllipticCurvePrivateKey] = field(default_factory=dict)
    fetches: int = 0
    down: bool = False

    def add_key(self) -> str:
        """A new key pair; returns its identifier (as GitHub's: hex SHA-256 of the key)."""
        private = ec.generate_private_key(ec.SECP256R1())
        key_id = hashlib.sha256(_pem(private).encode()).hexdigest()
        self.keys[key_id] = private
        return key_id

    def headers(self, body: bytes, key_id: str) -> dict[str, str]:
        signature = self.keys[key_id].sign(body, ec.ECDSA(hashes.SHA256()))
        return {
            "Github-Public-Key-Identifier": key_id,
            "Github-Public-Key-Signature": base64.b64encode(signature).decode(),
            "Content-Type": "application/json",
        }

    def document(self) -> bytes:
        entries = [
            {"key_identifier": kid, "key": _pem(key), "is_current": True}
            for kid, key in self.keys.items()
        ]
        return json.dumps({"public_keys": entries}).encode()


def _pem(private: ec.EllipticCurvePrivateKey) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@contextmanager
def github_key_server() -> Iterator[KeyServer]:
    served = KeyServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.fetches += 1
            if served.down:
                self.send_error(502)
                return
            body = served.document()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    with serving(Handler) as base_url:
        served.url = base_url + "/meta/public_keys/secret_scanning"
        yield served
