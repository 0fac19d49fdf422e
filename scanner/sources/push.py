"""`oi scan --pre-receive`: what a push adds to a server repository, before git accepts it.

git runs a pre-receive hook after the pushed objects arrived (in a quarantine directory that
it names to the hook in GIT_OBJECT_DIRECTORY and GIT_ALTERNATE_OBJECT_DIRECTORIES) and
before any ref moves, with one line `<old> <new> <ref>` per ref on stdin. The blobs to judge
are those reachable from the new tips and from no ref the server already has:
`git rev-list --objects NEW... --not --all`, which the history scan reads as usual. Objects
that were on the server before are never read again, however the push names them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from scanner import git
from scanner.sources import SourceError

FAIL_OPEN_KEY = "tokenpatrol.failOpen"
BASELINE_KEY = "tokenpatrol.baseline"


class RefUpdate(NamedTuple):
    old: str
    new: str
    ref: str


class Settings(NamedTuple):
    """The server operator's choices, from git config (system, the git user's, the repo's)."""

    fail_open: bool
    baseline: Path | None


def read_updates(lines: Iterable[bytes]) -> list[RefUpdate]:
    """git's `<old> <new> <ref>` lines; anything else is not a pre-receive hook's input.

    Bytes, as git writes them: a ref name need not be UTF-8, whatever the server's locale."""
    updates = []
    for raw in lines:
        line = raw.rstrip(b"\r\n").decode("utf-8", "surrogateescape")
        if not line.strip():
            continue
        parts = line.split(maxsplit=2)
        if len(parts) != 3 or not all(_is_sha(sha) for sha in parts[:2]):
            raise SourceError(
                "--pre-receive reads git's '<old> <new> <ref>' lines on stdin "
                "(install it as a server's pre-receive hook)"
            )
        updates.append(RefUpdate(*parts))
    return updates


def revisions(updates: list[RefUpdate]) -> list[str]:
    """`NEW... --not --all`: every new tip (deletions add nothing), minus what refs reach.

    Empty when nothing is added (only deletions): there is nothing to scan."""
    tips = list(dict.fromkeys(u.new for u in updates if not _is_zero(u.new)))
    return [*tips, "--not", "--all"] if tips else []


def settings(cwd: Path) -> Settings:
    """`tokenpatrol.failOpen` (bool) and `tokenpatrol.baseline` (a path on the server)."""
    fail_open = git.config_value(FAIL_OPEN_KEY, cwd, kind="bool") == "true"
    baseline = git.config_value(BASELINE_KEY, cwd, kind="path")
    return Settings(fail_open, Path(baseline) if baseline else None)


def _is_sha(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def _is_zero(sha: str) -> bool:
    return not sha.strip("0")
