"""`oi scan --history`: every blob reachable from the chosen revisions, each read once.

`git rev-list --objects --filter=object:type=blob` (every ref and stash entry, or a range
`A..B` / `--since REV`, which lists only the blobs those commits introduce) is piped straight
into one long-lived `git cat-file --batch`, so Python sees only blob contents, streamed one at
a time through one reused buffer. A blob is copied out of it only when it could hold a token
(`detect.may_hold_token`); the others are counted, not copied. Only blobs with a finding are
traced back to the commit that introduced them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scanner import detect, git
from scanner.findings import Finding
from scanner.sources import Item, SourceError

# A blob that cannot hold a token: scanned (and counted) as no bytes at all.
_NOTHING = Item("", b"")


@dataclass
class HistoryScan:
    cwd: Path
    ranges: list[str]
    warnings: list[str]
    top: Path = field(init=False)
    revs: list[str] = field(init=False)
    blobs_read: int = 0

    def __post_init__(self) -> None:
        top = git.repository_dir(self.cwd)
        if top is None:
            raise SourceError("--history needs a git repository (run it inside one)")
        self.top = top
        if git.is_shallow(top):
            self.warnings.append(
                "shallow clone: commits before the shallow boundary are not scanned "
                "(git fetch --unshallow for a full scan)"
            )
        self.revs = self.ranges or ["--all", *git.stash_commits(top)]

    def items(self) -> Iterator[Item]:
        lister, reader = git.reachable_blob_reader(self.revs, self.top)
        try:
            for blob in reader.read_selected(detect.may_hold_token):
                self.blobs_read += 1
                yield (
                    _NOTHING
                    if blob is git.SKIPPED
                    else Item(blob.sha, blob.data, blob.sha, blob.rest)
                )
        finally:
            reader.close()
            lister.wait()
        assert lister.stderr is not None
        with lister.stderr:
            message = lister.stderr.read().decode("utf-8", "replace").strip().splitlines()
        if lister.returncode != 0:
            what = " ".join(self.ranges) or "every ref"
            raise SourceError(f"cannot list history of {what}: {message[-1] if message else ''}")
        self._warn_missing(reader.missing)

    def locate(self, findings: list[Finding]) -> list[Finding]:
        """Name the commit, author, date and path where each finding's blob first appeared."""
        try:
            origins = git.introductions({f.blob for f in findings if f.blob}, self.revs, self.top)
        except git.GitError as error:  # e.g. a treeless clone lacks the trees to diff
            self.warnings.append(f"cannot name the commits that introduced findings: {error}")
            return findings
        for finding in findings:
            origin = origins.get(finding.blob or "")
            if origin is not None:
                finding.commit, finding.author, finding.date = (
                    origin.commit,
                    origin.author,
                    origin.date,
                )
                finding.path = origin.path
        return findings

    def _warn_missing(self, missing: list[str]) -> None:
        self.warnings.extend(
            f"blob {sha} is missing (partial or damaged clone); scan goes on" for sha in missing
        )
