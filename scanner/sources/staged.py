"""`oi scan --staged`: the blobs in the index, i.e. exactly what the next commit will hold.

Only blobs the commit adds or changes are read, and a token that HEAD already held at the
same path is not reported again: the hook judges what this commit introduces (history scans
find what earlier commits did). A blob larger than a window is streamed, never held whole.

`oi scan --staged FILE...` is what the pre-commit framework runs: it passes the files to check.
A named file with staged changes is judged as above (during a commit, pre-commit names exactly
those); any other named file, as `pre-commit run --all-files` or `--files` name them, is read
whole from the work tree, as every other hook in the run reads it: every token in it counts.

Two git processes do it, started together as soon as the command line is read: the diff, and
the `cat-file --batch` that reads what it names. git names the index's paths from the top of
the work tree wherever it runs, so no third one is asked where the top is (except, with FILE...,
away from the top). They run while the rest of the scanner (the registry, detection, the
report) is imported, which is why this module imports only `os` and `scanner.gitspawn` first.
"""

from __future__ import annotations

import itertools
import os

from scanner import gitspawn
from scanner.gitspawn import GitError

TYPE_CHECKING = False  # typing's, without importing typing (mypy reads this the same)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import IO

    from scanner.sources import Item

DIFF = ("diff-index", "--cached", "-z", "--no-renames", "--diff-filter=AM", "HEAD")


class StagedBlob:
    """A blob the next commit adds or changes, with what HEAD held at the same path."""

    __slots__ = ("new_blob", "old_blob", "path")

    def __init__(self, path: str, new_blob: str, old_blob: str | None) -> None:
        self.path, self.new_blob, self.old_blob = path, new_blob, old_blob


def read_index(cwd: str, warnings: list[str]) -> Iterator[Item]:
    """Every blob the commit adds or changes; git starts now, before the first item is asked
    for."""
    diff, reader = _start(cwd, asks_top=False)
    return _index_items(cwd, diff, reader, warnings)


def read_named(cwd: str, paths: list[str], warnings: list[str]) -> Iterator[Item]:
    """The named files: what the commit adds to those with staged changes, the others whole."""
    diff, reader = _start(cwd, asks_top=True)
    return _named_items(cwd, paths, diff, reader, warnings)


def _start(cwd: str, *, asks_top: bool) -> tuple[gitspawn.Git, gitspawn.Git]:
    """The diff, and the `cat-file --batch` that will read what it names, side by side."""
    try:
        reader = gitspawn.Git(("cat-file", "--batch"), cwd=cwd, stdin=True)
    except OSError:
        if asks_top or not _at_top(cwd):
            _toplevel(cwd)  # no git to run: "not a repository", where the top is asked first
        raise
    try:
        return gitspawn.Git(DIFF, cwd=cwd), reader
    except BaseException:
        reader.kill()
        raise


def _index_items(
    cwd: str, diff: gitspawn.Git, reader: gitspawn.Git, warnings: list[str]
) -> Iterator[Item]:
    try:
        staged = _staged_blobs(cwd, diff)
    except BaseException:
        reader.kill()
        raise
    yield from _staged_items(cwd, staged, reader, warnings)


def _named_items(
    cwd: str, paths: list[str], diff: gitspawn.Git, reader: gitspawn.Git, warnings: list[str]
) -> Iterator[Item]:
    try:
        top = cwd if _at_top(cwd) else _toplevel(cwd)
        named = {_repo_path(top, path): path for path in paths}
        staged = [entry for entry in _staged_blobs(cwd, diff) if entry.path in named]
        changed = {entry.path for entry in staged}
        others = {shown: path for shown, path in named.items() if shown not in changed}
        _check_files(others)
    except BaseException:
        diff.kill()
        reader.kill()
        raise
    yield from _staged_items(cwd, staged, reader, warnings)
    yield from _work_tree_files(others, warnings)


def _at_top(cwd: str) -> bool:
    """Whether `cwd` is the top of its work tree, where git runs hooks (a `.git` file, or a
    `.git` folder with a HEAD), so that no git process need be asked."""
    if "GIT_WORK_TREE" in os.environ:
        return False
    dot_git = os.path.join(cwd, ".git")
    return os.path.isfile(dot_git) or os.path.isfile(os.path.join(dot_git, "HEAD"))


def _staged_blobs(cwd: str, diff: gitspawn.Git) -> list[StagedBlob]:
    """Blobs the next commit adds or changes, with what HEAD held at the same path."""
    out, _err = diff.communicate()
    if diff.returncode != 0:
        return _index_blobs(cwd)  # no commit yet (HEAD unborn): everything in the index is new
    fields = out.decode("utf-8", "surrogateescape").split("\0")
    blobs = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta:
            continue
        _old_mode, new_mode, old_sha, new_sha, _status = meta[1:].split(" ")
        if new_mode.startswith("160"):  # a submodule, not a blob
            continue
        blobs.append(StagedBlob(path, new_sha, old_sha if old_sha.strip("0") else None))
    return blobs


def _index_blobs(cwd: str) -> list[StagedBlob]:
    """The whole index, from the top of the work tree (`ls-files` lists only what is below
    where it runs)."""
    top = cwd if _at_top(cwd) else _toplevel(cwd)
    try:
        out = gitspawn.run("ls-files", "--stage", "-z", cwd=top)
    except GitError:
        _toplevel(cwd)  # a broken .git here: say "not a repository" in our words
        raise
    blobs = []
    for entry in filter(None, out.split("\0")):
        meta, path = entry.split("\t", 1)
        mode, sha, _stage = meta.split(" ")
        if not mode.startswith("160"):
            blobs.append(StagedBlob(path, sha, None))
    return blobs


def _work_tree_files(named: dict[str, str], warnings: list[str]) -> Iterator[Item]:
    """Each file as the work tree holds it. A link is not followed: like a link met in the
    tree, it could point anywhere (the user's own profile), and a commit holds it as a link."""
    from scanner.sources.files import read_file

    for shown, path in named.items():
        if os.path.islink(path) or not os.path.isfile(path):
            warnings.append(f"{shown} is not a regular file (links are not followed): skipped")
            continue
        yield from read_file(path, shown, warnings)


def _toplevel(cwd: str) -> str:
    try:
        return gitspawn.run("rev-parse", "--show-toplevel", cwd=cwd).rstrip("\n")
    except (GitError, OSError):
        from scanner.sources import SourceError

        raise SourceError("--staged needs a git repository (run it inside one)") from None


def _repo_path(top: str, path: str) -> str:
    """`path` as the index names it (relative to the top, forward slashes), when it is inside."""
    absolute = os.path.abspath(path)
    inside = absolute == top or absolute.startswith(top.rstrip(os.sep) + os.sep)
    shown = os.path.relpath(absolute, top) if inside else absolute
    return shown.replace(os.sep, "/")


def _check_files(named: dict[str, str]) -> None:
    """Bad names are an error before anything is read: a missing file, a directory."""
    from scanner.sources import SourceError

    missing = [shown for shown, path in named.items() if not os.path.lexists(path)]
    if missing:
        raise SourceError(f"no such file: {', '.join(missing)}")
    folders = [
        shown for shown, path in named.items() if os.path.isdir(path) and not os.path.islink(path)
    ]
    if folders:
        raise SourceError(f"--staged FILE... names files, not directories: {', '.join(folders)}")


def _staged_items(
    cwd: str, staged: list[StagedBlob], reader: gitspawn.Git, warnings: list[str]
) -> Iterator[Item]:
    """Each staged blob, with the tokens HEAD held at its path blanked out."""
    from scanner.sources import Item

    wanted = [entry.new_blob for entry in staged] + [e.old_blob for e in staged if e.old_blob]
    contents, large = _read(reader, wanted, warnings)
    for entry in staged:
        old_tokens = _tokens_of(cwd, entry.old_blob, contents, large)
        if entry.new_blob in large:
            windows = _blob_windows(entry.new_blob, cwd)
            first = next(windows, b"")
            blanked = _blank_windows(first, windows, _blanks(old_tokens, first))
            yield Item(entry.path, next(blanked, b""), entry.new_blob, blanked)
            continue
        data = contents.get(entry.new_blob)
        if data is None:
            continue
        yield Item(entry.path, _blank(data, _blanks(old_tokens, data)), entry.new_blob)


def _read(
    reader: gitspawn.Git, shas: list[str], warnings: list[str]
) -> tuple[dict[str, bytes], set[str]]:
    """Small blobs' contents, and which blobs are too large to hold (streamed later)."""
    from scanner.detect import WINDOW

    contents: dict[str, bytes] = {}
    large: set[str] = set()
    try:
        if not shas:
            return contents, large
        if len(shas) > 2:  # a one-file commit reads too little to gain from a wider pipe
            gitspawn.widen_pipe(reader.stdout)
        reader.feed(b"".join(sha.encode("ascii") + b"\n" for sha in dict.fromkeys(shas)))
        stdout = reader.stdout
        while header := stdout.readline():
            parts = header.split()
            if len(parts) == 2 and parts[1] == b"missing":
                sha = parts[0].decode("ascii", "replace").lstrip("?")
                warnings.append(f"blob {sha} is missing from the object database")
                continue
            if len(parts) != 3:
                raise GitError(f"unexpected output from git cat-file: {header[:80]!r}")
            size = int(parts[2])
            if size > WINDOW:
                _skip(stdout, size + 1)
                if parts[1] == b"blob":
                    large.add(parts[0].decode("ascii"))
                continue
            data = stdout.read(size)
            if len(data) != size or stdout.read(1) != b"\n":
                raise GitError("git cat-file ended in the middle of an object")
            if parts[1] == b"blob":
                contents[parts[0].decode("ascii")] = data
        if reader.wait() != 0:
            raise GitError(reader.error_line("cat-file"))
    finally:
        reader.close()
    return contents, large


def _skip(stream: IO[bytes], size: int) -> None:
    """Read past `size` bytes a window at a time (a large blob is streamed later, on its own)."""
    from scanner.detect import WINDOW

    while size > 0:
        chunk = stream.read(min(WINDOW, size))
        if not chunk:
            raise GitError("git cat-file ended in the middle of an object")
        size -= len(chunk)


def _blob_windows(sha: str, cwd: str) -> Iterator[bytes]:
    """One blob's content, a window at a time, from a `git cat-file blob` of its own."""
    from scanner.detect import WINDOW

    process = gitspawn.Git(("cat-file", "blob", sha), cwd=cwd, stderr=False)
    try:
        while chunk := process.stdout.read(WINDOW):
            yield chunk
    finally:
        process.stdout.close()
        if process.wait() != 0:
            raise GitError(f"git cat-file could not read blob {sha}")


def _tokens_of(
    cwd: str, sha: str | None, contents: dict[str, bytes], large: set[str]
) -> frozenset[str]:
    """The tokens HEAD's version of the path held."""
    from scanner import detect

    if not sha:
        return frozenset()
    if sha in large:
        windows = _blob_windows(sha, cwd)
        matches = detect.find_tokens_in_windows(next(windows, b""), windows)
    else:
        matches = detect.find_tokens(contents.get(sha, b""))
    return frozenset(match.token for match in matches)


Blanks = dict[bytes, bytes]  # a token as written -> as many bytes of spaces, in its encoding


def _blanks(tokens: frozenset[str], head: bytes) -> Blanks:
    """How each token is written in content starting with `head`: ASCII, and in UTF-16 content
    also UTF-16 (both byte orders; blanking one that is not there costs nothing). Spaces in the
    same encoding keep UTF-16 looking like UTF-16."""
    from scanner import detect

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
