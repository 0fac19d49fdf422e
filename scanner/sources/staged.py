"""`oi scan --staged`: the blobs in the index, i.e. exactly what the next commit will hold.

Only blobs the commit adds or changes are read, and a token that HEAD already held at the
same path is not reported again: the hook judges what this commit introduces (history scans
find what earlier commits did). A blob larger than a window is streamed, never held whole.
"""

from __future__ import annotations

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
            windows = _blank_windows(git.blob_windows(entry.new_blob, top), old_tokens)
            first = next(windows, b"")
            yield Item(entry.path, first, entry.new_blob, windows)
            continue
        data = contents.get(entry.new_blob)
        if data is None:
            continue
        yield Item(entry.path, _blank(data, old_tokens), entry.new_blob)


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
) -> frozenset[bytes]:
    """The tokens HEAD's version of the path held."""
    if not sha:
        return frozenset()
    if sha in large:
        windows = git.blob_windows(sha, top)
        matches = detect.find_tokens_in_windows(next(windows, b""), windows)
    else:
        matches = detect.find_tokens(contents.get(sha, b""))
    return frozenset(match.token.encode("ascii") for match in matches)


def _blank(data: bytes, tokens: frozenset[bytes]) -> bytes:
    """Blank out tokens HEAD already had here, keeping every offset and line number."""
    for raw in tokens:
        data = data.replace(raw, b" " * len(raw))
    return data


def _blank_windows(windows: Iterator[bytes], tokens: frozenset[bytes]) -> Iterator[bytes]:
    """`_blank` over a stream: the last bytes of each window wait for the next one, so a known
    token cut by a window's edge is blanked whole."""
    if not tokens:
        yield from windows
        return
    held = max(len(raw) for raw in tokens) - 1
    carry = b""
    for chunk in windows:
        blanked = _blank(carry + chunk, tokens)
        carry = blanked[len(blanked) - held :] if held else b""
        yield blanked[: len(blanked) - held] if held else blanked
    yield carry
