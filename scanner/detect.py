"""Bytes in, token matches out. Knows the registry, not where the bytes came from."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from scanner import formats

ALLOW_MARKER = b"oi: allow"

# One pass over the bytes finds every registered format; the registry validates each candidate.
_CANDIDATE = re.compile(
    "|".join(f"(?:{fmt.bounded_pattern})" for fmt in formats.REGISTRY).encode("ascii")
)
# Every registered prefix shares one of these stems; a blob without them cannot hold a token,
# and `bytes.find` rules that out far faster than the regular expression can.
_STEMS = tuple(sorted({fmt.prefix[:3].encode("ascii") for fmt in formats.REGISTRY}))


@dataclass(frozen=True)
class Match:
    """A valid token at a position. `token` is the raw value: never print it."""

    token: str = field(repr=False)
    kind: str
    line: int
    allowed: bool


def find_tokens(data: bytes) -> Iterator[Match]:
    """Every valid token in `data`, with its 1-based line and whether the line allows it."""
    if not any(stem in data for stem in _STEMS):
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
