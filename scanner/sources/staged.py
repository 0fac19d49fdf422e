"""`oi scan --staged`: the blobs in the index, i.e. exactly what the next commit will hold.

Only blobs the commit adds or changes are read, and a token that HEAD already held at the
same path is not reported again: the hook judges what this commit introduces (history scans
find what earlier commits did). A blob larger than a window is streamed, never held whole.

`oi scan --staged FILE...` is what the pre-commit framework runs: it passes the files to check.
A named file with staged changes is judged as above (during a commit, pre-commit names exactly
those); any other named file, as `pre-commit run --all-files` or `--files` name them, is read
whole from the work tree, as every other hook in the run reads it: every token in it counts.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

from scanner import detect, git
from scanner.sources import Item, SourceError


def read_index(cwd: Path, warnings: list[str]) -> Iterator[Item]:
    top = cwd if _at_top(cwd) else _toplevel(cwd)
    try:
        staged = git.staged_blobs(top)
    except git.GitError:
        _toplevel(cwd)  # a broken .git here: say "not a repository" in our words
        raise
    yield from _staged_items(top, staged, warnings)


def _at_top(cwd: Path) -> bool:
    """Whether `cwd` is the top of its work tree, where git runs hooks: then two git processes
    (the diff, one cat-file) do, without a third to ask git where the top is."""
    return os.path.exists(cwd / ".git") and "GIT_WORK_TREE" not in os.environ


def read_named(cwd: Path, paths: list[str], warnings: list[str]) -> Iterator[Item]:
    """The named files: what the commit adds to those with staged changes, the others whole."""
    top = _toplevel(cwd)
    named = {_repo_path(top, path): Path(path) for path in paths}
    staged = [entry for entry in git.staged_blobs(top) if entry.path in named]
    changed = {entry.path for entry in staged}
    others = {shown: path for shown, path in named.items() if shown not in changed}
    _check_files(others)
    yield from _staged_items(top, staged, warnings)
    yield from _work_tree_files(others, warnings)


def _work_tree_files(named: dict[str, Path], warnings: list[str]) -> Iterator[Item]:
    """Each file as the work tree holds it. A link is not followed: like a link met in the
    tree, it could point anywhere (the user's own profile), and a commit holds it as a link."""
    from scanner.sources.files import read_file

    for shown, path in named.items():
        if path.is_symlink() or not path.is_file():
            warnings.append(f"{shown} is not a regular file (links are not followed): skipped")
            continue
        yield from read_file(path, shown, warnings)


def _toplevel(cwd: Path) -> Path:
    top = git.toplevel(cwd)
    if top is None:
        raise SourceError("--staged needs a git repository (run it inside one)")
    return top


def _repo_path(top: Path, path: str) -> str:
    """`path` as the index names it (relative to the top, forward slashes), when it is inside."""
    absolute = Path(os.path.abspath(path))
    return (absolute.relative_to(top) if absolute.is_relative_to(top) else absolute).as_posix()


def _check_files(named: dict[str, Path]) -> None:
    """Bad names are an error before anything is read: a missing file, a directory."""
    missing = [shown for shown, path in named.items() if not os.path.lexists(path)]
    if missing:
        raise SourceError(f"no such file: {', '.join(missing)}")
    folders = [shown for shown, path in named.items() if path.is_dir() and not path.is_symlink()]
    if folders:
        raise SourceError(f"--staged FILE... names files, not directories: {', '.join(folders)}")


def _staged_items(top: Path, staged: list[git.StagedBlob], warnings: list[str]) -> Iterator[Item]:
    """Each staged blob, with the tokens HEAD held at its path blanked out."""
    if not staged:
        return
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
