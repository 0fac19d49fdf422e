"""A history scan's reads: the reachable blobs through two `git cat-file --batch` at once.

Reading every reachable blob means one cat-file process inflating and un-deltifying each of
them, and once the stem search is fast (`scanner.stem_search`) that one process is what the
scan waits for. So the lister's ids are dealt, `RUN` lines at a time in turn, to `STREAMS`
cat-file processes, and one thread reads each (`CatFile.read_selected`, each with a selector
of its own: a Hyperscan database serves one thread at a time). Pipe reads and Hyperscan's
scans let go of the GIL, so the processes and the threads run side by side.

What the threads copy out comes through one small queue, which bounds the memory in flight
(each message holds at most one blob's first window); a blob bigger than that is streamed
from its pipe while its thread waits. Each copied blob comes with its place in the lister's
order, so the caller can give findings in the order one stream would have.
"""

from __future__ import annotations

import itertools
import queue
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from scanner import git

STREAMS = 2
RUN = 1024  # ids dealt to one process at a time: long runs keep its delta cache of use
IN_FLIGHT = 8  # messages queued at most
SKIPS_PER_MESSAGE = 1024


class _Skipped(NamedTuple):
    blobs: int  # how many the selector turned down: counted, never copied


class _Copied(NamedTuple):
    place: int  # its place in the lister's order
    blob: git.Blob
    consumed: threading.Event | None  # set when the caller is done with a streamed blob


class _Finished(NamedTuple):
    error: BaseException | None


_Message = _Skipped | _Copied | _Finished


class BlobReads:
    """The blobs `lister` names, read by `streams` cat-file processes in `cwd`.

    Iterate it once: `(index, blob)` for each blob, `blob` being `git.SKIPPED` (with index -1)
    for one the selector turned down. Then `missing` holds the ids a partial clone lacks, in
    the lister's order. `close` ends the processes and threads, however far the reading got.
    """

    def __init__(
        self,
        lister: subprocess.Popen[bytes],
        cwd: Path,
        make_selector: Callable[[], git.Selector],
        streams: int = STREAMS,
    ) -> None:
        self._lister = lister
        self._make_selector = make_selector
        self._readers = [git.CatFile(cwd) for _ in range(streams)]
        self._queue: queue.Queue[_Message] = queue.Queue(maxsize=IN_FLIGHT)
        self._missing: list[tuple[int, str]] = []
        self._threads = [threading.Thread(target=self._deal, daemon=True)] + [
            threading.Thread(target=self._read, args=(number, reader), daemon=True)
            for number, reader in enumerate(self._readers)
        ]
        self._closed = False

    @property
    def missing(self) -> list[str]:
        return [sha for _index, sha in sorted(self._missing)]

    def __iter__(self) -> Iterator[tuple[int, git.Blob]]:
        for thread in self._threads:
            thread.start()
        running = len(self._readers)
        consumed: threading.Event | None = None
        try:
            while running:
                message = self._queue.get()
                if isinstance(message, _Skipped):
                    for _ in range(message.blobs):
                        yield -1, git.SKIPPED
                elif isinstance(message, _Copied):
                    consumed = message.consumed
                    yield message.place, message.blob
                    if consumed is not None:
                        consumed.set()
                        consumed = None
                else:
                    running -= 1
                    if message.error is not None:
                        raise message.error
        finally:
            if consumed is not None:
                consumed.set()
            self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for process in (self._lister, *(reader.process for reader in self._readers)):
            if process.poll() is None:
                process.kill()
        while alive := [thread for thread in self._threads if thread.ident and thread.is_alive()]:
            try:  # a thread may wait to hand over a message, or for a blob to be consumed
                message = self._queue.get_nowait()
            except queue.Empty:
                alive[0].join(timeout=0.01)  # back at once when it ends: no wait after a full read
                continue
            if isinstance(message, _Copied) and message.consumed is not None:
                message.consumed.set()
        for reader in self._readers:
            reader.close()

    def _deal(self) -> None:
        """The lister's ids, `RUN` lines to each process in turn; then each one's end of input."""
        stdins = [reader.process.stdin for reader in self._readers]
        assert self._lister.stdout is not None
        try:
            with self._lister.stdout as ids:
                for turn in itertools.cycle(stdins):
                    run = b"".join(itertools.islice(ids, RUN))
                    if not run:
                        break
                    assert turn is not None
                    turn.write(run)
                    turn.flush()
        except (OSError, ValueError):
            pass  # a process or the lister went away: the scan is ending, and says why
        finally:
            for stdin in stdins:
                try:  # noqa: SIM105 - a closed pipe has nothing to flush
                    stdin.close()  # type: ignore[union-attr]
                except OSError:
                    pass

    def _read(self, number: int, reader: git.CatFile) -> None:
        streams = len(self._readers)
        try:
            skipped = 0
            for entry, blob in enumerate(reader.read_selected(self._make_selector())):
                if blob is git.SKIPPED:
                    skipped += 1
                    if skipped == SKIPS_PER_MESSAGE:
                        self._queue.put(_Skipped(skipped))
                        skipped = 0
                    continue
                index = (streams * (entry // RUN) + number) * RUN + entry % RUN
                if blob is git.MISSING:
                    self._missing.append((index, reader.missing[-1]))
                elif blob is not git.NOT_A_BLOB:
                    consumed = threading.Event() if blob.rest is not None else None
                    self._queue.put(_Copied(index, blob, consumed))
                    if consumed is not None:
                        consumed.wait()  # the caller reads the rest from this process's pipe
            self._queue.put(_Skipped(skipped))
            self._queue.put(_Finished(None))
        except BaseException as error:  # noqa: BLE001 - handed to the caller, who raises it
            self._queue.put(_Finished(error))
