"""A service process for the benchmarks: the `oi` command, a free port, start and wait."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

STARTUP_SECONDS = 30


def oi_command() -> list[str]:
    """The installed `oi` console script (what users run), or the module behind it."""
    script = shutil.which("oi")
    return [script] if script else [sys.executable, "-m", "scanner.cli"]


def upgrade_database(env: dict[str, str]) -> None:
    """`oi server upgrade-db`: the real migration path (serve upgrades only the embedded file)."""
    done = subprocess.run(
        [*oi_command(), "server", "upgrade-db"], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"oi server upgrade-db failed:\n{done.stderr[-2000:]}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int, log_path: Path) -> Iterator[str]:
    """Run a server command logging to `log_path`, wait for /health, yield its URL; stop it."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, log_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{_log_tail(log_path)}")
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not become healthy:\n{_log_tail(log_path)}")


def _log_tail(log_path: Path) -> str:
    return log_path.read_text(errors="replace")[-2000:]
