"""Private servers for tests that take a server down: they start on their own port, and when
one cannot start, the failure says why in the server's own words."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.support.private_servers import PrivateServerError, private_postgres, private_redis


def test_a_private_postgres_starts_stops_and_starts_again() -> None:
    with private_postgres() as server:
        assert server.port != 5432 and server.is_running()
        server.stop()
        assert not server.is_running()
        server.start()
        assert server.is_running()
    assert not server.data_dir.exists()


def test_a_private_postgres_that_cannot_start_says_why() -> None:
    with private_postgres() as server, socket.socket() as taken:
        server.stop()  # then another listener takes the server's port
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", server.port))
        taken.listen()
        with pytest.raises(PrivateServerError) as failure:
            server.start()
    message = str(failure.value)
    assert "pg_ctl start failed" in message
    assert "could not bind" in message or "Address already in use" in message, message


def test_a_private_redis_that_cannot_start_says_why(tmp_path: Path) -> None:
    with private_redis(tmp_path / "first") as first:
        second = private_redis(tmp_path / "second", port=first.port)
        with pytest.raises(PrivateServerError) as failure:
            second.__enter__()
    assert "Address already in use" in str(failure.value), failure.value
