"""`oi login --device` end to end: the CLI as a process of its own against `oi serve`, and the
person in Chromium on another "device": the link it printed, sign-in, the code, the consent
page, Allow. The CLI then exits 0 holding tokens that work, and no raw token was printed,
logged, or put in a URL.

The server asks for a poll every second (TOKENPATROL_OAUTH_DEVICE_INTERVAL_SECONDS=1) so the
CLI, which honours the interval, does not keep the test waiting five seconds a poll.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.people import fill_sign_in
from tests.browser.traffic import Traffic, hygiene_problems
from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.device_flow import DeviceLoginRun, one_line
from tests.support.live_server import LiveServer, running_server
from tests.support.oauth_flow import person_with_password
from tests.support.oi_cli import oi_process
from tests.support.secrets import Secret, find_tokens


@pytest.fixture
def live_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    with running_server(database_url, tmp_path, TOKENPATROL_OAUTH_DEVICE_INTERVAL_SECONDS="1") as s:
        yield s


@pytest.fixture
def login(http: Api) -> str:
    return person_with_password(http, ROOT_KEY, "acme", "alice")


def stored_tokens(config_home: Path) -> list[Secret]:
    document = tomllib.loads((config_home / "tokenpatrol" / "profiles.toml").read_text())
    profile = document["profiles"][document["active"]]
    return [Secret(profile[key]) for key in ("oauth_access_token", "oauth_refresh_token")]


def test_oi_login_device_signs_in_through_the_code_page(
    page: Page,
    base_url: str,
    login: str,
    live_server: LiveServer,
    traffic: Traffic,
    tmp_path: Path,
) -> None:
    config_home = tmp_path / "config"
    with DeviceLoginRun(live_server, config_home) as run:
        assert run.verification_uri == f"{base_url}/device"
        page.goto(run.verification_uri_complete)
        expect(page).to_have_url(re.compile(re.escape(base_url) + r"/login\?next=%2Fdevice"))
        fill_sign_in(page, login)
        expect(page).to_have_url(run.verification_uri_complete)  # back, with the code filled in
        expect(page.get_by_label("Code")).to_have_value(run.user_code)
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_test_id("consent-user-code")).to_have_text(run.user_code)
        expect(page.get_by_test_id("consent-scope")).to_have_text("read_write")
        expect(page.locator("main")).to_contain_text("acme/alice")
        page.get_by_role("button", name="Allow").click()
        expect(page.get_by_role("heading", name="Device approved")).to_be_visible()

        code, out, err = run.finish()
    assert code == 0, err
    assert "Signed in to" in out and "lasts 8 hours" in out
    checked = oi_process("auth", "check", config_home=config_home)
    assert checked.returncode == 0, checked
    assert "oauth_access" in checked.stdout and "acme/alice" in checked.stdout
    listed = oi_process("tokens", "list", "--json", config_home=config_home)  # the JSON API
    assert listed.returncode == 0, listed

    tokens = stored_tokens(config_home)
    assert [token[:7] for token in tokens] == ["oi_oat_", "oi_ort_"]
    printed = out + err + checked.output + listed.output
    assert find_tokens(printed) == [] and not [t for t in tokens if t in printed]
    assert hygiene_problems(traffic, live_server.log_text(), tokens) == []
    assert traffic.problems() == []


def test_a_code_typed_by_hand_and_denied_ends_the_cli_with_one_line(
    page: Page, base_url: str, login: str, live_server: LiveServer, tmp_path: Path
) -> None:
    with DeviceLoginRun(live_server, tmp_path / "config") as run:
        page.goto(run.verification_uri)
        fill_sign_in(page, login)
        expect(page).to_have_url(run.verification_uri)
        page.get_by_label("Code").fill(run.user_code.lower().replace("-", " "))
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_test_id("consent-user-code")).to_have_text(run.user_code)
        page.get_by_role("button", name="Deny").click()
        expect(page.get_by_role("heading", name="Device denied")).to_be_visible()
        code, out, err = run.finish()
    assert code == 1
    assert "access_denied" in one_line(err)
    assert find_tokens(out + err) == []
