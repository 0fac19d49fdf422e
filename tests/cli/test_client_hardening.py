"""Red-team findings against the `oi` client: secrets in `oi profile show`, tokens pasted with
whitespace, and credentials carried along a redirect to another origin."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scanner import formats
from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.live_server import LiveServer
from tests.support.oi_cli import assert_no_raw_token, oi


@pytest.fixture
def config_home(tmp_path: Path) -> Path:
    return tmp_path / "config"


def test_profile_show_masks_the_oi_login_tokens_too(config_home: Path) -> None:
    """Finding 5: only the key named `token` was masked; the OAuth pair came out whole."""
    access = formats.OAUTH_ACCESS_TOKEN.generate()
    refresh = formats.OAUTH_REFRESH_TOKEN.generate()
    folder = config_home / "tokenpatrol"
    folder.mkdir(parents=True)
    (folder / "profiles.toml").write_text(
        'active = "default"\n[profiles.default]\napp_url = "https://tokens.example"\n'
        f'oauth_access_token = "{access}"\noauth_refresh_token = "{refresh}"\n'
        'oauth_expires_at = "1"\n'
    )
    shown = oi("profile", "show", config_home=config_home)
    assert shown.returncode == 0, shown
    assert formats.redact(access) in shown.stdout and formats.redact(refresh) in shown.stdout
    assert_no_raw_token(shown, access, refresh)


def test_a_token_pasted_with_a_newline_still_works(
    live_server: LiveServer, http: Api, config_home: Path
) -> None:
    """Finding 5: `OPENINDEX_TOKEN="$T"$'\\n'` crashed with a traceback holding the token."""
    key = http.create_account(ROOT_KEY, "acme", "alice")
    pat = http.create_token(key, scope="read")
    env = {"OPENINDEX_APP_URL": live_server.url, "OPENINDEX_TOKEN": pat["token"] + "\n"}
    checked = oi("auth", "check", config_home=config_home, **env)
    assert checked.returncode == 0 and "valid: pat" in checked.stdout, checked
    stored = oi("profile", "set", "--token", f" {pat['token']}\n", config_home=config_home)
    assert stored.returncode == 0, stored
    from_profile = oi("auth", "check", "--app-url", live_server.url, config_home=config_home)
    assert from_profile.returncode == 0 and "profile token" in from_profile.stdout, from_profile
    assert_no_raw_token(checked, pat["token"])


def test_a_token_with_a_control_character_is_one_line_and_no_traceback(
    config_home: Path,
) -> None:
    token = formats.PERSONAL_ACCESS_TOKEN.generate()
    broken = token[:20] + "\r\n" + token[20:]
    env = {"OPENINDEX_APP_URL": "http://127.0.0.1:9", "OPENINDEX_TOKEN": broken}
    done = oi("tokens", "list", config_home=config_home, **env)
    assert done.returncode == 2, done  # refused offline, before anything is sent
    assert done.stderr.count("\n") == 1 and "control characters" in done.stderr, done
    assert "Traceback" not in done.output and token[20:] not in done.output, done


class _Recorder(BaseHTTPRequestHandler):
    """Answers every request; remembers the Authorization header it was sent."""

    seen: list[str | None]
    location: str = ""

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("Authorization"))
        if self.location:
            self.send_response(302)
            self.send_header("Location", self.location + self.path)
        else:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        self.end_headers()
        if not self.location:
            self.wfile.write(b'{"status": "ok", "result": []}')

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str | None], type[_Recorder]]]:
    seen: list[str | None] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen, handler
    finally:
        server.shutdown()
        server.server_close()


def test_credentials_never_follow_a_redirect_to_another_origin(
    recorder: tuple[str, list[str | None], type[_Recorder]], config_home: Path
) -> None:
    """Finding 10: urllib kept `Authorization` on a redirect to any host."""
    elsewhere, seen_elsewhere, _handler = recorder
    seen_here: list[str | None] = []
    redirector = type("Redirector", (_Recorder,), {"seen": seen_here, "location": elsewhere})
    server = ThreadingHTTPServer(("127.0.0.1", 0), redirector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    token = formats.PERSONAL_ACCESS_TOKEN.generate()
    here = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        done = oi(
            "tokens", "list", config_home=config_home, OPENINDEX_APP_URL=here, OPENINDEX_TOKEN=token
        )
    finally:
        server.shutdown()
        server.server_close()
    reached = seen_here == [f"Bearer {token}"]  # compared outside the assert: no token shown
    assert reached, "the first request did not reach the redirector with the token"
    assert seen_elsewhere == [], "a request followed the redirect to another origin"
    assert done.returncode == 1 and f"redirected to {elsewhere}" in done.stderr, done
    assert_no_raw_token(done, token)


def test_leak_locations_cannot_drive_the_terminal(
    live_server: LiveServer, http: Api, config_home: Path
) -> None:
    """Red-team finding 11: `oi admin leaks list` printed reported locations raw."""
    key = http.create_account(ROOT_KEY, "acme", "alice")
    pat = http.create_token(key, scope="read")["token"]
    where = {"repo": "acme/app\x1b[2J", "path": "ci\x1b]0;pwned\x07.yml", "line": 3}
    assert (
        http.call(
            "POST", "/api/v1/leaks/revoke", json_body={"tokens": [pat], "location": where}
        ).status
        == 200
    )
    env = {"OPENINDEX_APP_URL": live_server.url, "OPENINDEX_TOKEN": ROOT_KEY}
    listed = oi("admin", "leaks", "list", config_home=config_home, **env)
    assert listed.returncode == 0, listed
    assert "acme/app\\x1b[2J:ci\\x1b]0;pwned\\x07.yml:3" in listed.stdout, listed
    assert "\x1b" not in listed.output and "\x07" not in listed.output, listed
    assert_no_raw_token(listed, pat, ROOT_KEY)
