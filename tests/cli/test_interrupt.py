"""Ctrl-C ends `oi` with exit 130 and one line, as shells expect (issue 13)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.live_server import oi_command
from tests.support.oi_cli import client_environment


@pytest.fixture
def config_home(tmp_path: Path) -> Path:
    return tmp_path / "config"


def blocked_reading_a_pipe(pid: int) -> bool:
    """The kernel's word for where the process sleeps: `pipe_read` (or `anon_pipe_read`)."""
    return Path(f"/proc/{pid}/wchan").read_text().endswith("pipe_read")


def test_ctrl_c_ends_in_130_with_one_line(config_home: Path) -> None:
    """`oi scan -` waits on a pipe the test holds open; SIGINT while it is blocked there."""
    process = subprocess.Popen(
        [*oi_command(), "scan", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=client_environment(config_home),
    )
    try:
        deadline = time.monotonic() + 60
        while not blocked_reading_a_pipe(process.pid):
            assert process.poll() is None, "oi scan - ended before reading its stdin"
            assert time.monotonic() < deadline, "oi scan - never waited on its stdin"
            time.sleep(0.01)  # the interval of a bounded poll; the wait is for the state above
        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=60)
        assert process.stdout is not None and process.stderr is not None
        out, err = process.stdout.read(), process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert (returncode, out, err) == (130, "", "oi scan: interrupted\n")
