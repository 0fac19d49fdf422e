"""Where bytes come from: files, stdin, the git index, git history. Each yields `Item`s."""

from __future__ import annotations

from scanner.errors import EXIT_ERROR, OiError

TYPE_CHECKING = False  # typing's, without importing typing (mypy reads this the same)
if TYPE_CHECKING:
    from collections.abc import Iterator


class Item:
    """Bytes to scan and where they live; `blob` is set for content read from git.

    For content larger than `scanner.detect.WINDOW`, `data` is its first window and `rest`
    yields the others, read as the scan goes: consume (or drain) it before the next item.
    A slotted class, not a NamedTuple: the staged scan starts git before `typing` loads.
    """

    __slots__ = ("blob", "data", "path", "rest")

    def __init__(
        self,
        path: str,
        data: bytes,
        blob: str | None = None,
        rest: Iterator[bytes] | None = None,
    ) -> None:
        self.path, self.data, self.blob, self.rest = path, data, blob, rest

    def __repr__(self) -> str:
        return f"Item({self.path!r}, {len(self.data)} bytes)"


class SourceError(OiError):
    """Nothing could be read (bad path, not a repository...): the scan exits 2."""

    exit_code = EXIT_ERROR
