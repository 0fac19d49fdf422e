"""A real SMTP server (aiosmtpd) for the tests that send mail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.live_server import free_port
from tests.support.smtp import Inbox, running_inbox


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def inbox(smtp_port: int) -> Iterator[Inbox]:
    with running_inbox(smtp_port) as received:
        yield received
