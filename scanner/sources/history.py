"""`oi scan --history`: every blob reachable from the chosen revisions, each read once.

A full scan streams the whole object database through one `git cat-file --batch
--batch-all-objects` (the cost of merely reading the repository) while `git rev-list` works out,
in parallel, which blobs are reachable from every ref and stash entry; a finding in a blob no
ref reaches is dropped. A range (`A..B`, `--since REV`) feeds only the blobs those commits
introduce. Only blobs with a finding are traced back to the commit that introduced them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scanner import git
from scanner.findings import Finding
from scanner.sources import Item, SourceError


@dataclass
class HistoryScan:
    cwd: Path
    ranges: list[str]
    warnings: list[str]
    top: Path = field(init=False)
    revs: list[str] = field(init=False)
    blobs_read: int = 0
    _reachable: set[str] = field(default_factory=set)
    _listing_error: Exception | None = None

    def __post_init__(self) -> None:
        top = git.toplevel(self.cwd)
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
        if self.ranges:
            yield from self._range_items()
        else:
            yield from self._all_items()

    def locate(self, findings: list[Finding]) -> list[Finding]:
        """Keep reachable findings and name the commit, author, date and path of each."""
        if not self.ranges:
            findings = [finding for finding in findings if finding.blob in self._reachable]
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

    def _range_items(self) -> Iterator[Item]:
        try:
            shas, missing = git.reachable_objects(self.revs, self.top)
        except git.GitError as error:
            raise SourceError(
                f"cannot list history for {' '.join(self.ranges)}: {error}"
            ) from error
        self._warn_missing(missing)
        reader = git.CatFile(self.top)
        try:
            for blob in reader.read(shas):
                self.blobs_read += 1
                yield Item(blob.sha, blob.data, blob.sha)
        finally:
            reader.close()
        self._warn_missing(reader.missing)

    def _all_items(self) -> Iterator[Item]:
        lister = threading.Thread(target=self._list_reachable, daemon=True)
        lister.start()
        reader = git.CatFile(self.top, all_objects=True)
        try:
            for blob in reader.read_all_blobs():
                self.blobs_read += 1
                yield Item(blob.sha, blob.data, blob.sha)
        finally:
            reader.close()
            lister.join()
        if self._listing_error is not None:
            raise SourceError(f"cannot list history: {self._listing_error}")

    def _list_reachable(self) -> None:
        try:
            shas, missing = git.reachable_objects(self.revs, self.top)
        except git.GitError as error:
            self._listing_error = error
            return
        self._reachable = set(shas)
        self._warn_missing(missing)

    def _warn_missing(self, missing: list[str]) -> None:
        self.warnings.extend(
            f"blob {sha} is missing (partial or damaged clone); scan goes on" for sha in missing
        )
