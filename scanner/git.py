"""All git access goes through here: plain `git` subprocesses, no GitPython on this path.

The short paths (the pre-commit hook's staged scan, a tree scan) start theirs through
`scanner.gitspawn` instead, which needs no `subprocess`; `GIT`, the environment and `GitError`
are defined there, once for both.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple, Protocol

from scanner.detect import WINDOW
from scanner.gitspawn import GIT, GitError, widen_pipe
from scanner.gitspawn import env as _env

__all__ = ["GIT", "GitError"]

ZERO_SHA = "0" * 40


def run(*args: str, cwd: Path | None = None) -> str:
    """Run git, return stdout; raise GitError with git's own message on failure."""
    done = subprocess.run([*GIT, *args], cwd=cwd, capture_output=True, env=_env(), check=False)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"git {args[0]} failed")
    return done.stdout.decode("utf-8", "surrogateescape")


def toplevel(cwd: Path | None = None) -> Path | None:
    """The work tree root containing `cwd`, or None outside a repository."""
    try:
        return Path(run("rev-parse", "--show-toplevel", cwd=cwd).strip())
    except (GitError, OSError):
        return None


def repository_dir(cwd: Path | None = None) -> Path | None:
    """Where to run git for `cwd`: its work tree root or, in a bare repository (a server's, or
    a hook's `$GIT_DIR`), the repository itself; None outside a repository."""
    top = toplevel(cwd)
    if top is not None:
        return top
    try:
        return Path(run("rev-parse", "--absolute-git-dir", cwd=cwd).strip())
    except (GitError, OSError):
        return None


def config_value(key: str, cwd: Path, *, kind: str) -> str | None:
    """`git config --type KIND KEY` (bool, path...), or None when the key is not set."""
    done = subprocess.run(
        [*GIT, "config", f"--type={kind}", "--get", key],
        cwd=cwd,
        capture_output=True,
        env=_env(),
        check=False,
    )
    if done.returncode == 1 and not done.stderr:
        return None  # not set
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"git config {key} failed")
    return done.stdout.decode("utf-8", "surrogateescape").strip()


def is_shallow(cwd: Path | None = None) -> bool:
    return run("rev-parse", "--is-shallow-repository", cwd=cwd).strip() == "true"


def stash_commits(cwd: Path) -> list[str]:
    """Every stash entry (refs/stash names only the newest; older ones live in its reflog)."""
    try:
        out = run("reflog", "show", "--format=%H", "refs/stash", "--", cwd=cwd)
    except GitError:
        return []
    return [line for line in out.splitlines() if line]


class Blob(NamedTuple):
    """A blob's content: whole, or (larger than `LARGE_BLOB`) its first window in `data` and
    the rest from `rest`, read from the pipe as it is consumed."""

    sha: str
    data: bytes
    rest: Iterator[bytes] | None = None


LARGE_BLOB = WINDOW  # a larger blob is streamed, a window at a time, not read whole


class CatFile:
    """One long-lived `git cat-file --batch` process, streaming objects one at a time."""

    def __init__(self, cwd: Path) -> None:
        """Its stdin is a pipe for the ids to read. Its stdout's buffer is small
        (`SMALL_BUFFER`): `read_selected` has its own, and reads straight into it."""
        args = [*GIT, "cat-file", "--batch"]
        self.process = subprocess.Popen(
            args,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(),
            bufsize=SMALL_BUFFER,
        )
        widen_pipe(self.process.stdout)
        self.missing: list[str] = []

    def read_selected(self, selected: Selector) -> Iterator[Blob]:
        """Every object named on this process's stdin, read into one reused buffer: a blob that
        `selected` turns down (it is shown the buffer and the blob's span in it) comes as
        `SKIPPED`, never copied; a selected one comes whole, or windowed past `LARGE_BLOB`; an
        object the repository lacks comes as `MISSING`, one of another type as `NOT_A_BLOB`.

        A blob too big for the buffer is not shown to `selected`: it comes whole up to
        `LARGE_BLOB`, then a window at a time from the pipe.
        """
        stdout = self.process.stdout
        assert stdout is not None
        yield from _selected_objects(stdout, selected, self.missing)
        if self.process.wait() != 0 and self.process.stderr is not None:
            message = self.process.stderr.read().decode("utf-8", "replace").strip()
            raise GitError(message.splitlines()[-1] if message else "git cat-file failed")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()


class _Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


class _Remainder:
    """The unread part of one large object on the cat-file pipe, LARGE_BLOB at a time."""

    def __init__(self, stream: _Readable, size: int) -> None:
        self.stream, self.left = stream, size

    def __iter__(self) -> Iterator[bytes]:
        while self.left > 0:
            chunk = self.stream.read(min(LARGE_BLOB, self.left))
            if not chunk:
                raise GitError("git cat-file ended in the middle of an object")
            self.left -= len(chunk)
            yield chunk

    def drain(self) -> None:
        for _chunk in self:
            pass


# Whether a blob, `buffer[start:end]`, deserves a scan: `read_selected` copies only those.
Selector = Callable[[bytearray, int, int], bool]
SCAN_BUFFER = 1 << 20
SMALL_BUFFER = 64 << 10  # a read into the scan buffer bigger than this bypasses stdout's buffer
# What `read_selected` yields for an entry it copies nothing of: one thing per line of its
# input, so that a reader can count its place in it.
SKIPPED = Blob("", b"")  # a blob the selector turned down
MISSING = Blob("", b"")  # an object the repository lacks (recorded in `CatFile.missing`)
NOT_A_BLOB = Blob("", b"")
_LONGEST_HEADER = 512  # `<sha> <type> <size>`: a longer line is not cat-file's


def _selected_objects(stream: IO[bytes], selected: Selector, missing: list[str]) -> Iterator[Blob]:
    """`CatFile.read_selected`'s loop. The unread bytes are `buffer[start:filled]`; a header is
    parsed only where an object begins, and an object is looked at once it is whole in it."""
    buffer = bytearray(SCAN_BUFFER)
    view = memoryview(buffer)
    start = filled = 0
    while True:
        newline = buffer.find(b"\n", start, filled)
        if newline == -1:
            if filled - start > _LONGEST_HEADER:
                raise GitError(
                    f"unexpected output from git cat-file: {bytes(view[start : start + 80])!r}"
                )
            start, filled, more = _refill(stream, view, start, filled)
            if not more:
                if start != filled:
                    raise GitError("git cat-file ended in the middle of an object")
                return
            continue
        parts = view[start:newline].tobytes().split()
        if len(parts) == 2 and parts[1] == b"missing":
            missing.append(parts[0].decode("ascii", "replace").lstrip("?"))
            start = newline + 1
            yield MISSING
            continue
        if len(parts) != 3:
            raise GitError(f"unexpected output from git cat-file: {bytes(parts[0][:80])!r}")
        size = int(parts[2])
        body, end = newline + 1, newline + 1 + size
        if end < filled:  # the whole object and the newline after it
            if parts[1] != b"blob":
                yield NOT_A_BLOB
            elif selected(buffer, body, end):
                yield Blob(parts[0].decode("ascii"), view[body:end].tobytes())
            else:
                yield SKIPPED
            start = end + 1
            continue
        if end + 1 - start <= len(buffer):  # it fits once moved to the front: read on
            start, filled, more = _refill(stream, view, start, filled)
            if not more:
                raise GitError("git cat-file ended in the middle of an object")
            continue
        # Bigger than the buffer: read on from the pipe, the buffer's part first.
        source = _Spilled(view[body:filled].tobytes(), stream)
        start = filled = 0
        first, rest = (
            source.read(min(size, LARGE_BLOB)),
            _Remainder(source, max(size - LARGE_BLOB, 0)),
        )
        if parts[1] == b"blob":
            yield Blob(parts[0].decode("ascii"), first, iter(rest) if rest.left else None)
        else:
            yield NOT_A_BLOB
        rest.drain()
        if source.read(1) != b"\n":
            raise GitError("git cat-file ended in the middle of an object")


def _refill(stream: IO[bytes], view: memoryview, start: int, filled: int) -> tuple[int, int, bool]:
    """Move the unread bytes to the front of the buffer and read more after them."""
    if start:
        view[: filled - start] = view[start:filled]
        start, filled = 0, filled - start
    count = stream.readinto1(view[filled:])  # type: ignore[attr-defined]
    return start, filled + (count or 0), bool(count)


class _Spilled:
    """Bytes already in the buffer, then the pipe: what `_Remainder` reads a big object from."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self.head, self.stream = head, stream

    def read(self, size: int) -> bytes:
        taken, self.head = self.head[:size], self.head[size:]
        if len(taken) < size:  # the buffered pipe reads the rest in one allocation
            return taken + self.stream.read(size - len(taken)) if taken else self.stream.read(size)
        return taken


def reachable_blob_lister(revs: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    """`git rev-list` of the blobs reachable from `revs`, one id a line, for `cat-file --batch`.

    Only reachable blobs are listed (no trees, commits or unreachable objects), in traversal
    order. A blob missing from a partial clone is listed as `?sha`, which cat-file answers
    with `?sha missing` and never fetches (checked with git 2.39).
    """
    blobs = ["--no-object-names", "--filter=object:type=blob", "--filter-provided-objects"]
    return _walk(blobs, revs, cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


SEARCHED_ONE_BY_ONE = 16  # more blobs than this: one pass over the listing's lines instead


def _searched(listing: Any, blobs: set[str]) -> dict[str, Introduction]:
    """Each blob's line found by a search of the whole listing, and the commit above it."""
    found: dict[str, Introduction] = {}
    for sha in blobs:
        line = listing.find(b"\n" + sha.encode("ascii") + b" ")
        if line == -1:
            continue
        path_start = line + len(sha) + 2
        commit_start = listing.rfind(b"\x01", 0, line)
        if commit_start != -1:
            found[sha] = _introduction(
                listing[commit_start + 1 : listing.find(b"\n", commit_start)],
                listing[path_start : listing.find(b"\n", path_start)],
            )
    return found


def _read_through(listing: Any, wanted: set[bytes]) -> dict[str, Introduction]:
    """One pass over the listing's lines for many blobs (a search each would read it as many
    times)."""
    found: dict[str, Introduction] = {}
    record = b""
    for line in iter(listing.readline, b""):
        if line.startswith(b"\x01"):
            record = line[1:-1]
            continue
        sha, space, path = line.rstrip(b"\n").partition(b" ")
        if space and sha in wanted and record:
            found[sha.decode("ascii")] = _introduction(record, path)
    return found


def _introduction(record: bytes, path: bytes) -> Introduction:
    """From a commit's `%H%x00%an%x00%aI` record and a path under it."""
    commit, author, date = record.decode("utf-8", "surrogateescape").split("\0")[:3]
    return Introduction(commit, author, date, path.decode("utf-8", "surrogateescape"))


def _walk(
    options: list[str], revs: list[str], cwd: Path, *, stdout: Any, stderr: Any
) -> subprocess.Popen[bytes]:
    """`git rev-list --objects OPTIONS REVS --`, listing what a partial clone lacks as `?sha`
    rather than fetching it."""
    command = [*GIT, "rev-list", "--objects", "--missing=print", *options, *revs, "--"]
    return subprocess.Popen(command, cwd=cwd, stdout=stdout, stderr=stderr, env=_env())


class Introduction(NamedTuple):
    commit: str
    author: str
    date: str
    path: str


class Introductions:
    """Where each object first entered `revs`: the oldest commit whose tree holds it, and its
    path there. Started beside the blob reader, so the history is walked for names while the
    blobs are read, and looked up once the findings are known.

    One `git rev-list --objects --in-commit-order --reverse --topo-order` writes to a temporary
    file (disk, not this process's memory: about 70 bytes an object): parents come before
    their children, and each object is listed once, right after the first commit that refers
    to it, so the commit above a blob's line is the one that added it (a rename or a copy
    keeps the first). Each commit carries its author and date (`--format`). A lookup is then
    two searches of that file per blob, or past `SEARCHED_ONE_BY_ONE` blobs one pass over it.
    It never reads a blob, nor fetches one a partial clone lacks (`--missing=print`). A path
    holding a newline is named up to it.
    """

    def __init__(self, revs: list[str], cwd: Path) -> None:
        import tempfile

        self.lacks_objects = False  # the walk met objects the repository does not have
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - `close` closes it
        order = ["--in-commit-order", "--reverse", "--topo-order"]
        commits = "--format=%x01%H%x00%an%x00%aI"
        self._process = _walk(
            [*order, commits], revs, cwd, stdout=self._file, stderr=subprocess.DEVNULL
        )

    def of(self, blobs: set[str]) -> dict[str, Introduction]:
        """The introduction of each of `blobs` that `revs` reach (GitError if git failed)."""
        if not blobs:
            return {}  # nothing to wait for: `close` stops the walk
        if self._process.wait() != 0:
            raise GitError("git rev-list failed while naming the commits that added findings")
        if os.fstat(self._file.fileno()).st_size == 0:
            return {}
        import mmap

        with mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ) as listing:
            self.lacks_objects = listing.find(b"\n?") != -1  # `--missing=print`'s `?sha`
            if len(blobs) <= SEARCHED_ONE_BY_ONE:
                return _searched(listing, blobs)
            return _read_through(listing, {sha.encode("ascii") for sha in blobs})

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._file.close()
