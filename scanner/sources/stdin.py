"""`oi scan -`: whatever is piped in (a pasted chat message, a CI log)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator

from scanner.detect import WINDOW
from scanner.sources import Item

STDIN_PATH = "-"


def read_stdin() -> Iterator[Item]:
    """Window by window: a CI log of any size is scanned in bounded memory."""
    stream = sys.stdin.buffer
    first = stream.read(WINDOW)
    more = iter(functools.partial(stream.read, WINDOW), b"")
    yield Item(STDIN_PATH, first, None, more if len(first) == WINDOW else None)
