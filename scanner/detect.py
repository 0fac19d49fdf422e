"""Bytes in, token matches out. Knows the registry, not where the bytes came from."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from scanner import formats

ALLOW_MARKER = b"oi: allow"

# One pass over the bytes finds every registered format; the registry validates each candidate.
_CANDIDATE = re.compile(
    "|".join(f"(?:{fmt.bounded_pattern})" for fmt in formats.REGISTRY).encode("ascii")
)
# A blob holding no registered prefix cannot hold a token. One search for any prefix is about
# twice as fast as one `in` per stem (74 MiB of Python: 55 ms against 112 ms).
_PREFIXES = re.compile(b"|".join(re.escape(fmt.prefix.encode("ascii")) for fmt in formats.REGISTRY))


class Match(NamedTuple):
    """A valid token at a position. `token` is the raw value: never print it."""

    token: str
    kind: str
    line: int
    allowed: bool

    def __repr__(self) -> str:
        return f"Match(kind={self.kind!r}, line={self.line}, allowed={self.allowed})"


def find_tokens(data: bytes) -> Iterator[Match]:
    """Every valid token in `data`, with its 1-based line and whether the line allows it."""
    if _PREFIXES.search(data) is None:
        return
    for candidate in _CANDIDATE.finditer(data):
        token = candidate.group().decode("ascii")
        fmt = formats.identify(token)
        if fmt is None:
            continue
        start = candidate.start()
        yield Match(token, fmt.kind, data.count(b"\n", 0, start) + 1, _line_allows(data, start))


def _line_allows(data: bytes, offset: int) -> bool:
    line_start = data.rfind(b"\n", 0, offset) + 1
    line_end = data.find(b"\n", offset)
    return ALLOW_MARKER in data[line_start : line_end if line_end != -1 else len(data)]
