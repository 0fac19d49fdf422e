"""A real `oi serve` process on a free loopback port, logging to a file the log guard searches."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.databases import ROOT_KEY, SIGNING_KEYS
from tests.support.log_guard import register_server_log

STARTUP_SECONDS = 30


@dataclass(frozen=True)
class LiveServer:
    url: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def oi_command() -> list[str]:
    """The installed `oi` console script (what users run), or the module behind it."""
    script = shutil.which("oi")
    return [script] if script else [sys.executable, "-m", "scanner.cli"]


def server_environment(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TOKENPATROL_")}
    env.update(
        TOKENPATROL_DATABASE_URL=database_url,
        TOKENPATROL_ROOT_API_KEY=ROOT_KEY,
        TOKENPATROL_SIGNING_KEYS=SIGNING_KEYS,
        TOKENPATROL_INSTANCE_PATH=str(instance),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@contextmanager
def running_server(
    database_url: str, workdir: Path, *, args: tuple[str, ...] = (), **env: str
) -> Iterator[LiveServer]:
    """Start `oi serve` and wait for /health; stop it afterwards."""
    port = free_port()
    command = [*oi_command(), "serve", "--port", str(port), *args]
    environment = server_environment(database_url, workdir / "instance", **env)
    with serving(command, environment, port, workdir / f"server-{port}.log") as server:
        yield server


@contextmanager
def serving(
    command: list[str], env: dict[str, str], port: int, log_path: Path
) -> Iterator[LiveServer]:
    """Run a server command logging to `log_path` (searched by the log guard) until done."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    register_server_log(log_path)
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", log_path, process)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log_text()[-2000:]}")
        try:
            if requests.get(f"{server.url}/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"server did not become healthy:\n{server.log_text()[-2000:]}")
