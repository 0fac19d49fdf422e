"""Run `oi` at a terminal of its own (a pseudo-terminal), as a person does: colour, prompts and
`isatty()` behave as they do at a real one. Its stdout and stderr both go to the terminal, so
they come back as one text, in `Run.stdout`; with `piped_stdout`, stdout goes to a pipe (as in
`oi scan > report`) and comes back in `Run.stdout`, the terminal's text in `Run.stderr`."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
from collections.abc import Mapping
from pathlib import Path

from tests.support.live_server import oi_command
from tests.support.oi_cli import Run, client_environment

ROWS, COLUMNS = 50, 200
PATIENCE_SECONDS = 60


def at_terminal(
    *args: str,
    config_home: Path,
    env: Mapping[str, str] | None = None,
    typed: str = "",
    piped_stdout: bool = False,
) -> Run:
    """`oi ARGS` with stdin, stdout and stderr on a new terminal and `env` added to a clean
    environment; `typed` is what the person types (it waits in the terminal's input queue
    until `oi` reads it)."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    process = subprocess.Popen(
        [*oi_command(), *args],
        stdin=child,
        stdout=subprocess.PIPE if piped_stdout else child,
        stderr=child,
        env=client_environment(config_home, **(env or {})),
    )
    os.close(child)
    try:
        if typed:
            os.write(main, typed.encode())
        shown = _read_until_closed(main).replace("\r\n", "\n")
        piped, _ = process.communicate(timeout=PATIENCE_SECONDS)
    finally:
        os.close(main)
        if process.poll() is None:
            process.kill()
            process.wait()
    if piped_stdout:
        return Run(process.returncode, piped.decode("utf-8", "replace"), shown)
    return Run(process.returncode, shown, "")


def _read_until_closed(fd: int) -> str:
    """Everything written to the terminal until the last process holding it has exited."""
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([fd], [], [], PATIENCE_SECONDS)
        assert ready, "oi wrote nothing to its terminal for a minute"
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: every process holding the terminal has closed it
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")
