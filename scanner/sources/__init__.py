"""Where bytes come from: files, stdin, the git index, git history. Each yields `Item`s."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

from scanner.errors import EXIT_ERROR, OiError

# Content up to this size is read whole; a larger file or blob is read and scanned in windows
# of this size, so memory stays bounded however big it is (a 1 GB blob is 1 GB of nothing).
WINDOW = 8 << 20


class Item(NamedTuple):
    """Bytes to scan and where they live; `blob` is set for content read from git.

    For content larger than WINDOW, `data` is its first window and `rest` yields the others,
    read as the scan goes: it must be consumed (or drained) before the next item is asked for.
    """

    path: str
    data: bytes
    blob: str | None = None
    rest: Iterator[bytes] | None = None


def windows(read: Callable[[int], bytes], size: int) -> Iterator[bytes]:
    """The `size` bytes that `read` returns, WINDOW at a time."""
    left = size
    while left > 0:
        chunk = read(min(WINDOW, left))
        if not chunk:
            return
        left -= len(chunk)
        yield chunk


class SourceError(OiError):
    """Nothing could be read (bad path, not a repository...): the scan exits 2."""

    exit_code = EXIT_ERROR
