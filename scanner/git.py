"""All git access goes through here: plain `git` subprocesses, no GitPython on this path."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ZERO_SHA = "0" * 40
READ_CHUNK = 1 << 20


class GitError(Exception):
    """git failed in a way the user can act on (not a repository, bad revision...)."""


def _env() -> dict[str, str]:
    # Never fetch a missing object from a promisor remote in the middle of a scan.
    return {**os.environ, "GIT_NO_LAZY_FETCH": "1", "GIT_TERMINAL_PROMPT": "0"}


def run(*args: str, cwd: Path | None = None) -> str:
    """Run git, return stdout; raise GitError with git's own message on failure."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=_env(), check=False)
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


def is_shallow(cwd: Path | None = None) -> bool:
    return run("rev-parse", "--is-shallow-repository", cwd=cwd).strip() == "true"


def tracked_and_untracked(paths: list[Path], cwd: Path) -> list[Path]:
    """Files under `paths` that git would not ignore (cached + untracked, .gitignore applied)."""
    out = run(
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
        "--",
        *[str(path) for path in paths],
        cwd=cwd,
    )
    return sorted({cwd / name for name in out.split("\0") if name})


@dataclass(frozen=True)
class StagedBlob:
    path: str
    new_blob: str
    old_blob: str | None


def staged_blobs(cwd: Path) -> list[StagedBlob]:
    """Blobs the next commit adds or changes, with what HEAD held at the same path."""
    try:
        run("rev-parse", "--verify", "--quiet", "HEAD", cwd=cwd)
    except GitError:
        return _index_blobs(cwd)  # no commit yet: everything in the index is new
    out = run("diff-index", "--cached", "-z", "--no-renames", "--diff-filter=AM", "HEAD", cwd=cwd)
    fields = out.split("\0")
    blobs = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta:
            continue
        _old_mode, new_mode, old_sha, new_sha, _status = meta[1:].split(" ")
        if new_mode.startswith("160"):  # a submodule, not a blob
            continue
        blobs.append(StagedBlob(path, new_sha, None if old_sha == ZERO_SHA else old_sha))
    return blobs


def _index_blobs(cwd: Path) -> list[StagedBlob]:
    out = run("ls-files", "--stage", "-z", cwd=cwd)
    blobs = []
    for entry in filter(None, out.split("\0")):
        meta, path = entry.split("\t", 1)
        mode, sha, _stage = meta.split(" ")
        if not mode.startswith("160"):
            blobs.append(StagedBlob(path, sha, None))
    return blobs


def stash_commits(cwd: Path) -> list[str]:
    """Every stash entry (refs/stash names only the newest; older ones live in its reflog)."""
    try:
        out = run("reflog", "show", "--format=%H", "refs/stash", "--", cwd=cwd)
    except GitError:
        return []
    return [line for line in out.splitlines() if line]


@dataclass(frozen=True)
class Blob:
    sha: str
    data: bytes


class CatFile:
    """One long-lived `git cat-file --batch` process, streaming objects one at a time."""

    def __init__(self, cwd: Path, *, all_objects: bool = False) -> None:
        args = ["git", "cat-file", "--batch"]
        if all_objects:
            args += ["--batch-all-objects", "--unordered"]
        self.process = subprocess.Popen(
            args,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(),
            bufsize=READ_CHUNK,
        )
        self.missing: list[str] = []

    def read(self, shas: Iterable[str]) -> Iterator[Blob]:
        """Blobs for `shas` in order; missing ones are recorded in `self.missing`."""
        feeder = threading.Thread(target=self._feed, args=(shas,), daemon=True)
        feeder.start()
        yield from self._objects(only_blobs=False)
        feeder.join()

    def read_all_blobs(self) -> Iterator[Blob]:
        """Every blob in the object database, in pack order (the fastest way to read them)."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        yield from self._objects(only_blobs=True)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def _feed(self, shas: Iterable[str]) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            for sha in shas:
                stdin.write(sha.encode("ascii") + b"\n")
            stdin.close()
        except BrokenPipeError:  # git went away; the reader reports it
            pass

    def _objects(self, *, only_blobs: bool) -> Iterator[Blob]:
        stdout = self.process.stdout
        assert stdout is not None
        while header := stdout.readline():
            parts = header.split()
            if len(parts) == 2 and parts[1] == b"missing":
                self.missing.append(parts[0].decode("ascii", "replace"))
                continue
            if len(parts) != 3:
                raise GitError(f"unexpected output from git cat-file: {header[:80]!r}")
            data = stdout.read(int(parts[2]))
            stdout.read(1)  # the newline after each object
            if not only_blobs or parts[1] == b"blob":
                yield Blob(parts[0].decode("ascii"), data)
        if self.process.wait() != 0 and self.process.stderr is not None:
            message = self.process.stderr.read().decode("utf-8", "replace").strip()
            raise GitError(message.splitlines()[-1] if message else "git cat-file failed")


def reachable_blobs(revs: list[str], cwd: Path) -> tuple[list[str], list[str]]:
    """(blob shas reachable from `revs`, shas git reports missing): each blob once."""
    process = subprocess.Popen(
        [
            "git",
            "rev-list",
            "--objects",
            "--no-object-names",
            "--missing=print",
            "--filter=object:type=blob",
            *revs,
            "--",
        ],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    out, err = process.communicate()
    if process.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        raise GitError(lines[-1] if lines else "git rev-list failed")
    present: list[str] = []
    missing: list[str] = []
    for line in out.decode("ascii").splitlines():
        (missing if line.startswith("?") else present).append(line.lstrip("?"))
    return present, missing


def commit_shas(revs: list[str], cwd: Path) -> set[str]:
    out = run("rev-list", *revs, "--", cwd=cwd)
    return set(out.split())


@dataclass(frozen=True)
class Introduction:
    commit: str
    author: str
    date: str
    path: str


def introduction(blob: str, revs: list[str], cwd: Path) -> Introduction | None:
    """The earliest commit (among `revs`) whose diff adds `blob`, with its path."""
    out = run(
        "log",
        "--reverse",
        "--format=%x01%H%x00%an%x00%aI",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "-z",
        f"--find-object={blob}",
        *revs,
        "--",
        cwd=cwd,
    )
    for record in out.split("\x01")[1:]:
        head, _, raw = record.partition("\n")
        commit, author, date = head.split("\0")[:3]
        path = _path_of_blob(raw, blob)
        if path is not None:
            return Introduction(commit, author, date, path)
    return None


def _path_of_blob(raw: str, blob: str) -> str | None:
    fields = [field for field in raw.strip("\n").split("\0")]
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        parts = meta.strip().lstrip(":").split(" ")
        if len(parts) >= 4 and parts[3] == blob:
            return path
    return None


def remote_url(cwd: Path) -> str | None:
    try:
        return run("remote", "get-url", "origin", cwd=cwd).strip() or None
    except GitError:
        return None
