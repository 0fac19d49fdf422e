"""The run-wide log guard holds under pytest-xdist too: a raw token that a worker's test logs
fails the whole run, and the controller reports what every worker searched."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[1]

CONFTEST = """
import logging
from tests.support import log_guard, service_guard
from tests.support.log_guard import pytest_configure, pytest_testnodedown
from tests.support.service_guard import pytest_sessionstart

def pytest_sessionfinish(session, exitstatus):
    log_guard.finish(session)
    service_guard.check_at_end(session)
"""

LOGGING_TEST = """
import logging
from scanner import formats

def test_logs(n=0):
    logging.getLogger("app").warning("oops %s", {token})

def test_other():
    logging.getLogger("app").info("nothing secret")
"""


@pytest.mark.parametrize(
    ("workers", "token"),
    [
        ("0", "formats.PERSONAL_ACCESS_TOKEN.generate()"),
        ("2", "formats.PERSONAL_ACCESS_TOKEN.generate()"),
        ("2", "'oi_pat_short'"),  # not a token: the run passes
    ],
)
def test_a_raw_token_in_a_worker_s_log_fails_the_run(
    pytester: pytest.Pytester, workers: str, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_inner=LOGGING_TEST.format(token=token))
    done = pytester.runpytest_subprocess("-n", workers, "-p", "no:cacheprovider")
    output = done.stdout.str()
    leaked = token.startswith("formats")
    assert ("1 RAW TOKEN(S) FOUND" in output) is leaked, output[-2000:]
    assert ("no raw token" in output) is not leaked
    assert (done.ret != 0) is leaked
    assert "log records" in output and "log guard: searched 0 log records" not in output
