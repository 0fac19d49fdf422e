"""Public identifiers for rows: a type prefix and random base62, e.g. `pat_4fQ...`."""

from __future__ import annotations

import secrets

from scanner.formats import BASE62_ALPHABET

ID_RANDOM_LENGTH = 16


def new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(BASE62_ALPHABET) for _ in range(ID_RANDOM_LENGTH))
