"""Session-wide check that no raw token ever reached a log.

Every log record of the in-process apps and every log file of a real server process started
by the tests is collected; when the session ends, they are searched for valid tokens of every
registered format and for the test root key. A hit fails the whole run.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from scanner.formats import redact
from tests.support.databases import ROOT_KEY
from tests.support.secrets import find_tokens

_records: list[str] = []
_server_logs: list[Path] = []


# The service's loggers. Client libraries the tests themselves use (urllib3 logs the URLs a
# test requests, and one test deliberately puts a token in a URL) are not the service's log.
SERVICE_LOGGERS = (
    "app",
    "werkzeug",
    "flask",
    "flask_limiter",
    "limits",
    "sqlalchemy",
    "alembic",
    "gunicorn",
    "root",
)


class _Collector(logging.Handler):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.split(".")[0] in SERVICE_LOGGERS

    def emit(self, record: logging.LogRecord) -> None:
        try:
            _records.append(self.format(record))
        except Exception:  # noqa: BLE001 - a handler must never break the code that logs
            _records.append(f"<unformattable record from {record.name}>")


def register_server_log(path: Path) -> None:
    """A real server's log file, to be searched at the end of the session."""
    _server_logs.append(path)


def leaked_in(text: str) -> list[str]:
    """The raw secrets found in `text`: valid tokens and the root key."""
    found = find_tokens(text)
    if ROOT_KEY in text:
        found.append(ROOT_KEY)
    return found


def pytest_configure(config: pytest.Config) -> None:
    handler = _Collector(level=logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    texts = {"in-process log records": "\n".join(_records)}
    texts.update(
        {str(path): path.read_text(errors="replace") for path in _server_logs if path.exists()}
    )
    leaks = [(source, secret) for source, text in texts.items() for secret in leaked_in(text)]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    summary = (
        f"log guard: searched {len(_records)} log records and {len(_server_logs)} server logs: "
        + (f"{len(leaks)} RAW TOKEN(S) FOUND" if leaks else "no raw token")
    )
    if reporter is not None:
        reporter.write_line(summary)
        for source, secret in leaks:
            reporter.write_line(f"  {redact(secret)} in {source}")
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
