"""`oi login --device` from the CLI's side.

The poll loop (`scanner.cli.commands.login.poll_for_tokens`) runs against the app served over
real HTTP from this process, with the clock stopped and the loop's sleep handed in: the test
decides how much time each sleep lets pass, so nothing waits and no answer depends on the
machine's speed. Then `oi login --device` as a process of its own against `oi serve`, with this
test playing the person at the device code page: denied, or left to expire, it ends with one
line and exit 1.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from time_machine import TimeMachineFixture

from scanner.cli.commands import login
from scanner.errors import OiError
from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.device_flow import DeviceLoginRun, one_line, play_device_page
from tests.support.live_server import LiveServer, running_server
from tests.support.oauth_flow import person_with_password
from tests.support.secrets import Secret, find_tokens
from tests.support.wsgi_thread import serving_in_thread


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    """The test's app on a loopback port, in a thread of this process (so the stopped clock is
    the server's clock too)."""
    with serving_in_thread(app) as base_url:
        yield base_url


@pytest.fixture
def clock(time_machine: TimeMachineFixture) -> TimeMachineFixture:
    time_machine.move_to(dt.datetime.now(dt.UTC), tick=False)
    return time_machine


@pytest.fixture
def person(app: Flask) -> str:
    return person_with_password(Api(app.test_client()), ROOT_KEY, "acme", "erin")


def start(url: str, scope: str = "read_write") -> login.DeviceAuthorization:
    return login.start_device_login(url, scope, login.check_service(url))


class Sleeper:
    """The poll loop's sleep: records each wait, lets `passes(seconds)` of it pass on the
    stopped clock, and plays the person's part at the `at`-th sleep."""

    def __init__(
        self, clock: TimeMachineFixture, passes: Callable[[float], float], at: int = 0
    ) -> None:
        self.clock, self.passes, self.at = clock, passes, at
        self.slept: list[float] = []
        self.person: Callable[[], object] = lambda: None

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.shift(self.passes(seconds))
        if len(self.slept) == self.at:
            self.person()


def test_the_loop_waits_the_interval_between_polls_and_gets_the_tokens(
    served: str, person: str, clock: TimeMachineFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    authorization = start(served)
    sleeper = Sleeper(clock, passes=lambda seconds: seconds, at=3)
    sleeper.person = lambda: play_device_page(served, person, authorization.user_code)
    answer = login.poll_for_tokens(served, authorization, sleep=sleeper, clock=time.time)
    assert sleeper.slept == [5, 5, 5]  # pending, pending, then the approval's tokens
    assert Secret(answer["access_token"]).startswith("oi_oat_") and answer["expires_in"] == 28800
    shown = capsys.readouterr().out
    assert authorization.user_code in shown and f"{served}/device" in shown
    assert f"{served}/device?user_code={authorization.user_code}" in shown
    assert authorization.device_code not in shown


def test_the_loop_adds_5_seconds_after_each_slow_down(
    served: str, person: str, clock: TimeMachineFixture
) -> None:
    """Sleeps that let no time pass: every poll after the first is too soon."""
    authorization = start(served)
    sleeper = Sleeper(clock, passes=lambda _seconds: 0, at=4)
    sleeper.person = lambda: play_device_page(served, person, authorization.user_code)
    answer = login.poll_for_tokens(served, authorization, sleep=sleeper, clock=time.time)
    assert sleeper.slept == [5, 5, 10, 15]
    assert "access_token" in answer


def test_the_loop_ends_when_the_code_is_denied(
    served: str, person: str, clock: TimeMachineFixture
) -> None:
    authorization = start(served)
    sleeper = Sleeper(clock, passes=lambda seconds: seconds, at=1)
    sleeper.person = lambda: play_device_page(served, person, authorization.user_code, allow=False)
    with pytest.raises(OiError) as refused:
        login.poll_for_tokens(served, authorization, sleep=sleeper, clock=time.time)
    assert refused.value.exit_code == 1 and "access_denied" in refused.value.message
    assert sleeper.slept == [5]


def test_the_loop_ends_when_the_code_expires(served: str, clock: TimeMachineFixture) -> None:
    authorization = start(served)
    sleeper = Sleeper(clock, passes=lambda seconds: seconds)
    with pytest.raises(OiError) as expired:
        login.poll_for_tokens(served, authorization, sleep=sleeper, clock=time.time)
    assert expired.value.message == login.EXPIRED
    assert sum(sleeper.slept) == 600 and set(sleeper.slept) == {5}


# -- oi login --device as a process of its own, against oi serve --


@pytest.fixture
def quick_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """`oi serve` whose device codes ask for a poll every second, not every five."""
    with running_server(database_url, tmp_path, TOKENPATROL_OAUTH_DEVICE_INTERVAL_SECONDS="1") as s:
        yield s


def test_a_denied_code_ends_oi_login_device_with_one_line(
    quick_server: LiveServer, tmp_path: Path
) -> None:
    login_name = person_with_password(Api(base_url=quick_server.url), ROOT_KEY, "acme", "erin")
    with DeviceLoginRun(quick_server, tmp_path / "config") as run:
        play_device_page(quick_server.url, login_name, run.user_code, allow=False)
        code, out, err = run.finish()
    assert code == 1
    assert one_line(err) == (
        "oi login: error: sign-in refused: access_denied (the code was denied in the browser)"
    )
    assert find_tokens(out + err) == []
    assert not (tmp_path / "config" / "tokenpatrol" / "profiles.toml").exists()


def test_an_expired_code_ends_oi_login_device_with_one_line(
    database_url: str, tmp_path: Path
) -> None:
    with (
        running_server(
            database_url,
            tmp_path,
            TOKENPATROL_OAUTH_DEVICE_INTERVAL_SECONDS="1",
            TOKENPATROL_OAUTH_DEVICE_CODE_TTL_SECONDS="1",
        ) as server,
        DeviceLoginRun(server, tmp_path / "config") as run,
    ):
        code, out, err = run.finish()
    assert code == 1
    assert one_line(err) == f"oi login: error: {login.EXPIRED}"
    assert "the code expires in 1 seconds" not in out and "expires in 1 second" in out
