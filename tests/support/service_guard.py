"""A run-wide check that the suite left the machine's own PostgreSQL and Redis alone.

Those servers are shared with everything else on the machine: no test may stop, restart or
reconfigure them (a test that needs a server down starts a private one). The process ids of
the PostgreSQL postmaster and of Redis are read when the run starts and again when it ends; a
server that was running at the start and has another process id, or none, at the end fails the
run loudly.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.support.services import POSTGRES_URL, REDIS_URL


class Watched(NamedTuple):
    name: str
    address: str
    pid: int | None
    why_none: str = ""


def postgres_postmaster_pid(url: str = POSTGRES_URL) -> Watched:
    """The postmaster is the parent of the backend process serving this connection."""
    address = f"{make_url(url).host}:{make_url(url).port or 5432}"
    engine = create_engine(url, connect_args={"connect_timeout": 3}, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            backend = int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())
            postmaster = _parent_pid(backend)  # while the backend still lives
    except Exception as error:  # noqa: BLE001 - any failure to connect means "not running"
        return Watched("PostgreSQL", address, None, f"unreachable ({type(error).__name__})")
    finally:
        engine.dispose()
    if postmaster is None:
        return Watched("PostgreSQL", address, None, "not a process of this machine")
    return Watched("PostgreSQL", address, postmaster)


def redis_pid(url: str = REDIS_URL) -> Watched:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    address = f"{client.connection_pool.connection_kwargs.get('host')}:" + str(
        client.connection_pool.connection_kwargs.get("port")
    )
    try:
        return Watched("Redis", address, int(client.info("server")["process_id"]))
    except redis.RedisError as error:
        return Watched("Redis", address, None, f"unreachable ({type(error).__name__})")
    finally:
        client.close()


def _parent_pid(pid: int) -> int | None:
    """From /proc (the server runs on this machine: the tests only use loopback servers)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    return None


def snapshot() -> list[Watched]:
    return [postgres_postmaster_pid(), redis_pid()]


def compare(before: list[Watched], after: list[Watched]) -> tuple[str, list[str]]:
    """One summary line, and a problem line for each server the run disturbed."""
    problems: list[str] = []
    parts: list[str] = []
    for start, end in zip(before, after, strict=True):
        if start.pid is None:
            parts.append(f"{start.name} at {start.address} not watched ({start.why_none} at start)")
        elif end.pid == start.pid:
            parts.append(f"{start.name} at {start.address} pid {start.pid} unchanged")
        else:
            now = f"pid {end.pid}" if end.pid is not None else end.why_none
            problems.append(
                f"{start.name} at {start.address} was pid {start.pid} when the run started and "
                f"is {now} now: a test stopped or restarted the machine's own {start.name} "
                "(tests must start a private server instead: tests/support/private_servers.py)"
            )
    return "service guard: " + "; ".join(parts or ["nothing watched"]), problems


def say(config: pytest.Config, line: str) -> None:
    """Write past pytest's output capture, so the line shows in every run."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write("\n")
        reporter.write_line(line)


_started: list[list[Watched]] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    """Wraps the whole run (the controller's, under pytest-xdist: workers leave it be)."""
    if not hasattr(session.config, "workerinput"):
        _started.append(snapshot())


def check_at_end(session: pytest.Session) -> None:
    """Fails the run when the machine's PostgreSQL or Redis was restarted during it."""
    if not _started:
        return
    line, problems = compare(_started[0], snapshot())
    say(session.config, line)
    if problems:
        say(session.config, "service guard: " + "\n".join(problems))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
