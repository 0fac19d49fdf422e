"""A real server process, and a client for it: fixtures for end-to-end and client tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api import Api
from tests.support.live_server import LiveServer, running_server


@pytest.fixture
def live_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    with running_server(database_url, tmp_path) as server:
        yield server


@pytest.fixture
def http(live_server: LiveServer) -> Api:
    return Api(base_url=live_server.url)
