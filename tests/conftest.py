"""Fixtures: each test gets its own migrated database, app, client and CLI runner."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support import databases, log_guard, service_guard
from tests.support.api import Api
from tests.support.live_fixtures import http, live_server
from tests.support.log_guard import pytest_configure, pytest_testnodedown
from tests.support.service_guard import pytest_sessionstart

# Shared fixtures of the partner-feed and webhook tests (GitHub's key endpoint, a receiver).
pytest_plugins = ["tests.support.feed_fixtures"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that use the suite's database (for a second pass on another "
        "database: the others do not depend on which one it is)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--database-tests-only"):
        return
    kept = [item for item in items if "database_url" in getattr(item, "fixturenames", ())]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


@pytest.fixture(scope="session")
def database_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[databases.SqliteDatabases | databases.PostgresDatabases]:
    workdir = tmp_path_factory.mktemp("database-template")
    server_url = os.environ.get(databases.TEST_DATABASE_ENV)
    if not server_url:
        yield databases.SqliteDatabases(workdir)
        return
    factory = databases.PostgresDatabases(server_url, workdir)
    yield factory
    factory.close()


@pytest.fixture
def database_url(
    database_factory: databases.SqliteDatabases | databases.PostgresDatabases, tmp_path: Path
) -> Iterator[str]:
    with database_factory.fresh(tmp_path) as url:
        yield url


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """The test's configuration; a test may change it before asking for `app`."""
    return databases.test_config(database_url, tmp_path / "instance")


@pytest.fixture
def make_app(app_config: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    """Build apps from the test's config plus overrides; their connections close afterwards."""
    from app import create_app
    from app.extensions import db

    made: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        made.append(create_app({**app_config, **overrides}))
        return made[-1]

    yield build
    for flask_app in made:
        with flask_app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client)


@pytest.fixture
def root_key() -> str:
    return databases.ROOT_KEY


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The run-wide guards, last: no raw token in any log; the machine's servers untouched."""
    log_guard.finish(session)
    service_guard.check_at_end(session)


__all__ = [
    "http",
    "live_server",
    "pytest_configure",
    "pytest_sessionstart",
    "pytest_testnodedown",
]
