"""git processes for the scanner's short paths, the pre-commit hook's and a tree scan's.

They are started with `os.posix_spawnp` and read through `os.pipe`, so those paths import
neither `subprocess` (which brings `signal`, `threading`, `selectors`, `contextlib`: milliseconds
of every commit) nor `pathlib`. Each child starts as `subprocess` would start it: SIGPIPE and
SIGXFSZ back at their defaults (Python ignores both), only the pipes given to it open as stdin,
stdout and stderr (every other descriptor Python opens is close-on-exec). Where the platform has
no `posix_spawnp`, the same calls go through `subprocess`.

`scanner.git` (history, pre-receive) imports `GIT`, `env`, `GitError` and `widen_pipe` from
here: one list of the repository settings git is told to ignore, one way to widen a pipe.
"""

from __future__ import annotations

import os

from scanner.errors import EXIT_ERROR, OiError

TYPE_CHECKING = False  # typing's, without importing typing (mypy reads this the same)
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator, Sequence
    from typing import IO, Any

# Settings of the scanned repository that would make git run a program of its choosing: a
# repository under scan is untrusted, so git is told to ignore them.
GIT = ("git", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null")
READ_CHUNK = 1 << 20
PIPE_SIZE = 1 << 20
# Bytes written to a child's stdin before its output is read: no pipe holds less (a page on
# Linux, and macOS starts every pipe larger), so writing them cannot wait on the child.
SAFE_WRITE = 4096


class GitError(OiError):
    """git failed in a way the user can act on (not a repository, bad revision...)."""

    exit_code = EXIT_ERROR


def env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment, with git never fetching a missing object from a promisor
    remote in the middle of a scan, nor asking for a password."""
    return {**os.environ, "GIT_NO_LAZY_FETCH": "1", "GIT_TERMINAL_PROMPT": "0", **(extra or {})}


def _signals() -> Any:
    """The interpreter's own `_signal` module: `signal` would build its enums first."""
    import _signal  # type: ignore[import-not-found]

    return _signal


def _default_signals() -> tuple[int, ...]:
    """What `subprocess` sets back to the default in a child: SIGPIPE and SIGXFSZ."""
    found = _signals()
    return tuple(getattr(found, name) for name in ("SIGPIPE", "SIGXFSZ") if hasattr(found, name))


class Git:
    """One git process: `git -C CWD ARGS...`. `stdout` and `stderr` are pipes unless turned
    off (then /dev/null); `stdin` is a pipe with `stdin=True`, else inherited."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        cwd: str | None = None,
        stdin: bool = False,
        stderr: bool = True,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        argv = [*GIT, *(("-C", cwd) if cwd is not None else ()), *args]
        self.stdin: IO[bytes] | None = None
        self.stdout: IO[bytes]
        self.stderr: IO[bytes] | None = None
        self.returncode: int | None = None
        self.errors = b""  # what git wrote on stderr, once `chunks()` has read it all
        self._popen: subprocess.Popen[bytes] | None = None
        if not hasattr(os, "posix_spawnp"):
            self._start_subprocess(argv, stdin, stderr, extra_env)
            return
        ours: list[int] = []  # the parent's ends
        theirs: list[int] = []  # the child's ends, closed here once it runs
        actions: list[tuple[Any, ...]] = []
        try:
            if stdin:
                read_end, write_end = os.pipe()
                ours.append(write_end)
                theirs.append(read_end)
                actions.append((os.POSIX_SPAWN_DUP2, read_end, 0))
            out_read, out_write = os.pipe()
            ours.append(out_read)
            theirs.append(out_write)
            actions.append((os.POSIX_SPAWN_DUP2, out_write, 1))
            if stderr:
                err_read, err_write = os.pipe()
                ours.append(err_read)
                theirs.append(err_write)
                actions.append((os.POSIX_SPAWN_DUP2, err_write, 2))
            else:
                actions.append((os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0))
            self.pid = os.posix_spawnp(
                argv[0],
                argv,
                env(extra_env),
                file_actions=actions,
                setsigdef=_default_signals(),
            )
        except BaseException:
            for fd in ours + theirs:
                os.close(fd)
            raise
        for fd in theirs:
            os.close(fd)
        ends = iter(ours)
        if stdin:
            self.stdin = open(next(ends), "wb", buffering=0)  # noqa: SIM115 - closed by finish()
        self.stdout = open(next(ends), "rb", buffering=READ_CHUNK)  # noqa: SIM115
        if stderr:
            self.stderr = open(next(ends), "rb")  # noqa: SIM115

    def _start_subprocess(
        self, argv: list[str], stdin: bool, stderr: bool, extra_env: dict[str, str] | None
    ) -> None:
        import subprocess

        self._popen = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if stderr else subprocess.DEVNULL,
            env=env(extra_env),
            bufsize=READ_CHUNK,
        )
        self.pid = self._popen.pid
        self.stdin, self.stderr = self._popen.stdin, self._popen.stderr
        assert self._popen.stdout is not None
        self.stdout = self._popen.stdout

    def feed(self, data: bytes) -> None:
        """Write `data` to stdin and close it; more than a pipe surely holds goes from a thread,
        so that git, its stdout full, never waits on a writer that waits on it."""
        stdin = self.stdin
        assert stdin is not None
        self.stdin = None
        if len(data) <= SAFE_WRITE:
            _write_and_close(stdin, data)
            return
        import threading

        threading.Thread(target=_write_and_close, args=(stdin, data), daemon=True).start()

    def wait(self) -> int:
        if self.returncode is None:
            if self._popen is not None:
                self.returncode = self._popen.wait()
            else:
                _pid, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def communicate(self) -> tuple[bytes, bytes]:
        """All of stdout and stderr (read side by side, so neither pipe can fill and stall
        git), then the exit status in `returncode`."""
        if self.stdin is not None:
            self.stdin.close()
            self.stdin = None
        if self.stderr is None:
            out = self.stdout.read()
            self.stdout.close()
            self.wait()
            return out, b""
        if self._popen is not None:
            out, err = self._popen.communicate()
            self.close()
            return out, err
        out = b"".join(self.chunks())
        return out, self.errors

    def chunks(self) -> Iterator[bytes]:
        """stdout as git writes it, a chunk at a time, with stderr read beside it (so neither
        pipe can fill and stall git) into `errors`; at the end the exit status is in
        `returncode`. Left unfinished, the pipes are closed and git reaped."""
        if self._popen is not None or self.stderr is None:
            out, self.errors = self.communicate()
            yield out
            return
        import select

        out_fd, err_fd = self.stdout.fileno(), self.stderr.fileno()
        pending, errors = [out_fd, err_fd], list[bytes]()
        try:
            while pending:
                ready, _, _ = select.select(pending, [], [])
                for fd in ready:
                    data = os.read(fd, READ_CHUNK)
                    if not data:
                        pending.remove(fd)
                    elif fd == out_fd:
                        yield data
                    else:
                        errors.append(data)
        finally:
            self.errors = b"".join(errors)
            self.close()

    def error_line(self, what: str) -> str:
        """git's last line on stderr (what it says when it fails), read after stdout."""
        message = self.stderr.read() if self.stderr is not None else b""
        lines = message.decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else f"git {what} failed"

    def kill(self) -> None:
        """End a git process whose output is no longer wanted, and reap it."""
        if self.returncode is None:
            if self._popen is not None:
                self._popen.kill()
            else:
                try:  # noqa: SIM105 - contextlib is not on this path
                    os.kill(self.pid, _signals().SIGKILL)
                except ProcessLookupError:
                    pass
        self.close()

    def close(self) -> None:
        for pipe in (self.stdin, self.stdout, self.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()
        self.wait()


def widen_pipe(pipe: IO[bytes] | None) -> None:
    """A 1 MiB pipe instead of 64 KiB: git and Python wake each other 16 times less often."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_SIZE)  # type: ignore[union-attr]
    except (ImportError, AttributeError, OSError):
        pass  # not Linux, or above /proc/sys/fs/pipe-max-size: the default pipe still works


def _write_and_close(stdin: IO[bytes], data: bytes) -> None:
    try:
        stdin.write(data)
    except BrokenPipeError:  # git went away; its exit status tells why
        pass
    finally:
        try:  # noqa: SIM105 - contextlib is not on this path
            stdin.close()
        except BrokenPipeError:
            pass


def run(*args: str, cwd: str | None = None) -> str:
    """Run git, return stdout; raise GitError with git's own message on failure."""
    process = Git(args, cwd=cwd)
    out, err = process.communicate()
    if process.returncode != 0:
        message = err.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"git {args[0]} failed")
    return out.decode("utf-8", "surrogateescape")
