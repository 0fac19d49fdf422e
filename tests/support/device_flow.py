"""What `oi login --device` and the person at the device code page do (RFC 8628), for tests that
play either side over real HTTP."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import requests

from tests.support.live_server import LiveServer, oi_command
from tests.support.oauth_flow import CLIENT_ID, PASSWORD, csrf_token
from tests.support.oi_cli import client_environment

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
USER_CODE = re.compile(r"\b[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}\b")
_HIDDEN_CODE = re.compile(r'<input[^>]*type="hidden"[^>]*>')
_VALUE = re.compile(r'value="([^"]+)"')


def hidden_user_code(html: str) -> str:
    """The user code the consent form sends back with Allow or Deny."""
    for field in _HIDDEN_CODE.findall(html):
        value = _VALUE.search(field)
        if 'name="user_code"' in field and value:
            return value.group(1)
    raise AssertionError("the consent form carries no user code")


def signed_in_session(base_url: str, login: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base_url}/login", timeout=30)
    signed = browser.post(
        f"{base_url}/login",
        data={"login": login, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
        allow_redirects=False,
        timeout=30,
    )
    assert signed.status_code == 302, signed.status_code
    return browser


def play_device_page(base_url: str, login: str, user_code: str, *, allow: bool = True) -> str:
    """Sign in, enter the code, press Allow (or Deny): the page the person ends on."""
    browser = signed_in_session(base_url, login)
    page = browser.get(f"{base_url}/device", timeout=30)
    consent = browser.post(
        f"{base_url}/device",
        data={"user_code": user_code, "csrf_token": csrf_token(page.text)},
        timeout=30,
    )
    assert consent.status_code == 200, consent.status_code
    button = {"allow": "Allow"} if allow else {"deny": "Deny"}
    done = browser.post(
        f"{base_url}/device/consent",
        data={
            "user_code": hidden_user_code(consent.text),
            "csrf_token": csrf_token(consent.text),
            **button,
        },
        timeout=30,
    )
    assert done.status_code == 200, done.status_code
    return done.text


def token_poll(base_url: str, device_code: str) -> requests.Response:
    form = {"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": CLIENT_ID}
    return requests.post(f"{base_url}/oauth/token", data=form, timeout=30)


class DeviceLoginRun:
    """`oi login --device` as a process of its own, waiting for approval; what it printed
    (the user code and both verification URIs) read from its stdout. Use it in a `with`: a
    test that fails before `finish` leaves no process behind."""

    def __init__(self, server: LiveServer, config_home: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [*oi_command(), "login", "--device", "--app-url", server.url, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=client_environment(config_home),
        )
        self.printed: list[str] = []
        try:
            self._read_instructions()
        except BaseException:
            self.__exit__()
            raise

    def _read_instructions(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.printed.append(line)
            if line.startswith("Waiting for approval"):
                break
        else:
            raise AssertionError(f"oi login --device printed no code: {self.printed}")
        text = "".join(self.printed)
        codes = USER_CODE.findall(text)
        assert codes, text
        self.user_code: str = codes[0]
        links = re.findall(r"^  (http\S+)$", text, re.MULTILINE)
        assert len(links) == 2, text
        self.verification_uri, self.verification_uri_complete = links

    def finish(self) -> tuple[int, str, str]:
        """Exit code, everything on stdout, everything on stderr."""
        out, err = self.process.communicate(timeout=120)
        return self.process.returncode, "".join(self.printed) + out, err

    def __enter__(self) -> DeviceLoginRun:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate(timeout=30)


def one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, lines
    return lines[0]
