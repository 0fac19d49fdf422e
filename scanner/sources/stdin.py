"""`oi scan -`: whatever is piped in (a pasted chat message, a CI log)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

from scanner.sources import Item

STDIN_PATH = "-"


def read_stdin() -> Iterator[Item]:
    yield Item(STDIN_PATH, sys.stdin.buffer.read())
