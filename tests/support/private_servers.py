"""PostgreSQL and Redis servers of a test's own, for tests that take a server down.

The machine's own servers are shared with everything else that runs here, so a test never
stops, restarts or reconfigures them: it starts a private one (a temporary data folder, a free
port), does what it must to it, and ends it. When a private server cannot start, the failure
carries the server's own message.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.live_server import free_port
from tests.support.services import unavailable

START_SECONDS = 120
REDIS_COMMAND = ("redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
POSTGRES_BIN_GLOB = "/usr/lib/postgresql/*/bin"
# PostgreSQL refuses to run as root; as root, the private server runs as this user.
POSTGRES_USER = "postgres"


class PrivateServerError(RuntimeError):
    """A private server could not start or stop; the message holds the server's own words."""


def _tail(path: Path, limit: int = 2000) -> str:
    return path.read_text(errors="replace")[-limit:] if path.exists() else "(no log written)"


def postgres_binary(name: str) -> str | None:
    """`initdb`/`pg_ctl` from PATH, else from the newest installed Debian PostgreSQL."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/").glob(POSTGRES_BIN_GLOB[1:] + f"/{name}"))
    return str(candidates[-1]) if candidates else None


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only."""

    port: int
    data_dir: Path
    log_path: Path
    pg_ctl: str
    run_as: str | None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data_dir.parent} "
            "-c fsync=off -c full_page_writes=off"
        )
        self._pg_ctl(
            "start", "-w", "-t", str(START_SECONDS), "-l", str(self.log_path), "-o", options
        )

    def stop(self) -> None:
        self._pg_ctl("stop", "-w", "-t", str(START_SECONDS), "-m", "fast")

    def is_running(self) -> bool:
        status = self._run([self.pg_ctl, "status", "-D", str(self.data_dir)])
        return status.returncode == 0

    def _pg_ctl(self, action: str, *args: str) -> None:
        done = self._run([self.pg_ctl, action, "-D", str(self.data_dir), *args])
        if done.returncode != 0:
            raise PrivateServerError(
                f"private PostgreSQL on port {self.port}: pg_ctl {action} failed "
                f"({done.stdout.strip()} {done.stderr.strip()}); its log says:\n"
                f"{_tail(self.log_path)}"
            )

    def _run(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command,
            user=self.run_as,
            capture_output=True,
            text=True,
            timeout=START_SECONDS + 30,
            check=False,
        )


def _owned_scratch_folder(run_as: str | None) -> Path:
    """A new folder in the temp dir that the server's user owns (pytest's are root's, 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="tokenpatrol-pg-"))
    if run_as is not None:
        entry = pwd.getpwnam(run_as)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    return folder


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(POSTGRES_USER)
    except KeyError:
        unavailable(f"running as root needs a '{POSTGRES_USER}' user to run a private PostgreSQL")
    return POSTGRES_USER


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """initdb a cluster, start it on a free port, and remove it all afterwards."""
    initdb, pg_ctl = postgres_binary("initdb"), postgres_binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        unavailable("initdb and pg_ctl (PostgreSQL's server package) are needed")
    run_as = _server_user()
    scratch = _owned_scratch_folder(run_as)
    server = PrivatePostgres(free_port(), scratch / "data", scratch / "server.log", pg_ctl, run_as)
    try:
        made = server._run(
            [initdb, "-D", str(server.data_dir), "-U", "postgres", "-A", "trust", "--no-sync"]
        )
        if made.returncode != 0:
            raise PrivateServerError(f"initdb failed: {made.stderr.strip()[-2000:]}")
        server.start()
        yield server
    finally:
        if server.data_dir.exists() and server.is_running():
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


@dataclass
class PrivateRedis:
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def shutdown(self) -> None:
        """Stop it the way an outage would: at once, keeping nothing."""
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"],
            capture_output=True,
            timeout=30,
            check=False,
        )
        if self.process is not None:
            self.process.wait(timeout=30)


def _wait_until_it_answers(server: PrivateRedis) -> None:
    assert server.process is not None
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        info = subprocess.run(
            ["redis-cli", "-p", str(server.port), "info", "server"],
            capture_output=True,
            check=False,
        )
        if f"process_id:{server.process.pid}\r".encode() in info.stdout:  # ours, not another's
            return
        time.sleep(0.05)
    raise PrivateServerError(
        f"private redis-server on port {server.port} did not answer; its log says:\n"
        f"{_tail(server.log_path)}"
    )


@contextmanager
def private_redis(workdir: Path, port: int | None = None) -> Iterator[PrivateRedis]:
    """A redis-server of this test's own on a free port (or `port`, to bring one back)."""
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        unavailable("redis-server and redis-cli are needed to run a private Redis")
    workdir.mkdir(parents=True, exist_ok=True)
    server = PrivateRedis(port or free_port(), workdir / "redis.log")
    with server.log_path.open("ab") as log:
        server.process = subprocess.Popen(
            [*REDIS_COMMAND, "--port", str(server.port), "--dir", str(workdir)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_it_answers(server)
        yield server
    finally:
        if server.process.poll() is None:
            server.process.terminate()
            server.process.wait(timeout=30)
