"""Fixtures for the partner-feed and webhook tests: GitHub's key endpoint stand-in with one key,
and a webhook receiver, each on loopback for the test's length."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.github_keys import KeyServer, github_key_server
from tests.support.webhook_receiver import Receiver, webhook_receiver


@pytest.fixture
def keys() -> Iterator[KeyServer]:
    with github_key_server() as server:
        server.add_key()
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running
