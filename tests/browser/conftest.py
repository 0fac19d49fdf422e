"""Browser tests: Playwright's sync API driving Debian's Chromium against a real `oi serve`.

Chromium is an external service like PostgreSQL: without it these tests skip, and under
TOKENPATROL_REQUIRE_SERVICES=1 they fail instead. TOKENPATROL_CHROMIUM names another binary.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.browser.traffic import Traffic
from tests.support.api import Api
from tests.support.live_server import LiveServer, running_server
from tests.support.services import unavailable

CHROMIUM = Path(os.environ.get("TOKENPATROL_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
TIMEOUT_MS = 15_000

PageFactory = Callable[..., Page]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    driver = sync_playwright().start()
    try:
        launched = driver.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
    except PlaywrightError as error:
        driver.stop()
        unavailable(f"Chromium at {CHROMIUM} did not start: {error.message.splitlines()[0]}")
    expect.set_options(timeout=TIMEOUT_MS)
    yield launched
    launched.close()
    driver.stop()


@pytest.fixture
def traffic() -> Traffic:
    """Every URL, Location header, HTML document and console problem of the test's pages."""
    return Traffic()


@pytest.fixture
def open_page(browser: Browser, traffic: Traffic) -> Iterator[PageFactory]:
    """New pages, each in a fresh context (no shared cookies), all watched by `traffic`."""
    contexts: list[BrowserContext] = []

    def open_one(viewport: dict[str, int] | None = None, **options: Any) -> Page:
        context = browser.new_context(viewport=viewport or DESKTOP, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        traffic.watch(page)
        return page

    yield open_one
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: PageFactory) -> Page:
    return open_page()


@pytest.fixture
def live_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    with running_server(database_url, tmp_path) as server:
        yield server


@pytest.fixture
def base_url(live_server: LiveServer) -> str:
    return live_server.url


@pytest.fixture
def http(live_server: LiveServer) -> Api:
    return Api(base_url=live_server.url)
