"""Where bytes come from: files, stdin, the git index, git history. Each yields `Item`s."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from scanner.errors import EXIT_ERROR, OiError


class Item(NamedTuple):
    """Bytes to scan and where they live; `blob` is set for content read from git.

    For content larger than `scanner.detect.WINDOW`, `data` is its first window and `rest`
    yields the others, read as the scan goes: consume (or drain) it before the next item.
    """

    path: str
    data: bytes
    blob: str | None = None
    rest: Iterator[bytes] | None = None


class SourceError(OiError):
    """Nothing could be read (bad path, not a repository...): the scan exits 2."""

    exit_code = EXIT_ERROR
