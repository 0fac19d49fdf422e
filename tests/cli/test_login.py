"""`oi login --no-browser` against a real server, with this test playing the browser.

Then the refresh the client does by itself, a stolen refresh token's reuse killing the whole
sign-in, and `oi logout` revoking what it stored.
"""

from __future__ import annotations

import functools
import stat
import subprocess
import tomllib
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import oi_cli
from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.live_server import LiveServer, free_port, oi_command
from tests.support.loopback_http import serving
from tests.support.oauth_flow import CLIENT_ID, person_with_password, play_browser, query_of
from tests.support.oi_cli import Run, client_environment
from tests.support.secrets import Secret, find_tokens


@pytest.fixture
def config_home(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture
def login(http: Api) -> str:
    return person_with_password(http, ROOT_KEY, "acme", "erin")


def environment(config_home: Path) -> dict[str, str]:
    return client_environment(config_home, BROWSER="false")


def oi(config_home: Path, *args: str) -> Run:
    return oi_cli.oi(*args, config_home=config_home, BROWSER="false")


def profile(config_home: Path) -> dict[str, Any]:
    document = tomllib.loads((config_home / "tokenpatrol" / "profiles.toml").read_text())
    values: dict[str, Any] = document["profiles"][document["active"]]
    return {key: Secret(value) if "token" in key else value for key, value in values.items()}


def write_expiry(config_home: Path, expires_at: int) -> None:
    path = config_home / "tokenpatrol" / "profiles.toml"
    lines = [
        f'oauth_expires_at = "{expires_at}"' if line.startswith("oauth_expires_at") else line
        for line in path.read_text().splitlines()
    ]
    path.write_text("\n".join(lines) + "\n")


class LoginRun:
    """`oi login --no-browser` running in the background, waiting for the browser."""

    def __init__(self, server: LiveServer, config_home: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [*oi_command(), "login", "--no-browser", "--app-url", server.url, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(config_home),
        )
        assert self.process.stdout is not None
        self.printed: list[str] = []
        for line in self.process.stdout:
            self.printed.append(line)
            if "/oauth/authorize?" in line:
                self.authorize_url = line.strip()
                break
        else:
            raise AssertionError(f"oi login printed no URL: {self.printed}")

    def finish(self) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=60)
        return self.process.returncode, "".join(self.printed) + out, err


@pytest.fixture
def signed_in(live_server: LiveServer, config_home: Path, login: str) -> Iterator[LoginRun]:
    run = LoginRun(live_server, config_home)
    callback = play_browser(live_server.url, login, run.authorize_url)
    assert callback.startswith("http://127.0.0.1:") and "code=" in callback
    assert requests.get(callback, timeout=30).status_code == 200  # the CLI's loopback listener
    code, out, err = run.finish()
    assert code == 0, err
    assert "Signed in" in out
    assert find_tokens(out + err) == []  # only redacted forms are printed
    yield run


def test_login_stores_tokens_in_a_private_profile(
    signed_in: LoginRun, config_home: Path, live_server: LiveServer
) -> None:
    path = config_home / "tokenpatrol" / "profiles.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = profile(config_home)
    assert stored["oauth_access_token"].startswith("oi_oat_")
    assert stored["oauth_refresh_token"].startswith("oi_ort_")
    assert stored["app_url"] == live_server.url
    checked = oi(config_home, "auth", "check")
    assert checked.returncode == 0, checked.stderr
    assert "oauth_access" in checked.stdout and "acme/erin" in checked.stdout
    assert find_tokens(checked.stdout + checked.stderr) == []


def test_the_client_refreshes_by_itself_and_rotates(signed_in: LoginRun, config_home: Path) -> None:
    before = profile(config_home)
    write_expiry(config_home, 0)  # as if the 8 hours had passed
    checked = oi(config_home, "auth", "check")
    assert checked.returncode == 0, checked.stderr
    after = profile(config_home)
    assert after["oauth_access_token"] != before["oauth_access_token"]
    assert after["oauth_refresh_token"] != before["oauth_refresh_token"]
    assert int(after["oauth_expires_at"]) > 0


def test_a_reused_refresh_token_kills_the_whole_sign_in(
    signed_in: LoginRun, config_home: Path, live_server: LiveServer, http: Api
) -> None:
    stolen = profile(config_home)["oauth_refresh_token"]
    write_expiry(config_home, 0)
    assert oi(config_home, "auth", "check").returncode == 0  # the owner refreshes: stolen is spent
    current = profile(config_home)["oauth_access_token"]
    assert http.call("GET", "/auth/check", current).status == 200

    reuse = requests.post(
        f"{live_server.url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": stolen, "client_id": CLIENT_ID},
        timeout=30,
    )
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert http.call("GET", "/auth/check", current).status == 401
    checked = oi(config_home, "auth", "check")
    assert checked.returncode == 1 and "revoked" in checked.stderr


def test_logout_revokes_and_forgets(signed_in: LoginRun, config_home: Path, http: Api) -> None:
    stored = profile(config_home)
    done = oi(config_home, "logout")
    assert done.returncode == 0, done.stderr
    assert "oauth_access_token" not in profile(config_home)
    assert http.call("GET", "/auth/check", stored["oauth_access_token"]).status == 401


def test_denied_consent_fails_the_login(
    live_server: LiveServer, config_home: Path, login: str
) -> None:
    run = LoginRun(live_server, config_home)
    callback = play_browser(live_server.url, login, run.authorize_url, allow=False)
    assert query_of(callback)["error"] == "access_denied"
    requests.get(callback, timeout=30)
    code, _out, err = run.finish()
    assert code == 1 and "access_denied" in err


def test_server_log_and_urls_never_hold_the_tokens(
    signed_in: LoginRun, config_home: Path, live_server: LiveServer
) -> None:
    assert oi(config_home, "auth", "check").returncode == 0
    stored = profile(config_home)
    log = live_server.log_text()
    for key in ("oauth_access_token", "oauth_refresh_token"):
        assert stored[key] not in log and stored[key][7:] not in log
    assert find_tokens(log) == []


@pytest.mark.parametrize("mode", [[], ["--device"]], ids=["browser", "device"])
def test_login_against_a_service_that_is_not_there_ends_at_once(
    config_home: Path, mode: list[str]
) -> None:
    """Issue 13: it waited for the browser for 300 s; now one line and exit 1, well within the
    60 s the process is given here."""
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    run = oi_cli.oi_process(
        "login", "--no-browser", "--app-url", url, *mode, config_home=config_home
    )
    assert run.returncode == 1, run
    assert run.stdout == ""  # no URL to open, no code to enter
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"oi login: error: {url} is unreachable: "), line


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def not_the_service(tmp_path: Path) -> Iterator[str]:
    """Some other web server: every path is a 404."""
    with serving(functools.partial(_QuietFiles, directory=str(tmp_path))) as url:
        yield url


def test_login_against_another_web_server_ends_at_once(
    config_home: Path, not_the_service: str
) -> None:
    run = oi_cli.oi_process(
        "login", "--no-browser", "--app-url", not_the_service, config_home=config_home
    )
    assert run.returncode == 1, run
    assert run.stderr.splitlines() == [
        f"oi login: error: {not_the_service} is not a tokenpatrol service: "
        "/.well-known/oauth-authorization-server answered HTTP 404"
    ]
