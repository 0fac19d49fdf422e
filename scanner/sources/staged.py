"""`oi scan --staged`: the blobs in the index, i.e. exactly what the next commit will hold.

Only blobs the commit adds or changes are read, and a token that HEAD already held at the
same path is not reported again: the hook judges what this commit introduces (history scans
find what earlier commits did).
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
    contents = _read(top, wanted, warnings)
    for entry in staged:
        data = contents.get(entry.new_blob)
        if data is None:
            continue
        old = contents.get(entry.old_blob or "", b"")
        yield Item(entry.path, _without_tokens_of(data, old), entry.new_blob)


def _read(top: Path, shas: list[str], warnings: list[str]) -> dict[str, bytes]:
    reader = git.CatFile(top)
    try:
        contents = {blob.sha: blob.data for blob in reader.read(dict.fromkeys(shas))}
    finally:
        reader.close()
    warnings.extend(f"blob {sha} is missing from the object database" for sha in reader.missing)
    return contents


def _without_tokens_of(data: bytes, old: bytes) -> bytes:
    """Blank out tokens HEAD already had here, keeping every offset and line number."""
    if not old:
        return data
    for match in detect.find_tokens(old):
        raw = match.token.encode("ascii")
        data = data.replace(raw, b" " * len(raw))
    return data
