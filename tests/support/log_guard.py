"""Session-wide check that no raw token ever reached a log.

Every log record of the in-process apps and every log file of a real server process started
by the tests is collected; when the session ends, they are searched for valid tokens of every
registered format and for the test root key. A hit fails the whole run.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

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


def finish(session: pytest.Session) -> None:
    """At the session's end: search what this process collected. Under pytest-xdist a worker
    hands its findings to the controller (`workeroutput`), which adds them up and reports."""
    found = _search()
    if is_worker(session.config):
        session.config.workeroutput["log_guard"] = found  # type: ignore[attr-defined]
        return
    for part in _from_workers:
        found = {key: found[key] + part[key] for key in found}
    _report(session, found)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """xdist (controller): a worker finished; keep its log guard findings."""
    output = getattr(node, "workeroutput", {})
    if "log_guard" in output:
        _from_workers.append(output["log_guard"])


_from_workers: list[dict[str, Any]] = []


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _search() -> dict[str, Any]:
    texts = {"in-process log records": "\n".join(_records)}
    texts.update(
        {str(path): path.read_text(errors="replace") for path in _server_logs if path.exists()}
    )
    leaks = [
        [source, redact(secret)] for source, text in texts.items() for secret in leaked_in(text)
    ]
    return {"records": len(_records), "logs": len(_server_logs), "leaks": leaks}


def _report(session: pytest.Session, found: dict[str, Any]) -> None:
    leaks = found["leaks"]
    summary = (
        f"log guard: searched {found['records']} log records and {found['logs']} server logs: "
        + (f"{len(leaks)} RAW TOKEN(S) FOUND" if leaks else "no raw token")
    )
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(summary)
        for source, redacted in leaks:
            reporter.write_line(f"  {redacted} in {source}")
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
