"""`oi scan --staged`: the blobs in the index, i.e. exactly what the next commit will hold.

Only blobs the commit adds or changes are read, and a token that HEAD already held at the
same path is not reported again: the hook judges what this commit introduces (history scans
find what earlier commits did). A blob larger than a window is streamed, never held whole.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

from scanner import detect, git
from scanner.sources import Item, SourceError


def read_index(cwd: Path, warnings: list[str]) -> Iterator[Item]:
    top = git.toplevel(cwd)
    if top is None:
        raise SourceError("--staged needs a git repository (run it inside one)")
    staged = git.staged_blobs(top)
    wanted = [entry.new_blob for entry in staged] + [e.old_blob for e in staged if e.old_blob]
    contents, large = _read(top, wanted, warnings)
    for entry in staged:
        old_tokens = _tokens_of(top, entry.old_blob, contents, large)
        if entry.new_blob in large:
            windows = git.blob_windows(entry.new_blob, top)
            first = next(windows, b"")
            blanked = _blank_windows(first, windows, _blanks(old_tokens, first))
            yield Item(entry.path, next(blanked, b""), entry.new_blob, blanked)
            continue
        data = contents.get(entry.new_blob)
        if data is None:
            continue
        yield Item(entry.path, _blank(data, _blanks(old_tokens, data)), entry.new_blob)


def _read(top: Path, shas: list[str], warnings: list[str]) -> tuple[dict[str, bytes], set[str]]:
    """Small blobs' contents, and which blobs are too large to hold (streamed later)."""
    reader = git.CatFile(top)
    contents: dict[str, bytes] = {}
    large: set[str] = set()
    try:
        for blob in reader.read(dict.fromkeys(shas)):
            if blob.rest is None:
                contents[blob.sha] = blob.data
            else:
                large.add(blob.sha)
    finally:
        reader.close()
    warnings.extend(f"blob {sha} is missing from the object database" for sha in reader.missing)
    return contents, large


def _tokens_of(
    top: Path, sha: str | None, contents: dict[str, bytes], large: set[str]
) -> frozenset[str]:
    """The tokens HEAD's version of the path held."""
    if not sha:
        return frozenset()
    if sha in large:
        windows = git.blob_windows(sha, top)
        matches = detect.find_tokens_in_windows(next(windows, b""), windows)
    else:
        matches = detect.find_tokens(contents.get(sha, b""))
    return frozenset(match.token for match in matches)


Blanks = dict[bytes, bytes]  # a token as written -> as many bytes of spaces, in its encoding


def _blanks(tokens: frozenset[str], head: bytes) -> Blanks:
    """How each token is written in content starting with `head`: ASCII, and in UTF-16 content
    also UTF-16 (both byte orders; blanking one that is not there costs nothing). Spaces in the
    same encoding keep UTF-16 looking like UTF-16."""
    encodings = ("ascii", "utf-16-le", "utf-16-be") if detect.utf16_codec(head) else ("ascii",)
    blank = {token: " " * len(token) for token in tokens}
    return {token.encode(c): blank[token].encode(c) for token in tokens for c in encodings}


def _blank(data: bytes, blanks: Blanks) -> bytes:
    """Blank out tokens HEAD already had here, keeping every offset and line number."""
    for raw, spaces in blanks.items():
        data = data.replace(raw, spaces)
    return data


def _blank_windows(first: bytes, windows: Iterator[bytes], blanks: Blanks) -> Iterator[bytes]:
    """`_blank` over a stream: the last bytes of each window wait for the next one, so a known
    token cut by a window's edge is blanked whole."""
    if not blanks:
        yield first
        yield from windows
        return
    held = max(len(raw) for raw in blanks) - 1
    carry = b""
    for chunk in itertools.chain((first,), windows):
        blanked = _blank(carry + chunk, blanks)
        carry = blanked[len(blanked) - held :] if held else b""
        yield blanked[: len(blanked) - held] if held else blanked
    yield carry
