"""Bytes in, token matches out. Knows the registry, not where the bytes came from.

A token glued to text (`PASSWORD<token>`, `<token>xyz`) is still a token: the registry's
checksum or payload check, not the character next to it, tells a token from a look-alike.
Every candidate costs a bounded amount of work, so a scan stays linear in its input.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Iterable, Iterator

from scanner import formats

ALLOW_MARKER = b"oi: allow"

_CHECKSUM_FORMATS = [f for f in formats.REGISTRY if isinstance(f, formats.ChecksumFormat)]
_SIGNED_FORMATS = [f for f in formats.REGISTRY if isinstance(f, formats.SignedFormat)]
# A checksum token has a fixed length: a candidate is its prefix and that many characters,
# whatever stands on either side.
_CHECKSUM = re.compile("|".join(f"(?:{fmt.pattern})" for fmt in _CHECKSUM_FORMATS).encode())
# A blob holding no registered prefix cannot hold a token. One search for any prefix is about
# twice as fast as one `in` per stem (74 MiB of Python: 55 ms against 112 ms).
_PREFIXES = re.compile(b"|".join(re.escape(fmt.prefix.encode("ascii")) for fmt in formats.REGISTRY))
_SIGNED_PREFIXES = [(f, re.compile(re.escape(f.prefix.encode("ascii")))) for f in _SIGNED_FORMATS]
_B64URL_RUN = re.compile(rb"[A-Za-z0-9_-]*")
_SIGNATURE = re.compile(rb"\.[A-Za-z0-9_-]{%d}" % formats.SIGNATURE_LENGTH)
# Before one signature, at most this many prefixes are tried, nearest first. A payload holds
# its own prefix by chance once in 16 million characters; more than this is made on purpose,
# and trying each would cost up to 8 KiB of decoding per 4 bytes of input.
SIGNED_TRIES = 8


class Match:
    """A valid token at a position. `token` is the raw value: never print it.

    (Slotted classes, not NamedTuples, here and in the registry: `typing` is not imported on
    the pre-commit path.)"""

    __slots__ = ("allowed", "kind", "line", "token")

    def __init__(self, token: str, kind: str, line: int, allowed: bool) -> None:
        self.token, self.kind, self.line, self.allowed = token, kind, line, allowed

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Match):
            return NotImplemented
        mine = (self.token, self.kind, self.line, self.allowed)
        return mine == (other.token, other.kind, other.line, other.allowed)

    def __hash__(self) -> int:
        return hash((self.token, self.kind, self.line, self.allowed))

    def __repr__(self) -> str:
        return f"Match(kind={self.kind!r}, line={self.line}, allowed={self.allowed})"


class Candidate:
    """A span of the input the registry was asked about, and the format that took it (if any)."""

    __slots__ = ("end", "format", "start")

    def __init__(self, start: int, end: int, format: formats.TokenFormat | None) -> None:
        self.start, self.end, self.format = start, end, format


def find_tokens(data: bytes) -> Iterator[Match]:
    """Every valid token in `data`, with its 1-based line and whether the line allows it.

    UTF-16 content (a BOM, or NULs in every other byte) is also read decoded."""
    if not data:
        return
    for match, _end in _matches(data):
        yield match
    codec = utf16_codec(data)
    if codec is not None:
        for match, _end in _matches(data.decode(codec, "replace").encode("utf-8")):
            yield match


def _stem_search(stems: tuple[bytes, ...]) -> re.Pattern[bytes]:
    """A search for the stems, anchored on their common tail (`i_`) with a look back for the
    rest: a pattern that starts with two fixed characters is the fastest `re` has (on pytest's
    blobs 1.6 times the speed of the prefix search, and faster than one `find` per stem)."""
    tail = stems[0]
    while not all(stem.endswith(tail) for stem in stems):
        tail = tail[1:]
    if len(tail) < 2:
        return re.compile(b"|".join(re.escape(stem) for stem in stems))
    behind = b"|".join(b"(?<=%s)" % re.escape(stem) for stem in stems)
    return re.compile(b"%s(?:%s)" % (re.escape(tail), behind))


_PREFIX_BYTES = [fmt.prefix.encode("ascii") for fmt in formats.REGISTRY]
#: The stems of the prefixes, each up to its first `_` (`oi_`, `oai_`): content without one
#: holds no token, unless it is UTF-16.
STEMS = tuple(sorted({prefix[: prefix.find(b"_") + 1 or None] for prefix in _PREFIX_BYTES}))
_STEMS = _stem_search(STEMS)


def may_hold_token(buffer: bytes | bytearray, start: int, end: int) -> bool:
    """False only when `find_tokens(buffer[start:end])` is sure to find nothing: the content
    holds no stem of a registered prefix and does not look like UTF-16 (which `find_tokens`
    also decodes). Looks at the content in place: a history scan copies only what this lets
    through (`scanner.stem_search` puts a faster stem search in front of `may_be_utf16`)."""
    return _STEMS.search(buffer, start, end) is not None or may_be_utf16(buffer, start, end)


def may_be_utf16(buffer: bytes | bytearray, start: int, end: int) -> bool:
    """Could `buffer[start:end]` be UTF-16 (`utf16_codec`)? Most content is turned down by
    one search for a NUL in its head, without a copy."""
    head = min(end, start + UTF16_SAMPLE)
    if buffer.find(b"\0", start, head) == -1 and buffer[start : min(start + 2, head)] not in _BOMS:
        return False
    return utf16_codec(bytes(buffer[start:head])) is not None


def candidates(data: bytes) -> Iterator[Candidate]:
    """Every span the registry checks in `data`: the whole cost of a scan, bounded per byte."""
    yield from _checksum_candidates(data)
    for fmt, prefix in _SIGNED_PREFIXES:
        yield from _signed_candidates(data, fmt, prefix)


def _checksum_candidates(data: bytes) -> Iterator[Candidate]:
    """Each prefix followed by enough alphabet. A failed candidate can hide the start of a real
    token in its last characters (`...oi` + `_pat_...`): the search goes on one byte after it."""
    position = 0
    while (found := _CHECKSUM.search(data, position)) is not None:
        fmt = formats.identify(found.group().decode("ascii"))
        yield Candidate(found.start(), found.end(), fmt)
        position = found.end() if fmt is not None else found.start() + 1


def _signed_candidates(
    data: bytes, fmt: formats.SignedFormat, prefix: re.Pattern[bytes]
) -> Iterator[Candidate]:
    """The prefixes of each run of base64url characters that ends in `.` + a signature."""
    starts: list[int] = []
    run_end = -1
    for found in prefix.finditer(data):
        if found.start() >= run_end:  # a new run: read to its end once, however many prefixes
            yield from _signed_in_run(data, fmt, starts, run_end)
            starts, run_end = [], _run_end(data, found.start())
        starts.append(found.start())
    yield from _signed_in_run(data, fmt, starts, run_end)


def _run_end(data: bytes, start: int) -> int:
    run = _B64URL_RUN.match(data, start)
    return run.end() if run is not None else start


def _signed_in_run(
    data: bytes, fmt: formats.SignedFormat, starts: list[int], dot: int
) -> Iterator[Candidate]:
    """Try the run's prefixes nearest the signature first; the first that validates is the
    token (whatever is glued before it is not)."""
    if not starts or _SIGNATURE.match(data, dot) is None:
        return
    end, (shortest, longest) = dot + 1 + formats.SIGNATURE_LENGTH, formats.SIGNED_PAYLOAD_LENGTH
    nearest_first = (s for s in reversed(starts) if dot - s - len(fmt.prefix) >= shortest)
    for start in itertools.islice(nearest_first, SIGNED_TRIES):
        if dot - start - len(fmt.prefix) > longest:
            return
        took = formats.identify(data[start:end].decode("ascii"))
        yield Candidate(start, end, took)
        if took is not None:
            return


def _matches(data: bytes) -> Iterator[tuple[Match, int]]:
    """Each valid token as a Match, in order, with the offset just past it."""
    if _PREFIXES.search(data) is None:
        return
    found = sorted((c for c in candidates(data) if c.format is not None), key=lambda c: c.start)
    lines = _Lines(data)
    for candidate in found:
        start, end, fmt = candidate.start, candidate.end, candidate.format
        assert fmt is not None
        line, allowed = lines.at(start)
        yield Match(data[start:end].decode("ascii"), fmt.kind, line, allowed), end


class _Lines:
    """Line numbers and `oi: allow` of increasing offsets, counted once: linear in the input
    however many tokens there are."""

    def __init__(self, data: bytes) -> None:
        self.data, self.offset, self.line = data, 0, 1
        self.line_end, self.allowed = -1, False

    def at(self, offset: int) -> tuple[int, bool]:
        self.line += self.data.count(b"\n", self.offset, offset)
        self.offset = offset
        if offset > self.line_end:
            self._read_line(offset)
        return self.line, self.allowed

    def _read_line(self, offset: int) -> None:
        start = self.data.rfind(b"\n", 0, offset) + 1
        end = self.data.find(b"\n", offset)
        self.line_end = end if end != -1 else len(self.data)
        self.allowed = ALLOW_MARKER in self.data[start : self.line_end]


# --- UTF-16: what Windows PowerShell 5 writes with `>` ----------------------------------------

_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
UTF16_SAMPLE = 512  # bytes looked at to tell UTF-16 without a BOM from anything else


def utf16_codec(head: bytes) -> str | None:
    """The codec to decode content starting with `head` as UTF-16, or None when it does not
    look like UTF-16: a BOM, or (ASCII text as UTF-16) NULs in most odd or most even bytes."""
    if head[:2] in _BOMS:
        return "utf-16"  # the codec reads the BOM, and drops it
    sample = head[:UTF16_SAMPLE]
    if b"\0" not in sample:  # the fast path: text and most binaries stop here
        return None
    pairs = len(sample) // 2
    even, odd = sample[0 : 2 * pairs : 2].count(0), sample[1::2].count(0)
    if odd * 4 >= pairs * 3 and even * 4 < pairs:
        return "utf-16-le"  # `o\0i\0`: the high byte of each ASCII character comes second
    if even * 4 >= pairs * 3 and odd * 4 < pairs:
        return "utf-16-be"
    return None


# Content up to WINDOW bytes is scanned whole; larger content is read and scanned a window at a
# time, so memory stays bounded however big it is. A token is far shorter than OVERLAP: one cut
# by a window's end is whole in the next window, which starts this much earlier.
WINDOW = 8 << 20
OVERLAP = 64 << 10


def find_tokens_in_windows(first: bytes, rest: Iterator[bytes]) -> Iterator[Match]:
    """`find_tokens` over content that arrives window by window, with line numbers of the whole.

    UTF-16 content (judged by the first window) is decoded as it streams, and scanned both
    as it is and decoded, like `find_tokens` does."""
    chunks = itertools.chain((first,), rest)
    codec = utf16_codec(first)
    if codec is None:
        yield from _Windows().scan(chunks)
        return
    raw, text = _Windows(), _Windows()
    decoder = codecs.getincrementaldecoder(codec)("replace")
    for chunk in chunks:
        yield from raw.scan((chunk,))
        yield from text.scan((decoder.decode(chunk).encode("utf-8"),))
    yield from text.scan((decoder.decode(b"", final=True).encode("utf-8"),))


class _Windows:
    """One stream's scan, window by window. Each window is scanned with the last OVERLAP bytes
    of the one before it in front: a match that ends within that overlap was found already."""

    def __init__(self) -> None:
        self.tail, self.lines_before = b"", 0

    def scan(self, chunks: Iterable[bytes]) -> Iterator[Match]:
        for chunk in chunks:
            window = self.tail + chunk
            for match, end in _matches(window):
                if end > len(self.tail):
                    yield Match(
                        match.token, match.kind, match.line + self.lines_before, match.allowed
                    )
            keep = window[-OVERLAP:]
            self.lines_before += window.count(b"\n", 0, len(window) - len(keep))
            self.tail = keep
