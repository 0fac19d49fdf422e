"""`oi scan --history`: every blob reachable from the chosen revisions, each read once.

`git rev-list --objects --filter=object:type=blob` (every ref and stash entry, or a range
`A..B` / `--since REV`, which lists only the blobs those commits introduce) lists the blobs, and
its ids are dealt to two long-lived `git cat-file --batch` reading side by side
(`scanner.blob_streams`), so Python sees only blob contents, each process's streamed through a
reused buffer. A blob is copied out only when it could hold a token
(`stem_search.blob_selector`: Hyperscan when installed, else `re`); the others are counted, not
copied. Beside the read, a second walk writes down where each object entered the history
(`git.Introductions`); only blobs with a finding are looked up in it, and with no finding it
is stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scanner import git, stem_search
from scanner.blob_streams import BlobReads
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
    introductions: git.Introductions | None = None
    missing_blobs: int = 0
    _places: dict[str, int] = field(default_factory=dict, init=False)  # copied blob -> its place

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
        self.introductions = git.Introductions(self.revs, self.top)  # runs while blobs are read
        try:
            yield from self._blobs()
        except BaseException:
            self._stop_naming()
            raise

    def _blobs(self) -> Iterator[Item]:
        lister = git.reachable_blob_lister(self.revs, self.top)
        reads = BlobReads(lister, self.top, lambda: stem_search.blob_selector()[0])
        try:
            for index, blob in reads:
                self.blobs_read += 1
                if blob is git.SKIPPED:
                    yield _NOTHING
                    continue
                self._places[blob.sha] = index
                yield Item(blob.sha, blob.data, blob.sha, blob.rest)
        finally:
            reads.close()
            lister.wait()
            assert lister.stderr is not None
            with lister.stderr:
                message = lister.stderr.read().decode("utf-8", "replace").strip().splitlines()
        if lister.returncode != 0:
            what = " ".join(self.ranges) or "every ref"
            raise SourceError(f"cannot list history of {what}: {message[-1] if message else ''}")
        self.missing_blobs = len(reads.missing)
        self._warn_missing(reads.missing)

    def locate(self, findings: list[Finding]) -> list[Finding]:
        """Name the commit, author, date and path where each finding's blob first appeared;
        in the order of the blobs in the listing (several streams read them out of order)."""
        findings.sort(key=lambda finding: self._places.get(finding.blob or "", -1))
        if self.introductions is None:
            return findings
        try:
            origins = self.introductions.of({f.blob for f in findings if f.blob})
        except git.GitError as error:
            self.warnings.append(f"cannot name the commits that introduced findings: {error}")
            return findings
        finally:
            lacking = self.introductions.lacks_objects
            self._stop_naming()
        if lacking and not self.missing_blobs:  # those already have a warning each
            self.warnings.append(
                "some objects are missing (partial or damaged clone): a finding in a blob "
                "they lead to may not be named"
            )
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

    def _stop_naming(self) -> None:
        if self.introductions is not None:
            self.introductions.close()
            self.introductions = None

    def _warn_missing(self, missing: list[str]) -> None:
        self.warnings.extend(
            f"blob {sha} is missing (partial or damaged clone); scan goes on" for sha in missing
        )
